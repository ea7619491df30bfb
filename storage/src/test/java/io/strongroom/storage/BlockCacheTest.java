package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.storage.format.BlockValues;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockCacheTest {
    @TempDir
    Path dir;

    private static final List<Column> COLS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "s", ColumnType.varchar(20)));

    private static void load(Store store, long first, int rows) {
        try (Transaction tx = store.begin()) {
            if (!tx.exists("public.t")) {
                tx.createTable(TableSpec.of("public", "t", COLS));
            }
            RowBatch b = RowBatch.builder(COLS, rows);
            for (long i = first; i < first + rows; i++) {
                b.addRow(i, "s" + i);
            }
            tx.append("t", b);
            tx.commit();
        }
    }

    private record Read(List<String> rows, long blocksRead) {}

    private static Read readAll(Store store) {
        try (Snapshot snap = store.snapshot()) {
            TableReader t = snap.table("t");
            List<String> rows = new ArrayList<>();
            for (TableReader.SliceScan s : t.scan(ScanSpec.all(2))) {
                while (s.hasNext()) {
                    RowBatch b = s.next();
                    for (int r = 0; r < b.rowCount(); r++) {
                        rows.add(b.column(0).getLong(r) + "=" + b.column(1).getString(r));
                    }
                }
            }
            rows.sort(null);
            return new Read(rows, t.blocksRead());
        }
    }

    @Test
    void aSecondScan_readsNoBlockFile_andReturnsTheSameRows() {
        assertThat(BlockCache.shared().enabled()).isTrue();
        try (Store store = Store.create(dir, "c1", new ClusterLayout(1, 2), StoreKeys.of(Fixtures.dek((byte) 1)))) {
            load(store, 0, 5_000);
            Read first = readAll(store);
            Read second = readAll(store);
            assertThat(first.rows()).hasSize(5_000).isEqualTo(second.rows());
            assertThat(first.blocksRead()).isPositive();
            assertThat(second.blocksRead()).isZero();
        }
    }

    @Test
    void twoOpenCopiesOfOneStore_sameStoreIdAndBlockIds_neverSeeEachOthersBlocks() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        StoreKeys keys = StoreKeys.of(Fixtures.dek((byte) 2));
        try (Store store = Store.create(a, "c1", new ClusterLayout(1, 1), keys)) {
            load(store, 0, 10);
        }
        copyTree(a, b);
        try (Store sa = Store.open(a, keys);
                Store sb = Store.open(b, keys)) {
            // Each copy now writes its next block ids with different rows, then both are read twice.
            load(sa, 100, 3);
            load(sb, 200, 3);
            for (int round = 0; round < 2; round++) {
                assertThat(readAll(sa).rows()).contains("100=s100").doesNotContain("200=s200");
                assertThat(readAll(sb).rows()).contains("200=s200").doesNotContain("100=s100");
            }
        }
    }

    @Test
    void entriesAreBoundedInBytes_andDroppedWithTheirStore() {
        BlockCache cache = new BlockCache(64 * 1024);
        AtomicInteger loads = new AtomicInteger();
        for (long block = 0; block < 100; block++) {
            cache.get(1, 1, block, () -> vector(loads, 1_000));
        }
        assertThat(loads).hasValue(100);
        assertThat(cache.heldBytes()).isLessThanOrEqualTo(64 * 1024);

        cache.clear();
        cache.get(1, 1, 7, () -> vector(loads, 10));
        cache.get(2, 1, 7, () -> vector(loads, 10));
        cache.get(1, 1, 7, () -> vector(loads, 10));
        assertThat(loads).hasValue(102); // owner 2's block 7 is another block
        cache.dropOwner(1);
        cache.get(2, 1, 7, () -> vector(loads, 10));
        assertThat(loads).hasValue(102);
        cache.get(1, 1, 7, () -> vector(loads, 10));
        assertThat(loads).hasValue(103);
        // Every lookup is a hit or a miss, and a miss is a load.
        assertThat(cache.counts()).isEqualTo(new BlockCache.Counts(2, 103));
    }

    @Test
    void sizeZero_turnsTheCacheOff() {
        BlockCache off = new BlockCache(0);
        AtomicInteger loads = new AtomicInteger();
        off.get(1, 1, 1, () -> vector(loads, 10));
        off.get(1, 1, 1, () -> vector(loads, 10));
        assertThat(off.enabled()).isFalse();
        assertThat(loads).hasValue(2);
    }

    private static BlockValues vector(AtomicInteger loads, int n) {
        loads.incrementAndGet();
        ColumnVector v = new ColumnVector(ColumnType.BIGINT, n);
        for (int i = 0; i < n; i++) {
            v.appendLong(i);
        }
        return BlockValues.of(v);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals("LOCK")) {
                    Files.copy(p, target);
                }
            }
        }
    }
}
