package io.strongroom.bench;

import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.KeyRotation;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import io.strongroom.storage.format.Bindings;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import io.strongroom.storage.format.ZoneMap;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Database key rotation: how long rotating a store of 100,000 and 1,000,000 blocks takes, how many queries per
 * second a scan loop runs around (before and after) and during the rotation (side by side), and the longest commit of a writer loop
 * before and during it (what the switch costs writers).
 *
 * <p>The store has a real table {@code q} (queried and written) and a table {@code big} whose manifest lists
 * {@code blocks} tiny blocks built directly through the storage format API: each entry carries a real block key
 * wrapped under the database key, but no block file exists, since rotation only rewraps keys and never reads a
 * block. That is what makes a million blocks cheap to set up.
 *
 * <p>Usage: {@code RotationThroughput [blockCounts, comma-separated] [workDir]}; default {@code 100000,1000000}.
 */
public final class RotationThroughput {
    private static final List<Column> COLS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.BIGINT));

    private RotationThroughput() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        String counts = args.length > 0 ? args[0] : "100000,1000000";
        Path base = Files.createTempDirectory(
                Path.of(args.length > 1 ? args[1] : System.getProperty("java.io.tmpdir")), "strongroom-rotbench");
        out.printf(
                Locale.ROOT,
                "%10s %10s %12s %12s %10s %14s %14s%n",
                "blocks",
                "rotate s",
                "q/s around",
                "q/s during",
                "ratio",
                "max commit ms",
                "(around)");
        for (String c : counts.split(",")) {
            int blocks = Integer.parseInt(c.trim());
            run(out, base.resolve("s" + blocks), blocks);
        }
        deleteTree(base);
    }

    private static DatabaseKey dek(int version, SecureRandom random) {
        byte[] m = new byte[32];
        random.nextBytes(m);
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "bench/dek", version), SecretBytes.copyOf(m));
    }

    private static void run(PrintStream out, Path dir, int blocks) throws Exception {
        SecureRandom random = new SecureRandom();
        try (DatabaseKey v1 = dek(1, random);
                DatabaseKey v2 = dek(2, random)) {
            ClusterLayout layout = new ClusterLayout(1, 4);
            try (Store s = Store.create(dir, "rotbench", layout, StoreKeys.of(v1))) {
                try (Transaction tx = s.begin()) {
                    tx.createTable(TableSpec.of("public", "q", COLS));
                    tx.createTable(TableSpec.of("public", "w", COLS));
                    tx.createTable(TableSpec.of("public", "big", List.of(COLS.get(0))));
                    for (int b = 0; b < 4; b++) {
                        tx.append("q", batch(b * 250_000L, 250_000));
                    }
                    tx.commit();
                }
            }
            addBigManifest(dir, v1, blocks, layout.sliceCount());
            try (Store s = Store.open(dir, StoreKeys.of(v1))) {
                // Warm up, then measure queries and commits before.
                measure(s, 2_000_000_000L, null, null);
                long[] before = measure(s, 3_000_000_000L, null, null);
                long[] rotateNanos = {0};
                long[] phases = {0, 0, 0};
                long[] switchAt = {0, 0};
                List<long[]> commits = java.util.Collections.synchronizedList(new ArrayList<>());
                long[] during = measure(s, 0, commits, () -> {
                    long t0 = System.nanoTime();
                    s.rotateDatabaseKey(v2, new KeyRotation.Listener() {
                        @Override
                        public void progress(long done, long total) {
                            if (done == 0) {
                                phases[0] = System.nanoTime() - t0;
                            }
                            if (done == total) {
                                phases[1] = System.nanoTime() - t0;
                            }
                        }

                        @Override
                        public void switched(long pausedNanos) {
                            switchAt[1] = System.nanoTime();
                            switchAt[0] = switchAt[1] - pausedNanos;
                            phases[2] = pausedNanos;
                        }
                    });
                    rotateNanos[0] = System.nanoTime() - t0;
                });
                // Queries against the same store after the rotation: "around" is the mean of the windows before and
                // after it, which evens out a machine whose load drifts (shared cores).
                long[] after = measure(s, 3_000_000_000L, null, null);
                // The writers' view of the switch: the longest commit that was running while the lock was held.
                long stalled = 0;
                synchronized (commits) {
                    for (long[] c : commits) {
                        if (c[0] <= switchAt[1] && c[1] >= switchAt[0]) {
                            stalled = Math.max(stalled, c[1] - c[0]);
                        }
                    }
                }
                double qpsBefore = (before[0] + after[0]) * 1e9 / (before[1] + after[1]);
                double qpsDuring = during[0] * 1e9 / during[1];
                out.printf(
                        Locale.ROOT,
                        "%10d %10.2f %12.1f %12.1f %10.2f %14.1f %14.1f%n",
                        blocks,
                        rotateNanos[0] / 1e9,
                        qpsBefore,
                        qpsDuring,
                        qpsDuring / qpsBefore,
                        during[2] / 1e6,
                        Math.max(before[2], after[2]) / 1e6);
                out.printf(
                        Locale.ROOT,
                        "           record %.2f s, rewrap %.2f s, manifests + switch %.2f s; writes paused %.1f ms (switch),"
                                + " longest commit across it %.1f ms; q/s before %.1f, after %.1f;"
                                + " GC pauses ms/s before %.0f, during %.0f, after %.0f%n",
                        phases[0] / 1e9,
                        (phases[1] - phases[0]) / 1e9,
                        (rotateNanos[0] - phases[1]) / 1e9,
                        phases[2] / 1e6,
                        stalled / 1e6,
                        before[0] * 1e9 / before[1],
                        after[0] * 1e9 / after[1],
                        before[3] * 1e9 / before[1],
                        during[3] * 1e9 / during[1],
                        after[3] * 1e9 / after[1]);
                if (s.currentKeyVersion() != 2) {
                    throw new IllegalStateException("rotation did not switch the key");
                }
            }
        }
    }

    /**
     * Runs a scan loop and a writer loop for {@code nanos}, or while {@code work} runs; returns {queries, elapsed
     * nanos, longest commit nanos, GC pause millis}. {@code commits}, when given, receives each commit's start and
     * end.
     */
    private static long[] measure(
            Store s,
            long nanos,
            @org.jspecify.annotations.Nullable List<long[]> commits,
            @org.jspecify.annotations.Nullable Runnable work)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong queries = new AtomicLong();
        AtomicLong maxCommit = new AtomicLong();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                while (!stop.get()) {
                    try (Snapshot snap = s.snapshot()) {
                        scan(snap.table("q"));
                    }
                    queries.incrementAndGet();
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        Thread writer = Thread.ofPlatform().start(() -> {
            long n = 0;
            try {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    try (Transaction tx = s.begin()) {
                        tx.append("w", batch(n, 100));
                        tx.commit();
                    }
                    n += 100;
                    long t1 = System.nanoTime();
                    maxCommit.accumulateAndGet(t1 - t0, Math::max);
                    if (commits != null) {
                        commits.add(new long[] {t0, t1});
                    }
                    Thread.sleep(5);
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        long gc0 = gcPauseMillis();
        long t0 = System.nanoTime();
        if (work != null) {
            work.run();
        } else {
            Thread.sleep(nanos / 1_000_000);
        }
        long elapsed = System.nanoTime() - t0;
        long gc = gcPauseMillis() - gc0;
        long q = queries.get();
        stop.set(true);
        reader.join();
        writer.join();
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a query or commit failed", failures.get(0));
        }
        return new long[] {q, elapsed, maxCommit.get(), gc};
    }

    /** Milliseconds the collectors have stopped the application so far (concurrent cycles left out). */
    private static long gcPauseMillis() {
        long ms = 0;
        for (java.lang.management.GarbageCollectorMXBean b :
                java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            if (!b.getName().contains("Concurrent")) {
                ms += Math.max(0, b.getCollectionTime());
            }
        }
        return ms;
    }

    private static long scan(TableReader reader) {
        long sum = 0;
        for (TableReader.SliceScan sc : reader.scan(ScanSpec.all(COLS.size()))) {
            while (sc.hasNext()) {
                RowBatch b = sc.next();
                for (int r = 0; r < b.rowCount(); r++) {
                    sum += b.column(1).getLong(r);
                }
            }
        }
        return sum;
    }

    private static RowBatch batch(long from, int rows) {
        RowBatch b = RowBatch.builder(COLS, rows);
        for (long i = from; i < from + rows; i++) {
            b.addRow(i, i * 31);
        }
        return b;
    }

    /**
     * Gives table {@code big} a manifest of {@code blocks} one-row blocks spread over the slices, each with its own
     * block key wrapped under {@code dek}, and commits it by writing a new catalog and switching the pointer, as a
     * commit would. No block file is written.
     */
    private static void addBigManifest(Path dir, DatabaseKey dek, int blocks, int slices) {
        StoreFiles.Superblock sb = StoreFiles.readSuperblock(dir);
        StoreFiles files = new StoreFiles(dir, sb.storeId());
        Sealer sealer = new Sealer(StoreKeys.of(dek), sb.newestKeyVersion());
        StoreFiles.Pointer p = files.readPointer(sealer);
        Catalog cat = files.readCatalog(p.seq(), p.catalogDigest(), sealer);
        Catalog.Entry big = cat.tables().stream()
                .filter(e -> e.spec().name().equals("big"))
                .findFirst()
                .orElseThrow();
        long tableId = big.tableId();
        long[] sliceRows = new long[slices];
        List<BlockRef> refs = new ArrayList<>(blocks);
        long nextBlock = cat.nextBlockId();
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < blocks; i++) {
            int slice = i % slices;
            long blockId = nextBlock++;
            byte[] wrapped;
            try (BlockKey k = BlockKey.generate(random)) {
                wrapped = sealer.wrapBlockKey(
                        k, Bindings.blockKey(sb.storeId(), tableId, 0, slice, blockId, dek.version()));
            }
            refs.add(new BlockRef(
                    blockId, 0, slice, sliceRows[slice], 1, 0, 64, dek.version(), ZoneMap.ofLongs(i, i), wrapped));
            sliceRows[slice]++;
        }
        long version = big.manifestVersion() + 1;
        TableManifest m = new TableManifest(tableId, version, sliceRows, refs, Map.of());
        byte[] mb = files.encodeManifest(m, sealer);
        try {
            Files.createDirectories(files.tableDir(tableId));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        DurableFiles.writeNew(files.manifestFile(tableId, version), mb);
        List<Catalog.Entry> entries = new ArrayList<>();
        for (Catalog.Entry e : cat.tables()) {
            entries.add(
                    e.tableId() == tableId
                            ? new Catalog.Entry(
                                    tableId, e.spec(), e.nextColumnId(), version, StoreFiles.sha256(mb), blocks)
                            : e);
        }
        Catalog next = new Catalog(cat.seq() + 1, cat.nextTableId(), nextBlock, entries);
        byte[] cb = files.encodeCatalog(next, sealer);
        DurableFiles.writeNew(files.catalogFile(next.seq()), cb);
        DurableFiles.replaceAtomically(
                dir.resolve(StoreFiles.POINTER),
                files.encodePointer(new StoreFiles.Pointer(next.seq(), StoreFiles.sha256(cb)), sealer));
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
