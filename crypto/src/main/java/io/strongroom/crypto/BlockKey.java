package io.strongroom.crypto;

import java.security.SecureRandom;

/**
 * The key of one data block: fresh, random, used for that block only, and stored only wrapped by the
 * {@link DatabaseKey} in the block's manifest entry. Because each block key encrypts exactly one block, its
 * random GCM nonce can never repeat under it.
 *
 * <p>Thread-safe; closing zeroes the material.
 */
public final class BlockKey implements AutoCloseable {
    private final AeadKey key;

    private BlockKey(AeadKey key) {
        this.key = key;
    }

    public static BlockKey generate(SecureRandom random) {
        return new BlockKey(new AeadKey(SecretBytes.random(AeadKey.KEY_BYTES, random)));
    }

    /** A new block key from this thread's own generator ({@link ThreadRandom}), which no other thread waits for. */
    public static BlockKey generate() {
        return generate(ThreadRandom.current());
    }

    static BlockKey ofMaterial(SecretBytes material) {
        return new BlockKey(new AeadKey(material));
    }

    /** Encrypts {@code src[off..off+len)} into a new envelope bound to {@code ad}. */
    public byte[] encrypt(AssociatedData ad, byte[] src, int off, int len) {
        return Envelope.seal(key, 0, ad, src, off, len);
    }

    public byte[] decrypt(AssociatedData ad, byte[] envelope, int off, int len) {
        return Envelope.open(key, 0, ad, envelope, off, len);
    }

    /**
     * Encrypts into {@code dst} at {@code dstOff} (room for {@code len + Envelope.encryptedOverhead()} bytes, not
     * overlapping the source); returns the envelope's length.
     */
    public int encryptInto(AssociatedData ad, byte[] src, int off, int len, byte[] dst, int dstOff) {
        return Envelope.sealInto(key, 0, ad, src, off, len, dst, dstOff);
    }

    /** Decrypts into {@code dst} at {@code dstOff}; returns the plaintext length. */
    public int decryptInto(AssociatedData ad, byte[] envelope, int off, int len, byte[] dst, int dstOff) {
        return Envelope.openInto(key, 0, ad, envelope, off, len, dst, dstOff);
    }

    AeadKey aead() {
        return key;
    }

    @Override
    public void close() {
        key.close();
    }

    @Override
    public String toString() {
        return "BlockKey[redacted]";
    }
}
