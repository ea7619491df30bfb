package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StoreRoundTripTest {
    @TempDir
    Path dir;

    private static StoreKeys keys(boolean encrypted) {
        return encrypted ? StoreKeys.of(Fixtures.dek((byte) 1)) : StoreKeys.unencrypted();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void everyType_withNullsAndEdgeValues_survivesManyBlocksSlicesAndAReopen(boolean encrypted) {
        ClusterLayout layout = new ClusterLayout(2, 3);
        int batches = 12;
        int rowsPerBatch = 2_003;
        try (Store store = Store.create(dir, "c1", layout, keys(encrypted))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "all_types", Fixtures.allTypes()));
                tx.commit();
            }
            for (int b = 0; b < batches; b++) {
                try (Transaction tx = store.begin()) {
                    tx.append("public.all_types", Fixtures.allTypesBatch((long) b * rowsPerBatch, rowsPerBatch));
                    tx.commit();
                }
            }
        }
        try (Store store = Store.open(dir, keys(encrypted));
                Snapshot snap = store.snapshot()) {
            TableReader t = snap.table("public.all_types");
            List<Object[]> rows = Fixtures.readAll(t);
            assertThat(rows).hasSize(batches * rowsPerBatch);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i)).as("row %d", i).containsExactly(Fixtures.allTypesRow(i));
            }
            Set<Integer> slices = new TreeSet<>();
            t.blocks().forEach(b -> slices.add(b.slice()));
            assertThat(slices).containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(t.blocks()).hasSizeGreaterThan(batches * 6 * 13 - 1);
            assertThat(t.blocks()).allSatisfy(b -> assertThat(b.encrypted()).isEqualTo(encrypted));
        }
    }

    @Test
    void distribution_keyKeepsEqualKeysTogether_allCopiesPerNode_evenBalances() {
        ClusterLayout layout = new ClusterLayout(2, 2);
        List<Column> cols = List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "k", ColumnType.varchar(20)));
        try (Store store = Store.create(dir, "c1", layout, keys(true))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "by_key", cols).withDistribution(DistStyle.KEY, "k"));
                tx.createTable(TableSpec.of("public", "everywhere", cols).withDistribution(DistStyle.ALL, null));
                tx.createTable(TableSpec.of("public", "even", cols));
                for (String t : List.of("by_key", "everywhere", "even")) {
                    RowBatch b = RowBatch.builder(cols, 1000);
                    for (int i = 0; i < 1000; i++) {
                        b.addRow((long) i, "key" + (i % 10));
                    }
                    tx.append(t, b);
                }
                tx.commit();
            }
            try (Snapshot snap = store.snapshot()) {
                TableReader byKey = snap.table("by_key");
                Map<String, Set<Integer>> slicesOfKey = new HashMap<>();
                for (TableReader.SliceScan s : byKey.scan(ScanSpec.all(2))) {
                    while (s.hasNext()) {
                        RowBatch b = s.next();
                        for (int r = 0; r < b.rowCount(); r++) {
                            slicesOfKey
                                    .computeIfAbsent(b.column(1).getString(r), k -> new TreeSet<>())
                                    .add(b.slice());
                        }
                    }
                }
                assertThat(slicesOfKey)
                        .hasSize(10)
                        .allSatisfy((k, s) -> assertThat(s).hasSize(1));
                TableReader all = snap.table("everywhere");
                assertThat(all.blocks()).extracting(BlockInfo::slice).containsOnly(0, 2);
                assertThat(Fixtures.readAll(all)).hasSize(1000);
                TableReader even = snap.table("even");
                Map<Integer, Integer> perSlice = new HashMap<>();
                even.blocks().stream()
                        .filter(b -> b.column().equals("id"))
                        .forEach(b -> perSlice.merge(b.slice(), b.rows(), Integer::sum));
                assertThat(perSlice.values()).containsOnly(250);
            }
        }
    }

    @Test
    void zoneMaps_skipBlocksOutsideTheRange_andScansStayCorrect() {
        List<Column> cols = List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "s", ColumnType.varchar(16)));
        try (Store store = Store.create(dir, "c1", new ClusterLayout(1, 1), keys(true))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "t", cols));
                tx.commit();
            }
            for (int b = 0; b < 10; b++) {
                try (Transaction tx = store.begin()) {
                    RowBatch batch = RowBatch.builder(cols, 1000);
                    for (int i = 0; i < 1000; i++) {
                        batch.addRow((long) b * 1000 + i, "s" + (b * 1000 + i));
                    }
                    tx.append("t", batch);
                    tx.commit();
                }
            }
            try (Snapshot snap = store.snapshot()) {
                TableReader t = snap.table("t");
                long seen = 0;
                for (TableReader.SliceScan s : t.scan(ScanSpec.all(2).withRange(0, 4500L, 4600L))) {
                    while (s.hasNext()) {
                        RowBatch b = s.next();
                        for (int r = 0; r < b.rowCount(); r++) {
                            long id = b.column(0).getLong(r);
                            assertThat(b.column(1).getString(r)).isEqualTo("s" + id);
                            if (id >= 4500 && id <= 4600) {
                                seen++;
                            }
                        }
                    }
                }
                assertThat(seen).isEqualTo(101);
                assertThat(t.blocksSkipped()).isEqualTo(9);
                assertThat(t.blocksRead()).isEqualTo(2);
            }
        }
    }

    @Test
    void deleteAndUpdate_areAtomic_andSnapshotsKeepTheirVersion() {
        List<Column> cols = List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.INTEGER));
        try (Store store = Store.create(dir, "c1", new ClusterLayout(1, 2), keys(true))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "t", cols));
                RowBatch b = RowBatch.builder(cols, 100);
                for (int i = 0; i < 100; i++) {
                    b.addRow((long) i, i);
                }
                tx.append("t", b);
                tx.commit();
            }
            Snapshot before = store.snapshot();
            try (Transaction tx = store.begin()) {
                assertThat(tx.delete("t", (b, r) -> b.column(0).getLong(r) % 2 == 0))
                        .isEqualTo(50);
                assertThat(tx.update("t", (b, r) -> b.column(0).getLong(r) < 10, row ->
                                new Object[] {row[0], 1000 + (Integer) row[1]}))
                        .isEqualTo(5);
                assertThat(Fixtures.readAll(tx.reader("t"))).hasSize(50);
                tx.commit();
            }
            assertThat(Fixtures.readAll(before.table("t"))).hasSize(100);
            before.close();
            try (Snapshot after = store.snapshot()) {
                List<Object[]> rows = Fixtures.readAll(after.table("t"));
                assertThat(rows).hasSize(50);
                assertThat(rows).allSatisfy(r -> assertThat((Long) r[0] % 2).isEqualTo(1L));
                assertThat(rows.get(0)).containsExactly(1L, 1001);
                assertThat(rows.get(5)).containsExactly(11L, 11);
            }
            // A transaction that is not committed changes nothing.
            try (Transaction tx = store.begin()) {
                tx.truncate("t");
            }
            try (Snapshot s = store.snapshot()) {
                assertThat(s.table("t").rowCount()).isEqualTo(50);
            }
        }
        try (Store store = Store.open(dir, keys(true));
                Snapshot s = store.snapshot()) {
            assertThat(s.table("t").rowCount()).isEqualTo(50);
        }
    }

    @Test
    void concurrentWritersToOneTable_secondCommitConflicts() {
        List<Column> cols = List.of(new Column(0, "id", ColumnType.BIGINT));
        try (Store store = Store.create(dir, "c1", new ClusterLayout(1, 1), keys(false))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "t", cols));
                tx.commit();
            }
            Transaction a = store.begin();
            Transaction b = store.begin();
            a.append("t", RowBatch.builder(cols, 1).addRow(1L));
            b.append("t", RowBatch.builder(cols, 1).addRow(2L));
            a.commit();
            assertThatThrownBy(b::commit)
                    .isInstanceOfSatisfying(
                            StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
            try (Snapshot s = store.snapshot()) {
                assertThat(Fixtures.readAll(s.table("t"))).hasSize(1);
            }
        }
    }

    @Test
    void open_withWrongOrMissingKey_isRefusedClearly() {
        try (Store store = Store.create(dir, "c1", new ClusterLayout(1, 1), keys(true))) {
            assertThat(store.encrypted()).isTrue();
        }
        assertThatThrownBy(() -> Store.open(dir, StoreKeys.unencrypted()))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_KEY));
        DatabaseKey other = DatabaseKey.ofMaterial(
                new KeyInfo(KeyTier.DATABASE, "another-cluster/dek", 1), SecretBytes.copyOf(new byte[32]));
        assertThatThrownBy(() -> Store.open(dir, StoreKeys.of(other)))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_KEY));
    }

    @Test
    void badInput_getsClearErrors() {
        List<Column> cols = List.of(new Column(0, "s", ColumnType.varchar(3)), new Column(1, "n", ColumnType.SMALLINT));
        try (Store store = Store.create(dir, "c1", new ClusterLayout(1, 1), keys(true));
                Transaction tx = store.begin()) {
            tx.createTable(TableSpec.of("public", "t", cols));
            assertThatThrownBy(() -> RowBatch.builder(cols, 1).addRow("abcd", (short) 1))
                    .hasMessageContaining("value too long for type VARCHAR(3)");
            assertThatThrownBy(() -> RowBatch.builder(cols, 1).addRow("abc", 40000))
                    .hasMessageContaining("smallint out of range");
            assertThatThrownBy(() -> tx.createTable(TableSpec.of("public", "t", cols)))
                    .hasMessageContaining("already exists");
            assertThatThrownBy(() -> tx.append("nope", RowBatch.builder(cols, 1)))
                    .hasMessageContaining("does not exist");
            assertThatThrownBy(() -> ColumnType.decimal(39, 2)).hasMessageContaining("precision must be 1..38");
        }
    }
}
