package io.strongroom.pgwire.protocol;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;

/**
 * A failure the wire layer itself detects (a malformed message, an unknown statement name, bad parameter text, a
 * failed login): a {@link StrongroomException} like the engine's failures, so the code, and through it the SQLSTATE,
 * comes from the one error model; this type adds only whether the connection ends.
 *
 * <p>{@code fatal} failures end the connection after the ErrorResponse (protocol violations, authentication); the
 * others leave the session usable. Immutable.
 */
public final class PgException extends StrongroomException {
    private static final long serialVersionUID = 1L;

    private final boolean fatal;

    public PgException(ErrorCode code, String message, boolean fatal) {
        super(code, message);
        this.fatal = fatal;
    }

    /** A protocol violation: SQLSTATE 08P01, fatal. */
    public static PgException protocolViolation(String message) {
        return new PgException(ErrorCode.PROTOCOL_VIOLATION, message, true);
    }

    public boolean fatal() {
        return fatal;
    }
}
