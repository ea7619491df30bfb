package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.storage.format.FileHeader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Manifests as a base and deltas (docs/format/store-files.md, "Manifest deltas"): commits that append write deltas,
 * a commit past the limit folds them into a new base, reopening reads the same rows, and every way of damaging the
 * chain (a flipped byte, a truncated, dropped, swapped or put-back delta) is an integrity failure at open, never a
 * store that opens with commits missing.
 */
class ManifestDeltaTest {
    @TempDir
    Path tmp;

    private static StoreKeys keys(boolean encrypted) {
        return encrypted ? StoreKeys.of(Fixtures.dek((byte) 21)) : StoreKeys.unencrypted();
    }

    /** Creates {@code t}, then appends {@code batches} batches and deletes id % 5 == 0, one commit each. */
    private static String load(Store store, int batches) {
        try (Transaction tx = store.begin()) {
            tx.createTable(TableSpec.of("public", "t", CrashTest.COLS));
            tx.commit();
        }
        for (int b = 0; b < batches; b++) {
            try (Transaction tx = store.begin()) {
                tx.append("t", CrashTest.batch(b, 50));
                tx.commit();
            }
        }
        try (Transaction tx = store.begin()) {
            tx.delete("t", (bt, r) -> bt.column(0).getLong(r) % 5 == 0);
            tx.commit();
        }
        try (Snapshot s = store.snapshot()) {
            return Fixtures.countAndChecksum(s.table("t"));
        }
    }

    private static List<Path> files(Path root, String suffix) throws IOException {
        try (Stream<Path> s = Files.walk(root.resolve("tables"))) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
    }

