package io.strongroom.aws;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import org.jspecify.annotations.Nullable;

/**
 * A failure an AWS-compatible endpoint answers as its own error: the typed {@link ErrorCode} the rest of the
 * product reads, plus what the wire says, which the code alone cannot (the API models have many more error types
 * than there are codes): the wire error code ({@code __type} of a KMS JSON body, {@code <Code>} of a Redshift Query
 * answer) and the HTTP status. Each endpoint's exception extends this one, so the pair is kept, and read, in one
 * place.
 *
 * <p>Messages are fit for the client: they name resources, never key material or secrets. Immutable.
 */
public abstract class AwsApiException extends StrongroomException {
    private static final long serialVersionUID = 1L;

    private final String wireCode;
    private final int httpStatus;

    protected AwsApiException(
            ErrorCode code, String wireCode, int httpStatus, String message, @Nullable Throwable cause) {
        super(code, message, cause);
        this.wireCode = wireCode;
        this.httpStatus = httpStatus;
    }

    /** The error code the wire answers with, e.g. {@code ClusterNotFound} or {@code DisabledException}. */
    public final String wireCode() {
        return wireCode;
    }

    /** The HTTP status of the answer. */
    public final int httpStatus() {
        return httpStatus;
    }
}
