package io.strongroom.crypto;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.Arrays;

/**
 * The cluster encryption key (CEK): wraps the cluster's {@link DatabaseKey}. On the KMS path it is the
 * plaintext of a KMS data key held in the running cluster's memory ({@link #ofMaterial}); on the HSM path it
 * lives inside the HSM partition and never leaves it, so this is an interface an HSM client implements.
 *
 * <p>Implementations are thread-safe.
 */
public interface ClusterKey extends AutoCloseable {
    /** Purpose of the associated data that binds a wrapped DEK. */
    String DATABASE_KEY_PURPOSE = "strongroom/database-key/v1";

    KeyInfo info();

    /** Wraps {@code dek}, bound to the cluster and both key versions. */
    WrappedKey wrap(DatabaseKey dek, String clusterId);

    /** Unwraps a DEK made by {@link #wrap}; {@code dekInfo} says which DEK it must be. */
    DatabaseKey unwrapDatabaseKey(WrappedKey wrapped, KeyInfo dekInfo, String clusterId);

    @Override
    void close();

    /** The associated data of a wrapped DEK. */
    static AssociatedData databaseKeyBinding(String clusterId, KeyInfo cek, KeyInfo dek) {
        return AssociatedData.of(DATABASE_KEY_PURPOSE)
                .with("cluster", clusterId)
                .with("cek", cek.keyId())
                .with("cek-version", cek.version())
                .with("dek", dek.keyId())
                .with("dek-version", dek.version())
                .build();
    }

    /** A CEK whose material is in this process (the KMS path). Takes ownership of {@code material}. */
    /**
     * The cluster key whose material is the plaintext of {@code dataKey} (what KMS GenerateDataKey answered), copied:
     * closing the data key does not close the cluster key. The caller never sees the bytes.
     */
    static ClusterKey ofDataKey(KeyInfo info, DataKey dataKey) {
        return ofMaterial(info, SecretBytes.copyOf(dataKey.plaintext().unsafeView()));
    }

    static ClusterKey ofMaterial(KeyInfo info, SecretBytes material) {
        if (info.tier() != KeyTier.CLUSTER) {
            throw new IllegalArgumentException("not a cluster key: " + info);
        }
        AeadKey key = new AeadKey(material);
        return new ClusterKey() {
            @Override
            public KeyInfo info() {
                return info;
            }

            @Override
            public WrappedKey wrap(DatabaseKey dek, String clusterId) {
                byte[] m = dek.copyMaterial();
                try {
                    AssociatedData ad = databaseKeyBinding(clusterId, info, dek.info());
                    return new WrappedKey(info, Envelope.seal(key, info.version(), ad, m, 0, m.length));
                } finally {
                    Arrays.fill(m, (byte) 0);
                }
            }

            @Override
            public DatabaseKey unwrapDatabaseKey(WrappedKey wrapped, KeyInfo dekInfo, String clusterId) {
                AssociatedData ad = databaseKeyBinding(clusterId, info, dekInfo);
                byte[] c = wrapped.ciphertextView();
                byte[] m = Envelope.open(key, info.version(), ad, c, 0, c.length);
                if (m.length != AeadKey.KEY_BYTES) {
                    Arrays.fill(m, (byte) 0);
                    throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "wrapped database key has wrong length");
                }
                return DatabaseKey.ofMaterial(dekInfo, SecretBytes.adopt(m));
            }

            @Override
            public void close() {
                key.close();
            }

            @Override
            public String toString() {
                return "ClusterKey[" + info + "]";
            }
        };
    }
}
