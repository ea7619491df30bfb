package io.strongroom.crypto;

/**
 * A newly generated data key: its plaintext, to use now, and the same key wrapped under a root key, to store.
 * What a KMS GenerateDataKey answers. Closing zeroes the plaintext.
 *
 * @param plaintext the key material
 * @param wrapped the material encrypted under the root key, bound to the encryption context
 */
public record DataKey(SecretBytes plaintext, WrappedKey wrapped) implements AutoCloseable {
    @Override
    public void close() {
        plaintext.close();
    }
}
