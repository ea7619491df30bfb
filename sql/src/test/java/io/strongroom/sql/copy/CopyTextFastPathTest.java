package io.strongroom.sql.copy;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.RowText;
import io.strongroom.sql.exec.Batch;
import io.strongroom.sql.exec.Vec;
import io.strongroom.sql.exec.VecText;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * COPY ... TO STDOUT formatted from column vectors ({@link CopyFormat#appendRow}, {@link VecText#copy}) gives byte
 * for byte what formatting the rows' in-memory values gives ({@link CopyFormat#format}), in text and CSV with
 * several delimiters and NULL strings, for values that need escaping or quoting and for the representations that
 * take the general path.
 */
class CopyTextFastPathTest {
    private static final List<CopyFormat> FORMATS = List.of(
            new CopyFormat(false, '\t', "\\N", 0, false, false),
            new CopyFormat(false, '|', "", 0, false, false),
            new CopyFormat(false, '.', "NULL", 0, false, false),
            new CopyFormat(false, '-', "\\N", 0, false, false),
            new CopyFormat(false, 'é', "\\N", 0, false, false),
            new CopyFormat(true, ',', "", 0, false, false),
            new CopyFormat(true, '|', "NULL", 0, false, false),
            new CopyFormat(true, '0', "", 0, false, false));

    private static final String[] STRINGS = {
        "",
        "plain",
        "tab\there",
        "new\nline",
        "cr\rhere",
        "back\\slash",
        "a|b",
        "a,b",
        "quote\"d",
        "dots.and-dashes",
        "ünïcødé",
        "日本語",
        "émoji 😀",
        "\\N",
        "NULL",
        " ",
        "0",
        // Longer than a word of eight bytes, with the byte to escape or quote at different places.
        "a long plain prefix, then a\ttab",
        "0123456789abcdef|x",
        "xxxxxxxxxxxxxxxxx\n",
        "ctl\u0001 char and more text",
        "sixteen bytes ok\\",
        "\"quoted\" at the start of it",
        "ünïcødé and a\ttab after eight bytes"
    };

    @Test
    void appendRow_matchesFormat_forEveryFormatAndValue() {
        int n = STRINGS.length + 3;
        long[] ints = new long[n];
        long[] decs = new long[n];
        long[] dates = new long[n];
        long[] bools = new long[n];
        double[] doubles = new double[n];
        Object[] objs = new Object[n];
        long[] ts = new long[n];
        String[] strs = new String[n];
        String[] asciiStrs = new String[n];
        long[] sampleInts = {0, -1, 1, Long.MIN_VALUE, Long.MAX_VALUE, 42, -1234567890123L};
        long[] sampleDecs = {0, -5, 5, 100, -100, 123456789, Long.MIN_VALUE, Long.MAX_VALUE, -1};
        long[] sampleDates = {
            0, -1, -719_162, -719_163, -719_528, 2_932_896, 2_932_897, 10_957, -25_000, -1_000_000, 100_000_000
        };
        for (int i = 0; i < n; i++) {
            ints[i] = sampleInts[i % sampleInts.length];
            decs[i] = sampleDecs[i % sampleDecs.length];
            dates[i] = sampleDates[i % sampleDates.length];
            bools[i] = i % 2;
            doubles[i] = i % 3 == 0 ? 1e20 : -0.5 * i;
            objs[i] = new BigDecimal("-12345678901234567890.0000000001").movePointLeft(i % 4);
            ts[i] = -86_400_000_000L * i + 123_456;
            strs[i] = i < STRINGS.length ? STRINGS[i] : null;
            asciiStrs[i] = strs[i] == null || strs[i].chars().allMatch(ch -> ch < 0x80) ? strs[i] : "ascii only";
        }
        boolean[] nulls = new boolean[n];
        nulls[n - 1] = true;
        nulls[3] = true;
        Batch batch = new Batch(
                new Vec[] {
                    Vec.ofLongs(Vec.Type.INT, 0, ints, n, null),
                    Vec.ofLongs(Vec.Type.DEC, 2, decs, n, nulls),
                    Vec.ofLongs(Vec.Type.DEC, 0, decs, n, null),
                    Vec.ofLongs(Vec.Type.DEC, 18, decs, n, null),
                    Vec.ofLongs(Vec.Type.DATE, 0, dates, n, nulls),
                    Vec.ofLongs(Vec.Type.BOOL, 0, bools, n, null),
                    Vec.ofDoubles(doubles, n, null),
                    Vec.ofObjects(objs, n),
                    Vec.ofLongs(Vec.Type.TS, 0, ts, n, null),
                    Vec.ofStrings(strs, n),
                    Vec.ofStrings(asciiStrs, n)
                },
                n);
        assertThat(VecText.ascii(batch.col(10))).isTrue();
        assertThat(VecText.ascii(batch.col(9))).isFalse();
        RowText field = new RowText();
        for (CopyFormat f : FORMATS) {
            // With the batch's flags, and with none (every field checked and escaped the long way).
            for (byte[] flags : List.of(f.columnFlags(batch), new byte[batch.cols().length])) {
                StringBuilder expected = new StringBuilder();
                RowText out = new RowText();
                for (int r = 0; r < n; r++) {
                    expected.append(f.format(batch.row(r)));
                    f.appendRow(batch, r, flags, field, out);
                }
                assertThat(new String(Arrays.copyOf(out.bytes(), out.length()), StandardCharsets.UTF_8))
                        .as("format %s", f)
                        .isEqualTo(expected.toString());
                assertThat(Arrays.copyOf(out.bytes(), out.length()))
                        .isEqualTo(expected.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void copy_ofRandomDecimalsAndDates_matchesTheirInMemoryText() {
        Random random = new Random(20261206);
        RowText out = new RowText();
        for (int k = 0; k < 100_000; k++) {
            long unscaled = k % 3 == 0 ? random.nextInt() : random.nextLong() >> random.nextInt(64);
            int scale = random.nextInt(19);
            out.clear();
            VecText.copy(Vec.ofLongs(Vec.Type.DEC, scale, new long[] {unscaled}, 1, null), 0, false, out);
            assertThat(text(out))
                    .as("seed 20261206, %d at scale %d", unscaled, scale)
                    .isEqualTo(BigDecimal.valueOf(unscaled, scale).toPlainString());
            long day =
                    random.nextLong(LocalDate.MIN.toEpochDay(), LocalDate.MAX.toEpochDay() + 1) >> random.nextInt(40);
            out.clear();
            VecText.copy(Vec.ofLongs(Vec.Type.DATE, 0, new long[] {day}, 1, null), 0, false, out);
            assertThat(text(out))
                    .as("seed 20261206, day %d", day)
                    .isEqualTo(LocalDate.ofEpochDay(day).toString());
        }
    }

    @Test
    void generalPathTypes_printAsTheirInMemoryText() {
        RowText out = new RowText();
        LocalDateTime t = LocalDateTime.of(1969, 12, 31, 23, 59, 59, 500_000_000);
        long micros = t.toEpochSecond(ZoneOffset.UTC) * 1_000_000 + 500_000;
        VecText.copy(Vec.ofLongs(Vec.Type.TS, 0, new long[] {micros}, 1, null), 0, false, out);
        assertThat(text(out)).isEqualTo(t.toString());
    }

    private static String text(RowText out) {
        return new String(out.bytes(), 0, out.length(), StandardCharsets.UTF_8);
    }
}
