package io.strongroom.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * Key material. The bytes are copied in, handed out only as copies (outside this package only with a {@link
 * RawKeyAccess} token) or to a callback, compared in constant
 * time, and zeroed by {@link #close()}. {@code toString} prints the length only; {@code equals} and {@code
 * hashCode} are identity-based so material never leaks into a hash table's behaviour.
 *
 * <p>Thread-safety: safe for concurrent reads; {@link #close()} must not race with use.
 */
public final class SecretBytes implements AutoCloseable {
    private final byte[] material;
    private volatile boolean closed;

    private SecretBytes(byte[] owned) {
        this.material = owned;
    }

    /** Copies {@code bytes}; the caller should zero its own array. */
    public static SecretBytes copyOf(byte[] bytes) {
        return new SecretBytes(bytes.clone());
    }

    /** Takes ownership of {@code bytes} without copying: the caller must not keep or reuse the array. */
    static SecretBytes adopt(byte[] bytes) {
        return new SecretBytes(bytes);
    }

    /** Fresh random material from a cryptographically secure source. */
    public static SecretBytes random(int length, SecureRandom random) {
        if (length <= 0 || length > 1024) {
            throw new IllegalArgumentException("secret length out of range: " + length);
        }
        byte[] b = new byte[length];
        random.nextBytes(b);
        return new SecretBytes(b);
    }

    public int length() {
        return material.length;
    }

    /**
     * A copy of the material, for the few places outside this package that must hold raw key bytes (see {@link
     * RawKeyAccess}); the caller owns the array and must zero it when done.
     */
    public byte[] copyBytes(RawKeyAccess access) {
        Objects.requireNonNull(access, "access");
        return copyBytes();
    }

    /** A copy of the material, for this package; the caller zeroes it. */
    byte[] copyBytes() {
        return checkOpen().clone();
    }

    /** The material itself, for code in this package that must not copy it on the hot path. */
    byte[] unsafeView() {
        return checkOpen();
    }

    /** Constant-time comparison of the material. */
    public boolean contentEquals(SecretBytes other) {
        return MessageDigest.isEqual(checkOpen(), other.checkOpen());
    }

    public boolean isClosed() {
        return closed;
    }

    private byte[] checkOpen() {
        if (closed) {
            throw new IllegalStateException("secret material used after close");
        }
        return material;
    }

    @Override
    public void close() {
        closed = true;
        Arrays.fill(material, (byte) 0);
    }

    @Override
    public String toString() {
        return "SecretBytes[" + material.length + " bytes, redacted]";
    }
}
