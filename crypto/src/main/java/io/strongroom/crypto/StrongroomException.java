package io.strongroom.crypto;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The one unchecked exception of Strongroom. Its {@link ErrorCode} decides how callers and protocol layers
 * react; its message names identifiers (cluster, table, file, block, key id) and never key material.
 */
public class StrongroomException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public StrongroomException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code);
    }

    public StrongroomException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code);
    }

    public ErrorCode code() {
        return code;
    }

    /** A copy of this failure with more context in front of the message, keeping the code and the cause. */
    public StrongroomException withContext(String context) {
        return new StrongroomException(code, context + ": " + getMessage(), this);
    }
}
