package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.storage.format.FileHeader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ALTER TABLE in the store: renames and added or dropped columns change metadata only (no block is rewritten or
 * re-encrypted, since bindings name ids), added columns read their default on old rows through a fill, dropped
 * columns' blocks are freed once no reader needs them, and concurrent writers get CONFLICT.
 */
class AlterTableTest {
    @TempDir
    Path tmp;

    private DatabaseKey dek;
    private Store store;

    private static final List<Column> COLS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "s", ColumnType.varchar(20)));

    @BeforeEach
    void open() {
        dek = Fixtures.dek((byte) 5);
        store = Store.create(tmp.resolve("s"), "alter", new ClusterLayout(2, 2), StoreKeys.of(dek));
    }

    @AfterEach
    void close() {
        store.close();
        dek.close();
    }

    private void createWithRows(String name, TableSpec spec, long from, int n) {
        try (Transaction tx = store.begin()) {
            if (!tx.exists(name)) {
                tx.createTable(spec);
            }
            tx.append(name, rows(from, n));
            tx.commit();
        }
    }

    private static RowBatch rows(long from, int n) {
        RowBatch b = RowBatch.builder(COLS, n);
        for (long i = from; i < from + n; i++) {
            b.addRow(i, "v" + i);
        }
        return b;
    }

    private void seed() {
        createWithRows("t", TableSpec.of("public", "t", COLS), 0, 1000);
    }

    /** Every block file of the store with its bytes, by path. */
    private Map<String, byte[]> blockFiles() throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(store.root().resolve("tables"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".blk")).toList()) {
                out.put(store.root().relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    private static void assertSameFiles(Map<String, byte[]> before, Map<String, byte[]> after) {
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));
    }

    private List<Object[]> read(String table) {
        try (Snapshot s = store.snapshot()) {
            return Fixtures.readAll(s.table(table));
        }
    }

    private Path currentManifest(String table) throws IOException {
        try (Snapshot s = store.snapshot();
                Stream<Path> files = Files.list(store.root()
                        .resolve("tables")
                        .resolve(Long.toString(s.table(table).tableId())))) {
            return files.filter(p -> p.toString().endsWith(".man"))
                    .max(Path::compareTo)
                    .orElseThrow();
        }
    }

    private Path currentCatalog() throws IOException {
        try (Stream<Path> files = Files.list(store.root().resolve("catalog"))) {
            return files.max(Path::compareTo).orElseThrow();
        }
    }

    /** Same rows, value by value ({@code equals}, so NaN equals NaN as stored). */
    private static void assertSameRows(List<Object[]> actual, List<Object[]> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.size(); i++) {
            assertThat(actual.get(i)).containsExactly(expected.get(i));
        }
    }

    private static int headerVersion(Path file) throws IOException {
        return FileHeader.version(Files.readAllBytes(file));
    }

    @Test
    void renameTableAndColumn_keepEveryBlockByteForByte_andReadTheSameRowsAfterReopen() throws IOException {
        // Whole manifests, no deltas (catalog version 4): the versions checked at the end are ALTER's.
        store.maxManifestDeltas(0);
        TableSpec spec = new TableSpec("public", "t", COLS, DistStyle.KEY, "s", List.of("id"), true);
        createWithRows("t", spec, 0, 500);
        Map<String, byte[]> before = blockFiles();
        List<Object[]> rows = read("t");
        try (Transaction tx = store.begin()) {
            tx.renameTable("t", "t2");
            tx.renameColumn("t2", "s", "label");
            tx.renameColumn("t2", "id", "key");
            tx.commit();
        }
        assertSameFiles(before, blockFiles());
        try (Snapshot s = store.snapshot()) {
            assertThat(s.exists("t")).isFalse();
            TableSpec now = s.table("t2").spec();
            assertThat(now.columns()).extracting(Column::name).containsExactly("key", "label");
            assertThat(now.columns()).extracting(Column::id).containsExactly(0, 1);
            assertThat(now.distKey()).isEqualTo("label");
            assertThat(now.sortKey()).containsExactly("key");
        }
        store.close();
        store = Store.open(tmp.resolve("s"), StoreKeys.of(dek));
        store.maxManifestDeltas(0);
        assertSameRows(read("t2"), rows);
        // DISTKEY follows the rename: new rows still distribute by the same column.
        createWithRows("t2", spec, 500, 10);
        assertThat(read("t2")).hasSize(510);
        // Nothing in a store that never used version 2's fields is written as version 2.
        assertThat(headerVersion(currentCatalog())).isEqualTo(1);
        assertThat(headerVersion(currentManifest("t2"))).isEqualTo(1);
    }

    @Test
    void addColumn_oldRowsReadTheDefault_withoutWritingOrRewritingABlock_andNewRowsHaveBlocks() throws IOException {
        seed();
        Map<String, byte[]> before = blockFiles();
        try (Transaction tx = store.begin()) {
            Column c = tx.addColumn("t", "n", ColumnType.INTEGER, true, 7);
            assertThat(c.id()).isEqualTo(2);
            tx.addColumn("t", "note", ColumnType.varchar(10), false, null);
            tx.commit();
        }
        assertSameFiles(before, blockFiles());
        assertThat(headerVersion(currentManifest("t"))).isEqualTo(2);
        assertThat(headerVersion(currentCatalog())).isEqualTo(2);
        List<Object[]> rows = read("t");
        assertThat(rows).hasSize(1000);
        assertThat(rows)
                .allSatisfy(r -> assertThat(Arrays.asList(r).subList(2, 4)).containsExactly(7, null));

        try (Transaction tx = store.begin()) {
            tx.append(
                    "t",
                    RowBatch.builder(tx.spec("t").columns(), 2)
                            .addRow(1000L, "new", 8, "x")
                            .addRow(1001L, "new", 9, null));
            tx.delete("t", (b, r) -> b.column(0).getLong(r) == 3);
            tx.commit();
        }
        store.close();
        store = Store.open(tmp.resolve("s"), StoreKeys.of(dek));
        rows = read("t");
        assertThat(rows).hasSize(1001);
        assertThat(rows.get(rows.size() - 2)).containsExactly(1000L, "new", 8, "x");
        assertThat(rows.get(rows.size() - 1)).containsExactly(1001L, "new", 9, null);
        assertThat(rows.get(3)).containsExactly(4L, "v4", 7, null);
        try (Snapshot s = store.snapshot()) {
            assertThat(s.table("t").spec().column("n")).isEqualTo(new Column(2, "n", ColumnType.INTEGER, true, 7));
        }
    }

    @Test
    void addColumn_scanRangesOverTheFill_skipOrKeepOldRowsByTheDefault() {
        seed();
        try (Transaction tx = store.begin()) {
            tx.addColumn("t", "n", ColumnType.BIGINT, false, 5L);
            tx.append("t", RowBatch.builder(tx.spec("t").columns(), 1).addRow(1000L, "x", 50L));
            tx.commit();
        }
        try (Snapshot s = store.snapshot()) {
            // Ranges prune whole row runs: the fill's rows when the default is out of range, the block otherwise.
            assertThat(returned(s.table("t"), ScanSpec.all(3).withRange(2, 40L, 60L)))
                    .isEqualTo(1);
            assertThat(returned(s.table("t"), ScanSpec.all(3).withRange(2, 5L, 5L)))
                    .isEqualTo(1000);
            assertThat(returned(s.table("t"), ScanSpec.all(3).withRange(2, 0L, 100L)))
                    .isEqualTo(1001);
        }
    }

    /** Rows a scan returns before any filtering: what zone-map pruning kept. */
    private static long returned(TableReader r, ScanSpec spec) {
        long n = 0;
        for (TableReader.SliceScan scan : r.scan(spec)) {
            while (scan.hasNext()) {
                n += scan.next().rowCount();
            }
        }
        return n;
    }

    @Test
    void addNotNullColumn_withoutDefault_isRefusedOnlyWhenTheTableHasRows() {
        try (Transaction tx = store.begin()) {
            tx.createTable(TableSpec.of("public", "empty", COLS));
            tx.addColumn("empty", "n", ColumnType.INTEGER, true, null);
            tx.commit();
        }
        seed();
        try (Transaction tx = store.begin()) {
            assertThatThrownBy(() -> tx.addColumn("t", "n", ColumnType.INTEGER, true, null))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_NULL_VIOLATION));
        }
    }

    @Test
    void append_refusesNullInANotNullColumn_beforeWritingAnyBlock() throws IOException {
        List<Column> cols =
                List.of(new Column(0, "id", ColumnType.BIGINT, true, null), new Column(1, "s", ColumnType.varchar(20)));
        try (Transaction tx = store.begin()) {
            tx.createTable(TableSpec.of("public", "nn", cols));
            tx.commit();
        }
        Map<String, byte[]> before = blockFiles();
        try (Transaction tx = store.begin()) {
            RowBatch b = RowBatch.builder(cols, 2).addRow(1L, "a").addRow(null, "b");
            assertThatThrownBy(() -> tx.append("nn", b)).isInstanceOfSatisfying(StrongroomException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.NOT_NULL_VIOLATION);
                assertThat(e.code().sqlState()).isEqualTo("23502");
                assertThat(e.getMessage()).isEqualTo("null value in column \"id\" violates not-null constraint");
            });
            assertSameFiles(before, blockFiles());
            tx.append("nn", RowBatch.builder(cols, 1).addRow(2L, null));
            tx.commit();
        }
        assertThat(read("nn")).hasSize(1);
    }

    @Test
    void dropColumn_leavesTheTableAtOnce_butAnOlderSnapshotAndTransactionStillReadIt_thenItsBlocksAreFreed()
            throws IOException {
        seed();
        Map<String, byte[]> before = blockFiles();
        Snapshot old = store.snapshot();
        Transaction reader = store.begin();
        assertThat(Fixtures.readAll(reader.reader("t"))).hasSize(1000);
        try (Transaction tx = store.begin()) {
            tx.dropColumn("t", "s");
            tx.commit();
        }
        assertThat(read("t")).allSatisfy(r -> assertThat(r).hasSize(1));
        List<Object[]> oldRows = Fixtures.readAll(old.table("t"));
        assertThat(oldRows).hasSize(1000).allSatisfy(r -> assertThat(r).hasSize(2));
        assertThat(oldRows.get(9)).containsExactly(9L, "v9");
        assertThat(blockFiles()).hasSameSizeAs(before);
        old.close();
        // The transaction that began before the drop still reads the old shape, and never conflicts for it.
        List<Object[]> txRows = Fixtures.readAll(reader.reader("t"));
        assertThat(txRows.get(9)).containsExactly(9L, "v9");
        assertThat(blockFiles()).hasSameSizeAs(before);
        reader.commit();
        assertThat(blockFiles().size()).isLessThan(before.size()).isPositive();
        assertThat(read("t").get(9)).containsExactly(9L);
    }

    @Test
    void dropThenAddAColumnOfTheSameName_getsANewIdAndNeverReadsTheOldValues() {
        seed();
        try (Transaction tx = store.begin()) {
            tx.dropColumn("t", "s");
            Column again = tx.addColumn("t", "s", ColumnType.varchar(20), false, "fresh");
            assertThat(again.id()).isEqualTo(2);
            assertThat(Fixtures.readAll(tx.reader("t")).get(5)).containsExactly(5L, "fresh");
            tx.commit();
        }
        assertThat(read("t").get(5)).containsExactly(5L, "fresh");
    }

    @Test
    void alterInsideATransaction_withItsOwnWrites_commitsOneConsistentVersion() throws IOException {
        seed();
        try (Transaction tx = store.begin()) {
            tx.append("t", rows(1000, 10));
            tx.addColumn("t", "n", ColumnType.INTEGER, false, 1);
            tx.append("t", RowBatch.builder(tx.spec("t").columns(), 1).addRow(2000L, "late", 2));
            tx.dropColumn("t", "s");
            tx.renameTable("t", "u");
            assertThat(tx.exists("t")).isFalse();
            assertThatThrownBy(() -> tx.reader("t")).isInstanceOf(StrongroomException.class);
            tx.commit();
        }
        List<Object[]> rows = read("u");
        assertThat(rows).hasSize(1011);
        assertThat(rows.get(0)).containsExactly(0L, 1);
        assertThat(rows.get(1005)).containsExactly(1005L, 1);
        assertThat(rows.get(1010)).containsExactly(2000L, 2);
        // The blocks the transaction wrote for the dropped column are gone, not left for the next open.
        long referenced;
        try (Snapshot s = store.snapshot()) {
            referenced = s.table("u").blocks().size();
        }
        assertThat(blockFiles()).hasSize((int) referenced);
    }

    @Test
    void truncate_afterAddColumn_dropsTheFill() {
        seed();
        try (Transaction tx = store.begin()) {
            tx.addColumn("t", "n", ColumnType.INTEGER, false, 3);
            tx.truncate("t");
            tx.append("t", RowBatch.builder(tx.spec("t").columns(), 1).addRow(1L, "a", 4));
            tx.commit();
        }
        assertThat(read("t")).singleElement().satisfies(r -> assertThat(r).containsExactly(1L, "a", 4));
    }

    @Test
    void refusals_nameTheProblem() {
        TableSpec spec = new TableSpec("public", "k", COLS, DistStyle.KEY, "s", List.of("id"), true);
        createWithRows("k", spec, 0, 10);
        try (Transaction tx = store.begin()) {
            tx.createTable(TableSpec.of("public", "one", List.of(new Column(0, "only", ColumnType.INTEGER))));
            assertThatThrownBy(() -> tx.dropColumn("k", "s")).hasMessageContaining("cannot drop distkey column \"s\"");
            assertThatThrownBy(() -> tx.dropColumn("k", "id"))
                    .hasMessageContaining("cannot drop sortkey column \"id\"");
            assertThatThrownBy(() -> tx.dropColumn("one", "only")).hasMessageContaining("only column");
            assertThatThrownBy(() -> tx.dropColumn("k", "nope"))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code().sqlState()).isEqualTo("42703"));
            assertThatThrownBy(() -> tx.renameColumn("k", "id", "S"))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code().sqlState()).isEqualTo("42701"));
            assertThatThrownBy(() -> tx.addColumn("k", "ID", ColumnType.INTEGER, false, null))
                    .isInstanceOfSatisfying(
                            StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DUPLICATE_COLUMN));
            assertThatThrownBy(() -> tx.renameTable("k", "one"))
                    .isInstanceOfSatisfying(
                            StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
            assertThatThrownBy(() -> tx.renameTable("missing", "x"))
                    .isInstanceOfSatisfying(
                            StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
            assertThatThrownBy(() -> tx.addColumn("k", "big", ColumnType.varchar(2), false, "too long"))
                    .isInstanceOf(StrongroomException.class);
            // A change of case is a rename, not a clash.
            tx.renameColumn("k", "id", "ID");
            assertThat(tx.spec("k").sortKey()).containsExactly("ID");
        }
    }

    @Test
    void concurrentWritersOfAnAlteredTable_getASerializationFailure() {
        seed();
        Transaction inserter = store.begin();
        inserter.append("t", rows(5000, 3));
        try (Transaction alter = store.begin()) {
            alter.addColumn("t", "n", ColumnType.INTEGER, false, 0);
            alter.commit();
        }
        assertThatThrownBy(inserter::commit).isInstanceOfSatisfying(StrongroomException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
            assertThat(e.code().sqlState()).isEqualTo("40001");
        });

        Transaction dropper = store.begin();
        dropper.dropColumn("t", "n");
        try (Transaction writer = store.begin()) {
            writer.delete("t", (b, r) -> b.column(0).getLong(r) < 10);
            writer.commit();
        }
        assertThatThrownBy(dropper::commit)
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(read("t")).hasSize(990).allSatisfy(r -> assertThat(r).hasSize(3));
    }

    @Test
    void concurrentRenamesToOneName_secondGetsASerializationFailure() {
        seed();
        createWithRows("other", TableSpec.of("public", "other", COLS), 0, 1);
        Transaction first = store.begin();
        first.renameTable("t", "same");
        try (Transaction second = store.begin()) {
            second.renameTable("other", "same");
            second.commit();
        }
        assertThatThrownBy(first::commit)
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        Transaction create = store.begin();
        create.createTable(TableSpec.of("public", "fresh", COLS));
        try (Transaction rename = store.begin()) {
            rename.renameTable("t", "fresh");
            rename.commit();
        }
        assertThatThrownBy(create::commit)
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        try (Snapshot s = store.snapshot()) {
            assertThat(s.tables()).extracting(TableSpec::name).containsExactlyInAnyOrder("fresh", "same");
        }
    }

    @Test
    void keyRotation_afterAddColumn_keepsTheFill_andRewrapsOnlyMetadata() throws IOException {
        DatabaseKey v1 = KeyRotationTest.dek(1, (byte) 8);
        DatabaseKey v2 = KeyRotationTest.dek(2, (byte) 9);
        store.close();
        store = Store.create(tmp.resolve("r"), "rot", new ClusterLayout(1, 2), StoreKeys.of(v1));
        seed();
        try (Transaction tx = store.begin()) {
            tx.addColumn("t", "n", ColumnType.INTEGER, false, 42);
            tx.commit();
        }
        List<Object[]> rows = read("t");
        Map<String, byte[]> before = blockFiles();
        store.rotateDatabaseKey(v2, KeyRotation.Listener.NONE);
        assertSameFiles(before, blockFiles());
        assertSameRows(read("t"), rows);
        store.close();
        store = Store.open(tmp.resolve("r"), StoreKeys.of(List.of(v1, v2)));
        assertSameRows(read("t"), rows);
        assertThat(read("t")).allSatisfy(r -> assertThat(r[2]).isEqualTo(42));
        v1.close();
        v2.close();
    }

    @Test
    void goldenVersion1Store_takesAnAlter_thenOpensAsVersion2() throws IOException {
        Path root = tmp.resolve("golden");
        GoldenFormatTest.copyGolden("/golden/v1/encrypted/", root);
        DatabaseKey golden = Fixtures.dek((byte) 11);
        List<Object[]> rows = new ArrayList<>();
        try (Store s = Store.open(root, StoreKeys.of(golden))) {
            try (Transaction tx = s.begin()) {
                tx.addColumn("all_types", "extra", ColumnType.BOOLEAN, true, true);
                tx.commit();
            }
            try (Snapshot snap = s.snapshot()) {
                rows.addAll(Fixtures.readAll(snap.table("all_types")));
            }
        }
        try (Store s = Store.open(root, StoreKeys.of(golden));
                Snapshot snap = s.snapshot()) {
            List<Object[]> again = Fixtures.readAll(snap.table("all_types"));
            assertThat(again)
                    .hasSize(rows.size())
                    .allSatisfy(r -> assertThat(r[13]).isEqualTo(true));
            assertSameRows(again, rows);
        }
        golden.close();
    }
}
