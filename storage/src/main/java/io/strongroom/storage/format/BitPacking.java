package io.strongroom.storage.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Fixed-width bit packing of integers as offsets from a block's minimum (frame of reference): the long encoding
 * that decodes fastest, one unaligned 8-byte load, a shift and a mask per value, with no branch.
 *
 * <pre>
 * zigzag varint min | u8 width (1..57) | ceil(n * width / 8) bytes
 * value i = min + (bits i*width .. i*width+width-1 of the bytes, least significant bit first)
 * </pre>
 *
 * Widths stop at 57 so that a value and its shift within a byte always fit one 8-byte load. Stateless.
 */
final class BitPacking {
    /** Widest value a packed block holds, in bits. */
    static final int MAX_WIDTH = 57;

    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private BitPacking() {}

    /** Bits an offset from {@code min} up to {@code max} takes, or -1 when the span is too wide to pack. */
    static int width(long min, long max) {
        long span = max - min;
        if (span < 0) {
            return -1; // the span overflows a signed long
        }
        int w = 64 - Long.numberOfLeadingZeros(span);
        return w > MAX_WIDTH ? -1 : Math.max(1, w);
    }

    /** Bytes the packed values of {@code n} rows take at {@code width}. */
    static long packedBytes(int n, int width) {
        return ((long) n * width + 7) / 8;
    }

    /** Writes {@code vals} as offsets from {@code min} at {@code width} bits (header included). */
    static void pack(long[] vals, long min, int width, ByteSink out) {
        int n = vals.length;
        int length = Math.toIntExact(packedBytes(n, width));
        byte[] packed = new byte[length + 8]; // eight spare bytes: the last value's load stays inside
        long bit = 0;
        for (long v : vals) {
            int at = (int) (bit >>> 3);
            long word = (v - min) << (bit & 7);
            LONG_LE.set(packed, at, (long) LONG_LE.get(packed, at) | word);
            bit += width;
        }
        out.zigzag(min).u8(width).bytes(packed, 0, length);
    }

    /**
     * Reads {@code n} values packed at the source's position into {@code vals}, checking the header and that the
     * bytes are there; the source moves past them.
     */
    static void unpack(ByteSource in, long[] vals, int n) {
        Packed p = read(in, n);
        unpack(in.array(), p.start(), p.length(), p.min(), p.width(), 0, vals, n);
    }

    /** Where a block's packed values lie in its body, and how to read them. */
    record Packed(int start, int length, long min, int width) {}

    /** Reads the header of {@code n} packed values and checks that their bytes are there; the source moves past. */
    static Packed read(ByteSource in, int n) {
        long min = in.zigzag();
        int width = in.u8();
        if (width < 1 || width > MAX_WIDTH) {
            throw in.corrupt("bit-packed width " + width);
        }
        int length = Math.toIntExact(packedBytes(n, width));
        int start = in.position();
        in.skip(length);
        return new Packed(start, length, min, width);
    }

    /**
     * Writes values {@code first .. first+count-1} of those packed in {@code buf[start .. start+length)} into
     * {@code dst[0 .. count)}.
     */
    static void unpack(byte[] buf, int start, int length, long min, int width, int first, long[] dst, int count) {
        long mask = (1L << width) - 1;
        // Value i's 8-byte load starts at byte (i * width) / 8 of the values; those whose load stays inside the
        // array take the fast loop, the last few are read byte by byte.
        long lastLoad = buf.length - 8L - start;
        long fastValues = lastLoad < 0 ? 0 : ((lastLoad + 1) * 8 - 1) / width + 1;
        int fast = (int) Math.max(0, Math.min(count, fastValues - first));
        long bit = (long) first * width;
        for (int i = 0; i < fast; i++) {
            long word = (long) LONG_LE.get(buf, start + (int) (bit >>> 3));
            dst[i] = min + ((word >>> (bit & 7)) & mask);
            bit += width;
        }
        for (int i = fast; i < count; i++) {
            int at = start + (int) (bit >>> 3);
            long word = 0;
            for (int k = 0; k < 8 && at + k < start + length; k++) {
                word |= (buf[at + k] & 0xFFL) << (8 * k);
            }
            dst[i] = min + ((word >>> (bit & 7)) & mask);
            bit += width;
        }
    }
}
