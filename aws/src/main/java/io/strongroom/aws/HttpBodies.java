package io.strongroom.aws;

import java.io.IOException;
import java.io.InputStream;

/**
 * What both HTTP endpoints do with a request body they refuse as too large: read and discard the rest of it (up to
 * {@link #DRAIN_LIMIT}) before answering. A server that answers and closes while the client is still sending makes
 * the client's TCP stack see a reset, and the client loses the answer; read to its end, the body leaves the
 * connection clean and the typed error arrives. Stateless.
 */
public final class HttpBodies {
    /** Beyond this the rest is not read: the connection is closed, and a reset is the client's answer. */
    public static final long DRAIN_LIMIT = 64L << 20;

    private HttpBodies() {}

    /** Discards what is left of {@code in}, at most {@link #DRAIN_LIMIT} bytes; true when its end was reached. */
    public static boolean drain(InputStream in) {
        byte[] buf = new byte[64 << 10];
        long left = DRAIN_LIMIT;
        try {
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    return true;
                }
                left -= n;
            }
            return in.read() < 0;
        } catch (IOException e) {
            return false;
        }
    }
}