    private static String read(Path root, boolean encrypted) {
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            return Fixtures.countAndChecksum(s.table("t"));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void appendingCommits_writeOneDeltaEach_andReopenToTheSameRows(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        String expected;
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), keys(encrypted))) {
            expected = load(store, 4);
        }
        // create, 4 appends, a delete: six deltas on the empty base 0, and no whole manifest at all
        assertThat(files(root, ".mdl")).hasSize(6);
        assertThat(files(root, ".man")).isEmpty();
        try (Stream<Path> s = Files.list(root.resolve("catalog"))) {
            Path cat = s.findFirst().orElseThrow();
            assertThat(FileHeader.version(Files.readAllBytes(cat))).isEqualTo(4);
        }
        assertThat(read(root, encrypted)).isEqualTo(expected);
        // and the reopened store goes on appending to the same chain
        try (Store store = Store.open(root, keys(encrypted));
                Transaction tx = store.begin()) {
            tx.append("t", CrashTest.batch(9, 50));
            tx.commit();
        }
        assertThat(files(root, ".mdl")).hasSize(7);
        assertThat(read(root, encrypted)).isNotEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void deltasPastTheLimit_areFoldedIntoANewBase_andTheOldChainIsDeleted(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        String expected;
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), keys(encrypted))) {
            store.maxManifestDeltas(3);
            // create (1), appends (2, 3), fold (a base), appends (1, 2, 3), fold, delete (1)
            expected = load(store, 7);
        }
        assertThat(files(root, ".man")).hasSize(1);
        assertThat(files(root, ".mdl")).hasSize(1);
        assertThat(read(root, encrypted)).isEqualTo(expected);
    }

    @Test
    void keyRotation_writesEveryTableANewBase_underTheNewKeyAlone() throws IOException {
        Path root = tmp.resolve("s");
        DatabaseKey v1 = KeyRotationTest.dek(1, (byte) 1);
        DatabaseKey v2 = KeyRotationTest.dek(2, (byte) 2);
        String expected;
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), StoreKeys.of(v1))) {
            load(store, 3);
            assertThat(files(root, ".mdl")).hasSize(5);
            store.rotateDatabaseKey(v2, KeyRotation.Listener.NONE);
            // The deltas sealed under v1 went with the switch (nothing reads the old version any more).
            assertThat(files(root, ".mdl")).isEmpty();
            assertThat(files(root, ".man")).hasSize(1);
            try (Transaction tx = store.begin()) {
                tx.append("t", CrashTest.batch(7, 50));
                tx.commit();
            }
            try (Snapshot s = store.snapshot()) {
                expected = Fixtures.countAndChecksum(s.table("t"));
            }
        }
        assertThat(files(root, ".mdl")).hasSize(1);
        try (Store store = Store.open(root, StoreKeys.of(v2));
                Snapshot s = store.snapshot()) {
            assertThat(Fixtures.countAndChecksum(s.table("t"))).isEqualTo(expected);
        }
    }

    /** A store whose table is a base and four deltas; returns the deltas, in chain order. */
    private List<Path> chain(Path root, boolean encrypted) throws IOException {
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), keys(encrypted))) {
            store.maxManifestDeltas(0);
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "t", CrashTest.COLS));
                tx.append("t", CrashTest.batch(0, 50));
                tx.commit();
            }
            store.maxManifestDeltas(100);
            for (int b = 1; b <= 4; b++) {
                try (Transaction tx = store.begin()) {
                    tx.append("t", CrashTest.batch(b, 50));
                    tx.commit();
                }
            }
        }
        assertThat(files(root, ".man")).hasSize(1);
        return files(root, ".mdl");
    }

    private static void assertIntegrityFailureAtOpen(Path root, boolean encrypted, String what) {
        assertThatThrownBy(() -> read(root, encrypted))
                .as(what)
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().isIntegrity())
                                .as(what + ": " + e.getMessage())
                                .isTrue());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void damagedDroppedSwappedOrTruncatedDeltas_failToOpen(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        List<Path> deltas = chain(root, encrypted);
        assertThat(deltas).hasSize(4);
        String good = read(root, encrypted);
        byte[][] saved = new byte[4][];
        for (int i = 0; i < 4; i++) {
            saved[i] = Files.readAllBytes(deltas.get(i));
        }
        Runnable restore = () -> {
            try {
                for (int i = 0; i < 4; i++) {
                    Files.write(deltas.get(i), saved[i]);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        };
        for (int i = 0; i < 4; i++) {
            byte[] flipped = saved[i].clone();
            flipped[flipped.length / 2] ^= 1;
            Files.write(deltas.get(i), flipped);
            assertIntegrityFailureAtOpen(root, encrypted, "a flipped byte in delta " + (i + 1));
            Files.write(deltas.get(i), Arrays.copyOf(saved[i], saved[i].length - 7));
            assertIntegrityFailureAtOpen(root, encrypted, "delta " + (i + 1) + " truncated");
            Files.delete(deltas.get(i));
            assertIntegrityFailureAtOpen(root, encrypted, "delta " + (i + 1) + " dropped");
            restore.run();
        }
        // Two deltas swapped: each is bound to its number and to the file before it.
        Files.write(deltas.get(1), saved[2]);
        Files.write(deltas.get(2), saved[1]);
        assertIntegrityFailureAtOpen(root, encrypted, "deltas 2 and 3 swapped");
        restore.run();
        // Deltas 3 and 4 dropped and delta 2 renamed into the last place: the catalog pins the last one's digest.
        Files.write(deltas.get(3), saved[1]);
        assertIntegrityFailureAtOpen(root, encrypted, "delta 2 in the place of delta 4");
        restore.run();
        assertThat(read(root, encrypted)).isEqualTo(good);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aDeltaOfAnEarlierChain_putBackAfterAFold_failsToOpen(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        List<Path> deltas = chain(root, encrypted);
        byte[] first = Files.readAllBytes(deltas.get(0));
        try (Store store = Store.open(root, keys(encrypted))) {
            store.maxManifestDeltas(0);
            try (Transaction tx = store.begin()) {
                tx.append("t", CrashTest.batch(5, 50));
                tx.commit();
            }
            store.maxManifestDeltas(100);
            try (Transaction tx = store.begin()) {
                tx.append("t", CrashTest.batch(6, 50));
                tx.commit();
            }
        }
        List<Path> now = files(root, ".mdl");
        assertThat(now).hasSize(1).doesNotContainAnyElementsOf(deltas);
        Files.write(now.get(0), first);
        assertIntegrityFailureAtOpen(root, encrypted, "a delta of the folded chain in the new chain's place");
    }
}
