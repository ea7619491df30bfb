package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.format.Bindings;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.Catalog.Entry;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.StoreFiles.Pointer;
import io.strongroom.storage.format.StoreFiles.Superblock;
import io.strongroom.storage.format.TableManifest;
import io.strongroom.storage.format.WrappedBlockKeys;
import io.strongroom.storage.format.ZoneMap;
import io.strongroom.testkit.seed.Seeds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Database key rotation: metadata only, online, and crash-safe at every durable step. */
class KeyRotationTest {
    @TempDir
    Path tmp;

    static final List<Column> COLS = CrashTest.COLS;

    static DatabaseKey dek(int version, byte seed) {
        byte[] m = new byte[32];
        Arrays.fill(m, seed);
        m[1] = (byte) version;
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, Fixtures.DEK_ID, version), SecretBytes.copyOf(m));
    }

    /** A store under DEK v1 with two tables, several commits and some deletes. */
    private static Store populated(Path dir, DatabaseKey v1, BiConsumer<CommitStep, @Nullable Path> faults) {
        Store s = Store.create(dir, "rot", new ClusterLayout(1, 2), StoreKeys.of(v1), Fixtures.commitSteps(faults));
        try (Transaction tx = s.begin()) {
            tx.createTable(TableSpec.of("public", "t", COLS));
            tx.createTable(TableSpec.of("public", "all_types", Fixtures.allTypes()));
            tx.commit();
        }
        for (int b = 0; b < 4; b++) {
            try (Transaction tx = s.begin()) {
                tx.append("t", CrashTest.batch(b, 500));
                tx.append("all_types", Fixtures.allTypesBatch(b * 100L, 100));
                tx.commit();
            }
        }
        try (Transaction tx = s.begin()) {
            tx.delete("t", (bt, r) -> bt.column(0).getLong(r) % 7 == 0);
            tx.commit();
        }
        return s;
    }

    private static String checksums(Store s) {
        try (Snapshot snap = s.snapshot()) {
            return Fixtures.countAndChecksum(snap.table("t")) + "/"
                    + Fixtures.countAndChecksum(snap.table("all_types"));
        }
    }

    /** SHA-256 of every block file, by path. */
    private static Map<String, String> blockHashes(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".blk")).toList()) {
                try {
                    out.put(
                            root.relativize(p).toString(),
                            HexFormat.of()
                                    .formatHex(
                                            MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    @Test
    void rotate_rewrapsBlockKeys_leavesBlocksUntouched() throws IOException {
        Path dir = tmp.resolve("s");
        DatabaseKey v1 = dek(1, (byte) 1);
        DatabaseKey v2 = dek(2, (byte) 2);
        String before;
        Map<String, String> blocksBefore;
        List<long[]> progress = new ArrayList<>();
        AtomicInteger released = new AtomicInteger();
        try (Store s = populated(dir, v1, (step, file) -> {})) {
            before = checksums(s);
            blocksBefore = blockHashes(dir);
            assertThat(blocksBefore).isNotEmpty();
            s.rotateDatabaseKey(v2, new KeyRotation.Listener() {
                @Override
                public void progress(long rewrapped, long total) {
                    progress.add(new long[] {rewrapped, total});
                }

                @Override
                public void olderKeysReleased() {
                    released.incrementAndGet();
                }
            });
            assertThat(s.currentKeyVersion()).isEqualTo(2);
            assertThat(s.newestKeyVersion()).isEqualTo(2);
            assertThat(released).hasValue(1);
            assertThat(checksums(s)).isEqualTo(before);
            // Writes after the rotation go under the new key.
            try (Transaction tx = s.begin()) {
                tx.append("t", CrashTest.batch(100, 10));
                tx.commit();
            }
        }
        long total = progress.get(progress.size() - 1)[1];
        assertThat(total).isEqualTo(blocksBefore.size());
        assertThat(progress.get(progress.size() - 1)[0]).isEqualTo(total);
        Map<String, String> blocksAfter = blockHashes(dir);
        blocksBefore.forEach((file, hash) -> assertThat(blocksAfter).containsEntry(file, hash));
        assertThat(Store.committedKeyVersion(dir)).isEqualTo(2);
        // Every block key is now under v2 alone: the old DEK is no longer needed to read anything.
        try (Store s = Store.open(dir, StoreKeys.of(v2))) {
            try (Snapshot snap = s.snapshot()) {
                assertThat(Fixtures.countAndChecksum(snap.table("all_types")))
                        .isEqualTo(before.substring(before.indexOf('/') + 1));
                assertThat(Fixtures.countAndChecksum(snap.table("t")))
                        .startsWith((Long.parseLong(before.substring(0, before.indexOf(':'))) + 10) + ":");
            }
        }
        assertThatThrownBy(() -> Store.open(dir, StoreKeys.of(v1)))
                .isInstanceOf(StrongroomException.class)
                .extracting(e -> ((StrongroomException) e).code())
                .isEqualTo(ErrorCode.WRONG_KEY);
    }

    /**
     * Commits made while the rotation runs are caught up by passes outside the commit lock; the switch, under the
     * lock, rewrites only tables a commit changed after the last pass. A commit is made from the fault hook right
     * after chosen manifest writes, so the schedule is exact.
     */
    @Test
    void rotate_catchesUpWithCommitsOutsideTheLock_andTheSwitchRewritesOnlyWhatCameLast() throws IOException {
        for (int commits : new int[] {2, 3}) {
            DatabaseKey v1 = dek(1, (byte) 1);
            DatabaseKey v2 = dek(2, (byte) 2);
            Path dir = tmp.resolve("catch-up-" + commits);
            Store[] store = new Store[1];
            boolean[] rotating = {false};
            int[] made = {0};
            List<Boolean> underLock = new ArrayList<>();
            BiConsumer<CommitStep, @Nullable Path> faults = (step, file) -> {
                if (!rotating[0] || step != CommitStep.ROTATION_MANIFEST_WRITTEN) {
                    return;
                }
                boolean locked = store[0].commitLock().isHeldByCurrentThread();
                underLock.add(locked);
                if (!locked && made[0] < commits) {
                    made[0]++;
                    try (Transaction tx = store[0].begin()) {
                        tx.append("t", CrashTest.batch(300 + made[0], 50));
                        tx.commit();
                    }
                }
            };
            long rowsBefore;
            try (Store s = populated(dir, v1, faults)) {
                store[0] = s;
                String before = checksums(s);
                rowsBefore = Long.parseLong(before.substring(0, before.indexOf(':')));
                rotating[0] = true;
                s.rotateDatabaseKey(v2, KeyRotation.Listener.NONE);
                rotating[0] = false;
                assertThat(s.currentKeyVersion()).isEqualTo(2);
            }
            // Two tables in the first pass (a commit after each), one catch-up pass for "t" outside the lock; a
            // third commit, made during that pass, is all the switch has to rewrap under the lock.
            assertThat(underLock)
                    .as("%d commits", commits)
                    .isEqualTo(commits == 2 ? List.of(false, false, false) : List.of(false, false, false, true));
            try (Store s = Store.open(dir, StoreKeys.of(v2));
                    Snapshot snap = s.snapshot()) {
                assertThat(Fixtures.countAndChecksum(snap.table("t"))).startsWith((rowsBefore + 50L * commits) + ":");
            }
        }
    }

    /**
     * Gives table {@code tableName} a manifest of {@code blocks} one-row blocks, each with a fresh block key wrapped
     * under {@code dek}, committed as a commit would; no block file is written (rotation never reads one). Returns,
     * per block id, a sample encrypted under that block's key, to check after the rotation that it is the same key.
     */
    private static Map<Long, byte[]> addManyBlocks(Path dir, DatabaseKey dek, String tableName, int blocks) {
        Superblock sb = StoreFiles.readSuperblock(dir);
        StoreFiles files = new StoreFiles(dir, sb.storeId());
        Sealer sealer = new Sealer(StoreKeys.of(dek), sb.newestKeyVersion());
        Pointer p = files.readPointer(sealer);
        Catalog cat = files.readCatalog(p.seq(), p.catalogDigest(), sealer);
        Entry e = cat.tables().stream()
                .filter(t -> t.spec().name().equals(tableName))
                .findFirst()
                .orElseThrow();
        int slices = sb.layout().sliceCount();
        long[] sliceRows = new long[slices];
        List<BlockRef> refs = new ArrayList<>();
        WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(blocks);
        Map<Long, byte[]> samples = new TreeMap<>();
        long nextBlock = cat.nextBlockId();
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < blocks; i++) {
            int slice = i % slices;
            long blockId = nextBlock++;
            try (BlockKey k = BlockKey.generate(random)) {
                byte[] wrapped = sealer.wrapBlockKey(
                        k, Bindings.blockKey(sb.storeId(), e.tableId(), 0, slice, blockId, dek.version()));
                samples.put(blockId, k.encrypt(SAMPLE_AD, new byte[8], 0, 8));
                refs.add(new BlockRef(blockId, 0, slice, sliceRows[slice]++, 1, 0, 64, ZoneMap.ofLongs(i, i)));
                keys.add(dek.version(), wrapped);
            }
        }
        long version = e.manifestVersion() + 1;
        TableManifest m = new TableManifest(e.tableId(), version, sliceRows, refs, keys.build(), Map.of());
        byte[] mb = files.encodeManifest(m, sealer);
        DurableFiles.writeNew(files.manifestFile(e.tableId(), version), mb);
        List<Entry> entries = new ArrayList<>();
        for (Entry t : cat.tables()) {
            entries.add(
                    t.tableId() == e.tableId()
                            ? new Entry(t.tableId(), t.spec(), t.nextColumnId(), version, StoreFiles.sha256(mb), blocks)
                            : t);
        }
        Catalog next = new Catalog(cat.seq() + 1, cat.nextTableId(), nextBlock, entries);
        byte[] cb = files.encodeCatalog(next, sealer);
        DurableFiles.writeNew(files.catalogFile(next.seq()), cb);
        DurableFiles.replaceAtomically(
                dir.resolve(StoreFiles.POINTER),
                files.encodePointer(new Pointer(next.seq(), StoreFiles.sha256(cb)), sealer));
        return samples;
    }

    private static final AssociatedData SAMPLE_AD =
            AssociatedData.of("test/sample/v1").build();

    /**
     * Thousands of blocks go through the chunked background path: with the real clock the low-priority workers
     * claim the chunks; with a clock that leaps a second at every look the rotation is always behind its pace, so the
     * rotating thread claims chunks too, beside the workers (which the ceiling pace never holds back). Either way every block
     * key is rewrapped once, to the same key, bound to its block and the new version, and the blocks' entries are
     * shared with the manifest before.
     */
    @Test
    void rotate_ofThousandsOfBlocks_rewrapsEveryKeyOnce_whoeverClaimsTheChunks() {
        for (boolean alwaysBehind : new boolean[] {false, true}) {
            Path dir = tmp.resolve("many-" + alwaysBehind);
            DatabaseKey v1 = dek(1, (byte) 1);
            DatabaseKey v2 = dek(2, (byte) 2);
            try (Store s = Store.create(dir, "many", new ClusterLayout(1, 3), StoreKeys.of(v1))) {
                try (Transaction tx = s.begin()) {
                    tx.createTable(TableSpec.of("public", "big", List.of(COLS.get(0))));
                    tx.commit();
                }
            }
            int blocks = 40_000; // three manifest parts (ManifestParts.ENTRIES_PER_PART)
            Map<Long, byte[]> samples = addManyBlocks(dir, v1, "big", blocks);
            long[] now = {0};
            LongSupplier clock = alwaysBehind ? () -> now[0] += 1_000_000_000L : System::nanoTime;
            List<long[]> progress = new ArrayList<>();
            try (Store s = Store.open(dir, StoreKeys.of(v1))) {
                long bigId = s.current().catalog().tables().get(0).tableId();
                List<BlockRef> refsBefore = s.current().manifest(bigId).blocks();
                new KeyRotation(s, v2, (done, total) -> progress.add(new long[] {done, total}), clock).run();
                assertThat(s.currentKeyVersion()).isEqualTo(2);
                // Only the keys are new: the rotated manifest shares the very block list, so a rotation leaves
                // no object per block for young collections to copy.
                assertThat(s.current().manifest(bigId).blocks()).isSameAs(refsBefore);
            }
            assertThat(progress.get(progress.size() - 1)).containsExactly(blocks, blocks);
            try (Store s = Store.open(dir, StoreKeys.of(v2))) {
                StoreVersion v = s.current();
                long tableId = v.catalog().tables().get(0).tableId();
                TableManifest m = v.manifest(tableId);
                assertThat(m.blocks()).hasSize(blocks);
                for (int i = 0; i < blocks; i++) {
                    BlockRef b = m.blocks().get(i);
                    assertThat(m.keys().dekVersion(i)).isEqualTo(2);
                    try (BlockKey k = s.sealer()
                            .unwrapBlockKey(
                                    m.keys().wrappedKey(i),
                                    2,
                                    Bindings.blockKey(s.storeId(), tableId, b.columnId(), b.slice(), b.blockId(), 2),
                                    "block " + b.blockId())) {
                        byte[] sample = samples.get(b.blockId());
                        assertThat(k.decrypt(SAMPLE_AD, sample, 0, sample.length))
                                .hasSize(8);
                    }
                }
            }
        }
    }

    @Test
    void pace_fallsBehindOnlyAfterTheGrace_andWhenBlocksLagTheFloor() {
        long[] now = {1_000};
        KeyRotation.Pace pace = new KeyRotation.Pace(() -> now[0]);
        assertThat(pace.behind()).isFalse();
        now[0] += KeyRotation.GRACE_NANOS;
        assertThat(pace.behind()).isFalse();
        now[0] += 1;
        assertThat(pace.behind()).isTrue();
        pace.done(1_000, KeyRotation.NANOS_PER_BLOCK);
        assertThat(pace.behind()).isFalse();
        assertThat(pace.slackNanos()).isEqualTo(1_000 * KeyRotation.NANOS_PER_BLOCK - 1);
        now[0] += 1_000 * KeyRotation.NANOS_PER_BLOCK;
        assertThat(pace.behind()).isTrue();
        pace.credit(2);
        assertThat(pace.slackNanos()).isEqualTo(1);
    }

    @Test
    void rotate_refusesAnOldVersionAndUnencryptedStores() {
        DatabaseKey v1 = dek(1, (byte) 1);
        try (Store s = populated(tmp.resolve("a"), v1, (step, file) -> {})) {
            assertThatThrownBy(() -> s.rotateDatabaseKey(dek(1, (byte) 9), KeyRotation.Listener.NONE))
                    .hasMessageContaining("not newer");
        }
        try (Store s = Store.create(tmp.resolve("b"), "u", new ClusterLayout(1, 1), StoreKeys.unencrypted())) {
            assertThatThrownBy(() -> s.rotateDatabaseKey(dek(2, (byte) 2), KeyRotation.Listener.NONE))
                    .hasMessageContaining("not encrypted");
        }
    }

    @Test
    void rotate_whileReadingAndWriting_allSucceed_andOldKeyWaitsForOpenSnapshots() throws Exception {
        DatabaseKey v1 = dek(1, (byte) 1);
        DatabaseKey v2 = dek(2, (byte) 2);
        try (Store s = populated(tmp.resolve("s"), v1, (step, file) -> {})) {
            try (Transaction tx = s.begin()) {
                tx.createTable(TableSpec.of("public", "e", COLS));
                tx.commit();
            }
            String before = checksums(s);
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger reads = new AtomicInteger();
            AtomicInteger commits = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        try (Snapshot snap = s.snapshot()) {
                            assertThat(Fixtures.countAndChecksum(snap.table("all_types")))
                                    .isEqualTo(before.substring(before.indexOf('/') + 1));
                            Fixtures.countAndChecksum(snap.table("t"));
                            reads.incrementAndGet();
                        } catch (Throwable t) {
                            failures.add(t);
                            return;
                        }
                    }
                }));
            }
            // A transaction that began before the rotation and commits after it.
            Transaction early = s.begin();
            early.append("e", CrashTest.batch(1000, 50));
            threads.add(Thread.ofPlatform().start(() -> {
                int n = 0;
                while (!stop.get()) {
                    try (Transaction tx = s.begin()) {
                        tx.append("t", CrashTest.batch(2000 + n++, 20));
                        tx.commit();
                        commits.incrementAndGet();
                    } catch (Throwable t) {
                        failures.add(t);
                        return;
                    }
                }
            }));
            Snapshot held = s.snapshot();
            AtomicInteger released = new AtomicInteger();
            s.rotateDatabaseKey(v2, new KeyRotation.Listener() {
                @Override
                public void progress(long rewrapped, long total) {}

                @Override
                public void olderKeysReleased() {
                    released.incrementAndGet();
                }
            });
            early.commit();
            // A second rotation while the first one's old key is still needed: it keeps that key too.
            AtomicInteger released3 = new AtomicInteger();
            s.rotateDatabaseKey(dek(3, (byte) 3), new KeyRotation.Listener() {
                @Override
                public void progress(long rewrapped, long total) {}

                @Override
                public void olderKeysReleased() {
                    released3.incrementAndGet();
                }
            });
            assertThat(s.currentKeyVersion()).isEqualTo(3);
            // Let the readers and the writer run a while under the new key too.
            long until = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < until && failures.isEmpty()) {
                Thread.onSpinWait();
            }
            assertThat(released)
                    .as("old key is kept while a snapshot from before the switch is open")
                    .hasValue(0);
            assertThat(Fixtures.countAndChecksum(held.table("all_types")))
                    .isEqualTo(before.substring(before.indexOf('/') + 1));
            held.close();
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).isEmpty();
            assertThat(released).hasValue(1);
            assertThat(released3).hasValue(1);
            assertThat(reads.get()).isPositive();
            long rowsT = Long.parseLong(before.substring(0, before.indexOf(':'))) + 20L * commits.get();
            try (Snapshot snap = s.snapshot()) {
                assertThat(Fixtures.countAndChecksum(snap.table("t"))).startsWith(rowsT + ":");
                assertThat(Fixtures.countAndChecksum(snap.table("e"))).startsWith("50:");
            }
        }
        // Everything committed is readable with the newest key alone.
        try (Store s = Store.open(tmp.resolve("s"), StoreKeys.of(dek(3, (byte) 3)))) {
            checksums(s);
        }
    }

    /** Thrown by the fault schedule after copying the store as the disk holds it at that moment. */
    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash() {
            super("simulated crash");
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else if (!p.getFileName().toString().equals(StoreFiles_LOCK)) {
                    Files.copy(p, t);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final String StoreFiles_LOCK = StoreFiles.LOCK;

    @Test
    void crashAtEveryStepOfRotation_reopensToOneWholeVersion_withTheRightKeys() throws IOException {
        long seed = Seeds.of("KeyRotationTest");
        Random random = new Random(seed);
        DatabaseKey v1 = dek(1, (byte) 1);
        DatabaseKey v2 = dek(2, (byte) 2);
        // Count the durable steps of a rotation when nothing fails.
        boolean[] rotating = {false};
        int[] steps = {0};
        String expected;
        try (Store s = populated(tmp.resolve("count"), v1, (step, file) -> {
            if (rotating[0]) {
                steps[0]++;
            }
        })) {
            expected = checksums(s);
            rotating[0] = true;
            s.rotateDatabaseKey(v2, KeyRotation.Listener.NONE);
        }
        assertThat(steps[0]).as("seed %d", seed).isGreaterThanOrEqualTo(8);
        int old = 0;
        int rotated = 0;
        for (int k = 1; k <= steps[0]; k++) {
            Path dir = tmp.resolve("run" + k);
            Path image = tmp.resolve("image" + k);
            int crashAt = k;
            int[] seen = {0};
            rotating[0] = false;
            Store s = populated(dir, v1, (step, file) -> {
                if (rotating[0] && ++seen[0] == crashAt) {
                    // Sometimes the commit pointer's temporary file is torn, as a crash mid-write would leave it.
                    if (file != null && file.getFileName().toString().endsWith(".tmp") && random.nextBoolean()) {
                        try {
                            byte[] b = Files.readAllBytes(file);
                            Files.write(file, Arrays.copyOf(b, b.length / 2));
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    copyTree(dir, image);
                    throw new Crash();
                }
            });
            rotating[0] = true;
            assertThatThrownBy(() -> s.rotateDatabaseKey(v2, KeyRotation.Listener.NONE))
                    .as("seed %d step %d", seed, k)
                    .isInstanceOf(Crash.class);
            s.close();
            int committed = Store.committedKeyVersion(image);
            assertThat(committed).as("seed %d step %d", seed, k).isIn(1, 2);
            // The ring {old, new} always opens; the one key the pointer names alone also does.
            try (Store r = Store.open(image, StoreKeys.of(List.of(v1, v2)))) {
                assertThat(checksums(r)).as("seed %d step %d", seed, k).isEqualTo(expected);
            }
            try (Store r = Store.open(image, StoreKeys.of(committed == 2 ? v2 : v1))) {
                assertThat(checksums(r)).as("seed %d step %d", seed, k).isEqualTo(expected);
                if (committed == 1) {
                    old++;
                    // A rolled-back rotation can be run again, to a version never used before.
                    r.rotateDatabaseKey(dek(3, (byte) 3), KeyRotation.Listener.NONE);
                    assertThat(checksums(r)).isEqualTo(expected);
                } else {
                    rotated++;
                }
            }
        }
        assertThat(old).isPositive();
        assertThat(rotated).isPositive();
    }

    // ---- a real kill -9 ----

    @Test
    void killMinus9_duringRotations_reopensWithTheKeyThePointerNames() throws Exception {
        Path dir = tmp.resolve("killed");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(
                        javaBin,
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        RotateLoop.class.getName(),
                        dir.toString())
                .redirectErrorStream(true)
                .start();
        long seed = Seeds.of("KeyRotationTest");
        Random random = new Random(seed);
        int target = 3 + random.nextInt(10);
        int lastReported = 0;
        String expected = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("ready ")) {
                    expected = line.substring(6);
                } else if (line.startsWith("rotated ")) {
                    lastReported = Integer.parseInt(line.substring(8));
                    if (lastReported >= target) {
                        break;
                    }
                }
            }
            // SIGKILL in the middle of the next rotation (or just after it).
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(lastReported).as("seed %d: child reported rotations", seed).isGreaterThanOrEqualTo(target);
        int committed = Store.committedKeyVersion(dir);
        assertThat(committed).as("seed %d", seed).isIn(lastReported, lastReported + 1);
        try (Store s =
                Store.open(dir, StoreKeys.of(List.of(RotateLoop.key(committed), RotateLoop.key(committed + 1))))) {
            assertThat(checksums(s)).as("seed %d", seed).isEqualTo(expected);
        }
        try (Store s = Store.open(dir, StoreKeys.of(RotateLoop.key(committed)))) {
            assertThat(checksums(s)).as("seed %d", seed).isEqualTo(expected);
        }
    }

    /** The child process: fills a store, then rotates its key again and again, printing each rotation. */
    public static final class RotateLoop {
        static DatabaseKey key(int version) {
            return dek(version, (byte) version);
        }

        public static void main(String[] args) {
            Path dir = Path.of(args[0]);
            try (Store s = Store.create(dir, "rot", new ClusterLayout(1, 2), StoreKeys.of(key(1)))) {
                try (Transaction tx = s.begin()) {
                    tx.createTable(TableSpec.of("public", "t", COLS));
                    tx.createTable(TableSpec.of("public", "all_types", Fixtures.allTypes()));
                    tx.commit();
                }
                for (int b = 0; b < 40; b++) {
                    try (Transaction tx = s.begin()) {
                        tx.append("t", CrashTest.batch(b, 1000));
                        if (b % 10 == 0) {
                            tx.append("all_types", Fixtures.allTypesBatch(b * 100L, 100));
                        }
                        tx.commit();
                    }
                }
                System.out.println("ready " + checksums(s));
                System.out.flush();
                for (int v = 2; ; v++) {
                    s.rotateDatabaseKey(key(v), KeyRotation.Listener.NONE);
                    System.out.println("rotated " + v);
                    System.out.flush();
                }
            }
        }
    }
}
