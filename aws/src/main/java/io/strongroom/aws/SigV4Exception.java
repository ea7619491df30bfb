package io.strongroom.aws;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;

/**
 * A request whose SigV4 signature was refused, with the {@link Reason} why. Every endpoint answers it in its own
 * protocol's words by asking the reason (the KMS JSON {@code __type}, the Redshift Query {@code Code}), never by
 * reading the message. The code is always {@link ErrorCode#ACCESS_DENIED}.
 *
 * <p>The message follows AWS's wording: it names the access key id, the scope and the header at fault, never a
 * secret or a signature a caller could replay. Immutable.
 */
public final class SigV4Exception extends StrongroomException {
    private static final long serialVersionUID = 1L;

    /** Why a signature was refused; a closed set each endpoint maps to its own error code. */
    public enum Reason {
        /** No {@code Authorization} header. */
        MISSING_TOKEN,
        /** An {@code Authorization} header without the parts SigV4 needs, or a required header left unsigned. */
        INCOMPLETE,
        /** An access key id nobody holds. */
        UNKNOWN_ACCESS_KEY,
        /** The request time is further than {@link SigV4#MAX_SKEW} from the server's clock. */
        EXPIRED,
        /** A wrong scope (service, region, date), a signed header missing, or a signature that does not match. */
        MISMATCH
    }

    private final Reason reason;

    SigV4Exception(Reason reason, String message) {
        super(ErrorCode.ACCESS_DENIED, message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
