package io.strongroom.pgwire.protocol;

import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one message body (big-endian integers, NUL-terminated UTF-8 strings, counted byte
 * strings), checking every length against what is left so a lying length fails as a protocol violation
 * instead of an exception deep inside. Not thread-safe; one per message.
 */
final class PayloadReader {
    private final byte[] body;
    private int pos;

    PayloadReader(byte[] body) {
        this.body = body;
    }

    int remaining() {
        return body.length - pos;
    }

    byte int8() {
        need(1);
        return body[pos++];
    }

    short int16() {
        need(2);
        short v = (short) (((body[pos] & 0xff) << 8) | (body[pos + 1] & 0xff));
        pos += 2;
        return v;
    }

    int int32() {
        need(4);
        int v = ((body[pos] & 0xff) << 24)
                | ((body[pos + 1] & 0xff) << 16)
                | ((body[pos + 2] & 0xff) << 8)
                | (body[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    /** A count (int16 read as unsigned), at most what the rest of the body could hold at {@code minBytesEach}. */
    int count(int minBytesEach) {
        int n = int16() & 0xffff;
        if ((long) n * minBytesEach > remaining()) {
            throw PgException.protocolViolation("count " + n + " exceeds the message length");
        }
        return n;
    }

    String cstring() {
        int end = pos;
        while (end < body.length && body[end] != 0) {
            end++;
        }
        if (end == body.length) {
            throw PgException.protocolViolation("string without terminating NUL");
        }
        String s = new String(body, pos, end - pos, StandardCharsets.UTF_8);
        pos = end + 1;
        return s;
    }

    byte[] bytes(int n) {
        if (n < 0) {
            throw PgException.protocolViolation("negative length " + n);
        }
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(body, pos, out, 0, n);
        pos += n;
        return out;
    }

    byte[] rest() {
        return bytes(remaining());
    }

    void expectEnd(String message) {
        if (pos != body.length) {
            throw PgException.protocolViolation(
                    message + " message has " + (body.length - pos) + " unexpected trailing bytes");
        }
    }

    private void need(int n) {
        if (n > body.length - pos) {
            throw PgException.protocolViolation("message shorter than its fields");
        }
    }
}
