package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.format.FileHeader;
import io.strongroom.storage.format.StoreFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stores written by each format version, kept as test resources ({@code golden/v1/...}, {@code golden/v2/...}),
 * must open and read the same rows with every later build. Version 1 is a plain table; version 2 is the same
 * table after ALTER TABLE (columns added with and without a DEFAULT, one NOT NULL, one dropped, one renamed, the
 * table renamed) and more rows, so its catalog and manifest use version 2's fields; version 3 is that store
 * restored sharing a snapshot's blocks (manifest version 3); {@code golden/v4} is version 3's store with two tables
 * that have PRIMARY KEY, UNIQUE and FOREIGN KEY constraints (catalog version 3); {@code golden/v5} holds manifests
 * as a base and deltas (catalog version 4, manifest deltas); {@code golden/v6} is the same workload written by a
 * build whose commit pointer is the current catalog itself ({@code CURRENT} a copy of it in the resources, a hard
 * link in a live store); {@code golden/v7} is that workload again with its scattered integers bit-packed (block
 * format version 2); {@code golden/v8} is that workload again, its deltas held in the catalog files of the
 * commits that made them (catalog version 5, no {@code .mdl} file). Regenerate only for a new
 * format version, into a new folder ({@link #write} then writes the newest version's shape):
 * {@code mvn -pl storage test -Dtest=GoldenFormatTest -Dstrongroom.golden.write=<absolute dir>}.
 */
class GoldenFormatTest {
    @TempDir
    Path tmp;

    private static final String[] FILES_LIST = {"files.properties"};

    private static StoreKeys keys(boolean encrypted) {
        return encrypted ? StoreKeys.of(Fixtures.dek((byte) 11)) : StoreKeys.unencrypted();
    }

    /** The restored store's keys in the version 3 golden store (its own DEK, under another key id). */
    private static StoreKeys restoredKeys(boolean encrypted) {
        if (!encrypted) {
            return StoreKeys.unencrypted();
        }
        byte[] m = new byte[32];
        Arrays.fill(m, (byte) 12);
        return StoreKeys.of(
                DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "golden-restored/dek", 1), SecretBytes.copyOf(m)));
    }

    /**
     * Writes the newest format version's golden store (version 3): the version 2 store, snapshotted into {@code
     * snapshots/}, restored sharing its blocks into {@code restored/} under another DEK, then 10 more rows appended
     * there (so its manifest lists shared blocks and blocks of its own).
     */
    private static void writeV3(Path root, boolean encrypted) throws IOException {
        Path source = root.resolve("source");
        write(source, encrypted);
        SnapshotStore snapshots = SnapshotStore.open(root.resolve("snapshots"));
        try (Store s = Store.open(source, keys(encrypted));
                Snapshot snap = s.snapshot()) {
            snapshots.write("image", snap);
        }
        try (Store r = snapshots.restoreShared(
                "image",
                root.resolve("restored"),
                "golden-restored",
                keys(encrypted),
                restoredKeys(encrypted),
                n -> {})) {
            try (Transaction tx = r.begin()) {
                RowBatch b = RowBatch.builder(tx.spec("altered").columns(), 10);
                for (long id = 510; id < 520; id++) {
                    b.addRow(v2Row(id));
                }
                tx.append("altered", b);
                tx.commit();
            }
        }
        try (var files = Files.walk(source)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Writes the newest golden store ({@code golden/v4}): version 3's, with a table {@code parent} (PRIMARY KEY,
     * UNIQUE) and a table {@code child} (PRIMARY KEY over two columns, FOREIGN KEY to {@code parent}) created in
     * the restored store, 3 rows each.
     */
    private static void writeV4(Path root, boolean encrypted) throws IOException {
        writeV3(root, encrypted);
        try (Store r = Store.open(root.resolve("restored"), restoredKeys(encrypted));
                Transaction tx = r.begin()) {
            tx.createTable(V4_PARENT);
            tx.createTable(V4_CHILD);
            RowBatch p = RowBatch.builder(V4_PARENT.columns(), 3);
            RowBatch c = RowBatch.builder(V4_CHILD.columns(), 3);
            for (long id = 1; id <= 3; id++) {
                p.addRow(new Object[] {id, "p" + id});
                c.addRow(new Object[] {id, (int) id, id});
            }
            tx.append("parent", p);
            tx.append("child", c);
            tx.commit();
        }
    }

    private static final TableSpec V4_PARENT = TableSpec.of(
                    "public",
                    "parent",
                    List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "code", ColumnType.varchar(8))))
            .withConstraints(List.of(
                    TableConstraint.primaryKey("parent_pkey", List.of("id")),
                    TableConstraint.unique("parent_code_key", List.of("code"))));

    private static final TableSpec V4_CHILD = TableSpec.of(
                    "public",
                    "child",
                    List.of(
                            new Column(0, "id", ColumnType.BIGINT),
                            new Column(1, "line", ColumnType.INTEGER),
                            new Column(2, "parent_id", ColumnType.BIGINT)))
            .withConstraints(List.of(
                    TableConstraint.primaryKey("child_pkey", List.of("id", "line")),
                    TableConstraint.foreignKey(
                            "child_parent_id_fkey", List.of("parent_id"), "public.parent", List.of("id"))));

    /**
     * Writes the newest golden store ({@code golden/v8}; {@code golden/v5} was written by the same workload before
     * the commit pointer became the catalog, {@code golden/v6} before blocks could be bit-packed, {@code golden/v7}
     * before the deltas moved into the catalog files): a table whose manifest is a base and deltas (manifest deltas version
     * 1): 200 rows committed as a whole manifest, then 100 more rows, a delete of id % 7 == 3 and 10 more rows, one
     * delta each; and a table {@code fresh}, created and loaded by deltas on the empty base 0.
     */
    private static void writeV5(Path root, boolean encrypted) {
        try (Store store = Store.create(root, "golden5", new ClusterLayout(1, 2), keys(encrypted))) {
            store.maxManifestDeltas(0);
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "all_types", Fixtures.allTypes()));
                tx.append("all_types", Fixtures.allTypesBatch(0, 200));
                tx.commit();
            }
            store.maxManifestDeltas(100);
            try (Transaction tx = store.begin()) {
                tx.append("all_types", Fixtures.allTypesBatch(200, 100));
                tx.commit();
            }
            try (Transaction tx = store.begin()) {
                tx.delete("all_types", (b, r) -> b.column(0).getLong(r) % 7 == 3);
                tx.commit();
            }
            try (Transaction tx = store.begin()) {
                tx.append("all_types", Fixtures.allTypesBatch(300, 10));
                tx.createTable(TableSpec.of("public", "fresh", V4_PARENT.columns()));
                tx.commit();
            }
            try (Transaction tx = store.begin()) {
                RowBatch p = RowBatch.builder(V4_PARENT.columns(), 3);
                for (long id = 1; id <= 3; id++) {
                    p.addRow(new Object[] {id, "f" + id});
                }
                tx.append("fresh", p);
                tx.commit();
            }
        }
    }

    /** Writes the version 2 golden store. */
    private static void write(Path root, boolean encrypted) {
        try (Store store = Store.create(root, "golden", new ClusterLayout(1, 2), keys(encrypted))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(
                        TableSpec.of("public", "all_types", Fixtures.allTypes()).withSortKey(List.of("id")));
                tx.append("all_types", Fixtures.allTypesBatch(0, 500));
                tx.commit();
            }
            try (Transaction tx = store.begin()) {
                tx.delete("all_types", (b, r) -> b.column(0).getLong(r) % 7 == 3);
                tx.commit();
            }
            // Version 2: what ALTER TABLE leaves.
            try (Transaction tx = store.begin()) {
                tx.addColumn("all_types", "added", ColumnType.varchar(12), true, "dflt");
                tx.addColumn("all_types", "maybe", ColumnType.INTEGER, false, null);
                tx.dropColumn("all_types", "dt");
                tx.renameColumn("all_types", "vc", "renamed");
                tx.renameTable("all_types", "altered");
                tx.commit();
            }
            try (Transaction tx = store.begin()) {
                RowBatch b = RowBatch.builder(tx.spec("altered").columns(), 10);
                for (long id = 500; id < 510; id++) {
                    b.addRow(v2Row(id));
                }
                tx.append("altered", b);
                tx.commit();
            }
        }
    }

    /** Row {@code id} of the version 2 golden table. */
    private static Object[] v2Row(long id) {
        List<Object> row = new ArrayList<>(Arrays.asList(Fixtures.allTypesRow(id)));
        row.remove(10); // dt, dropped
        if (id < 500) {
            row.add("dflt");
            row.add(null);
        } else {
            row.add("new " + id);
            row.add((int) id);
        }
        return row.toArray();
    }

    /** Copies a golden store from the test resources ({@code base} ends with '/') into {@code root}. */
    static void copyGolden(String base, Path root) throws IOException {
        Properties list = new Properties();
        try (InputStream in = Objects.requireNonNull(
                GoldenFormatTest.class.getResourceAsStream(base + FILES_LIST[0]), "golden files missing")) {
            list.load(in);
        }
        for (String name : list.stringPropertyNames()) {
            Path dst = root.resolve(name);
            Files.createDirectories(Objects.requireNonNull(dst.getParent()));
            try (InputStream in =
                    Objects.requireNonNull(GoldenFormatTest.class.getResourceAsStream(base + name), name)) {
                Files.copy(in, dst);
            }
        }
    }

    /**
     * Writes the newest version's golden stores (encrypted and unencrypted) under {@code target}: a tool, run by
     * {@link GoldenFiles} only when a new format version needs golden files; the tests read the committed ones.
     */
    static void writeGoldenFiles(Path target) throws IOException {
        for (boolean enc : new boolean[] {true, false}) {
            Path root = target.resolve(enc ? "encrypted" : "unencrypted");
            writeV5(root, enc);
            Files.deleteIfExists(root.resolve("LOCK"));
            Properties p = new Properties();
            try (var s = Files.walk(root)) {
                s.filter(Files::isRegularFile)
                        .forEach(f -> p.setProperty(root.relativize(f).toString(), ""));
            }
            try (var out = Files.newOutputStream(root.resolve(FILES_LIST[0]))) {
                p.store(out, "files of this golden store");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version1Store_opensAndReadsTheSameRows(boolean encrypted) throws IOException {
        String base = "/golden/v1/" + (encrypted ? "encrypted" : "unencrypted") + "/";
        Path root = tmp.resolve("golden");
        copyGolden(base, root);
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            List<Object[]> rows = Fixtures.readAll(s.table("all_types"));
            List<Object[]> expected = new ArrayList<>();
            for (long id = 0; id < 500; id++) {
                if (id % 7 != 3) {
                    expected.add(Fixtures.allTypesRow(id));
                }
            }
            assertThat(rows).hasSameSizeAs(expected);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i)).containsExactly(expected.get(i));
            }
            assertThat(s.table("all_types").spec().sortKey()).containsExactly("id");
        }
        byte[] header = Files.readAllBytes(root.resolve("CURRENT"));
        assertThat(new String(header, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("SRCP");
        assertThat(header[4] * 256 + header[5]).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version2Store_afterAlterTable_opensAndReadsTheSameRows(boolean encrypted) throws IOException {
        String base = "/golden/v2/" + (encrypted ? "encrypted" : "unencrypted") + "/";
        Path root = tmp.resolve("golden");
        copyGolden(base, root);
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            assertThat(s.exists("all_types")).isFalse();
            TableReader t = s.table("altered");
            List<Object[]> rows = Fixtures.readAll(t);
            List<Object[]> expected = new ArrayList<>();
            for (long id = 0; id < 510; id++) {
                if (id >= 500 || id % 7 != 3) {
                    expected.add(v2Row(id));
                }
            }
            assertThat(rows).hasSameSizeAs(expected);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i)).containsExactly(expected.get(i));
            }
            TableSpec spec = t.spec();
            assertThat(spec.column("renamed")).isEqualTo(new Column(9, "renamed", ColumnType.varchar(300)));
            assertThat(spec.column("dt")).isNull();
            assertThat(spec.column("added")).isEqualTo(new Column(13, "added", ColumnType.varchar(12), true, "dflt"));
            assertThat(spec.column("maybe")).isEqualTo(new Column(14, "maybe", ColumnType.INTEGER));
        }
        assertThat(headerVersions(root.resolve("catalog"), ".cat")).containsOnly(2);
        assertThat(headerVersions(root.resolve("tables"), ".man")).containsOnly(2);
        assertThat(headerVersions(root.resolve("tables"), ".blk")).containsOnly(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version3Store_restoredSharingASnapshotsBlocks_opensAndReadsTheSameRows(boolean encrypted) throws IOException {
        String base = "/golden/v3/" + (encrypted ? "encrypted" : "unencrypted") + "/";
        Path root = tmp.resolve("golden");
        copyGolden(base, root);
        Path restored = root.resolve("restored");
        try (Store store = Store.open(restored, restoredKeys(encrypted));
                Snapshot s = store.snapshot()) {
            List<Object[]> rows = Fixtures.readAll(s.table("altered"));
            List<Object[]> expected = new ArrayList<>();
            for (long id = 0; id < 520; id++) {
                if (id >= 500 || id % 7 != 3) {
                    expected.add(v2Row(id));
                }
            }
            assertThat(rows).hasSameSizeAs(expected);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i)).containsExactly(expected.get(i));
            }
        }
        assertThat(headerVersions(restored.resolve("tables"), ".man")).containsOnly(3);
        // The shared blocks are the pool's; the store holds only the blocks of the rows it appended.
        assertThat(headerVersions(root.resolve("snapshots/pool"), ".blk")).containsOnly(1);
        assertThat(headerVersions(restored.resolve("tables"), ".blk")).containsOnly(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version4Store_withConstraints_opensWithThemAndReadsTheSameRows(boolean encrypted) throws IOException {
        String base = "/golden/v4/" + (encrypted ? "encrypted" : "unencrypted") + "/";
        Path root = tmp.resolve("golden");
        copyGolden(base, root);
        Path restored = root.resolve("restored");
        try (Store store = Store.open(restored, restoredKeys(encrypted));
                Snapshot s = store.snapshot()) {
            assertThat(s.table("parent").spec()).isEqualTo(V4_PARENT);
            assertThat(s.table("child").spec()).isEqualTo(V4_CHILD);
            assertThat(s.table("child").spec().constraints()).isEqualTo(V4_CHILD.constraints());
            List<Object[]> rows = Fixtures.readAll(s.table("child"));
            assertThat(rows).hasSize(3);
            assertThat(rows.get(2)).containsExactly(3L, 3, 3L);
            // ids 0..519 but the 71 below 500 with id % 7 == 3
            assertThat(Fixtures.readAll(s.table("altered"))).hasSize(520 - 71);
        }
        List<Integer> catalogs = headerVersions(restored.resolve("catalog"), ".cat");
        assertThat(catalogs).contains(3);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version5Store_manifestsAsBaseAndDeltas_opensAndReadsTheSameRows(boolean encrypted) throws IOException {
        String base = "/golden/v5/" + (encrypted ? "encrypted" : "unencrypted") + "/";
        Path root = tmp.resolve("golden");
        copyGolden(base, root);
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            List<Object[]> rows = Fixtures.readAll(s.table("all_types"));
            List<Object[]> expected = new ArrayList<>();
            for (long id = 0; id < 310; id++) {
                if (id >= 300 || id % 7 != 3) {
                    expected.add(Fixtures.allTypesRow(id));
                }
            }
            assertThat(rows).hasSameSizeAs(expected);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i)).containsExactly(expected.get(i));
            }
            List<Object[]> fresh = Fixtures.readAll(s.table("fresh"));
            assertThat(fresh).hasSize(3);
            assertThat(fresh.get(2)).containsExactly(3L, "f3");
        }
        assertThat(headerVersions(root.resolve("catalog"), ".cat")).containsOnly(4);
        assertThat(headerVersions(root.resolve("tables"), ".man")).containsOnly(1);
        // all_types: three deltas on its base; fresh: two on the empty base 0
        assertThat(headerVersions(root.resolve("tables"), ".mdl")).hasSize(5).containsOnly(1);
    }

    /**
     * Copies the golden store of the delta workload at {@code base}, checks its rows, and that its commit pointer is
     * its last catalog itself; returns its root.
     */
    private Path openDeltaWorkload(String base, boolean encrypted) throws IOException {
        Path root = tmp.resolve("golden");
        copyGolden(base, root);
        assertDeltaWorkloadRows(root, encrypted);
        byte[] pointer = Files.readAllBytes(root.resolve("CURRENT"));
        assertThat(new String(pointer, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("SRCT");
        assertThat(pointer).isEqualTo(Files.readAllBytes(root.resolve("catalog/0000000000000005.cat")));
        return root;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version6Store_theCatalogIsTheCommitPointer_opensAndReadsTheSameRows(boolean encrypted) throws IOException {
        String base = "/golden/v6/" + (encrypted ? "encrypted" : "unencrypted") + "/";
        Path root = openDeltaWorkload(base, encrypted);
        assertThat(headerVersions(root.resolve("catalog"), ".cat")).containsOnly(4);
        assertThat(headerVersions(root.resolve("tables"), ".mdl")).hasSize(5).containsOnly(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version8Store_deltasHeldInCatalogs_opensAndReadsTheSameRows(boolean encrypted) throws IOException {
        String base = "/golden/v8/" + (encrypted ? "encrypted" : "unencrypted") + "/";
        Path root = openDeltaWorkload(base, encrypted);
        // Catalog 1 (all_types's base) held no delta and went; 2 to 5 hold the deltas (4 holds one of each table),
        // and all but the current one were cut back to them: none is a whole older catalog.
        assertThat(headerVersions(root.resolve("catalog"), ".cat")).hasSize(4).containsOnly(5);
        for (long seq = 2; seq <= 4; seq++) {
            Path c = root.resolve("catalog/000000000000000" + seq + ".cat");
            byte[] b = Files.readAllBytes(c);
            assertThat(StoreFiles.catalogEnvelopeOffset(b, c.toString()))
                    .as("cut " + c)
                    .isEqualTo(b.length);
        }
        try (var s = Files.walk(root.resolve("tables"))) {
            assertThat(s.filter(p -> p.toString().endsWith(".mdl"))).isEmpty();
        }
        // and the store goes on: a commit appends to both chains, a reopen reads every row
        try (Store store = Store.open(root, keys(encrypted));
                Transaction tx = store.begin()) {
            RowBatch p = RowBatch.builder(V4_PARENT.columns(), 1);
            p.addRow(new Object[] {4L, "f4"});
            tx.append("fresh", p);
            tx.append("all_types", Fixtures.allTypesBatch(310, 1));
            tx.commit();
        }
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            assertThat(Fixtures.readAll(s.table("fresh"))).hasSize(4);
            assertThat(Fixtures.readAll(s.table("all_types"))).hasSize(311 - 43);
        }
        assertThat(headerVersions(root.resolve("catalog"), ".cat")).hasSize(5).containsOnly(5);
    }

    /**
     * {@code golden/v7}: the same workload written once blocks could be bit-packed (block format version 2). Its
     * blocks of scattered integers are version 2, the rest still version 1.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version7Store_bitPackedBlocks_opensAndReadsTheSameRows(boolean encrypted) throws IOException {
        Path root = tmp.resolve("golden");
        copyGolden("/golden/v7/" + (encrypted ? "encrypted" : "unencrypted") + "/", root);
        assertDeltaWorkloadRows(root, encrypted);
        assertThat(headerVersions(root.resolve("tables"), ".blk"))
                .contains(1, 2)
                .containsOnly(1, 2);
    }

    /**
     * A store of the previous format (a pointer file of its own) keeps working: the first commit makes the new
     * catalog the commit pointer, and the store reopens with every row.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version5Store_firstCommit_makesTheCatalogThePointer_andReopens(boolean encrypted) throws IOException {
        Path root = tmp.resolve("golden");
        copyGolden("/golden/v5/" + (encrypted ? "encrypted" : "unencrypted") + "/", root);
        try (Store store = Store.open(root, keys(encrypted));
                Transaction tx = store.begin()) {
            RowBatch p = RowBatch.builder(V4_PARENT.columns(), 1);
            p.addRow(new Object[] {4L, "f4"});
            tx.append("fresh", p);
            tx.commit();
        }
        assertThat(Files.isSameFile(root.resolve("CURRENT"), root.resolve("catalog/0000000000000006.cat")))
                .isTrue();
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            assertThat(Fixtures.readAll(s.table("fresh"))).hasSize(4);
            assertThat(Fixtures.readAll(s.table("all_types"))).hasSize(310 - 43);
        }
    }

    /** The rows of the workload {@link #writeV5} commits, read from the store in {@code root}. */
    private static void assertDeltaWorkloadRows(Path root, boolean encrypted) {
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            List<Object[]> rows = Fixtures.readAll(s.table("all_types"));
            List<Object[]> expected = new ArrayList<>();
            for (long id = 0; id < 310; id++) {
                if (id >= 300 || id % 7 != 3) {
                    expected.add(Fixtures.allTypesRow(id));
                }
            }
            assertThat(rows).hasSameSizeAs(expected);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i)).containsExactly(expected.get(i));
            }
            List<Object[]> fresh = Fixtures.readAll(s.table("fresh"));
            assertThat(fresh).hasSize(3);
            assertThat(fresh.get(2)).containsExactly(3L, "f3");
        }
    }

    private static List<Integer> headerVersions(Path dir, String suffix) throws IOException {
        try (var s = Files.walk(dir)) {
            List<Integer> out = new ArrayList<>();
            for (Path p : s.filter(p -> p.toString().endsWith(suffix)).toList()) {
                out.add(FileHeader.version(Files.readAllBytes(p)));
            }
            assertThat(out).isNotEmpty();
            return out;
        }
    }
}
