package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;
import io.strongroom.base.StrongroomException;
import io.strongroom.testkit.seed.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot store: images restore to the same rows, share blocks, leave out BACKUP NO tables, free only
 * unshared blocks, and survive a crash at every durable step of create, copy, delete and restore.
 */
class SnapshotStoreTest {
    @TempDir
    Path tmp;

    static final List<Column> COLS = CrashTest.COLS;

    private static StoreKeys keys() {
        return StoreKeys.of(Fixtures.dek((byte) 5));
    }

    private static void append(Store s, String table, long from, int rows) {
        try (Transaction tx = s.begin()) {
            boolean exists;
            try (Snapshot snap = s.snapshot()) {
                exists = snap.exists(table);
            }
            if (!exists) {
                tx.createTable(TableSpec.of("public", table, COLS));
            }
            RowBatch b = RowBatch.builder(COLS, rows);
            for (int i = 0; i < rows; i++) {
                b.addRow(from + i, "v" + (from + i));
            }
            tx.append(table, b);
            tx.commit();
        }
    }

    private static String checksum(Store s, String table) {
        try (Snapshot snap = s.snapshot()) {
            return Fixtures.countAndChecksum(snap.table(table));
        }
    }

    private static Store source(Path dir) {
        Store s = Store.create(dir, "src-store", new ClusterLayout(1, 2), keys());
        append(s, "t", 0, 200_000);
        try (Transaction tx = s.begin()) {
            tx.createTable(TableSpec.of("public", "scratch", COLS).withBackup(false));
            tx.commit();
        }
        append(s, "scratch", 0, 1000);
        return s;
    }

