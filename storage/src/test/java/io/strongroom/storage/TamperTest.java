package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.testkit.seed.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damages a store with several tables and many blocks, file by file, and checks that every read touching the
 * damage fails with an integrity error naming the place, and that no read returns wrong rows.
 */
class TamperTest {
    @TempDir
    Path tmp;

    private Path pristine;
    private Map<String, String> expected;

    private static final List<Column> COLS = List.of(
            new Column(0, "id", ColumnType.BIGINT),
            new Column(1, "v", ColumnType.DOUBLE),
            new Column(2, "s", ColumnType.varchar(40)));

    private StoreKeys keys(boolean encrypted) {
        return encrypted ? StoreKeys.of(Fixtures.dek((byte) 3)) : StoreKeys.unencrypted();
    }

    private void build(boolean encrypted) throws IOException {
        pristine = tmp.resolve("pristine-" + encrypted);
        expected = new TreeMap<>();
        try (Store store = Store.create(pristine, "tamper", new ClusterLayout(2, 2), keys(encrypted))) {
            for (String t : List.of("a", "b", "c")) {
                try (Transaction tx = store.begin()) {
                    tx.createTable(TableSpec.of("public", t, COLS));
                    tx.commit();
                }
                for (int batch = 0; batch < 1; batch++) {
                    try (Transaction tx = store.begin()) {
                        RowBatch b = RowBatch.builder(COLS, 200);
                        for (int i = 0; i < 200; i++) {
                            long id = batch * 200L + i;
                            b.addRow(id, id * 0.5, t + "-" + id);
                        }
                        tx.append(t, b);
                        tx.commit();
                    }
                }
            }
            try (Transaction tx = store.begin()) {
                tx.delete("b", (bt, r) -> bt.column(0).getLong(r) % 3 == 0);
                tx.commit();
            }
            try (Snapshot s = store.snapshot()) {
                for (String t : List.of("a", "b", "c")) {
                    expected.put(t, Fixtures.countAndChecksum(s.table(t)));
                }
            }
        }
    }

    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().equals("LOCK"))
                    .sorted()
                    .toList();
        }
    }

    private Path copyOfPristine(String name) throws IOException {
        Path target = tmp.resolve(name);
        if (Files.exists(target)) {
            try (Stream<Path> s = Files.walk(target)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        try (Stream<Path> s = Files.walk(pristine)) {
            for (Path p : s.toList()) {
                Path dst = target.resolve(pristine.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dst);
                } else if (!p.getFileName().toString().equals("LOCK")) {
                    Files.copy(p, dst, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return target;
    }

    /**
     * Opens the damaged store and reads every table. Tables that read must read exactly as before; at least one
     * read must fail, with an integrity error whose message names {@code damaged}.
     */
    private void assertDetected(Path root, boolean encrypted, String damaged, String what) {
        List<String> failures = new ArrayList<>();
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            for (String t : List.of("a", "b", "c")) {
                try {
                    String got = Fixtures.countAndChecksum(s.table(t));
                    assertThat(got)
                            .as("%s: table %s read without error must be unchanged", what, t)
                            .isEqualTo(expected.get(t));
                } catch (StrongroomException e) {
                    checkIntegrity(e, damaged, what);
                    failures.add(t);
                }
            }
        } catch (StrongroomException e) {
            checkIntegrity(e, damaged, what);
            failures.add("open");
        }
        assertThat(failures).as("%s was not detected", what).isNotEmpty();
    }

    /**
     * The name an error about damage to {@code file} gives: its own, except for the current catalog, which is also
     * the commit pointer (a hard link named {@code CURRENT}, read first).
     */
    private String damagedName(Path file) throws IOException {
        return Files.isSameFile(file, pristine.resolve("CURRENT"))
                ? "CURRENT"
                : file.getFileName().toString();
    }

    private static void checkIntegrity(StrongroomException e, String damaged, String what) {
        if (!e.code().isIntegrity()) {
            fail(what + ": expected an integrity failure, got " + e.code() + ": " + e.getMessage(), e);
        }
        assertThat(e.getMessage()).as(what).contains(damaged);
    }

    @Test
    void pointerWhoseKeyVersionReadsZero_isAnIntegrityError_andTheStoreStaysEncrypted() throws IOException {
        build(true);
        Path pointer = pristine.resolve("CURRENT");
        byte[] bytes = Files.readAllBytes(pointer);
        byte[] superblock = Files.readAllBytes(pristine.resolve("STORE"));
        // The pointer is the current catalog; its envelope follows the file header (20 bytes) and, in catalog
        // version 5, the deltas it holds. The envelope's key version is its bytes 4..7 (big-endian).
        int envelope = StoreFiles.catalogEnvelopeOffset(bytes, "CURRENT");
        for (int i = envelope + 4; i < envelope + 8; i++) {
            bytes[i] = 0;
        }
        Files.write(pointer, bytes);
        for (int attempt = 0; attempt < 2; attempt++) {
            assertDetected(pristine, true, "CURRENT", "key version zeroed in an encrypted pointer");
        }
        assertThat(Files.readAllBytes(pristine.resolve("STORE")))
                .as("a damaged pointer must not make open rewrite the superblock as unencrypted")
                .isEqualTo(superblock);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void flippedByte_anywhereInAnyFile_isAnIntegrityErrorNamingTheFile(boolean encrypted) throws IOException {
        build(encrypted);
        long seed = Seeds.of("TamperTest");
        Random random = new Random(seed);
        List<Path> all = files(pristine);
        assertThat(all).hasSizeGreaterThan(35);
        int checked = 0;
        Set<String> kindsSeen = new HashSet<>();
        for (Path original : all) {
            String rel = pristine.relativize(original).toString();
            long size = Files.size(original);
            // The header, the envelope header, and three random places in the body.
            // The file header, the envelope header, and random places in the body. The store is opened
            // read-only in effect (open deletes only unreferenced files), so each flip is undone in place.
            // Small metadata files (superblock, pointer, catalog): every byte. The first file of each other kind:
            // every byte of the file header and the envelope header (the first 64 bytes). All: the edges of
            // each header field, the last byte, and random places.
            List<Long> offsets = new ArrayList<>();
            String kind = rel.substring(rel.lastIndexOf('.') + 1);
            boolean everyHeaderByte = size <= 160 || kindsSeen.add(kind);
            for (long o = 0; o < (size <= 160 ? size : everyHeaderByte ? 64 : 0); o++) {
                offsets.add(o);
            }
            offsets.addAll(List.of(0L, 4L, 8L, 16L, 20L, 21L, 24L, 28L, 44L, 52L, 64L, size - 1));
            for (int i = 0; i < 3; i++) {
                offsets.add((long) random.nextInt((int) size));
            }
            byte[] pristineBytes = Files.readAllBytes(original);
            for (long off : offsets) {
                if (off < 0 || off >= size) {
                    continue;
                }
                byte[] bytes = pristineBytes.clone();
                bytes[(int) off] ^= (byte) (1 << random.nextInt(8));
                Files.write(pristine.resolve(rel), bytes);
                try {
                    assertDetected(
                            pristine,
                            encrypted,
                            damagedName(original),
                            "seed " + seed + ": flip at " + off + " of " + rel);
                } finally {
                    Files.write(pristine.resolve(rel), pristineBytes);
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(200);
        assertThat(files(pristine)).hasSameSizeAs(all);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void truncatedFile_isAnIntegrityError(boolean encrypted) throws IOException {
        build(encrypted);
        for (Path original : files(pristine)) {
            String rel = pristine.relativize(original).toString();
            Path victim = pristine.resolve(rel);
            byte[] bytes = Files.readAllBytes(victim);
            Files.write(victim, Arrays.copyOf(bytes, bytes.length / 2));
            try {
                assertDetected(pristine, encrypted, damagedName(victim), "truncation of " + rel);
            } finally {
                Files.write(victim, bytes);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void swappedBlocks_areDetected(boolean encrypted) throws IOException {
        build(encrypted);
        List<Path> blocks = files(pristine).stream()
                .filter(p -> p.toString().endsWith(".blk"))
                .toList();
        assertThat(blocks).hasSizeGreaterThan(30);
        Random random = new Random(7);
        for (int i = 0; i < 12; i++) {
            Path x = blocks.get(random.nextInt(blocks.size()));
            Path y = blocks.get(random.nextInt(blocks.size()));
            if (x.equals(y)) {
                continue;
            }
            Path root = copyOfPristine("swap");
            Path a = root.resolve(pristine.relativize(x).toString());
            Path b = root.resolve(pristine.relativize(y).toString());
            byte[] ab = Files.readAllBytes(a);
            Files.write(a, Files.readAllBytes(b));
            Files.write(b, ab);
            assertDetected(root, encrypted, ".blk", "swap of " + x.getFileName() + " and " + y.getFileName());
        }
    }

    @Test
    void olderManifestOrCatalogPutBack_isDetected() throws IOException {
        Path root = tmp.resolve("rollback");
        Path saved = tmp.resolve("saved");
        Files.createDirectories(saved);
        expected = new TreeMap<>();
        try (Store store = Store.create(root, "rb", new ClusterLayout(1, 2), keys(true))) {
            store.maxManifestDeltas(0); // whole manifests: ManifestDeltaTest puts back deltas
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "a", COLS));
                tx.append("a", RowBatch.builder(COLS, 1).addRow(1L, 1.0, "one"));
                tx.commit();
            }
            // Keep the version-1 manifest and the catalog file as they are now.
            List<Path> v1 = files(root);
            for (Path p : v1) {
                Files.copy(p, saved.resolve(p.getFileName().toString()));
            }
            try (Transaction tx = store.begin()) {
                tx.append("a", RowBatch.builder(COLS, 1).addRow(2L, 2.0, "two"));
                tx.commit();
            }
            try (Snapshot s = store.snapshot()) {
                expected.put("a", Fixtures.countAndChecksum(s.table("a")));
                expected.put("b", "");
                expected.put("c", "");
            }
        }
        // The current manifest replaced by the older one, under the current name.
        Path currentManifest = files(root).stream()
                .filter(p -> p.toString().endsWith(".man"))
                .findFirst()
                .orElseThrow();
        Path oldManifest = files(saved).stream()
                .filter(p -> p.toString().endsWith(".man"))
                .findFirst()
                .orElseThrow();
        byte[] keep = Files.readAllBytes(currentManifest);
        Files.write(currentManifest, Files.readAllBytes(oldManifest));
        assertDetectedSingle(root, currentManifest.getFileName().toString());
        Files.write(currentManifest, keep);
        // The current catalog replaced by the older one.
        Path currentCatalog = files(root).stream()
                .filter(p -> p.toString().endsWith(".cat"))
                .findFirst()
                .orElseThrow();
        Path oldCatalog = files(saved).stream()
                .filter(p -> p.toString().endsWith(".cat"))
                .findFirst()
                .orElseThrow();
        // The current catalog is also the commit pointer (a hard link named CURRENT): putting the older catalog back
        // under its name puts it back as the pointer too, which then names a catalog that the collector deleted.
        assertThat(Files.isSameFile(currentCatalog, root.resolve("CURRENT"))).isTrue();
        Files.write(currentCatalog, Files.readAllBytes(oldCatalog));
        assertDetectedSingle(root, oldCatalog.getFileName().toString() + " is missing");
    }

    private void assertDetectedSingle(Path root, String damaged) {
        try (Store store = Store.open(root, keys(true));
                Snapshot s = store.snapshot()) {
            Fixtures.countAndChecksum(s.table("a"));
            fail("rollback of " + damaged + " was not detected");
        } catch (StrongroomException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE);
            assertThat(e.getMessage()).contains(damaged);
        }
    }
}
