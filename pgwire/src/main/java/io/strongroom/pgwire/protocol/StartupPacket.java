package io.strongroom.pgwire.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The first packet of a connection, which has no type byte: {@code int32 length} (including itself), {@code
 * int32 code}, then a body. The code is the protocol version (3.0 = 196608) for a StartupMessage, whose body is
 * NUL-terminated name/value pairs ended by an empty name; or one of the request codes 80877103 (SSLRequest),
 * 80877104 (GSSENCRequest), 80877102 (CancelRequest: {@code int32 processId, int32 secretKey}).
 *
 * <p>Lengths are bounded to {@link #MAX_BYTES} before anything is read, as PostgreSQL does, so a connection that
 * has not authenticated cannot make the server allocate.
 */
public sealed interface StartupPacket {
    /** PostgreSQL's own bound on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
    int MAX_BYTES = 10_000;

    int PROTOCOL_3_0 = 196608;
    int CANCEL_REQUEST_CODE = 80877102;
    int SSL_REQUEST_CODE = 80877103;
    int GSSENC_REQUEST_CODE = 80877104;

    record SslRequest() implements StartupPacket {}

    record GssEncRequest() implements StartupPacket {}

    record CancelRequest(int processId, int secretKey) implements StartupPacket {}

    /** @param protocolVersion major in the high 16 bits, minor in the low 16 bits */
    record Startup(int protocolVersion, Map<String, String> parameters) implements StartupPacket {
        public Startup {
            parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        }

        public int majorVersion() {
            return protocolVersion >>> 16;
        }
    }

    /** Reads one startup packet; {@link EOFException} if the client closed before sending a whole one. */
    static StartupPacket read(InputStream in) throws IOException {
        byte[] lengthBytes = in.readNBytes(4);
        if (lengthBytes.length < 4) {
            throw new EOFException("connection closed before the startup packet");
        }
        int length = new PayloadReader(lengthBytes).int32();
        if (length < 8 || length > MAX_BYTES) {
            throw PgException.protocolViolation("invalid startup packet length " + length);
        }
        byte[] body = in.readNBytes(length - 4);
        if (body.length < length - 4) {
            throw new EOFException("connection closed inside the startup packet");
        }
        return decode(body);
    }

    /** Decodes the body after the length word. */
    static StartupPacket decode(byte[] body) {
        PayloadReader r = new PayloadReader(body);
        int code = r.int32();
        switch (code) {
            case SSL_REQUEST_CODE -> {
                r.expectEnd("SSLRequest");
                return new SslRequest();
            }
            case GSSENC_REQUEST_CODE -> {
                r.expectEnd("GSSENCRequest");
                return new GssEncRequest();
            }
            case CANCEL_REQUEST_CODE -> {
                CancelRequest c = new CancelRequest(r.int32(), r.int32());
                r.expectEnd("CancelRequest");
                return c;
            }
            default -> {
                if (code >>> 16 != 3) {
                    throw PgException.protocolViolation("unsupported frontend protocol " + (code >>> 16) + "."
                            + (code & 0xffff) + ": this server speaks protocol 3.0");
                }
                Map<String, String> params = new LinkedHashMap<>();
                while (true) {
                    String name = r.cstring();
                    if (name.isEmpty()) {
                        break;
                    }
                    params.put(name, r.cstring());
                }
                r.expectEnd("StartupMessage");
                return new Startup(code, params);
            }
        }
    }
}
