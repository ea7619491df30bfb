package io.strongroom.storage.format;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer with the little encodings the formats use (varints, fixed-width). Not thread-safe. */
public final class ByteSink {
    private byte[] buf;
    private int pos;

    public ByteSink(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    public int size() {
        return pos;
    }

    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    public ByteSink u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
        return this;
    }

    public ByteSink u16(int v) {
        ensure(2);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
        return this;
    }

    public ByteSink u32(int v) {
        ensure(4);
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
        return this;
    }

    public ByteSink u64(long v) {
        ensure(8);
        for (int i = 56; i >= 0; i -= 8) {
            buf[pos++] = (byte) (v >>> i);
        }
        return this;
    }

    /** Little-endian 8 bytes: column values, where the decoder reads them in bulk. */
    public ByteSink longLE(long v) {
        ensure(8);
        for (int i = 0; i < 64; i += 8) {
            buf[pos++] = (byte) (v >>> i);
        }
        return this;
    }

    public ByteSink varLong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
        return this;
    }

    public ByteSink zigzag(long v) {
        return varLong((v << 1) ^ (v >> 63));
    }

    public ByteSink bytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
        return this;
    }

    public ByteSink bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    /** Length (u32) then the bytes. */
    public ByteSink blob(byte[] b) {
        u32(b.length);
        return bytes(b);
    }

    /** Length (u16) then UTF-8 bytes. */
    public ByteSink utf(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string too long for the format: " + b.length + " bytes");
        }
        u16(b.length);
        return bytes(b);
    }
}
