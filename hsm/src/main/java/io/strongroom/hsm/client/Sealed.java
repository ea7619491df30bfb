package io.strongroom.hsm.client;

/**
 * What an HSM's AES-GCM Encrypt returns: the ciphertext (as long as the plaintext) and the 16-byte tag, kept apart
 * as KMIP 1.4 carries them. Neither is secret; {@code toString} shows lengths only.
 */
@SuppressWarnings("ArrayRecordComponent") // toString below; callers compare content themselves
public record Sealed(byte[] ciphertext, byte[] tag) {
    @Override
    public String toString() {
        return "Sealed[ciphertext " + ciphertext.length + " bytes, tag " + tag.length + " bytes]";
    }
}
