package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.storage.format.FileHeader;
import io.strongroom.storage.format.StoreFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Manifests as a base and deltas (docs/format/store-files.md, "Manifest deltas"): commits that append make deltas,
 * held in their catalog files, which stay while a chain needs them; a commit past the limit folds them into a new
 * base, reopening reads the same rows, and every way of damaging the chain (a flipped byte, a truncated, dropped,
 * swapped or put-back delta) is an integrity failure at open, never a store that opens with commits missing.
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

    private static List<Path> catalogs(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root.resolve("catalog"))) {
            return s.sorted().toList();
        }
    }

    /** How many manifest deltas the catalog files of the store hold, in all. */
    private static int heldDeltas(Path root) throws IOException {
        return heldDeltas(root, "delta");
    }

    /**
     * A catalog file of version 5 as its three parts: the header, the held deltas (their count and each delta), and
     * the catalog's envelope, empty once a newer catalog is current and the file was cut back to its deltas.
     */
    private static byte[][] split(byte[] catalog) {
        int held = ByteBuffer.wrap(catalog, FileHeader.BYTES, 4).getInt();
        int start = FileHeader.BYTES + 4;
        return new byte[][] {
            Arrays.copyOf(catalog, FileHeader.BYTES),
            Arrays.copyOfRange(catalog, start, start + held),
            Arrays.copyOfRange(catalog, start + held, catalog.length)
        };
    }

    /** A catalog file of version 5 from its parts (see {@link #split}), its held length set to fit. */
    private static byte[] join(byte[] header, byte[] held, byte[] envelope) {
        return ByteBuffer.allocate(header.length + 4 + held.length + envelope.length)
                .put(header)
                .putInt(held.length)
                .put(held)
                .put(envelope)
                .array();
    }

    private static String read(Path root, boolean encrypted) {
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            return Fixtures.countAndChecksum(s.table("t"));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void appendingCommits_holdOneDeltaEachInTheirCatalog_andReopenToTheSameRows(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        String expected;
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), keys(encrypted))) {
            expected = load(store, 4);
        }
        // create, 4 appends, a delete: six deltas on the empty base 0, each in its commit's catalog, which stays
        // while the chain needs it; no file of a delta's own, and no whole manifest at all
        assertThat(files(root, ".mdl")).isEmpty();
        assertThat(files(root, ".man")).isEmpty();
        assertThat(catalogs(root)).hasSize(6);
        assertThat(heldDeltas(root)).isEqualTo(6);
        for (Path cat : catalogs(root)) {
            assertThat(FileHeader.version(Files.readAllBytes(cat))).isEqualTo(5);
        }
        assertThat(read(root, encrypted)).isEqualTo(expected);
        // and the reopened store goes on appending to the same chain
        try (Store store = Store.open(root, keys(encrypted));
                Transaction tx = store.begin()) {
            tx.append("t", CrashTest.batch(9, 50));
            tx.commit();
        }
        assertThat(catalogs(root)).hasSize(7);
        assertThat(heldDeltas(root)).isEqualTo(7);
        assertThat(read(root, encrypted)).isNotEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void deltasPastTheLimit_areFoldedIntoANewBase_andTheCatalogsHoldingTheOldChainAreDeleted(boolean encrypted)
            throws IOException {
        Path root = tmp.resolve("s");
        String expected;
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), keys(encrypted))) {
            store.maxManifestDeltas(3);
            // create (1), appends (2, 3), fold (a base), appends (1, 2, 3), fold, delete (1)
            expected = load(store, 7);
        }
        assertThat(files(root, ".man")).hasSize(1);
        assertThat(files(root, ".mdl")).isEmpty();
        // only the current catalog, which holds the one delta on the last base
        assertThat(catalogs(root)).hasSize(1);
        assertThat(heldDeltas(root)).isEqualTo(1);
        assertThat(read(root, encrypted)).isEqualTo(expected);
    }

    /** Two tables: a catalog that holds deltas of both stays until neither chain needs it. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aCatalogHoldingDeltasOfTwoTables_staysUntilBothChainsAreFolded(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        List<Column> cols = CrashTest.COLS;
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), keys(encrypted))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "t", cols));
                tx.createTable(TableSpec.of("public", "u", cols));
                tx.append("t", CrashTest.batch(0, 50));
                tx.append("u", CrashTest.batch(1, 50));
                tx.commit();
            }
            assertThat(catalogs(root)).hasSize(1);
            // t is folded; catalog 1 still holds u's only delta
            store.maxManifestDeltas(0);
            try (Transaction tx = store.begin()) {
                tx.append("t", CrashTest.batch(2, 50));
                tx.commit();
            }
            assertThat(catalogs(root))
                    .extracting(p -> p.getFileName().toString())
                    .containsExactly("0000000000000001.cat", "0000000000000002.cat");
            try (Transaction tx = store.begin()) {
                tx.append("u", CrashTest.batch(3, 50));
                tx.commit();
            }
            assertThat(catalogs(root))
                    .extracting(p -> p.getFileName().toString())
                    .containsExactly("0000000000000003.cat");
        }
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            assertThat(s.table("t").rowCount()).isEqualTo(100);
            assertThat(s.table("u").rowCount()).isEqualTo(100);
        }
    }

    @Test
    void keyRotation_writesEveryTableANewBase_underTheNewKeyAlone() throws IOException {
        Path root = tmp.resolve("s");
        DatabaseKey v1 = KeyRotationTest.dek(1, (byte) 1);
        DatabaseKey v2 = KeyRotationTest.dek(2, (byte) 2);
        String expected;
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), StoreKeys.of(v1))) {
            load(store, 3);
            assertThat(heldDeltas(root)).isEqualTo(5);
            store.rotateDatabaseKey(v2, KeyRotation.Listener.NONE);
            // The catalogs holding deltas sealed under v1 went with the switch (nothing reads the old version any
            // more): the rotation's catalog is the only one.
            assertThat(catalogs(root)).hasSize(1);
            assertThat(heldDeltas(root)).isZero();
            assertThat(files(root, ".man")).hasSize(1);
            try (Transaction tx = store.begin()) {
                tx.append("t", CrashTest.batch(7, 50));
                tx.commit();
            }
            try (Snapshot s = store.snapshot()) {
                expected = Fixtures.countAndChecksum(s.table("t"));
            }
        }
        assertThat(catalogs(root)).hasSize(1);
        assertThat(heldDeltas(root)).isEqualTo(1);
        try (Store store = Store.open(root, StoreKeys.of(v2));
                Snapshot s = store.snapshot()) {
            assertThat(Fixtures.countAndChecksum(s.table("t"))).isEqualTo(expected);
        }
    }

    /** A store whose table is a base and four deltas; returns the catalogs holding the deltas, in chain order. */
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
        assertThat(files(root, ".mdl")).isEmpty();
        return catalogs(root);
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

    /**
     * Each catalog's held delta damaged in place (the newest is in the current catalog, {@code CURRENT}'s inode),
     * truncated, dropped with its catalog, swapped with another's, moved, or re-pointed: an integrity failure at
     * open every time.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void damagedDroppedSwappedOrTruncatedDeltas_failToOpen(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        List<Path> holders = chain(root, encrypted);
        assertThat(holders).hasSize(4);
        String good = read(root, encrypted);
        byte[][] saved = new byte[4][];
        for (int i = 0; i < 4; i++) {
            saved[i] = Files.readAllBytes(holders.get(i));
        }
        Runnable restore = () -> {
            try {
                for (int i = 0; i < 4; i++) {
                    Files.write(holders.get(i), saved[i]);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        };
        for (int i = 0; i < 4; i++) {
            byte[][] parts = split(saved[i]);
            int held = FileHeader.BYTES + 4;
            int heldEnd = held + parts[1].length;
            // Only the current catalog (the last) is whole; the others were cut back to the deltas they hold.
            assertThat(parts[2].length).as("envelope of catalog " + (i + 1)).isEqualTo(i < 3 ? 0 : parts[2].length);
            // the delta's own bytes (its envelope), and each field before them: count, table id, previous seq, digest
            for (int at : new int[] {heldEnd - 10, held + 3, held + 8, held + 15, held + 20, held + 40}) {
                byte[] flipped = saved[i].clone();
                flipped[at] ^= 1;
                Files.write(holders.get(i), flipped);
                assertIntegrityFailureAtOpen(
                        root, encrypted, "a flipped byte at " + at + " in the catalog holding delta " + (i + 1));
            }
            Files.write(holders.get(i), Arrays.copyOf(saved[i], heldEnd - 7));
            assertIntegrityFailureAtOpen(root, encrypted, "delta " + (i + 1) + " truncated");
            Files.write(holders.get(i), join(parts[0], new byte[4], parts[2]));
            assertIntegrityFailureAtOpen(root, encrypted, "delta " + (i + 1) + " cut out of its catalog");
            restore.run();
            if (i < 3) {
                Files.delete(holders.get(i));
                assertIntegrityFailureAtOpen(root, encrypted, "the catalog holding delta " + (i + 1) + " deleted");
                restore.run();
            }
        }
        // Two held deltas swapped between their catalogs: each is pinned by the digest the next one names.
        byte[][] two = split(saved[1]);
        byte[][] three = split(saved[2]);
        Files.write(holders.get(1), join(two[0], three[1], two[2]));
        Files.write(holders.get(2), join(three[0], two[1], three[2]));
        assertIntegrityFailureAtOpen(root, encrypted, "deltas 2 and 3 swapped");
        restore.run();
        // Delta 2 put in the place of delta 4 (in the current catalog): the catalog pins the last one's digest.
        byte[][] four = split(saved[3]);
        Files.write(holders.get(3), join(four[0], two[1], four[2]));
        assertIntegrityFailureAtOpen(root, encrypted, "delta 2 in the place of delta 4");
        restore.run();
        assertThat(read(root, encrypted)).isEqualTo(good);
    }

    /**
     * An older catalog that stays for the deltas it holds is cut back to them as soon as a newer catalog is current:
     * put back as {@code CURRENT} it is no catalog, so it cannot roll the store back to its version although that
     * version's files are all still there. One left whole (a crash between the commit point and the cut) is cut by
     * the next open.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anOlderCatalog_isCutBackToItsDeltas_andPutBackAsCurrent_failsToOpen(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        byte[] whole;
        Path older;
        String after;
        try (Store store = Store.create(root, "delta", new ClusterLayout(1, 2), keys(encrypted))) {
            String before = load(store, 2);
            whole = Files.readAllBytes(root.resolve(StoreFiles.POINTER));
            older = store.files().catalogFile(store.current().seq());
            assertThat(split(Files.readAllBytes(older))[2])
                    .as("the current catalog's envelope")
                    .isNotEmpty();
            try (Transaction tx = store.begin()) {
                tx.append("t", CrashTest.batch(7, 50));
                tx.commit();
            }
            try (Snapshot s = store.snapshot()) {
                after = Fixtures.countAndChecksum(s.table("t"));
            }
            assertThat(after).isNotEqualTo(before);
            byte[][] cut = split(Files.readAllBytes(older));
            assertThat(cut[2]).as("the older catalog's envelope, once cut").isEmpty();
            assertThat(cut[1]).isEqualTo(split(whole)[1]);
        }
        Path pointer = root.resolve(StoreFiles.POINTER);
        byte[] current = Files.readAllBytes(pointer);
        Files.copy(older, pointer, StandardCopyOption.REPLACE_EXISTING);
        assertIntegrityFailureAtOpen(root, encrypted, "an older catalog, cut, put back as CURRENT");
        Files.write(pointer, current);
        assertThat(read(root, encrypted)).isEqualTo(after);
        Files.write(older, whole);
        assertThat(read(root, encrypted)).isEqualTo(after);
        assertThat(Files.readAllBytes(older)).as("cut by the open").hasSize(whole.length - split(whole)[2].length);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aDeltaOfAnEarlierChain_putBackAfterAFold_failsToOpen(boolean encrypted) throws IOException {
        Path root = tmp.resolve("s");
        List<Path> holders = chain(root, encrypted);
        byte[] first = split(Files.readAllBytes(holders.get(0)))[1];
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
        List<Path> now = catalogs(root);
        assertThat(now).hasSize(1).doesNotContainAnyElementsOf(holders);
        Path current = now.get(0);
        byte[][] parts = split(Files.readAllBytes(current));
        Files.write(current, join(parts[0], first, parts[2]));
        assertIntegrityFailureAtOpen(root, encrypted, "a delta of the folded chain in the new chain's place");
    }

    /**
     * A store written before catalog version 5 (deltas in {@code .mdl} files, golden/v6): its first commit that
     * appends to such a table folds the file chain into a new base, so a chain is never half files, half catalogs.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aChainOfDeltaFiles_isFoldedByTheFirstCommit_andTheFilesGo(boolean encrypted) throws IOException {
        Path root = tmp.resolve("golden");
        GoldenFormatTest.copyGolden("/golden/v6/" + (encrypted ? "encrypted" : "unencrypted") + "/", root);
        StoreKeys keys = encrypted ? StoreKeys.of(Fixtures.dek((byte) 11)) : StoreKeys.unencrypted();
        assertThat(files(root, ".mdl")).hasSize(5);
        long before;
        try (Store store = Store.open(root, keys);
                Snapshot s = store.snapshot()) {
            before = s.table("all_types").rowCount();
        }
        try (Store store = Store.open(root, keys);
                Transaction tx = store.begin()) {
            tx.append("all_types", Fixtures.allTypesBatch(400, 5));
            tx.commit();
        }
        // all_types: folded (its three .mdl files gone); fresh: untouched, its two .mdl files stay
        assertThat(files(root, ".mdl")).hasSize(2);
        try (Store store = Store.open(root, keys);
                Transaction tx = store.begin()) {
            tx.append("all_types", Fixtures.allTypesBatch(405, 5));
            tx.commit();
        }
        assertThat(heldDeltas(root, "golden5")).isEqualTo(1);
        try (Store store = Store.open(root, keys);
                Snapshot s = store.snapshot()) {
            assertThat(s.table("all_types").rowCount()).isEqualTo(before + 10);
            assertThat(Fixtures.readAll(s.table("fresh"))).hasSize(3);
        }
    }

    private static int heldDeltas(Path root, String storeId) throws IOException {
        StoreFiles f = new StoreFiles(root, storeId);
        int n = 0;
        for (Path c : catalogs(root)) {
            byte[] bytes = Files.readAllBytes(c);
            if (FileHeader.version(bytes) >= 5) {
                n += f.readHeldDeltas(StoreFiles.parseHex(c.getFileName().toString(), ".cat"), "catalog " + c)
                        .size();
            }
        }
        return n;
    }
}