    @Test
    void image_restoresSameRows_withoutBackupNoTables_andSharesBlocksIncrementally() {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("snaps"));
        try (Store s = source(tmp.resolve("src"))) {
            String before = checksum(s, "t");
            SnapshotStore.ImageStats first;
            try (Snapshot snap = s.snapshot()) {
                first = ss.write("i1", snap);
            }
            assertThat(first.excludedTables()).containsExactly("public.scratch");
            assertThat(first.newBlocks()).isEqualTo(first.blocks()).isPositive();
            append(s, "t", 200_000, 1000); // a small change: one new block per column and slice
            SnapshotStore.ImageStats second;
            try (Snapshot snap = s.snapshot()) {
                assertThat(ss.bytesChangedSince("i1", snap)).isPositive();
                second = ss.write("i2", snap);
            }
            assertThat(second.newBlocks()).isLessThan(second.blocks()).isBetween(1L, 4L);
            assertThat(ss.poolBlockCount()).isEqualTo(first.blocks() + second.newBlocks());

            try (Store r = ss.restore("i1", tmp.resolve("r1"), keys());
                    Snapshot snap = r.snapshot()) {
                assertThat(Fixtures.countAndChecksum(snap.table("t"))).isEqualTo(before);
                assertThat(snap.exists("scratch")).isFalse();
            }
            try (Store r = ss.restore("i2", tmp.resolve("r2"), keys())) {
                assertThat(checksum(r, "t")).isEqualTo(checksum(s, "t"));
            }
            // Deleting i1 frees nothing i2 still needs; deleting i2 then frees the rest.
            ss.delete("i1");
            assertThat(ss.poolBlockCount()).isEqualTo(second.blocks());
            try (Store r = ss.restore("i2", tmp.resolve("r3"), keys())) {
                assertThat(checksum(r, "t")).isEqualTo(checksum(s, "t"));
            }
            ss.copy("i2", "i3");
            ss.delete("i2");
            assertThat(ss.poolBlockCount()).isEqualTo(second.blocks());
            ss.delete("i3");
            assertThat(ss.poolBlockCount()).isZero();
        }
    }

    @Test
    void restore_withAnotherKey_isRefusedAsWrongKey() {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("snaps"));
        try (Store s = source(tmp.resolve("src"));
                Snapshot snap = s.snapshot()) {
            ss.write("i1", snap);
        }
        assertThatThrownBy(() -> ss.restore("i1", tmp.resolve("r"), StoreKeys.of(Fixtures.dek((byte) 6))))
                .isInstanceOf(StrongroomException.class)
                .satisfies(e -> assertThat(((StrongroomException) e).code())
                        .isIn(ErrorCode.WRONG_KEY, ErrorCode.INTEGRITY_FAILURE));
    }

    @Test
    void damagedBlockList_stopsCollection_insteadOfFreeingBlocks() throws IOException {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("snaps"));
        try (Store s = source(tmp.resolve("src"));
                Snapshot snap = s.snapshot()) {
            ss.write("i1", snap);
            ss.write("i2", snap);
        }
        long blocks = ss.poolBlockCount();
        Path list = tmp.resolve("snaps/images/i1/BLOCKS");
        byte[] b = Files.readAllBytes(list);
        b[b.length / 2] ^= 1;
        Files.write(list, b);
        assertThatThrownBy(() -> ss.delete("i2")).isInstanceOf(StrongroomException.class);
        assertThat(ss.poolBlockCount()).isEqualTo(blocks);
    }

    /**
     * The workload: image a (full), a change, image b (incremental), copy b to c, delete a, restore c. Crash at
     * every fault point it reaches; after recovery (keeping the images the "records" name as complete), every
     * complete image must restore to its rows and the pool must hold exactly the blocks the images list.
     */
    @Test
    void crashAtEveryStep_neverLeavesAHalfImage_norFreesANeededBlock() {
        long seed = Seeds.of("SnapshotStoreTest");
        Random random = new Random(seed);
        int[] total = {0};
        runWorkload(tmp.resolve("count"), (step, file) -> total[0]++, new HashMap<>());
        assertThat(total[0]).isGreaterThan(10);
        List<Integer> points = new ArrayList<>();
        for (int k = 0; k < total[0]; k++) {
            points.add(k);
        }
        Collections.shuffle(points, random);
        for (int k : points.subList(0, Math.min(points.size(), 40))) {
            Path dir = tmp.resolve("crash-" + k);
            int[] seen = {0};
            FaultPoint[] at = {null};
            Map<String, String> expected = new HashMap<>();
            try {
                runWorkload(
                        dir,
                        (step, file) -> {
                            if (seen[0]++ == k) {
                                at[0] = step;
                                throw new CrashTest.SimulatedCrash("crash at " + step);
                            }
                        },
                        expected);
                throw new AssertionError("workload finished without reaching fault point " + k);
            } catch (CrashTest.SimulatedCrash e) {
                // the "process" died here
            }
            String what = "seed " + seed + ", fault point " + k + " (" + at[0] + ")";
            SnapshotStore ss = SnapshotStore.open(dir.resolve("snaps"));
            Set<String> complete = new HashSet<>();
            for (String id : ss.imageIds()) {
                if (ss.isComplete(id) && expected.containsKey(id)) {
                    complete.add(id);
                }
            }
            ss.recover(complete);
            assertThat(ss.imageIds()).as(what).containsExactlyInAnyOrderElementsOf(complete);
            long listed = 0;
            for (String id : complete) {
                try (Store r = ss.restore(id, dir.resolve("r-" + id), keys())) {
                    assertThat(checksum(r, "t")).as(what + ", image " + id).isEqualTo(expected.get(id));
                }
                listed += ss.imageBlocks(id)[0];
            }
            if (complete.isEmpty()) {
                assertThat(ss.poolBlockCount()).as(what).isZero();
            } else {
                assertThat(ss.poolBlockCount()).as(what).isPositive().isLessThanOrEqualTo(listed);
            }
        }
    }

    private void runWorkload(Path dir, FaultHook faults, Map<String, String> expected) {
        SnapshotStore ss = SnapshotStore.open(dir.resolve("snaps"), faults);
        try (Store s = Store.create(dir.resolve("src"), "src-store", new ClusterLayout(1, 2), keys())) {
            append(s, "t", 0, 3000);
            String a = checksum(s, "t");
            try (Snapshot snap = s.snapshot()) {
                ss.write("a", snap);
            }
            expected.put("a", a);
            append(s, "t", 3000, 100);
            String b = checksum(s, "t");
            try (Snapshot snap = s.snapshot()) {
                ss.write("b", snap);
            }
            expected.put("b", b);
            ss.copy("b", "c");
            expected.put("c", b);
            ss.delete("a");
            expected.remove("a");
            try (Store r = ss.restore("c", dir.resolve("restored"), keys())) {
                assertThat(checksum(r, "t")).isEqualTo(b);
            }
        }
    }
}
