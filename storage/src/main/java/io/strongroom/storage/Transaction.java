package io.strongroom.storage;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.storage.format.BlockCodec;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.TableManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A write transaction with snapshot isolation: it sees the version it began on, writes its blocks as new files
 * as it goes, and makes everything visible at once in {@link #commit}, or nothing if it is closed without
 * committing. A concurrent commit to a table this transaction changed makes the commit fail with {@link
 * ErrorCode#CONFLICT}. Deletes mark rows in per-slice delete vectors; updates delete the old rows and append
 * the new ones.
 *
 * <p>Blocks hold about 1 MiB of encoded values of one column on one slice: 131,072 fixed-width values, or
 * strings up to about 1 MiB. Not thread-safe: one transaction belongs to one session.
 */
public final class Transaction implements AutoCloseable {
    static final int FIXED_ROWS_PER_BLOCK = 128 * 1024;
    static final int TARGET_BLOCK_BYTES = 1024 * 1024;

    private final Store store;
    private final StoreVersion base;
    private final Map<Long, TableChange> changes = new LinkedHashMap<>();
    private final List<Path> writtenFiles = Collections.synchronizedList(new ArrayList<>());
    private boolean done;

    /** A table's state as this transaction changes it. */
    static final class TableChange {
        final long tableId;
        TableSpec spec;
        final boolean created;
        boolean dropped;
        int nextColumnId;
        final long[] sliceRows;
        final List<BlockRef> baseBlocks;
        final List<BlockRef> added = Collections.synchronizedList(new ArrayList<>());
        final Set<Long> removedBlocks = new HashSet<>();
        final Map<Integer, BitSet> deleted = new TreeMap<>();

        TableChange(long tableId, TableSpec spec, boolean created, int nextColumnId, TableManifest base) {
            this.tableId = tableId;
            this.spec = spec;
            this.created = created;
            this.nextColumnId = nextColumnId;
            this.sliceRows = base.sliceRows().clone();
            this.baseBlocks = base.blocks();
            base.deleted().forEach((k, v) -> deleted.put(k, (BitSet) v.clone()));
        }

        /** The table as this transaction sees it now. */
        TableManifest view() {
            List<BlockRef> blocks = new ArrayList<>();
            for (BlockRef b : baseBlocks) {
                if (!removedBlocks.contains(b.blockId())) {
                    blocks.add(b);
                }
            }
            synchronized (added) {
                blocks.addAll(added);
            }
            return new TableManifest(tableId, -1, sliceRows, blocks, deleted);
        }
    }

    Transaction(Store store, StoreVersion base) {
        this.store = store;
        this.base = base;
    }

    private void checkOpen() {
        if (done) {
            throw new StrongroomException(ErrorCode.INVALID_STATE, "transaction already committed or rolled back");
        }
        store.checkUsable();
    }

    private @Nullable TableChange findChange(String qualifiedName) {
        String q = normalize(qualifiedName);
        for (TableChange c : changes.values()) {
            if (!c.dropped && c.spec.qualifiedName().equalsIgnoreCase(q)) {
                return c;
            }
        }
        return null;
    }

    private static String normalize(String name) {
        return name.contains(".") ? name : "public." + name;
    }

    private TableChange change(String qualifiedName) {
        TableChange c = findChange(qualifiedName);
        if (c != null) {
            return c;
        }
        Catalog.@Nullable Entry e = base.find(qualifiedName);
        if (e == null || (changes.containsKey(e.tableId()) && changes.get(e.tableId()).dropped)) {
            throw new StrongroomException(ErrorCode.NOT_FOUND, "relation \"" + qualifiedName + "\" does not exist");
        }
        TableChange nc = new TableChange(e.tableId(), e.spec(), false, e.nextColumnId(), base.manifest(e.tableId()));
        changes.put(e.tableId(), nc);
        return nc;
    }

    /** Every table as this transaction sees it: committed ones it has not dropped, and the ones it created. */
    public List<TableSpec> tables() {
        List<TableSpec> out = new ArrayList<>();
        for (Catalog.Entry e : base.catalog().tables()) {
            TableChange c = changes.get(e.tableId());
            if (c == null) {
                out.add(e.spec());
            } else if (!c.dropped) {
                out.add(c.spec);
            }
        }
        for (TableChange c : changes.values()) {
            if (c.created && !c.dropped) {
                out.add(c.spec);
            }
        }
        return out;
    }

    /** The spec of a table as this transaction sees it. */
    public TableSpec spec(String qualifiedName) {
        return change(qualifiedName).spec;
    }

    public boolean exists(String qualifiedName) {
        if (findChange(qualifiedName) != null) {
            return true;
        }
        Catalog.@Nullable Entry e = base.find(qualifiedName);
        return e != null && !(changes.containsKey(e.tableId()) && changes.get(e.tableId()).dropped);
    }

    /** Creates a table; columns keep the ids given in {@code spec}. */
    public void createTable(TableSpec spec) {
        checkOpen();
        if (exists(spec.qualifiedName())) {
            throw new StrongroomException(
                    ErrorCode.ALREADY_EXISTS, "relation \"" + spec.qualifiedName() + "\" already exists");
        }
        int nextColumnId = spec.columns().stream().mapToInt(Column::id).max().orElse(-1) + 1;
        long id = store.newTableId();
        changes.put(
                id,
                new TableChange(
                        id,
                        spec,
                        true,
                        nextColumnId,
                        TableManifest.empty(id, store.layout().sliceCount())));
    }

    public void dropTable(String qualifiedName) {
        checkOpen();
        TableChange c = change(qualifiedName);
        c.dropped = true;
    }

    /** Removes every row; the old blocks are freed once no snapshot reads them. */
    public void truncate(String qualifiedName) {
        checkOpen();
        TableChange c = change(qualifiedName);
        c.baseBlocks.forEach(b -> c.removedBlocks.add(b.blockId()));
        synchronized (c.added) {
            c.added.clear();
        }
        java.util.Arrays.fill(c.sliceRows, 0);
        c.deleted.clear();
    }

    /** Appends rows; they are spread over slices by the table's distribution style. */
    public void append(String qualifiedName, RowBatch batch) {
        checkOpen();
        TableChange c = change(qualifiedName);
        List<Column> cols = c.spec.columns();
        if (batch.columnCount() != cols.size()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "batch has " + batch.columnCount() + " columns, table " + c.spec.qualifiedName() + " has "
                            + cols.size());
        }
        for (int i = 0; i < cols.size(); i++) {
            if (!batch.column(i).type().equals(cols.get(i).type())) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT,
                        "column " + cols.get(i).name() + " is " + cols.get(i).type() + ", batch has "
                                + batch.column(i).type());
            }
        }
        int n = batch.rowCount();
        if (n == 0) {
            return;
        }
        ClusterLayout layout = store.layout();
        int slices = layout.sliceCount();
        List<int[]> perSlice = Distribution.assign(c.spec, layout, batch, c.sliceRows);
        List<BlockTask> tasks = new ArrayList<>();
        for (int s = 0; s < slices; s++) {
            int[] rows = perSlice.get(s);
            if (rows.length == 0) {
                continue;
            }
            for (int j = 0; j < cols.size(); j++) {
                ColumnVector src = batch.column(j);
                ColumnVector sub = Distribution.gather(src, rows);
                long rowStart = c.sliceRows[s];
                int from = 0;
                while (from < sub.size()) {
                    int to = blockEnd(sub, from);
                    tasks.add(new BlockTask(sub, from, to, cols.get(j).id(), s, rowStart + from));
                    from = to;
                }
            }
            c.sliceRows[s] += rows.length;
        }
        String storeId = store.storeId();
        // Every task finishes before append returns, failed or not: no block write may outlive its transaction.
        List<RuntimeException> failures = tasks.parallelStream()
                .map(t -> {
                    try {
                        writeBlock(c, t, storeId);
                        return null;
                    } catch (RuntimeException e) {
                        return e;
                    }
                })
                .filter(java.util.Objects::nonNull)
                .toList();
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }

    private void writeBlock(TableChange c, BlockTask t, String storeId) {
        long blockId = store.newBlockId();
        BlockCodec.Written w = BlockCodec.encode(
                t.vector, t.from, t.to, storeId, c.tableId, t.columnId, t.slice, blockId, t.rowStart, store.sealer());
        Path dir = store.files().tableDir(c.tableId);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
        }
        Path file = store.files().blockFile(c.tableId, blockId);
        writtenFiles.add(file);
        DurableFiles.writeNew(file, w.file(), w.length());
        store.faults().reached(CommitStep.BLOCK_WRITTEN, file);
        c.added.add(w.ref());
    }

    private record BlockTask(ColumnVector vector, int from, int to, int columnId, int slice, long rowStart) {}

    /** Where the block starting at {@code from} ends: about 1 MiB of values. */
    private static int blockEnd(ColumnVector v, int from) {
        int n = v.size();
        if (v.type().physical() != ColumnType.Physical.BYTES) {
            int perBlock =
                    v.type().physical() == ColumnType.Physical.BIG ? FIXED_ROWS_PER_BLOCK / 2 : FIXED_ROWS_PER_BLOCK;
            return Math.min(n, from + perBlock);
        }
        int to = from;
        long bytes = 0;
        while (to < n && bytes < TARGET_BLOCK_BYTES && to - from < BlockRef.MAX_ROWS) {
            bytes += v.bytesLength(to) + 1;
            to++;
        }
        return to;
    }

    /** A row test for {@link #delete} and {@link #update}. */
    @FunctionalInterface
    public interface RowFilter {
        boolean test(RowBatch batch, int row);
    }

    /** Marks the rows matching {@code filter} deleted; returns how many. */
    public long delete(String qualifiedName, RowFilter filter) {
        checkOpen();
        TableChange c = change(qualifiedName);
        List<long[]> matches = matching(c, filter, null);
        markDeleted(c, matches);
        return matches.size();
    }

    /**
     * Rewrites the rows matching {@code filter}: each is deleted and {@code rewrite} of its values (one Java
     * object per column, see {@link ColumnVector#get}) is appended. Returns how many rows changed.
     */
    public long update(String qualifiedName, RowFilter filter, UnaryOperator<@Nullable Object[]> rewrite) {
        checkOpen();
        TableChange c = change(qualifiedName);
        RowBatch replacement = RowBatch.builder(c.spec.columns(), 1024);
        List<long[]> matches = matching(c, filter, (b, r) -> {
            @Nullable Object[] row = new Object[b.columnCount()];
            for (int j = 0; j < row.length; j++) {
                row[j] = b.column(j).get(r);
            }
            replacement.addRow(rewrite.apply(row));
        });
        markDeleted(c, matches);
        append(qualifiedName, replacement);
        return matches.size();
    }

    /** A callback for each matching row of {@link #matching}. */
    @FunctionalInterface
    private interface RowVisitor {
        void visit(RowBatch batch, int row);
    }

    /** (slice, row ordinal) of every live row matching {@code filter}, as this transaction sees the table. */
    private List<long[]> matching(TableChange c, RowFilter filter, @Nullable RowVisitor visitor) {
        List<long[]> out = new ArrayList<>();
        TableReader reader = new TableReader(store, c.tableId, c.spec, c.view());
        for (TableReader.SliceScan scan :
                reader.scan(ScanSpec.all(c.spec.columns().size()).withRowIds())) {
            while (scan.hasNext()) {
                RowBatch b = scan.next();
                long[] ids = java.util.Objects.requireNonNull(b.rowIds());
                for (int r = 0; r < b.rowCount(); r++) {
                    if (filter.test(b, r)) {
                        if (visitor != null) {
                            visitor.visit(b, r);
                        }
                        out.add(new long[] {b.slice(), ids[r]});
                    }
                }
            }
        }
        return out;
    }

    private static void markDeleted(TableChange c, List<long[]> rows) {
        for (long[] m : rows) {
            c.deleted.computeIfAbsent((int) m[0], k -> new BitSet()).set(Math.toIntExact(m[1]));
        }
    }

    /** Reads a table as this transaction sees it, its own uncommitted writes included. */
    public TableReader reader(String qualifiedName) {
        checkOpen();
        TableChange c = change(qualifiedName);
        return new TableReader(store, c.tableId, c.spec, c.view());
    }

    /** Makes every change visible at once, durably; returns the new store version. */
    public long commit() {
        checkOpen();
        done = true;
        if (changes.isEmpty()) {
            store.endTransaction(base.seq());
            return base.seq();
        }
        try {
            return store.commit(base, changes).seq();
        } catch (StrongroomException e) {
            if (e.code() == ErrorCode.CONFLICT) {
                discardWrittenFiles();
            }
            throw e;
        } finally {
            store.endTransaction(base.seq());
        }
    }

    /** Discards every change; blocks written so far are deleted. */
    public void rollback() {
        if (done) {
            return;
        }
        done = true;
        discardWrittenFiles();
        store.endTransaction(base.seq());
    }

    private void discardWrittenFiles() {
        synchronized (writtenFiles) {
            for (Path p : writtenFiles) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Unreferenced; the next open removes it.
                }
            }
            writtenFiles.clear();
        }
    }

    @Override
    public void close() {
        rollback();
    }
}
