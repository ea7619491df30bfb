package io.strongroom.control.cluster;

import io.strongroom.storage.RowBatch;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.util.function.LongConsumer;

/**
 * Copies tables from one store into another, row batch by row batch: a resize copies a cluster's store into its next
 * generation, a restore a snapshot's image (or one table of it) into a cluster. Holds no state; thread-safe.
 */
public final class StoreCopy {
    private StoreCopy() {}

    /**
     * Copies every table of {@code from}'s committed version into {@code to} in one transaction. Resizes use it, and
     * so do restores (from a snapshot's image into the new cluster's store).
     */
    public static void copyTables(Store from, Store to) {
        copyTables(from, to, n -> {}, () -> {});
    }

    /**
     * As {@link #copyTables(Store, Store)}, telling {@code progressBytes} how many stored bytes of {@code from} each
     * batch of rows stood for, and running {@code checkpoint} between batches (it throws to stop the copy, which then
     * commits nothing).
     */
    public static void copyTables(Store from, Store to, LongConsumer progressBytes, Runnable checkpoint) {
        try (Snapshot snap = from.snapshot();
                Transaction tx = to.begin()) {
            for (TableSpec spec : snap.tables()) {
                tx.createTable(spec);
                copyRows(snap.table(spec.qualifiedName()), tx, spec.qualifiedName(), progressBytes, checkpoint);
            }
            tx.commit();
        }
    }

    /**
     * Appends every row {@code from} reads to table {@code target} of {@code tx}, telling {@code progressBytes} the
     * stored bytes of {@code from} each batch stood for (in all, the table's block bytes) and running {@code
     * checkpoint} between batches.
     */
    public static void copyRows(
            TableReader from, Transaction tx, String target, LongConsumer progressBytes, Runnable checkpoint) {
        long bytes = bytesOf(from);
        long rows = Math.max(1, from.rowCount());
        long reported = 0;
        long copied = 0;
        for (TableReader.SliceScan scan :
                from.scan(ScanSpec.all(from.spec().columns().size()))) {
            while (scan.hasNext()) {
                RowBatch b = scan.next();
                tx.append(target, b);
                copied += b.rowCount();
                long now = Math.min(bytes, bytes * copied / rows);
                progressBytes.accept(now - reported);
                reported = now;
                checkpoint.run();
            }
        }
        progressBytes.accept(bytes - reported);
    }

    /** The stored bytes of the blocks {@code r} reads. */
    public static long bytesOf(TableReader r) {
        return r.blocks().stream().mapToLong(b -> b.storedBytes()).sum();
    }
}
