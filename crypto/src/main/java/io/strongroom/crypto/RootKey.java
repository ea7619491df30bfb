package io.strongroom.crypto;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;

/**
 * The top of the hierarchy: a key in a KMS or an HSM that never leaves it. The control plane asks it for a
 * new cluster key ({@link #generateDataKey}, KMS GenerateDataKey) and to unwrap a stored one ({@link
 * #decrypt}, KMS Decrypt), always with the cluster's encryption context.
 *
 * <p>Failures surface as {@link StrongroomException} with {@link ErrorCode#KEY_UNAVAILABLE} (KMS down:
 * retry), {@link ErrorCode#ACCESS_DENIED} (grant revoked, key disabled), {@link ErrorCode#WRONG_KEY} or an
 * integrity code. Implementations are thread-safe.
 */
public interface RootKey {
    KeyInfo info();

    /** A fresh 256-bit data key, returned both in plaintext and wrapped under this root key. */
    DataKey generateDataKey(EncryptionContext context);

    /** The plaintext of a data key this root key wrapped with the same context. */
    SecretBytes decrypt(WrappedKey wrapped, EncryptionContext context);
}
