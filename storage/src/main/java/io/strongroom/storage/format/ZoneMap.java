package io.strongroom.storage.format;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The smallest and largest non-null value of a block, kept in its manifest entry so scans skip blocks that
 * cannot match. Kinds: none (no usable bounds: all NULL, NaN present, long strings, large decimals), long
 * bounds, double bounds, byte-string bounds (UTF-8, compared unsigned). Immutable.
 *
 * @param kind 0 none, 1 long, 2 double, 3 bytes
 */
public record ZoneMap(
        int kind,
        long minLong,
        long maxLong,
        double minDouble,
        double maxDouble,
        byte @Nullable [] minBytes,
        byte @Nullable [] maxBytes) {
    public static final int NONE = 0;
    public static final int LONG = 1;
    public static final int DOUBLE = 2;
    public static final int BYTES = 3;
    public static final int MAX_BOUND_BYTES = 64;

    public static final ZoneMap EMPTY = new ZoneMap(NONE, 0, 0, 0, 0, null, null);

    public static ZoneMap ofLongs(long min, long max) {
        return new ZoneMap(LONG, min, max, 0, 0, null, null);
    }

    public static ZoneMap ofDoubles(double min, double max) {
        return new ZoneMap(DOUBLE, 0, 0, min, max, null, null);
    }

    public static ZoneMap ofBytes(byte[] min, byte[] max) {
        return new ZoneMap(BYTES, 0, 0, 0, 0, min.clone(), max.clone());
    }

    /** False only when no value in [lo, hi] can be in the block. */
    public boolean mayContainLongs(long lo, long hi) {
        return kind != LONG || (maxLong >= lo && minLong <= hi);
    }

    public boolean mayContainDoubles(double lo, double hi) {
        return kind != DOUBLE || (maxDouble >= lo && minDouble <= hi);
    }

    public boolean mayContainBytes(byte @Nullable [] lo, byte @Nullable [] hi) {
        if (kind != BYTES || minBytes == null || maxBytes == null) {
            return true;
        }
        return (lo == null || Arrays.compareUnsigned(maxBytes, lo) >= 0)
                && (hi == null || Arrays.compareUnsigned(minBytes, hi) <= 0);
    }

    public void write(ByteSink out) {
        out.u8(kind);
        switch (kind) {
            case LONG -> out.u64(minLong).u64(maxLong);
            case DOUBLE -> out.u64(Double.doubleToRawLongBits(minDouble)).u64(Double.doubleToRawLongBits(maxDouble));
            case BYTES -> {
                byte[] lo = Objects.requireNonNull(minBytes);
                byte[] hi = Objects.requireNonNull(maxBytes);
                out.u8(lo.length).bytes(lo).u8(hi.length).bytes(hi);
            }
            default -> {}
        }
    }

    public static ZoneMap read(ByteSource in) {
        int kind = in.u8();
        return switch (kind) {
            case NONE -> EMPTY;
            case LONG -> ofLongs(in.u64(), in.u64());
            case DOUBLE -> ofDoubles(Double.longBitsToDouble(in.u64()), Double.longBitsToDouble(in.u64()));
            case BYTES -> {
                byte[] lo = in.bytes(bound(in));
                byte[] hi = in.bytes(bound(in));
                yield new ZoneMap(BYTES, 0, 0, 0, 0, lo, hi);
            }
            default -> throw in.corrupt("unknown zone map kind " + kind);
        };
    }

    private static int bound(ByteSource in) {
        int n = in.u8();
        if (n > MAX_BOUND_BYTES) {
            throw in.corrupt("zone map bound too long: " + n);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ZoneMap z
                && kind == z.kind
                && minLong == z.minLong
                && maxLong == z.maxLong
                && Double.compare(minDouble, z.minDouble) == 0
                && Double.compare(maxDouble, z.maxDouble) == 0
                && Arrays.equals(minBytes, z.minBytes)
                && Arrays.equals(maxBytes, z.maxBytes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(minLong) * 31 + kind;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case LONG -> "[" + minLong + ".." + maxLong + "]";
            case DOUBLE -> "[" + minDouble + ".." + maxDouble + "]";
            case BYTES -> "[bytes]";
            default -> "[]";
        };
    }
}
