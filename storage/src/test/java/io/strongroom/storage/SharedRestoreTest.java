package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.format.FileHeader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A restore that shares the snapshot's blocks: the new store reads the same rows under its own database key,
 * without a block copied or re-encrypted, keeps working through writes, rotation and a reopen, and outlives both
 * its source store and the snapshot; a block moved in from elsewhere is still refused.
 */
class SharedRestoreTest {
    @TempDir
    Path tmp;

    private static DatabaseKey dek(String id, int version, byte seed) {
        byte[] m = new byte[32];
        Arrays.fill(m, seed);
        m[1] = (byte) version;
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, id, version), SecretBytes.copyOf(m));
    }

    private static StoreKeys sourceKeys(boolean encrypted) {
        return encrypted ? StoreKeys.of(dek(Fixtures.DEK_ID, 1, (byte) 5)) : StoreKeys.unencrypted();
    }

    private static StoreKeys restoredKeys(boolean encrypted) {
        return encrypted ? StoreKeys.of(dek("restored/dek", 1, (byte) 9)) : StoreKeys.unencrypted();
    }

    private static void append(Store s, String table, long from, int rows) {
        try (Transaction tx = s.begin()) {
            boolean exists;
            try (Snapshot snap = s.snapshot()) {
                exists = snap.exists(table);
            }
            if (!exists) {
                tx.createTable(TableSpec.of("public", table, SnapshotStoreTest.COLS));
            }
            RowBatch b = RowBatch.builder(SnapshotStoreTest.COLS, rows);
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

    private static List<Path> blockFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".blk")).sorted().toList();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void restoreShared_readsTheSnapshotsBlocksInPlace_underItsOwnKey(boolean encrypted) throws IOException {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("snaps"));
        String before;
        String otherBefore;
        try (Store s = Store.create(tmp.resolve("src"), "src-store", new ClusterLayout(1, 2), sourceKeys(encrypted))) {
            append(s, "t", 0, 150_000);
            append(s, "t", 150_000, 1000);
            append(s, "u", 0, 500);
            try (Transaction tx = s.begin()) {
                tx.delete("t", (b, r) -> b.column(0).getLong(r) % 7 == 0); // delete vectors travel too
                tx.commit();
            }
            before = checksum(s, "t");
            otherBefore = checksum(s, "u");
            try (Snapshot snap = s.snapshot()) {
                ss.write("i1", snap);
            }
        }
        SnapshotStore.ImageSize size = ss.size("i1");
        assertThat(size.blocks()).isPositive();
        AtomicLong progress = new AtomicLong();
        Path target = tmp.resolve("restored");
        try (Store r = ss.restoreShared(
                "i1", target, "restored-store", sourceKeys(encrypted), restoredKeys(encrypted), progress::addAndGet)) {
            assertThat(progress.get()).isEqualTo(size.blocks());
            assertThat(r.storeId()).isEqualTo("restored-store");
            assertThat(checksum(r, "t")).isEqualTo(before);
            assertThat(checksum(r, "u")).isEqualTo(otherBefore);
            // The store reads the pool's files: it holds no block file of its own, and the pool gained none.
            assertThat(blockFiles(target)).isEmpty();
            assertThat(ss.poolBlockCount()).isEqualTo(size.blocks());
            assertThat(ss.pinnedStores()).containsExactly("restored-store");
            // Writes go on, sealed by the restored store itself.
            append(r, "t", 1_000_000, 2000);
            assertThat(blockFiles(target)).isNotEmpty();
        }
        String after;
        // The source store and the snapshot can both go: the restored store keeps its links.
        try (Stream<Path> files = Files.walk(tmp.resolve("src"))) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        ss.delete("i1");
        ss.recover(Set.of());
        assertThat(ss.poolBlockCount()).as("pinned by the restored store").isEqualTo(size.blocks());
        try (Store r = Store.open(target, restoredKeys(encrypted))) {
            after = checksum(r, "t");
            assertThat(after).isNotEqualTo(before);
            assertThat(checksum(r, "u")).isEqualTo(otherBefore);
            if (encrypted) {
                r.rotateDatabaseKey(dek("restored/dek", 2, (byte) 11), KeyRotation.Listener.NONE);
                assertThat(checksum(r, "t")).isEqualTo(after);
            }
        }
        StoreKeys reopen = encrypted
                ? StoreKeys.of(List.of(dek("restored/dek", 1, (byte) 9), dek("restored/dek", 2, (byte) 11)))
                : StoreKeys.unencrypted();
        try (Store r = Store.open(target, reopen)) {
            assertThat(checksum(r, "t")).isEqualTo(after);
        }
        // Once the store is gone, its owner unpins, and the shared blocks are freed.
        ss.unpin("restored-store");
        assertThat(ss.poolBlockCount()).isZero();
        assertThat(ss.pinnedStores()).isEmpty();
    }

    @Test
    void aSnapshotOfARestoredStore_restoresAgain_readingBlocksSealedTwoStoresBack() {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("snaps"));
        String before;
        try (Store s = Store.create(tmp.resolve("src"), "src-store", new ClusterLayout(1, 2), sourceKeys(true))) {
            append(s, "t", 0, 50_000);
            before = checksum(s, "t");
            try (Snapshot snap = s.snapshot()) {
                ss.write("i1", snap);
            }
        }
        String after;
        try (Store r =
                ss.restoreShared("i1", tmp.resolve("r1"), "r1-store", sourceKeys(true), restoredKeys(true), n -> {})) {
            assertThat(checksum(r, "t")).isEqualTo(before);
            append(r, "t", 100_000, 500);
            after = checksum(r, "t");
            try (Snapshot snap = r.snapshot()) {
                ss.write("i2", snap);
            }
        }
        StoreKeys third = StoreKeys.of(dek("third/dek", 1, (byte) 13));
        try (Store r2 = ss.restoreShared("i2", tmp.resolve("r2"), "r2-store", restoredKeys(true), third, n -> {})) {
            assertThat(checksum(r2, "t")).isEqualTo(after);
        }
        // The copying restore (another layout, a table restore) reads the same image through a scratch store; the
        // image names its own copies of the shared blocks, so it holds even once the first restored store and the
        // original snapshot are gone.
        ss.unpin("r1-store");
        ss.delete("i1");
        try (Store scratch = ss.restore("i2", tmp.resolve("scratch"), restoredKeys(true))) {
            assertThat(checksum(scratch, "t")).isEqualTo(after);
        }
        try (Store r3 = ss.restoreShared("i2", tmp.resolve("r3"), "r3-store", restoredKeys(true), third, n -> {})) {
            assertThat(checksum(r3, "t")).isEqualTo(after);
        }
    }

    @Test
    void restoredManifests_areFormat3_andTheSnapshotsKeyDoesNotOpenTheRestoredStore() throws IOException {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("snaps"));
        try (Store s = Store.create(tmp.resolve("src"), "src-store", new ClusterLayout(1, 2), sourceKeys(true))) {
            append(s, "t", 0, 1000);
            try (Snapshot snap = s.snapshot()) {
                ss.write("i1", snap);
            }
        }
        Path target = tmp.resolve("restored");
        ss.restoreShared("i1", target, "restored-store", sourceKeys(true), restoredKeys(true), n -> {})
                .close();
        try (Stream<Path> s = Files.walk(target)) {
            for (Path m : s.filter(p -> p.toString().endsWith(".man")).toList()) {
                assertThat(FileHeader.version(Files.readAllBytes(m))).isEqualTo(3);
            }
        }
        assertThatThrownBy(() -> Store.open(target, sourceKeys(true)))
                .isInstanceOf(StrongroomException.class)
                .extracting(e -> ((StrongroomException) e).code())
                .isEqualTo(ErrorCode.WRONG_KEY);
    }

    @Test
    void aBlockMovedBetweenTables_orFromTheSourceCluster_isRefused() throws IOException {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("snaps"));
        Path src = tmp.resolve("src");
        try (Store s = Store.create(src, "src-store", new ClusterLayout(1, 1), sourceKeys(true))) {
            append(s, "t", 0, 1000);
            append(s, "u", 0, 1000);
            try (Snapshot snap = s.snapshot()) {
                ss.write("i1", snap);
            }
            append(s, "t", 5000, 1000); // a block the restored store does not know
        }
        Path target = tmp.resolve("restored");
        ss.restoreShared("i1", target, "restored-store", sourceKeys(true), restoredKeys(true), n -> {})
                .close();
        List<Path> pooled = blockFiles(tmp.resolve("snaps"));
        List<Path> source = blockFiles(src);
        // A block of the source cluster that the snapshot never saw, put in place of a shared one in the pool.
        Path victim = pooled.get(0);
        Path foreign = source.get(source.size() - 1);
        Files.delete(victim);
        Files.copy(foreign, victim, StandardCopyOption.REPLACE_EXISTING);
        try (Store r = Store.open(target, restoredKeys(true))) {
            assertThatThrownBy(() -> {
                        checksum(r, "t");
                        checksum(r, "u");
                    })
                    .isInstanceOf(StrongroomException.class)
                    .extracting(e -> ((StrongroomException) e).code())
                    .isEqualTo(ErrorCode.INTEGRITY_FAILURE);
        }
    }

    @Test
    void unencryptedSnapshot_isNotSharedIntoAnEncryptedStore() throws IOException {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("snaps"));
        try (Store s = Store.create(tmp.resolve("src"), "src-store", new ClusterLayout(1, 1), sourceKeys(false))) {
            append(s, "t", 0, 100);
            try (Snapshot snap = s.snapshot()) {
                ss.write("i1", snap);
            }
        }
        assertThatThrownBy(() -> ss.restoreShared(
                        "i1", tmp.resolve("r"), "restored-store", sourceKeys(false), restoredKeys(true), n -> {}))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("copying restore");
    }
}
