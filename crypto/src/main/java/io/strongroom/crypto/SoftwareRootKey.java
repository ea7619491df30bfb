package io.strongroom.crypto;

import java.security.SecureRandom;

/**
 * A root key whose material is in this process: for the KMS's own key material, for tests, and for a single
 * machine run without a KMS. Where the root key must stay outside the warehouse, use the KMS or an HSM.
 *
 * <p>Thread-safe; closing zeroes the material.
 */
public final class SoftwareRootKey implements RootKey, AutoCloseable {
    private final KeyInfo info;
    private final AeadKey key;
    private final SecureRandom random = new SecureRandom();

    private SoftwareRootKey(KeyInfo info, AeadKey key) {
        if (info.tier() != KeyTier.ROOT) {
            throw new IllegalArgumentException("not a root key: " + info);
        }
        this.info = info;
        this.key = key;
    }

    public static SoftwareRootKey generate(KeyInfo info, SecureRandom random) {
        return new SoftwareRootKey(info, new AeadKey(SecretBytes.random(AeadKey.KEY_BYTES, random)));
    }

    /** Takes ownership of {@code material}. */
    public static SoftwareRootKey ofMaterial(KeyInfo info, SecretBytes material) {
        return new SoftwareRootKey(info, new AeadKey(material));
    }

    @Override
    public KeyInfo info() {
        return info;
    }

    @Override
    public DataKey generateDataKey(EncryptionContext context) {
        SecretBytes plain = SecretBytes.random(AeadKey.KEY_BYTES, random);
        byte[] m = plain.unsafeView();
        byte[] wrapped = Envelope.seal(key, info.version(), context.toAssociatedData(info.keyId()), m, 0, m.length);
        return new DataKey(plain, new WrappedKey(info, wrapped));
    }

    @Override
    public SecretBytes decrypt(WrappedKey wrapped, EncryptionContext context) {
        byte[] c = wrapped.ciphertextView();
        return SecretBytes.adopt(
                Envelope.open(key, info.version(), context.toAssociatedData(info.keyId()), c, 0, c.length));
    }

    /** Encrypts arbitrary bytes bound to {@code ad} (the KMS's own store uses this). */
    public byte[] encrypt(AssociatedData ad, byte[] plaintext) {
        return Envelope.seal(key, info.version(), ad, plaintext, 0, plaintext.length);
    }

    public byte[] decrypt(AssociatedData ad, byte[] envelope) {
        return Envelope.open(key, info.version(), ad, envelope, 0, envelope.length);
    }

    @Override
    public void close() {
        key.close();
    }

    @Override
    public String toString() {
        return "SoftwareRootKey[" + info + "]";
    }
}
