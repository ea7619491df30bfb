package io.strongroom.storage.format;

import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Encodes the values of one block (a run of rows of one column) before compression, choosing the encoding that
 * pays: plain, delta (zigzag varints of differences: sorted or slowly changing integers), run-length (long
 * runs), dictionary (few distinct values), or bit-packed (offsets from the block's minimum at a fixed width,
 * {@link BitPacking}). Also computes the block's zone map. Bit-packed integers decode several times faster than
 * delta varints and stay encoded in the block cache (a delta block is kept decoded, 8 bytes a value), so they are
 * chosen unless another encoding takes under a third of their bytes: sorted keys, whose one-byte deltas against
 * two or three bytes packed, are bit-packed too.
 *
 * <pre>
 * u8 encoding (1 plain, 2 delta, 3 run-length, 4 dictionary, 5 bit-packed) | u8 physical (0 long, 1 double, 2 bytes, 3 big)
 * | varint rowCount | varint nullCount | null bitmap (ceil(rowCount/8) bytes, LSB first) if nullCount > 0
 * | values of the non-null rows:
 *   long  plain: 8 bytes LE each; delta: zigzag first, zigzag differences; run-length: varint runs, then
 *         (zigzag value, varint length) per run; dictionary: varint size, zigzag entries, u8 width (1|2|4),
 *         indices LE of that width; bit-packed: zigzag min, u8 width, packed offsets (see BitPacking)
 *   double plain: 8 bytes LE (raw IEEE bits)
 *   bytes plain: varint length + bytes each; dictionary: varint size, (varint length + bytes) per entry, u8
 *         width, indices
 *   big   plain: varint length + two's-complement big-endian bytes each
 * </pre>
 *
 * Stateless and thread-safe.
 */
public final class ColumnChunkCodec {
    public static final int PLAIN = 1;
    public static final int DELTA = 2;
    public static final int RLE = 3;
    public static final int DICT = 4;
    public static final int PACKED = 5;

    /** Fewer values are never bit-packed: so one-row chunks (fills, DEFAULTs) keep the version 1 encodings. */
    static final int MIN_PACKED_ROWS = 64;

    private static final int MAX_DICT_LONGS = 256;
    private static final int MAX_DICT_BYTES = 65536;

    private ColumnChunkCodec() {}

    /** An encoded block body with its statistics. */
    public record Encoded(byte[] body, int bodyLength, int encoding, int nullCount, ZoneMap zone) {}

    public static Encoded encode(ColumnVector v, int from, int to) {
        int n = to - from;
        int nulls = 0;
        for (int i = from; i < to; i++) {
            if (v.isNull(i)) {
                nulls++;
            }
        }
        ColumnType.Physical phys = v.type().physical();
        ByteSink out = new ByteSink(estimate(v, from, to) + 32);
        int encodingPos = out.size();
        out.u8(PLAIN).u8(phys.ordinal()).varLong(n).varLong(nulls);
        if (nulls > 0) {
            byte[] bitmap = new byte[(n + 7) / 8];
            for (int i = 0; i < n; i++) {
                if (v.isNull(from + i)) {
                    bitmap[i >>> 3] |= (byte) (1 << (i & 7));
                }
            }
            out.bytes(bitmap);
        }
        int[] rows = new int[n - nulls];
        for (int i = from, j = 0; i < to; i++) {
            if (!v.isNull(i)) {
                rows[j++] = i;
            }
        }
        int encoding;
        ZoneMap zone;
        switch (phys) {
            case LONG -> {
                long[] vals = new long[rows.length];
                for (int j = 0; j < rows.length; j++) {
                    vals[j] = v.getLong(rows[j]);
                }
                encoding = encodeLongs(vals, out);
                zone = longZone(vals);
            }
            case DOUBLE -> {
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                boolean nan = false;
                for (int r : rows) {
                    double d = v.getDouble(r);
                    out.longLE(Double.doubleToRawLongBits(d));
                    if (Double.isNaN(d)) {
                        nan = true;
                    } else {
                        min = Math.min(min, d);
                        max = Math.max(max, d);
                    }
                }
                encoding = PLAIN;
                zone = (nan || rows.length == 0) ? ZoneMap.EMPTY : ZoneMap.ofDoubles(min, max);
            }
            case BYTES -> {
                encoding = encodeBytes(v, rows, out);
                zone = bytesZone(v, rows);
            }
            case BIG -> {
                for (int r : rows) {
                    byte[] b = Objects.requireNonNull(v.getBig(r)).toByteArray();
                    out.varLong(b.length).bytes(b);
                }
                encoding = PLAIN;
                zone = ZoneMap.EMPTY;
            }
            default -> throw new IllegalStateException();
        }
        out.array()[encodingPos] = (byte) encoding;
        return new Encoded(out.array(), out.size(), encoding, nulls, zone);
    }

