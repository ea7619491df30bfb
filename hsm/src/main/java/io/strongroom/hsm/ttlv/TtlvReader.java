package io.strongroom.hsm.ttlv;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.jspecify.annotations.Nullable;

/**
 * Frames TTLV messages on a stream (a TLS socket). KMIP adds no framing of its own: a message is one item, so the
 * reader takes its 8-byte header, checks the declared length against the limit before allocating, and reads exactly
 * that many bytes more. Not thread-safe: one reader per stream, used by one thread at a time.
 */
public final class TtlvReader {
    private final InputStream in;
    private final int limitBytes;

    public TtlvReader(InputStream in, int limitBytes) {
        if (limitBytes < 8 || limitBytes > TtlvCodec.MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("limit must be between 8 bytes and 1 MiB");
        }
        this.in = in;
        this.limitBytes = limitBytes;
    }

    /**
     * The next message's bytes, or null at a clean end of stream (before the first byte of a message).
     *
     * @throws TtlvException if the message declares more than the limit or is not a Structure
     * @throws EOFException if the stream ends inside a message
     */
    public byte @Nullable [] next() throws IOException {
        byte[] header = new byte[8];
        int first = in.read();
        if (first < 0) {
            return null;
        }
        header[0] = (byte) first;
        readFully(header, 1, 7);
        int tag = ((header[0] & 0xFF) << 16) | ((header[1] & 0xFF) << 8) | (header[2] & 0xFF);
        if ((header[3] & 0xFF) != TtlvType.STRUCTURE.code()) {
            throw new TtlvException(tag, "a message must be a Structure");
        }
        long length = ((header[4] & 0xFFL) << 24)
                | ((header[5] & 0xFFL) << 16)
                | ((header[6] & 0xFFL) << 8)
                | (header[7] & 0xFFL);
        if (length > limitBytes - 8) {
            throw new TtlvException(
                    tag, "message declares " + length + " bytes, above the limit of " + (limitBytes - 8));
        }
        byte[] message = new byte[8 + (int) length];
        System.arraycopy(header, 0, message, 0, 8);
        readFully(message, 8, (int) length);
        return message;
    }

    private void readFully(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(b, off + done, len - done);
            if (n < 0) {
                throw new EOFException("the stream ended inside a TTLV message (" + (off + done) + " bytes read)");
            }
            done += n;
        }
    }

    /** Writes {@code message} and flushes. */
    public static void write(OutputStream out, byte[] message) throws IOException {
        out.write(message);
        out.flush();
    }
}
