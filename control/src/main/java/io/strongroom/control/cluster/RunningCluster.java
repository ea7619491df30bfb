package io.strongroom.control.cluster;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.storage.Store;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A cluster that is up: its open store and, when encrypted, the plaintext CEK and DEK, which exist only here, in
 * memory. Closing closes the store, then zeroes both keys. Thread-safe for reads; closed once by the control
 * plane.
 */
public final class RunningCluster implements AutoCloseable {
    private final Store store;
    private final @Nullable ClusterKey cek;
    private final @Nullable DatabaseKey dek;
    /**
     * The cluster's current DEK, shared by this object and those {@link #withKeys} and {@link #withStore} make from
     * it, so a secret sealed or opened through an older one (held by the SQL endpoint) uses the key in force now.
     */
    private final AtomicReference<@Nullable DatabaseKey> currentDek;

    public RunningCluster(Store store, @Nullable ClusterKey cek, @Nullable DatabaseKey dek) {
        this(store, cek, dek, new AtomicReference<>(dek));
    }

    private RunningCluster(
            Store store,
            @Nullable ClusterKey cek,
            @Nullable DatabaseKey dek,
            AtomicReference<@Nullable DatabaseKey> currentDek) {
        this.store = store;
        this.cek = cek;
        this.dek = dek;
        this.currentDek = currentDek;
        currentDek.set(dek);
    }

    /** The cluster's block store (what SQL runs against). */
    public Store store() {
        return store;
    }

    public boolean encrypted() {
        return dek != null;
    }

    /** Purpose of the associated data of a secret sealed by {@link #sealSecret}. */
    static final String SECRET_PURPOSE = "strongroom/cluster-secret/v1";

    /**
     * {@code plaintext} sealed under the cluster's current database key, bound to this cluster's store and to
     * {@code purpose} (what the process keeps outside the store, such as the TLS key store's password, so that it
     * opens only while the cluster's keys are loaded). Refused for an unencrypted cluster.
     */
    public byte[] sealSecret(String purpose, byte[] plaintext) {
        return requireDek().encrypt(secretBinding(purpose), plaintext, 0, plaintext.length);
    }

    /**
     * What {@link #sealSecret} sealed with the same {@code purpose}; throws {@link StrongroomException} when it does
     * not open under the current database key (sealed under a key rotated away since, or damaged). The caller zeroes
     * the result.
     */
    public byte[] openSecret(String purpose, byte[] sealed) {
        return requireDek().decrypt(secretBinding(purpose), sealed, 0, sealed.length);
    }

    /** The database key's version, for messages about sealed secrets (not a secret). */
    public int databaseKeyVersion() {
        return requireDek().version();
    }

    private DatabaseKey requireDek() {
        DatabaseKey k = currentDek.get();
        if (k == null) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE,
                    "cluster store " + store.storeId() + " is not encrypted: it has no key to seal a secret under");
        }
        return k;
    }

    private AssociatedData secretBinding(String purpose) {
        return AssociatedData.of(SECRET_PURPOSE)
                .with("store", store.storeId())
                .with("purpose", purpose)
                .build();
    }

    @Nullable
    public DatabaseKey databaseKey() {
        return dek;
    }

    @Nullable
    public ClusterKey clusterKey() {
        return cek;
    }

    /**
     * The same store with the keys a rotation moved to. Closes nothing: the caller closes the old CEK, and the old
     * DEK once the store no longer needs it.
     */
    public RunningCluster withKeys(ClusterKey newCek, DatabaseKey newDek) {
        return new RunningCluster(store, newCek, newDek, currentDek);
    }

    /** The same keys over another store (after a resize); closes this one's store, not the keys. */
    public RunningCluster withStore(Store next) {
        store.close();
        return new RunningCluster(next, cek, dek, currentDek);
    }

    @Override
    public void close() {
        try {
            store.close();
        } finally {
            if (dek != null) {
                dek.close();
            }
            if (cek != null) {
                cek.close();
            }
        }
    }

    @Override
    public String toString() {
        return "RunningCluster[" + store + (dek != null ? ", " + dek.info() : ", unencrypted") + "]";
    }
}