    private static int estimate(ColumnVector v, int from, int to) {
        return switch (v.type().physical()) {
            case LONG, DOUBLE -> (to - from) * 8;
            case BYTES -> v.bytesStart(to) - v.bytesStart(from) + (to - from) * 2;
            case BIG -> (to - from) * 18;
        };
    }

    private static ZoneMap longZone(long[] vals) {
        if (vals.length == 0) {
            return ZoneMap.EMPTY;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (long x : vals) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        return ZoneMap.ofLongs(min, max);
    }

    private static ZoneMap bytesZone(ColumnVector v, int[] rows) {
        if (rows.length == 0) {
            return ZoneMap.EMPTY;
        }
        byte[] data = v.bytesData();
        int minRow = rows[0];
        int maxRow = rows[0];
        for (int r : rows) {
            if (compare(data, v.bytesStart(r), v.bytesLength(r), v.bytesStart(minRow), v.bytesLength(minRow)) < 0) {
                minRow = r;
            }
            if (compare(data, v.bytesStart(r), v.bytesLength(r), v.bytesStart(maxRow), v.bytesLength(maxRow)) > 0) {
                maxRow = r;
            }
        }
        if (v.bytesLength(minRow) > ZoneMap.MAX_BOUND_BYTES || v.bytesLength(maxRow) > ZoneMap.MAX_BOUND_BYTES) {
            return ZoneMap.EMPTY;
        }
        return ZoneMap.ofBytes(
                Arrays.copyOfRange(data, v.bytesStart(minRow), v.bytesStart(minRow) + v.bytesLength(minRow)),
                Arrays.copyOfRange(data, v.bytesStart(maxRow), v.bytesStart(maxRow) + v.bytesLength(maxRow)));
    }

    private static int compare(byte[] d, int aOff, int aLen, int bOff, int bLen) {
        return Arrays.compareUnsigned(d, aOff, aOff + aLen, d, bOff, bOff + bLen);
    }

    private static int varLen(long zz) {
        return zz == 0 ? 1 : (63 - Long.numberOfLeadingZeros(zz)) / 7 + 1;
    }

    private static long zz(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static int encodeLongs(long[] vals, ByteSink out) {
        int n = vals.length;
        long plainSize = 8L * n;
        long deltaSize = 0;
        int runs = n == 0 ? 0 : 1;
        long runSize = 0;
        long prev = 0;
        for (int i = 0; i < n; i++) {
            deltaSize += varLen(zz(vals[i] - prev));
            if (i > 0 && vals[i] != vals[i - 1]) {
                runs++;
                runSize += varLen(zz(vals[i - 1])) + 2;
            }
            prev = vals[i];
        }
        if (n > 0) {
            runSize += varLen(zz(vals[n - 1])) + 2;
        }
        long[] dict = distinctLongs(vals);
        long dictSize = dict == null ? Long.MAX_VALUE : (long) dict.length * 9 + n;
        long best = Math.min(Math.min(plainSize, deltaSize), Math.min(runSize, dictSize));
        if (best == runSize && runs < n) {
            out.varLong(runs);
            int i = 0;
            while (i < n) {
                int j = i;
                while (j < n && vals[j] == vals[i]) {
                    j++;
                }
                out.zigzag(vals[i]).varLong(j - i);
                i = j;
            }
            return RLE;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (long x : vals) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        int width = n < MIN_PACKED_ROWS ? -1 : BitPacking.width(min, max);
        if (width > 0 && varLen(zz(min)) + 1 + BitPacking.packedBytes(n, width) <= 3 * best) {
            BitPacking.pack(vals, min, width, out);
            return PACKED;
        }
        if (best == dictSize && dict != null) {
            out.varLong(dict.length);
            for (long d : dict) {
                out.zigzag(d);
            }
            out.u8(1);
            for (long x : vals) {
                out.u8(Arrays.binarySearch(dict, x));
            }
            return DICT;
        }
        if (best == deltaSize) {
            prev = 0;
            for (long x : vals) {
                out.zigzag(x - prev);
                prev = x;
            }
            return DELTA;
        }
        for (long x : vals) {
            out.longLE(x);
        }
        return PLAIN;
    }

    /** The sorted distinct values when there are at most 256 of them, else null. */
    private static long @Nullable [] distinctLongs(long[] vals) {
        long[] seen = new long[MAX_DICT_LONGS + 1];
        int count = 0;
        HashSet<Long> set = new HashSet<>();
        for (long x : vals) {
            if (count > 0 && seen[count - 1] == x) {
                continue;
            }
            if (set.add(x)) {
                if (count == MAX_DICT_LONGS) {
                    return null;
                }
                seen[count++] = x;
            }
        }
        long[] d = Arrays.copyOf(seen, count);
        Arrays.sort(d);
        return d;
    }

    private static int encodeBytes(ColumnVector v, int[] rows, ByteSink out) {
        byte[] data = v.bytesData();
        // Sample first: all-distinct strings (ids, hashes) skip the dictionary attempt cheaply.
        HashMap<ByteBuffer, Integer> dict = new HashMap<>();
        int sample = Math.min(rows.length, 1024);
        for (int i = 0; i < sample; i++) {
            dict.putIfAbsent(
                    ByteBuffer.wrap(data, v.bytesStart(rows[i]), v.bytesLength(rows[i]))
                            .slice(),
                    dict.size());
        }
        boolean tryDict = rows.length > 0 && dict.size() * 2 <= sample;
        int[] idx = null;
        if (tryDict) {
            idx = new int[rows.length];
            for (int i = 0; i < rows.length && idx != null; i++) {
                ByteBuffer key = ByteBuffer.wrap(data, v.bytesStart(rows[i]), v.bytesLength(rows[i]))
                        .slice();
                Integer id = dict.get(key);
                if (id == null) {
                    if (dict.size() >= MAX_DICT_BYTES) {
                        idx = null;
                        break;
                    }
                    id = dict.size();
                    dict.put(key, id);
                }
                idx[i] = id;
            }
        }
        if (idx != null && dict.size() * 2 <= rows.length) {
            ByteBuffer[] entries = new ByteBuffer[dict.size()];
            dict.forEach((k, id) -> entries[id] = k);
            out.varLong(entries.length);
            for (ByteBuffer e : entries) {
                byte[] b = new byte[e.remaining()];
                e.duplicate().get(b);
                out.varLong(b.length).bytes(b);
            }
            int width = entries.length <= 256 ? 1 : 2;
            out.u8(width);
            for (int id : idx) {
                if (width == 1) {
                    out.u8(id);
                } else {
                    out.u8(id).u8(id >>> 8);
                }
            }
            return DICT;
        }
        for (int r : rows) {
            int len = v.bytesLength(r);
            out.varLong(len).bytes(data, v.bytesStart(r), len);
        }
        return PLAIN;
    }

    /**
     * Decodes a body made by {@link #encode} into a vector of {@code type}: a one-row chunk (a fill or DEFAULT
     * value), which is never bit-packed.
     */
    public static ColumnVector decode(byte[] body, ColumnType type, int expectedRows, String place) {
        return decode(body, type, expectedRows, 1, place);
    }

    /** Decodes the body of a block of format {@code blockVersion}: bit-packed values only from version 2. */
    public static ColumnVector decode(byte[] body, ColumnType type, int expectedRows, int blockVersion, String place) {
        ByteSource in = new ByteSource(body, place);
        return decodeRest(in, header(in, type, expectedRows, blockVersion), type);
    }

    /**
     * The block's rows as the read path keeps them ({@link BlockValues}): bit-packed integers and dictionary
     * strings without NULLs stay encoded (checked whole here), anything else is decoded.
     */
    public static BlockValues values(byte[] body, ColumnType type, int expectedRows, int blockVersion, String place) {
        ByteSource in = new ByteSource(body, place);
        Header h = header(in, type, expectedRows, blockVersion);
        if (h.isNull() == null && h.encoding() == PACKED && type.physical() == ColumnType.Physical.LONG) {
            BitPacking.Packed packed = BitPacking.read(in, h.rows());
            in.expectEnd();
            return new BlockValues.PackedLongs(type, h.rows(), body, packed);
        }
        if (h.isNull() == null && h.encoding() == DICT && type.physical() == ColumnType.Physical.BYTES) {
            BlockValues.DictStrings dict = dictionary(in, type, h.rows());
            in.expectEnd();
            return dict;
        }
        return BlockValues.of(decodeRest(in, h, type));
    }

    /** A block body's header: its encoding, rows and NULL rows (null when none is). */
    private record Header(int encoding, int rows, int nulls, boolean @Nullable [] isNull) {}

    private static Header header(ByteSource in, ColumnType type, int expectedRows, int blockVersion) {
        int encoding = in.u8();
        if (encoding == PACKED && blockVersion < 2) {
            throw in.corrupt("bit-packed values in a block of format version " + blockVersion);
        }
        int phys = in.u8();
        if (phys != type.physical().ordinal()) {
            throw in.corrupt("block holds physical kind " + phys + " but the column is " + type.sql());
        }
        int n = in.varInt(BlockRef.MAX_ROWS, "row count");
        if (n != expectedRows) {
            throw in.corrupt("block holds " + n + " rows, its manifest entry says " + expectedRows);
        }
        int nulls = in.varInt(n, "null count");
        boolean[] isNull = null;
        if (nulls > 0) {
            byte[] bitmap = in.bytes((n + 7) / 8);
            isNull = new boolean[n];
            int marked = 0;
            for (int i = 0; i < n; i++) {
                isNull[i] = (bitmap[i >>> 3] & (1 << (i & 7))) != 0;
                marked += isNull[i] ? 1 : 0;
            }
            // The values that follow are counted from the header's null count; a bitmap that disagrees would
            // send the readers below past the end of them.
            if (marked != nulls) {
                throw in.corrupt("null bitmap marks " + marked + " rows but the null count is " + nulls);
            }
        }
        return new Header(encoding, n, nulls, isNull);
    }

    private static ColumnVector decodeRest(ByteSource in, Header h, ColumnType type) {
        int encoding = h.encoding();
        int n = h.rows();
        int nulls = h.nulls();
        boolean[] isNull = h.isNull();
        int values = n - nulls;
        if (type.physical() == ColumnType.Physical.LONG) {
            long[] vals = decodeLongs(in, encoding, values);
            in.expectEnd();
            if (isNull == null) {
                return ColumnVector.adoptLongs(type, vals);
            }
            ColumnVector out = new ColumnVector(type, n);
            out.appendLongsUnchecked(vals, n, isNull);
            return out;
        }
        if (type.physical() == ColumnType.Physical.BYTES) {
            ColumnVector strings = decodeBytes(in, encoding, n, isNull, type);
            in.expectEnd();
            return strings;
        }
        ColumnVector out = new ColumnVector(type, n);
        switch (type.physical()) {
            case LONG, BYTES -> throw new IllegalStateException("decoded above");
            case DOUBLE -> {
                if (encoding != PLAIN) {
                    throw in.corrupt("unknown double encoding " + encoding);
                }
                for (int i = 0; i < n; i++) {
                    if (isNull != null && isNull[i]) {
                        out.appendNull();
                    } else {
                        out.appendDoubleUnchecked(Double.longBitsToDouble(in.longLE()));
                    }
                }
            }
            case BIG -> {
                for (int i = 0; i < n; i++) {
                    if (isNull != null && isNull[i]) {
                        out.appendNull();
                    } else {
                        int len = in.varInt(17, "decimal length");
                        if (len == 0) {
                            throw in.corrupt("empty decimal");
                        }
                        out.appendBigUnchecked(new BigInteger(in.bytes(len)));
                    }
                }
            }
        }
        in.expectEnd();
        return out;
    }

    private static long[] decodeLongs(ByteSource in, int encoding, int n) {
        long[] vals = new long[n];
        switch (encoding) {
            case PLAIN -> {
                for (int i = 0; i < n; i++) {
                    vals[i] = in.longLE();
                }
            }
            case DELTA -> {
                long prev = 0;
                for (int i = 0; i < n; i++) {
                    prev += in.zigzag();
                    vals[i] = prev;
                }
            }
            case RLE -> {
                int runs = in.varInt(n, "run count");
                int pos = 0;
                for (int r = 0; r < runs; r++) {
                    long value = in.zigzag();
                    int len = in.varInt(n - pos, "run length");
                    Arrays.fill(vals, pos, pos + len, value);
                    pos += len;
                }
                if (pos != n) {
                    throw in.corrupt("runs cover " + pos + " of " + n + " values");
                }
            }
            case PACKED -> BitPacking.unpack(in, vals, n);
            case DICT -> {
                int size = in.varInt(MAX_DICT_LONGS, "dictionary size");
                long[] dict = new long[size];
                for (int i = 0; i < size; i++) {
                    dict[i] = in.zigzag();
                }
                int width = in.u8();
                if (width != 1) {
                    throw in.corrupt("dictionary index width " + width);
                }
                for (int i = 0; i < n; i++) {
                    int id = in.u8();
                    if (id >= size) {
                        throw in.corrupt("dictionary index " + id + " beyond " + size);
                    }
                    vals[i] = dict[id];
                }
            }
            default -> throw in.corrupt("unknown integer encoding " + encoding);
        }
        return vals;
    }

    /**
     * A dictionary of strings and the indices of {@code values} rows, each checked against its size; the source
     * moves past them.
     */
    private static BlockValues.DictStrings dictionary(ByteSource in, ColumnType type, int values) {
        int size = in.varInt(MAX_DICT_BYTES, "dictionary size");
        int[] starts = new int[size];
        int[] lens = new int[size];
        for (int i = 0; i < size; i++) {
            lens[i] = in.varInt(type.length(), "string length");
            starts[i] = in.position();
            in.skip(lens[i]);
        }
        int width = in.u8();
        if (width != 1 && width != 2) {
            throw in.corrupt("dictionary index width " + width);
        }
        int idsStart = in.position();
        in.skip(values * width);
        byte[] buf = in.array();
        long total = 0;
        for (int i = 0; i < values; i++) {
            int at = idsStart + i * width;
            int id = width == 1 ? buf[at] & 0xFF : (buf[at] & 0xFF) | ((buf[at + 1] & 0xFF) << 8);
            if (id >= size) {
                throw in.corrupt("dictionary index " + id + " beyond " + size);
            }
            total += lens[id];
        }
        if (total > Integer.MAX_VALUE - 64) {
            throw in.corrupt("dictionary strings add up to " + total + " bytes, more than a block holds");
        }
        return new BlockValues.DictStrings(type, values, buf, idsStart, width, starts, lens);
    }

    /** System.arraycopy, but short strings byte by byte: cheaper than its call at a few bytes. */
    private static void copy(byte[] src, int from, byte[] dst, int to, int len) {
        if (len <= 16) {
            for (int k = 0; k < len; k++) {
                dst[to + k] = src[from + k];
            }
        } else {
            System.arraycopy(src, from, dst, to, len);
        }
    }

    private static ColumnVector decodeBytes(
            ByteSource in, int encoding, int n, boolean @Nullable [] isNull, ColumnType type) {
        byte[] buf = in.array();
        ColumnVector out;
        switch (encoding) {
            case PLAIN -> {
                if (isNull == null) {
                    // The strings are at most the rest of the body (less their lengths' varints).
                    byte[] data = new byte[in.remaining()];
                    int[] offsets = new int[n + 1];
                    for (int i = 0; i < n; i++) {
                        int len = in.varInt(type.length(), "string length");
                        int at = in.position();
                        in.skip(len);
                        copy(buf, at, data, offsets[i], len);
                        offsets[i + 1] = offsets[i] + len;
                    }
                    return ColumnVector.adoptBytes(type, data, offsets, n);
                }
                out = new ColumnVector(type, n);
                out.reserveBytes(in.remaining()); // the strings are at most the rest of the body
                for (int i = 0; i < n; i++) {
                    if (isNull != null && isNull[i]) {
                        out.appendNull();
                    } else {
                        int len = in.varInt(type.length(), "string length");
                        int at = in.position();
                        in.skip(len);
                        out.appendBytesUnchecked(buf, at, len);
                    }
                }
            }
            case DICT -> {
                int values = n;
                if (isNull != null) {
                    for (boolean b : isNull) {
                        values -= b ? 1 : 0;
                    }
                }
                ColumnVector all = dictionary(in, type, values).slice(0, values);
                if (isNull == null) {
                    return all;
                }
                out = new ColumnVector(type, n);
                out.reserveBytes(all.bytesStart(values));
                for (int i = 0, j = 0; i < n; i++) {
                    if (isNull[i]) {
                        out.appendNull();
                    } else {
                        out.appendBytesUnchecked(all.bytesData(), all.bytesStart(j), all.bytesLength(j));
                        j++;
                    }
                }
            }
            default -> throw in.corrupt("unknown string encoding " + encoding);
        }
        return out;
    }
}
