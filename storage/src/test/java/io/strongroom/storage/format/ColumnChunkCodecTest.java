package io.strongroom.storage.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ColumnChunkCodecTest {
    private static ColumnVector longs(long... values) {
        ColumnVector v = new ColumnVector(ColumnType.BIGINT, values.length);
        for (long x : values) {
            v.appendLong(x);
        }
        return v;
    }

    private static ColumnVector roundTrip(ColumnVector v) {
        ColumnChunkCodec.Encoded e = ColumnChunkCodec.encode(v, 0, v.size());
        byte[] body = Arrays.copyOf(e.body(), e.bodyLength());
        return ColumnChunkCodec.decode(body, v.type(), v.size(), 2, "test block");
    }

    private static int encoding(ColumnVector v) {
        return ColumnChunkCodec.encode(v, 0, v.size()).encoding();
    }

    @Test
    void bitPacked_readsBackEveryWidth_atRowCountsThatEndMidByteAndNearTheArraysEnd() {
        SplittableRandom random = new SplittableRandom(7);
        for (int width = 1; width <= BitPacking.MAX_WIDTH; width++) {
            for (int n : new int[] {1, 2, 7, 9, 63, 1000, 4099}) {
                long min = random.nextLong() >> 2;
                long[] values = new long[n];
                for (int i = 0; i < n; i++) {
                    values[i] = min + (random.nextLong() & ((1L << width) - 1));
                }
                values[0] = min + ((1L << width) - 1); // the widest offset occurs
                ColumnVector v = longs(values);
                ColumnVector back = roundTrip(v);
                assertThat(back.size()).isEqualTo(n);
                for (int i = 0; i < n; i++) {
                    assertThat(back.getLong(i))
                            .as("width %d, n %d, row %d", width, n, i)
                            .isEqualTo(values[i]);
                }
            }
        }
    }

    @Test
    void randomAndSortedIntegers_areBitPacked_butNotWhenDeltasAreUnderAThird_orTheSpanIsOverFiftySevenBits() {
        SplittableRandom random = new SplittableRandom(11);
        long[] dates = new long[5000];
        for (int i = 0; i < dates.length; i++) {
            dates[i] = 8000 + random.nextInt(2500);
        }
        assertThat(encoding(longs(dates))).isEqualTo(ColumnChunkCodec.PACKED);
        long[] sorted = new long[5000];
        for (int i = 1; i < sorted.length; i++) {
            sorted[i] = sorted[i - 1] + 1 + random.nextInt(3); // one-byte deltas, 14-bit offsets: packed
        }
        assertThat(encoding(longs(sorted))).isEqualTo(ColumnChunkCodec.PACKED);
        sorted[2500] += 1L << 40;
        for (int i = 2501; i < sorted.length; i++) {
            sorted[i] = sorted[i - 1] + 1 + random.nextInt(3); // one jump: 41-bit offsets, over three times the deltas
        }
        assertThat(encoding(longs(sorted))).isEqualTo(ColumnChunkCodec.DELTA);
        ColumnVector wide = longs(Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1L << 58);
        assertThat(encoding(wide)).isNotEqualTo(ColumnChunkCodec.PACKED);
        ColumnVector back = roundTrip(wide);
        assertThat(back.getLong(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(back.getLong(1)).isEqualTo(Long.MAX_VALUE);
        assertThat(back.getLong(4)).isEqualTo(1L << 58);
    }

    /** The layout docs/format/store-files.md gives, byte for byte: a reader of stored blocks depends on it. */
    @Test
    void bitPackedBlock_goldenBytes() {
        // encoding 5, physical 0 (long), 64 rows, 0 nulls, zigzag(min 5) = 10, width 3, then 5, 7, 6, 12 eight
        // times as offsets 0, 2, 1, 7 least significant bit first: three bytes per eight values.
        byte[] golden = HexFormat.of().parseHex("050040000a03" + "500ee5".repeat(8));
        long[] values = new long[64];
        for (int i = 0; i < 64; i++) {
            values[i] = new long[] {5, 7, 6, 12}[i % 4];
        }
        ColumnChunkCodec.Encoded e = ColumnChunkCodec.encode(longs(values), 0, 64);
        assertThat(Arrays.copyOf(e.body(), e.bodyLength())).isEqualTo(golden);
        ColumnVector v = ColumnChunkCodec.decode(golden, ColumnType.BIGINT, 64, 2, "golden");
        for (int i = 0; i < 64; i++) {
            assertThat(v.getLong(i)).isEqualTo(values[i]);
        }
    }

    @Test
    void fewerThanSixtyFourValues_areNeverBitPacked_soOneRowChunksKeepVersionOneEncodings() {
        assertThat(encoding(longs(5, 7, 6, 12))).isNotEqualTo(ColumnChunkCodec.PACKED);
        assertThat(encoding(longs(Long.MAX_VALUE / 3))).isNotEqualTo(ColumnChunkCodec.PACKED);
    }

    @Test
    void bitPackedValues_inAVersionOneBlock_withABadWidth_orTooFewBytes_areIntegrityErrors() {
        byte[] packed = HexFormat.of().parseHex("050004000a03500e");
        assertThatThrownBy(() -> ColumnChunkCodec.decode(packed, ColumnType.BIGINT, 4, 1, "block 9"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("bit-packed values in a block of format version 1");
        byte[] badWidth = HexFormat.of().parseHex("050004000a3a500e");
        assertThatThrownBy(() -> ColumnChunkCodec.decode(badWidth, ColumnType.BIGINT, 4, 2, "block 9"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("block 9")
                .hasMessageContaining("width 58");
        byte[] truncated = HexFormat.of().parseHex("050004000a0350");
        assertThatThrownBy(() -> ColumnChunkCodec.decode(truncated, ColumnType.BIGINT, 4, 2, "block 9"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void integersWithNulls_andStringsPlainOrByDictionary_readBack() {
        ColumnVector ints = new ColumnVector(ColumnType.BIGINT, 300);
        ColumnVector dict = new ColumnVector(ColumnType.varchar(20), 300);
        ColumnVector plain = new ColumnVector(ColumnType.varchar(40), 300);
        for (int i = 0; i < 300; i++) {
            if (i % 7 == 3) {
                ints.appendNull();
                dict.appendNull();
                plain.appendNull();
            } else {
                ints.appendLong(1000 + (i * 37L) % 500);
                dict.appendString(i % 3 == 0 ? "RAIL" : i % 3 == 1 ? "TRUCK" : "");
                plain.appendString("comment " + i + " ".repeat(i % 9) + "é");
            }
        }
        assertThat(encoding(dict)).isEqualTo(ColumnChunkCodec.DICT);
        assertThat(encoding(plain)).isEqualTo(ColumnChunkCodec.PLAIN);
        for (ColumnVector v : new ColumnVector[] {ints, dict, plain}) {
            ColumnVector back = roundTrip(v);
            for (int i = 0; i < v.size(); i++) {
                assertThat(back.get(i)).as("row %d", i).isEqualTo(v.get(i));
            }
        }
    }

    @Test
    void keptForms_bitPackedAndDictionary_areSmallerThanDecoded_andEveryRangeReadsAsDecoded() {
        SplittableRandom random = new SplittableRandom(3);
        int n = 20_000;
        ColumnVector ints = new ColumnVector(ColumnType.BIGINT, n);
        ColumnVector shortStrings = new ColumnVector(ColumnType.varchar(16), n);
        ColumnVector longStrings = new ColumnVector(ColumnType.varchar(40), n);
        ColumnVector withNulls = new ColumnVector(ColumnType.varchar(16), n);
        ColumnVector wideDictionary = new ColumnVector(ColumnType.varchar(16), n); // 2-byte indices
        for (int i = 0; i < n; i++) {
            ints.appendLong(8000 + random.nextInt(2500));
            shortStrings.appendString(
                    new String[] {"MAIL", "SHIP", "", "REG AIR", "16 BYTES EXACTLY"}[random.nextInt(5)]);
            longStrings.appendString("PROMO BURNISHED COPPER " + "x".repeat(random.nextInt(12)));
            wideDictionary.appendString("clerk#" + random.nextInt(400)); // over 256 entries
            if (i % 11 == 0) {
                withNulls.appendNull();
            } else {
                withNulls.appendString("N" + random.nextInt(5));
            }
        }
        for (ColumnVector v : new ColumnVector[] {ints, shortStrings, longStrings, withNulls, wideDictionary}) {
            ColumnChunkCodec.Encoded e = ColumnChunkCodec.encode(v, 0, n);
            byte[] body = Arrays.copyOf(e.body(), e.bodyLength());
            BlockValues kept = ColumnChunkCodec.values(body, v.type(), n, 2, "test block");
            ColumnVector decoded = ColumnChunkCodec.decode(body, v.type(), n, 2, "test block");
            boolean encodedForm = v != withNulls;
            assertThat(kept.retainedBytes() < decoded.retainedBytes() / 2)
                    .as(v.type().sql())
                    .isEqualTo(encodedForm);
            assertThat(kept.rows()).isEqualTo(n);
            for (int k = 0; k < 200; k++) {
                int from = k == 0 ? n - 3 : random.nextInt(n);
                int to = k == 0 ? n : Math.min(n, from + random.nextInt(5000));
                ColumnVector slice = kept.slice(from, to);
                ColumnVector appended = new ColumnVector(v.type(), 1);
                appended.appendNull(); // a row before: appends go after what is there
                kept.appendTo(appended, from, to);
                assertThat(slice.size()).isEqualTo(to - from);
                for (int i = from; i < to; i++) {
                    assertThat(slice.get(i - from)).as("row %d", i).isEqualTo(v.get(i));
                    assertThat(appended.get(i - from + 1)).as("row %d", i).isEqualTo(v.get(i));
                }
            }
        }
    }

    @Test
    void keptDictionary_withAnIndexBeyondTheDictionary_isAnIntegrityErrorWhenMade() {
        ColumnVector v = new ColumnVector(ColumnType.varchar(8), 100);
        for (int i = 0; i < 100; i++) {
            v.appendString(i % 2 == 0 ? "A" : "B");
        }
        ColumnChunkCodec.Encoded e = ColumnChunkCodec.encode(v, 0, 100);
        assertThat(e.encoding()).isEqualTo(ColumnChunkCodec.DICT);
        byte[] body = Arrays.copyOf(e.body(), e.bodyLength());
        body[body.length - 1] = 2; // the last row's index, of a dictionary of two
        assertThatThrownBy(() -> ColumnChunkCodec.values(body, v.type(), 100, 2, "block 4"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("block 4")
                .hasMessageContaining("dictionary index 2 beyond 2");
    }
}
