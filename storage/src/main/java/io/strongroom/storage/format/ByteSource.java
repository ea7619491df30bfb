package io.strongroom.storage.format;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads what {@link ByteSink} wrote. Every read is bounds-checked and every length has an upper bound: a
 * malformed input fails with {@link ErrorCode#INTEGRITY_FAILURE} naming {@code place}, never with an
 * unchecked index error or a huge allocation. Not thread-safe.
 */
public final class ByteSource {
    private final byte[] buf;
    private int pos;
    private final int end;
    private final String place;

    public ByteSource(byte[] buf, int off, int len, String place) {
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
        this.place = place;
    }

    public ByteSource(byte[] buf, String place) {
        this(buf, 0, buf.length, place);
    }

    public StrongroomException corrupt(String what) {
        return new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "integrity failure in " + place + ": " + what);
    }

    private void need(int n) {
        if (n < 0 || end - pos < n) {
            throw corrupt("truncated (needed " + n + " more bytes at offset " + pos + ")");
        }
    }

    public int remaining() {
        return end - pos;
    }

    public int position() {
        return pos;
    }

    public byte[] array() {
        return buf;
    }

    public void skip(int n) {
        need(n);
        pos += n;
    }

    public int u8() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public int u16() {
        need(2);
        int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    public int u32() {
        need(4);
        int v = ((buf[pos] & 0xFF) << 24)
                | ((buf[pos + 1] & 0xFF) << 16)
                | ((buf[pos + 2] & 0xFF) << 8)
                | (buf[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    /** A u32 that must lie in 0..max. */
    public int count(int max, String what) {
        int v = u32();
        if (v < 0 || v > max) {
            throw corrupt(what + " out of range: " + v);
        }
        return v;
    }

    public long u64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xFF);
        }
        return v;
    }

    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    public long longLE() {
        need(8);
        long v = (long) LONG_LE.get(buf, pos);
        pos += 8;
        return v;
    }

    public long varLong() {
        int p = pos;
        if (end - p >= 10) {
            // Fast path, without a branch per byte: the first eight bytes in one load; the lowest byte without
            // its continuation bit ends the value, and the 7-bit groups up to it are gathered in one step
            // (Long.compress, a single PEXT instruction where the CPU has BMI2).
            long word = (long) LONG_LE.get(buf, p);
            long stops = ~word & 0x8080808080808080L;
            if (stops != 0) {
                int bits = Long.numberOfTrailingZeros(stops) + 1;
                pos = p + (bits >>> 3);
                long kept = bits == 64 ? word : word & ((1L << bits) - 1);
                return Long.compress(kept, 0x7F7F7F7F7F7F7F7FL);
            }
            // Nine or ten bytes: values of 57 bits or more.
            byte b = buf[p];
            long v = b & 0x7F;
            for (int shift = 7; shift < 70; shift += 7) {
                b = buf[++p];
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    pos = p + 1;
                    return v;
                }
            }
            throw corrupt("varint longer than 10 bytes");
        }
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw corrupt("truncated varint");
            }
            byte b = buf[pos++];
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw corrupt("varint longer than 10 bytes");
    }

    public int varInt(int max, String what) {
        long v = varLong();
        if (v < 0 || v > max) {
            throw corrupt(what + " out of range: " + v);
        }
        return (int) v;
    }

    public long zigzag() {
        long v = varLong();
        return (v >>> 1) ^ -(v & 1);
    }

    public byte[] bytes(int n) {
        need(n);
        byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    public byte[] blob(int max) {
        return bytes(count(max, "blob length"));
    }

    public String utf() {
        int n = u16();
        need(n);
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    public void expectEnd() {
        if (pos != end) {
            throw corrupt((end - pos) + " unexpected trailing bytes");
        }
    }
}
