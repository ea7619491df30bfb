package io.strongroom.hsm.client;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import org.jspecify.annotations.Nullable;

/**
 * A KMIP call that failed, with a {@link Kind} that says how the caller reacts (hsm-kmip.md §6, "Error classes"),
 * the KMIP Result Reason when the server sent one, and a message that says what to do. Messages name the HSM
 * address, partition and key id, never the password or key material.
 */
public final class KmipException extends StrongroomException {
    private static final long serialVersionUID = 1L;

    /** How a caller tells failures apart. */
    public enum Kind {
        /** Network, TLS or timeout: the HSM cannot be reached (Redshift event 1504). Retry later. */
        UNREACHABLE(ErrorCode.KEY_UNAVAILABLE),
        /** Authentication Not Successful (0x03) or Permission Denied (0x0C) that is not about the key's state. */
        NOT_AUTHORISED(ErrorCode.ACCESS_DENIED),
        /** Item Not Found (0x01): the key is not in this partition. */
        KEY_NOT_FOUND(ErrorCode.NOT_FOUND),
        /**
         * The key exists but its lifecycle state forbids the operation: revoked (Deactivated or Compromised) or not
         * yet activated for Encrypt, Active for Destroy. Illegal Operation (0x0B) or Wrong Key Lifecycle State (0x43),
         * or Permission Denied whose Result Message is about the state (PyKMIP). Not retryable: the key must change.
         */
        KEY_NOT_ACTIVE(ErrorCode.INVALID_STATE),
        /** Cryptographic Failure (0x0A), or General Failure on Decrypt: wrong key or corrupted wrapped key. */
        CRYPTO_FAILURE(ErrorCode.WRONG_KEY),
        /** The HSM serves no KMIP version at or above 1.4. */
        UNSUPPORTED_VERSION(ErrorCode.UNSUPPORTED_FORMAT),
        /** The HSM's answer is malformed or does not match the request. */
        PROTOCOL(ErrorCode.UNSUPPORTED_FORMAT),
        /** Any other failure the HSM reported. */
        FAILED(ErrorCode.KEY_UNAVAILABLE);

        private final ErrorCode code;

        Kind(ErrorCode code) {
            this.code = code;
        }

        /** The Strongroom error code this kind maps to. */
        public ErrorCode code() {
            return code;
        }
    }

    private final Kind kind;
    private final int resultReason;

    public KmipException(Kind kind, int resultReason, String message, @Nullable Throwable cause) {
        super(kind.code(), message, cause);
        this.kind = kind;
        this.resultReason = resultReason;
    }

    public KmipException(Kind kind, String message) {
        this(kind, -1, message, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The KMIP Result Reason the server answered with, or -1 when the failure is not a server answer. */
    public int resultReason() {
        return resultReason;
    }
}
