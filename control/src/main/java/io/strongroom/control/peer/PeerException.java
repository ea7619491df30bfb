package io.strongroom.control.peer;

import io.strongroom.aws.AwsApiException;
import io.strongroom.base.ErrorCode;
import org.jspecify.annotations.Nullable;

/**
 * A failure that crosses between two installations: the receiving side's refusal as it travels back (its {@link
 * ErrorCode}, its Redshift wire code, its HTTP status and its message, already fit for a client), or a failure to
 * reach the peer at all. Immutable.
 */
public final class PeerException extends AwsApiException {
    private static final long serialVersionUID = 1L;

    public PeerException(ErrorCode code, String wireCode, int httpStatus, String message) {
        this(code, wireCode, httpStatus, message, null);
    }

    public PeerException(ErrorCode code, String wireCode, int httpStatus, String message, @Nullable Throwable cause) {
        super(code, wireCode, httpStatus, message, cause);
    }
}
