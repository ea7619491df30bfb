package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.Catalog;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A consistent read view of one committed version. Commits after it was taken are invisible to it; the
 * blocks it can read are kept until it is closed. Thread-safe.
 */
public final class Snapshot implements AutoCloseable {
    private final Store store;
    private final StoreVersion version;
    private boolean closed;

    Snapshot(Store store, StoreVersion version) {
        this.store = store;
        this.version = version;
    }

    StoreVersion version() {
        return version;
    }

    Store store() {
        return store;
    }

    /** The store version this snapshot reads. */
    public long seq() {
        return version.seq();
    }

    /** Every table, in creation order. */
    public List<TableSpec> tables() {
        return version.catalog().tables().stream().map(Catalog.Entry::spec).toList();
    }

    public boolean exists(String qualifiedName) {
        return version.find(qualifiedName) != null;
    }

    public TableReader table(String qualifiedName) {
        Catalog.@Nullable Entry e = version.find(qualifiedName);
        if (e == null) {
            throw new StrongroomException(ErrorCode.NOT_FOUND, "relation \"" + qualifiedName + "\" does not exist");
        }
        return new TableReader(store, e.tableId(), e.spec(), version.manifest(e.tableId()));
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            store.release(this);
        }
    }
}
