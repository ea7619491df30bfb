package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.BlockCodec;
import io.strongroom.storage.format.BlockOrigins;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.ColumnFill;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.ManifestEntry;
import io.strongroom.storage.format.TableManifest;
import io.strongroom.storage.format.WrappedBlockKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
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
    /** Tables whose block directory this transaction has made sure of (block writers run in parallel). */
    private final Set<Long> tableDirs = ConcurrentHashMap.newKeySet();

    private boolean done;

    /** A table's state as this transaction changes it. */
    static final class TableChange {
        final long tableId;
        TableSpec spec;
        final boolean created;
        boolean dropped;
        int nextColumnId;
        final long[] sliceRows;
        /** The table in the version this transaction began on. */
        private final TableManifest base;
        /** Blocks this transaction wrote, with their keys, in the order written. */
        final List<ManifestEntry> added = Collections.synchronizedList(new ArrayList<>());

        final Set<Long> removedBlocks = new HashSet<>();
        final Map<Integer, BitSet> deleted = new TreeMap<>();
        /** Column fills by column id (see {@link ColumnFill}). */
        final Map<Integer, ColumnFill> fills = new TreeMap<>();
        /** Blocks this transaction wrote and then gave up (TRUNCATE, DROP COLUMN): deleted once it ends. */
        final List<ManifestEntry> abandoned = new ArrayList<>();

        TableChange(long tableId, TableSpec spec, boolean created, int nextColumnId, TableManifest base) {
            this.tableId = tableId;
            this.spec = spec;
            this.created = created;
            this.nextColumnId = nextColumnId;
            this.sliceRows = base.sliceRows().clone();
            this.base = base;
            base.deleted().forEach((k, v) -> deleted.put(k, (BitSet) v.clone()));
            base.fills().forEach(f -> fills.put(f.columnId(), f));
        }

        /** The table as this transaction sees it now. */
        TableManifest view() {
            return appliedTo(base, -1);
        }

        /**
         * The blocks of {@code on} but those this transaction removed, with their keys, then the blocks it added;
         * with this transaction's rows, deletes and fills, at manifest version {@code version}. {@code on} is the
         * version it began on ({@link #view}) or, at commit, the committed one, which differs from that only by a
         * key rotation's rewrap (anything else is a conflict).
         */
        TableManifest appliedTo(TableManifest on, long version) {
            int expected = on.blocks().size() + added.size();
            List<BlockRef> blocks = new ArrayList<>(expected);
            WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(expected);
            BlockOrigins.Builder origins = BlockOrigins.builder(on.origins().isEmpty() ? 0 : expected);
            for (int i = 0; i < on.blocks().size(); i++) {
                BlockRef b = on.blocks().get(i);
                if (!removedBlocks.contains(b.blockId())) {
                    blocks.add(b);
                    keys.add(on.keys(), i);
                    origins.add(on.origins(), i);
                }
            }
            synchronized (added) {
                for (ManifestEntry e : added) {
                    blocks.add(e.ref());
                    keys.add(e);
                    origins.addOwn();
                }
            }
            return new TableManifest(
                    tableId,
                    version,
                    sliceRows,
                    blocks,
                    keys.build(),
                    deleted,
                    List.copyOf(fills.values()),
                    origins.build());
        }

        /** Gives up the blocks of one column (all columns when {@code columnId} is negative). */
        void dropBlocks(int columnId) {
            for (BlockRef b : base.blocks()) {
                if (columnId < 0 || b.columnId() == columnId) {
                    removedBlocks.add(b.blockId());
                }
            }
            synchronized (added) {
                added.removeIf(b -> {
                    if (columnId < 0 || b.ref().columnId() == columnId) {
                        abandoned.add(b);
                        return true;
                    }
                    return false;
                });
            }
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
        // A committed table this transaction already changed was found above under its current name; if it was
        // not, the transaction dropped or renamed it, and the old name no longer names it.
        if (e == null || changes.containsKey(e.tableId())) {
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
        TableChange c = findChange(qualifiedName);
        return c != null ? c.spec : committed(qualifiedName).spec();
    }

    /**
     * A committed table this transaction has not changed, for reading. Reads do not register a change: a
     * transaction that only reads a table does not conflict with a concurrent commit to it (it keeps reading the
     * version it began on).
     */
    private Catalog.Entry committed(String qualifiedName) {
        Catalog.@Nullable Entry e = base.find(qualifiedName);
        if (e == null || changes.containsKey(e.tableId())) {
            throw new StrongroomException(ErrorCode.NOT_FOUND, "relation \"" + qualifiedName + "\" does not exist");
        }
        return e;
    }

    public boolean exists(String qualifiedName) {
        if (findChange(qualifiedName) != null) {
            return true;
        }
        Catalog.@Nullable Entry e = base.find(qualifiedName);
        return e != null && !changes.containsKey(e.tableId());
    }

    /**
     * Creates a table; columns keep the ids given in {@code spec}. A FOREIGN KEY must name an existing table (or
     * this one) and existing columns of it; one without referenced columns references that table's PRIMARY KEY,
     * as in PostgreSQL. Constraints are kept, never enforced.
     */
    public void createTable(TableSpec spec) {
        checkOpen();
        if (exists(spec.qualifiedName())) {
            throw new StrongroomException(
                    ErrorCode.ALREADY_EXISTS, "relation \"" + spec.qualifiedName() + "\" already exists");
        }
        spec = spec.withConstraints(resolveForeignKeys(spec));
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
        dropTable(qualifiedName, false);
    }

    /**
     * DROP TABLE; a table another table's FOREIGN KEY references is refused unless {@code cascade}, which drops
     * those constraints (not the tables), as PostgreSQL and Redshift do.
     */
    public void dropTable(String qualifiedName, boolean cascade) {
        checkOpen();
        TableChange c = change(qualifiedName);
        String q = c.spec.qualifiedName();
        for (TableSpec other : tables()) {
            if (other.qualifiedName().equalsIgnoreCase(q)) {
                continue;
            }
            for (TableConstraint k : other.constraints()) {
                if (k.references(q) && !cascade) {
                    throw new StrongroomException(
                            ErrorCode.DEPENDENT_OBJECTS_STILL_EXIST,
                            "cannot drop table " + c.spec.name() + " because constraint " + k.name() + " on table "
                                    + other.name() + " depends on it; use DROP ... CASCADE to drop the constraint"
                                    + " too");
                }
            }
        }
        updateReferencing(q, k -> null);
        c.dropped = true;
        c.dropBlocks(-1);
    }

    /** Removes every row; the old blocks are freed once no snapshot reads them. */
    public void truncate(String qualifiedName) {
        checkOpen();
        TableChange c = change(qualifiedName);
        c.dropBlocks(-1);
        Arrays.fill(c.sliceRows, 0);
        c.deleted.clear();
        c.fills.clear();
    }

    // ---- ALTER TABLE ----
    //
    // Every change here is metadata only: the catalog entry keeps the table id and each column keeps its id, and
    // those ids (not names or positions) are what block and block-key AD bind, so no block is re-encrypted,
    // rewritten or even read. Another transaction that committed a change to the same table since this one began
    // makes commit fail with CONFLICT (the table's spec or manifest version differs), as for any other write.

    /** ALTER TABLE ... RENAME TO: the table keeps its id, blocks and schema; {@code newName} is unqualified. */
    public void renameTable(String qualifiedName, String newName) {
        checkOpen();
        TableChange c = change(qualifiedName);
        String target = c.spec.schema() + "." + newName;
        if (exists(target)) {
            throw new StrongroomException(ErrorCode.ALREADY_EXISTS, "relation \"" + newName + "\" already exists");
        }
        String old = c.spec.qualifiedName();
        c.spec = c.spec.withName(newName);
        // Foreign keys name the table they reference (this one's own too): they follow it.
        updateReferencing(old, k -> k.withReferencedTable(target));
    }

    /**
     * Replaces every FOREIGN KEY of every table (this one included) that references {@code qualifiedTable} with
     * what {@code f} makes of it, or drops it when {@code f} gives null; only tables with such a key change.
     */
    private void updateReferencing(String qualifiedTable, Function<TableConstraint, @Nullable TableConstraint> f) {
        for (TableSpec t : tables()) {
            if (t.constraints().stream().noneMatch(k -> k.references(qualifiedTable))) {
                continue;
            }
            TableChange rc = change(t.qualifiedName());
            List<TableConstraint> out = new ArrayList<>();
            for (TableConstraint k : rc.spec.constraints()) {
                TableConstraint n = k.references(qualifiedTable) ? f.apply(k) : k;
                if (n != null) {
                    out.add(n);
                }
            }
            rc.spec = rc.spec.withConstraints(out);
        }
    }

    /** The spec's constraints with each FOREIGN KEY checked against the tables and its referenced columns set. */
    private List<TableConstraint> resolveForeignKeys(TableSpec spec) {
        List<TableConstraint> out = new ArrayList<>();
        for (TableConstraint k : spec.constraints()) {
            String ref = k.referencedTable();
            if (ref == null) {
                out.add(k);
                continue;
            }
            TableSpec target = ref.equalsIgnoreCase(spec.qualifiedName()) ? spec : exists(ref) ? spec(ref) : null;
            if (target == null) {
                throw new StrongroomException(
                        ErrorCode.NOT_FOUND,
                        "relation \"" + ref + "\" referenced by foreign key \"" + k.name() + "\" does not exist");
            }
            List<String> cols = k.referencedColumns();
            if (cols.isEmpty() || cols.get(0).isEmpty()) {
                TableConstraint pk = target.primaryKey();
                if (pk == null) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_FOREIGN_KEY,
                            "there is no primary key for referenced table \"" + target.name()
                                    + "\"; name the referenced columns in REFERENCES " + target.name() + " (...)");
                }
                cols = pk.columns();
            }
            List<String> named = new ArrayList<>();
            for (String col : cols) {
                Column found = target.column(col);
                if (found == null) {
                    throw new StrongroomException(
                            ErrorCode.UNDEFINED_COLUMN,
                            "column \"" + col + "\" referenced in foreign key constraint \"" + k.name()
                                    + "\" does not exist in table \"" + target.name() + "\"");
                }
                named.add(found.name());
            }
            out.add(TableConstraint.foreignKey(k.name(), k.columns(), target.qualifiedName(), named));
        }
        return out;
    }

    /** ALTER TABLE ... RENAME COLUMN: the column keeps its id; DISTKEY and SORTKEY follow the new name. */
    public void renameColumn(String qualifiedName, String column, String newName) {
        checkOpen();
        TableChange c = change(qualifiedName);
        Column col = existingColumn(c, column);
        Column other = c.spec.column(newName);
        // Names are matched case-insensitively, so RENAME COLUMN a TO "A" is a change of case, not a clash.
        if (other != null && (other.id() != col.id() || other.name().equals(newName))) {
            throw duplicateColumn(c, newName);
        }
        List<Column> cols = new ArrayList<>();
        for (Column x : c.spec.columns()) {
            cols.add(x.id() == col.id() ? x.withName(newName) : x);
        }
        String distKey = c.spec.distKey();
        if (distKey != null && distKey.equalsIgnoreCase(col.name())) {
            distKey = newName;
        }
        List<String> sortKey = c.spec.sortKey().stream()
                .map(k -> k.equalsIgnoreCase(col.name()) ? newName : k)
                .toList();
        List<TableConstraint> constraints = c.spec.constraints().stream()
                .map(k -> k.withColumnRenamed(col.name(), newName))
                .toList();
        c.spec = c.spec.withColumns(cols, distKey, sortKey, constraints);
        updateReferencing(c.spec.qualifiedName(), k -> k.withReferencedColumnRenamed(col.name(), newName));
    }

    /**
     * ALTER TABLE ... ADD COLUMN, without touching a block: the column gets an id the table never used, and the
     * rows the table already has read as {@code defaultValue} (NULL when null) through a {@link ColumnFill} in the
     * next manifest; rows appended later have blocks. A NOT NULL column needs a default unless the table has no
     * rows (deleted rows count: they keep their slots).
     *
     * @return the new column
     */
    public Column addColumn(
            String qualifiedName, String name, ColumnType type, boolean notNull, @Nullable Object defaultValue) {
        checkOpen();
        TableChange c = change(qualifiedName);
        if (c.spec.column(name) != null) {
            throw duplicateColumn(c, name);
        }
        long rows = 0;
        for (long r : c.sliceRows) {
            rows += r;
        }
        if (notNull && defaultValue == null && rows > 0) {
            throw new StrongroomException(
                    ErrorCode.NOT_NULL_VIOLATION,
                    "column \"" + name + "\" of relation \"" + c.spec.name()
                            + "\" contains null values; give the new NOT NULL column a DEFAULT");
        }
        Column col = new Column(c.nextColumnId, name, type, notNull, defaultValue);
        List<Column> cols = new ArrayList<>(c.spec.columns());
        cols.add(col);
        c.spec = c.spec.withColumns(cols, c.spec.distKey(), c.spec.sortKey());
        c.nextColumnId++;
        if (rows > 0) {
            c.fills.put(col.id(), ColumnFill.of(col.id(), type, col.defaultValue(), c.sliceRows));
        }
        return col;
    }

    /**
     * ALTER TABLE ... DROP COLUMN: the column leaves the table at once; its blocks leave the next manifest and are
     * deleted, like a dropped table's, once no snapshot or transaction that can still see them is open. Refused
     * for the last column, the DISTKEY column and a SORTKEY column, as Redshift refuses them, and for a column
     * another table's FOREIGN KEY references; this table's own constraints over the column are dropped with it.
     */
    public void dropColumn(String qualifiedName, String column) {
        checkOpen();
        TableChange c = change(qualifiedName);
        Column col = existingColumn(c, column);
        if (c.spec.columns().size() == 1) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "cannot drop column \"" + col.name() + "\": it is the only column of table \"" + c.spec.name()
                            + "\" (drop the table instead)");
        }
        String distKey = c.spec.distKey();
        if (distKey != null && distKey.equalsIgnoreCase(col.name())) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "cannot drop distkey column \"" + col.name() + "\" of table \"" + c.spec.name()
                            + "\"; recreate the table with another DISTKEY to remove it");
        }
        for (String k : c.spec.sortKey()) {
            if (k.equalsIgnoreCase(col.name())) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT,
                        "cannot drop sortkey column \"" + col.name() + "\" of table \"" + c.spec.name()
                                + "\"; recreate the table with another SORTKEY to remove it");
            }
        }
        String q = c.spec.qualifiedName();
        for (TableSpec other : tables()) {
            for (TableConstraint k : other.constraints()) {
                if (k.references(q)
                        && !other.qualifiedName().equalsIgnoreCase(q)
                        && k.referencedColumns().stream().anyMatch(r -> r.equalsIgnoreCase(col.name()))) {
                    throw new StrongroomException(
                            ErrorCode.DEPENDENT_OBJECTS_STILL_EXIST,
                            "cannot drop column " + col.name() + " of table " + c.spec.name() + " because constraint "
                                    + k.name() + " on table " + other.name() + " depends on it; drop that table's"
                                    + " constraint first");
                }
            }
        }
        // As PostgreSQL: a constraint of this table over the column goes with it, as does a foreign key of this
        // table that references the column.
        List<TableConstraint> constraints = new ArrayList<>();
        for (TableConstraint k : c.spec.constraints()) {
            boolean selfReference =
                    k.references(q) && k.referencedColumns().stream().anyMatch(r -> r.equalsIgnoreCase(col.name()));
            if (!k.covers(col.name()) && !selfReference) {
                constraints.add(k);
            }
        }
        List<Column> cols = new ArrayList<>(c.spec.columns());
        cols.removeIf(x -> x.id() == col.id());
        c.spec = c.spec.withColumns(cols, distKey, c.spec.sortKey(), constraints);
        c.dropBlocks(col.id());
        c.fills.remove(col.id());
    }

    private static Column existingColumn(TableChange c, String column) {
        Column col = c.spec.column(column);
        if (col == null) {
            throw new StrongroomException(
                    ErrorCode.UNDEFINED_COLUMN,
                    "column \"" + column + "\" of relation \"" + c.spec.name() + "\" does not exist");
        }
        return col;
    }

    private static StrongroomException duplicateColumn(TableChange c, String name) {
        return new StrongroomException(
                ErrorCode.DUPLICATE_COLUMN,
                "column \"" + name + "\" of relation \"" + c.spec.name() + "\" already exists");
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
            // Every write path (INSERT, COPY, UPDATE, CREATE TABLE AS, restores) appends here, so this one check
            // enforces NOT NULL for all of them, before any block of the batch is written.
            if (cols.get(i).notNull() && batch.column(i).hasNulls()) {
                throw new StrongroomException(
                        ErrorCode.NOT_NULL_VIOLATION,
                        "null value in column \"" + cols.get(i).name() + "\" violates not-null constraint");
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
                .filter(Objects::nonNull)
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
        if (!tableDirs.contains(c.tableId)) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
            }
            tableDirs.add(c.tableId);
        }
        Path file = store.files().blockFile(c.tableId, blockId);
        writtenFiles.add(file);
        try {
            DurableFiles.writeNew(file, w.file(), w.length());
        } catch (StrongroomException e) {
            if (e.code() == ErrorCode.DISK_FULL) {
                store.noteDiskFull();
            }
            throw e;
        }
        store.faults().reached(CommitStep.BLOCK_WRITTEN, file);
        c.added.add(w.entry());
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
                long[] ids = Objects.requireNonNull(b.rowIds());
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
        TableChange c = findChange(qualifiedName);
        if (c != null) {
            return new TableReader(store, c.tableId, c.spec, c.view());
        }
        Catalog.Entry e = committed(qualifiedName);
        return new TableReader(store, e.tableId(), e.spec(), base.manifest(e.tableId()));
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
            long seq = store.commit(base, changes).seq();
            deleteAbandoned();
            return seq;
        } catch (StrongroomException e) {
            if (e.code() == ErrorCode.CONFLICT || e instanceof Store.CommitNotMadeException) {
                discardWrittenFiles();
            }
            throw e;
        } finally {
            store.endTransaction(base.seq());
        }
    }

    /** Blocks this transaction wrote and gave up: no committed version lists them, nothing else can read them. */
    private void deleteAbandoned() {
        for (TableChange c : changes.values()) {
            for (ManifestEntry b : c.abandoned) {
                try {
                    Files.deleteIfExists(
                            store.files().blockFile(c.tableId, b.ref().blockId()));
                } catch (IOException e) {
                    // Unreferenced; the next open removes it.
                }
            }
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
