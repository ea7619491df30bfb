package io.strongroom.crypto;

import java.util.Arrays;
import java.util.Objects;

/**
 * A key encrypted under its parent: the envelope bytes plus what the parent is. Safe to store and to log
 * ({@code toString} shows the parent's {@link KeyInfo} and the length only).
 *
 * <p>Immutable; the byte array is copied in and out.
 */
public final class WrappedKey {
    private final KeyInfo wrappedBy;
    private final byte[] ciphertext;

    public WrappedKey(KeyInfo wrappedBy, byte[] ciphertext) {
        this.wrappedBy = Objects.requireNonNull(wrappedBy);
        if (ciphertext.length == 0 || ciphertext.length > 64 * 1024) {
            throw new IllegalArgumentException("wrapped key length out of range: " + ciphertext.length);
        }
        this.ciphertext = ciphertext.clone();
    }

    /** The key this one is wrapped under. */
    public KeyInfo wrappedBy() {
        return wrappedBy;
    }

    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    byte[] ciphertextView() {
        return ciphertext;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WrappedKey w && wrappedBy.equals(w.wrappedBy) && Arrays.equals(ciphertext, w.ciphertext);
    }

    @Override
    public int hashCode() {
        return 31 * wrappedBy.hashCode() + Arrays.hashCode(ciphertext);
    }

    @Override
    public String toString() {
        return "WrappedKey[under " + wrappedBy + ", " + ciphertext.length + " bytes]";
    }
}
