package io.strongroom.pgwire.protocol;

/**
 * A failure the wire layer itself detects (a malformed message, an unknown statement name, bad parameter text,
 * a failed login), carrying the PostgreSQL SQLSTATE it is reported with. Engine failures arrive as {@link
 * io.strongroom.base.StrongroomException} instead and keep their own code.
 *
 * <p>{@code fatal} failures end the connection after the ErrorResponse (protocol violations, authentication);
 * the others leave the session usable.
 */
public final class PgException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** 08P01: the client broke the protocol; the connection is closed. */
    public static final String PROTOCOL_VIOLATION = "08P01";

    private final String sqlState;
    private final boolean fatal;

    public PgException(String sqlState, String message, boolean fatal) {
        super(message);
        this.sqlState = sqlState;
        this.fatal = fatal;
    }

    /** A protocol violation: SQLSTATE 08P01, fatal. */
    public static PgException protocolViolation(String message) {
        return new PgException(PROTOCOL_VIOLATION, message, true);
    }

    public String sqlState() {
        return sqlState;
    }

    public boolean fatal() {
        return fatal;
    }
}
