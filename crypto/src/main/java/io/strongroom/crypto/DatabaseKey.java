package io.strongroom.crypto;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * The database encryption key (DEK) of a cluster: wraps every block key and encrypts the cluster's system
 * metadata (catalog, manifests, commit pointer). Generated at random by the cluster, stored only wrapped by the
 * {@link ClusterKey} in the key vault, and held in plaintext only in the running cluster's memory.
 *
 * <p>Rotation makes a new version; the version is written into every envelope so a store can tell which DEK
 * version a ciphertext needs. Thread-safe; closing zeroes the material.
 */
public final class DatabaseKey implements AutoCloseable {
    private final KeyInfo info;
    private final AeadKey key;

    private DatabaseKey(KeyInfo info, AeadKey key) {
        if (info.tier() != KeyTier.DATABASE) {
            throw new IllegalArgumentException("not a database key: " + info);
        }
        this.info = Objects.requireNonNull(info);
        this.key = key;
    }

    /** A new random DEK with the given identity. */
    public static DatabaseKey generate(KeyInfo info, SecureRandom random) {
        return new DatabaseKey(info, new AeadKey(SecretBytes.random(AeadKey.KEY_BYTES, random)));
    }

    /** A DEK from material that arrived from a trusted unwrap (the key vault, an HSM). Takes ownership. */
    public static DatabaseKey ofMaterial(KeyInfo info, SecretBytes material) {
        return new DatabaseKey(info, new AeadKey(material));
    }

    public KeyInfo info() {
        return info;
    }

    public int version() {
        return info.version();
    }

    /** Wraps a block key; {@code ad} names the block (cluster, table, column, block id, this key's version). */
    public byte[] wrap(BlockKey blockKey, AssociatedData ad) {
        byte[] m = blockKey.aead().material().unsafeView();
        return Envelope.seal(key, info.version(), ad, m, 0, m.length);
    }

    /** Unwraps a block key made by {@link #wrap}; fails with WRONG_KEY, MISPLACED_CIPHERTEXT or INTEGRITY. */
    public BlockKey unwrapBlockKey(byte[] wrapped, AssociatedData ad) {
        byte[] m = Envelope.open(key, info.version(), ad, wrapped, 0, wrapped.length);
        if (m.length != AeadKey.KEY_BYTES) {
            Arrays.fill(m, (byte) 0);
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "wrapped block key has wrong length (" + ad + ")");
        }
        return BlockKey.ofMaterial(SecretBytes.adopt(m));
    }

    /**
     * Rewraps a block key for a key rotation: opens {@code wrapped}, made by {@link #wrap} of {@code from} with
     * {@code fromAd}, and wraps the same key under this one with {@code toAd}. The result is what {@code
     * from.unwrapBlockKey} then {@link #wrap} would give, but the key material never leaves this package, lives
     * only in a buffer zeroed before return, and no {@link BlockKey} (whose key commitment costs an HMAC) is made.
     * Fails as {@link #unwrapBlockKey} does on {@code from}.
     */
    public byte[] rewrapBlockKey(DatabaseKey from, byte[] wrapped, AssociatedData fromAd, AssociatedData toAd) {
        byte[] m = new byte[Math.max(0, wrapped.length - Envelope.encryptedOverhead())];
        try {
            int n = Envelope.openInto(from.key, from.version(), fromAd, wrapped, 0, wrapped.length, m, 0);
            if (n != AeadKey.KEY_BYTES) {
                throw new StrongroomException(
                        ErrorCode.INTEGRITY_FAILURE, "wrapped block key has wrong length (" + fromAd + ")");
            }
            return Envelope.seal(key, info.version(), toAd, m, 0, n);
        } finally {
            Arrays.fill(m, (byte) 0);
        }
    }

    /** Encrypts system metadata. */
    public byte[] encrypt(AssociatedData ad, byte[] src, int off, int len) {
        return Envelope.seal(key, info.version(), ad, src, off, len);
    }

    public byte[] decrypt(AssociatedData ad, byte[] envelope, int off, int len) {
        return Envelope.open(key, info.version(), ad, envelope, off, len);
    }

    /**
     * The raw material, for wrapping under a cluster key implemented outside this package (an HSM), which needs the
     * bytes to send; see {@link RawKeyAccess}. The caller zeroes it.
     */
    public byte[] copyRawMaterial(RawKeyAccess access) {
        return key.material().copyBytes(access);
    }

    /** The material, for this package's cluster key to wrap. The caller zeroes it. */
    byte[] copyMaterial() {
        return key.material().copyBytes();
    }

    @Override
    public void close() {
        key.close();
    }

    @Override
    public String toString() {
        return "DatabaseKey[" + info + "]";
    }
}
