package io.strongroom.pgwire.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A message from the client after startup: {@code byte1 type}, {@code int32 length} (including itself, not the
 * type), body. One record per message type, decoded by {@link #decode(byte, byte[])}; the layout of each body is
 * on its record. Arrays in the records are owned by the record and never changed.
 *
 * <p>{@link #read(InputStream, int)} bounds the length before reading and reads the body in chunks as it
 * arrives, so a client that announces a huge message without sending it does not make the server allocate.
 */
public sealed interface FrontendMessage {
    /** 'Q': {@code string sql}. One or more statements, run with the simple query protocol. */
    record Query(String sql) implements FrontendMessage {}

    /** 'P': {@code string statement, string sql, int16 n, int32[n] parameterTypeOids} (0 = unspecified). */
    record Parse(String statement, String sql, int[] parameterOids) implements FrontendMessage {}

    /**
     * 'B': {@code string portal, string statement, int16 nf, int16[nf] parameterFormats, int16 np, np × (int32
     * length (-1 = NULL), bytes), int16 nr, int16[nr] resultFormats}. Formats: 0 text, 1 binary; zero entries mean
     * all text, one entry applies to all.
     */
    record Bind(
            String portal,
            String statement,
            short[] parameterFormats,
            List<byte @Nullable []> parameters,
            short[] resultFormats)
            implements FrontendMessage {}

    /** 'D': {@code byte1 kind ('S' statement, 'P' portal), string name}. */
    record Describe(char kind, String name) implements FrontendMessage {}

    /** 'E': {@code string portal, int32 maxRows} (0 = no limit). */
    record Execute(String portal, int maxRows) implements FrontendMessage {}

    /** 'C': {@code byte1 kind ('S' statement, 'P' portal), string name}. */
    record Close(char kind, String name) implements FrontendMessage {}

    /** 'S': empty body. Ends an extended-query cycle; the server answers ReadyForQuery. */
    record Sync() implements FrontendMessage {}

    /** 'H': empty body. Asks the server to send what it has buffered. */
    record Flush() implements FrontendMessage {}

    /** 'X': empty body. The client is leaving. */
    record Terminate() implements FrontendMessage {}

    /** 'd': the rest of the body is COPY data. */
    record CopyData(byte[] data) implements FrontendMessage {}

    /** 'c': empty body. The COPY FROM STDIN data is complete. */
    record CopyDone() implements FrontendMessage {}

    /** 'f': {@code string message}. The client aborts COPY FROM STDIN. */
    record CopyFail(String message) implements FrontendMessage {}

    /**
     * 'p': PasswordMessage, SASLInitialResponse or SASLResponse; which one depends on the authentication request
     * the server sent, so the body is kept raw and parsed by {@link #password()}, {@link
     * #saslInitialResponse()} or {@link #saslResponse()}.
     */
    record Password(byte[] payload) implements FrontendMessage {
        /** PasswordMessage: {@code string password} (for md5: "md5" and 32 hex digits). */
        public String password() {
            PayloadReader r = new PayloadReader(payload);
            String s = r.cstring();
            r.expectEnd("PasswordMessage");
            return s;
        }

        /** SASLInitialResponse: {@code string mechanism, int32 length (-1 = none), bytes data}. */
        public SaslInitialResponse saslInitialResponse() {
            PayloadReader r = new PayloadReader(payload);
            String mechanism = r.cstring();
            int n = r.int32();
            byte[] data = n == -1 ? new byte[0] : r.bytes(n);
            r.expectEnd("SASLInitialResponse");
            return new SaslInitialResponse(mechanism, data);
        }

        /** SASLResponse: the rest of the body is the mechanism's data. */
        public byte[] saslResponse() {
            return payload.clone();
        }
    }

    record SaslInitialResponse(String mechanism, byte[] data) {}

    /** The message types, for naming them in errors. */
    static String typeName(byte type) {
        return switch (type) {
            case 'Q' -> "Query";
            case 'P' -> "Parse";
            case 'B' -> "Bind";
            case 'D' -> "Describe";
            case 'E' -> "Execute";
            case 'C' -> "Close";
            case 'S' -> "Sync";
            case 'H' -> "Flush";
            case 'X' -> "Terminate";
            case 'd' -> "CopyData";
            case 'c' -> "CopyDone";
            case 'f' -> "CopyFail";
            case 'p' -> "PasswordMessage";
            default -> "unknown";
        };
    }

    /**
     * Reads one message. Throws {@link EOFException} when the client closed the connection (cleanly between
     * messages or in the middle of one), {@link PgException} (08P01) for a length outside {@code [4,
     * maxMessageBytes]} or a body that does not match its type.
     */
    static FrontendMessage read(InputStream in, int maxMessageBytes) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed");
        }
        byte[] lengthBytes = in.readNBytes(4);
        if (lengthBytes.length < 4) {
            throw new EOFException("connection closed inside a message");
        }
        int length = new PayloadReader(lengthBytes).int32();
        if (length < 4 || length - 4 > maxMessageBytes) {
            throw PgException.protocolViolation("invalid length " + Integer.toUnsignedString(length)
                    + " of message type '" + printable(type) + "' (at most " + maxMessageBytes + " bytes)");
        }
        byte[] body = in.readNBytes(length - 4);
        if (body.length < length - 4) {
            throw new EOFException("connection closed inside a message");
        }
        return decode((byte) type, body);
    }

    /** Decodes a message body of the given type. */
    static FrontendMessage decode(byte type, byte[] body) {
        PayloadReader r = new PayloadReader(body);
        FrontendMessage m = switch (type) {
            case 'Q' -> new Query(r.cstring());
            case 'P' -> {
                String name = r.cstring();
                String sql = r.cstring();
                int n = r.count(4);
                int[] oids = new int[n];
                for (int i = 0; i < n; i++) {
                    oids[i] = r.int32();
                }
                yield new Parse(name, sql, oids);
            }
            case 'B' -> decodeBind(r);
            case 'D' -> new Describe(kind(r, "Describe"), r.cstring());
            case 'E' -> new Execute(r.cstring(), r.int32());
            case 'C' -> new Close(kind(r, "Close"), r.cstring());
            case 'S' -> new Sync();
            case 'H' -> new Flush();
            case 'X' -> new Terminate();
            case 'd' -> new CopyData(r.rest());
            case 'c' -> new CopyDone();
            case 'f' -> new CopyFail(r.cstring());
            case 'p' -> new Password(r.rest());
            default -> throw PgException.protocolViolation("invalid frontend message type '" + printable(type) + "'");
        };
        r.expectEnd(typeName(type));
        return m;
    }

    private static Bind decodeBind(PayloadReader r) {
        String portal = r.cstring();
        String statement = r.cstring();
        short[] paramFormats = formats(r);
        int np = r.count(4);
        List<byte @Nullable []> values = new ArrayList<>(np);
        for (int i = 0; i < np; i++) {
            int len = r.int32();
            if (len < -1) {
                throw PgException.protocolViolation("invalid parameter length " + len);
            }
            values.add(len == -1 ? null : r.bytes(len));
        }
        short[] resultFormats = formats(r);
        return new Bind(portal, statement, paramFormats, Collections.unmodifiableList(values), resultFormats);
    }

    private static short[] formats(PayloadReader r) {
        int n = r.count(2);
        short[] f = new short[n];
        for (int i = 0; i < n; i++) {
            f[i] = r.int16();
            if (f[i] != 0 && f[i] != 1) {
                throw PgException.protocolViolation("invalid format code " + f[i]);
            }
        }
        return f;
    }

    private static char kind(PayloadReader r, String message) {
        char k = (char) r.int8();
        if (k != 'S' && k != 'P') {
            throw PgException.protocolViolation("invalid " + message + " kind '" + printable(k) + "'");
        }
        return k;
    }

    private static String printable(int c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : "\\x" + Integer.toHexString(c & 0xff);
    }
}
