package io.strongroom.control.cluster;

import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.storage.Store;
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

    RunningCluster(Store store, @Nullable ClusterKey cek, @Nullable DatabaseKey dek) {
        this.store = store;
        this.cek = cek;
        this.dek = dek;
    }

    /** The cluster's block store (what SQL runs against). */
    public Store store() {
        return store;
    }

    public boolean encrypted() {
        return dek != null;
    }

    @Nullable
    DatabaseKey databaseKey() {
        return dek;
    }

    @Nullable
    ClusterKey clusterKey() {
        return cek;
    }

    /**
     * The same store with the keys a rotation moved to. Closes nothing: the caller closes the old CEK, and the old
     * DEK once the store no longer needs it.
     */
    RunningCluster withKeys(ClusterKey newCek, DatabaseKey newDek) {
        return new RunningCluster(store, newCek, newDek);
    }

    /** The same keys over another store (after a resize); closes this one's store, not the keys. */
    RunningCluster withStore(Store next) {
        store.close();
        return new RunningCluster(next, cek, dek);
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
