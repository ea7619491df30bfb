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
import io.strongroom.storage.format.WrappedBlockKeys;
import io.strongroom.storage.format.ZoneMap;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

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
 * <p>Usage: {@code RotationThroughput [blockCounts, comma-separated] [rounds] [workDir]}; default {@code
 * 100000,1000000 3}.
 */
public final class RotationThroughput {
    private static final List<Column> COLS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.BIGINT));

    private RotationThroughput() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        String counts = args.length > 0 ? args[0] : "100000,1000000";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path base = Files.createTempDirectory(
                Path.of(args.length > 2 ? args[2] : System.getProperty("java.io.tmpdir")), "strongroom-rotbench");
        out.printf(
                Locale.ROOT,
                "%10s %6s %10s %12s %12s %8s %10s %12s %14s%n",
                "blocks",
                "round",
                "rotate s",
                "q/s around",
                "q/s during",
                "ratio",
                "paused ms",
                "commit ms*",
                "max commit ms");
        // Warm-up, not printed: a small store rotated twice with queries and commits running, so that the rotation's
        // own code is compiled (on compiler threads at normal priority) before the first measured round.
        run(new PrintStream(OutputStream.nullOutputStream(), false, "UTF-8"), base.resolve("warm-up"), 20_000, 2);
        for (String c : counts.split(",")) {
            int blocks = Integer.parseInt(c.trim());
            run(out, base.resolve("s" + blocks), blocks, rounds);
        }
        out.println("* the longest commit that was running while the switch held the commit lock");
        deleteTree(base);
    }

    private static DatabaseKey dek(int version, SecureRandom random) {
        byte[] m = new byte[32];
        random.nextBytes(m);
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "bench/dek", version), SecretBytes.copyOf(m));
    }

    /** The window of queries measured around each rotation (before it, and after it, shared with the next). */
    private static final long WINDOW_NANOS = 2_500_000_000L;

    /**
     * One store of {@code blocks} blocks rotated {@code rounds} times. Windows of queries alone alternate with
     * rotations (W0, rotation 1, W1, rotation 2, W2, ...), and each rotation's throughput is compared with the mean
     * of the windows either side of it: a machine whose load drifts (shared cores) then skews one round, not all.
     */
    private static void run(PrintStream out, Path dir, int blocks, int rounds) throws Exception {
        SecureRandom random = new SecureRandom();
        List<DatabaseKey> keys = new ArrayList<>();
        for (int v = 1; v <= rounds + 1; v++) {
            keys.add(dek(v, random));
        }
        try {
            ClusterLayout layout = new ClusterLayout(1, 4);
            try (Store s = Store.create(dir, "rotbench", layout, StoreKeys.of(keys.get(0)))) {
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
            addBigManifest(dir, keys.get(0), blocks, layout.sliceCount());
            double[] ratios = new double[rounds];
            // Queries/s of the windows without rotation (W0, W1, ...): how far two of them differ is the noise floor
            // a round's ratio stands against.
            double[] windows = new double[rounds + 1];
            try (Store s = Store.open(dir, StoreKeys.of(keys.get(0)));
                    Workload w = new Workload(s)) {
                measure(w, 10_000_000_000L, null); // warm-up: the query and commit paths compiled
                long[] before = measure(w, WINDOW_NANOS, null);
                windows[0] = before[0] * 1e9 / before[1];
                for (int r = 1; r <= rounds; r++) {
                    DatabaseKey next = keys.get(r);
                    long[] rotateNanos = {0};
                    long[] phases = {0, 0, 0};
                    long[] switchAt = {0, 0};
                    long[] cpu = {0, 0};
                    long[] queriesAt = {0, 0, 0};
                    long[] during = measure(w, 0, () -> {
                        long workers0 = workerCpuNanos();
                        long own0 = THREADS.getCurrentThreadCpuTime();
                        long t0 = System.nanoTime();
                        queriesAt[0] = w.queries.get();
                        s.rotateDatabaseKey(next, new KeyRotation.Listener() {
                            @Override
                            public void progress(long done, long total) {
                                if (done == 0) {
                                    phases[0] = System.nanoTime() - t0;
                                }
                                if (done == total) {
                                    phases[1] = System.nanoTime() - t0;
                                    queriesAt[1] = w.queries.get();
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
                        queriesAt[2] = w.queries.get();
                        cpu[0] = THREADS.getCurrentThreadCpuTime() - own0;
                        cpu[1] = workerCpuNanos() - workers0;
                    });
                    if (s.currentKeyVersion() != next.version()) {
                        throw new IllegalStateException("rotation did not switch the key");
                    }
                    long[] after = measure(w, WINDOW_NANOS, null);
                    // The writers' view of the switch: the longest commit running while the lock was held.
                    long stalled = 0;
                    for (long[] c : w.commitsBetween(Long.MIN_VALUE, Long.MAX_VALUE)) {
                        if (c[0] <= switchAt[1] && c[1] >= switchAt[0]) {
                            stalled = Math.max(stalled, c[1] - c[0]);
                        }
                    }
                    double qpsAround = (before[0] + after[0]) * 1e9 / (before[1] + after[1]);
                    double qpsDuring = during[0] * 1e9 / during[1];
                    ratios[r - 1] = qpsDuring / qpsAround;
                    windows[r] = after[0] * 1e9 / after[1];
                    out.printf(
                            Locale.ROOT,
                            "%10d %6d %10.2f %12.1f %12.1f %8.2f %10.1f %12.1f %14.1f%n",
                            blocks,
                            r,
                            rotateNanos[0] / 1e9,
                            qpsAround,
                            qpsDuring,
                            ratios[r - 1],
                            phases[2] / 1e6,
                            stalled / 1e6,
                            during[2] / 1e6);
                    out.printf(
                            Locale.ROOT,
                            "%17s rewrap %.2f s (%.1f q/s), manifests + switch %.2f s (%.1f q/s); CPU %.2f s (%.2f s of it on the low-priority"
                                    + " workers); q/s before %.1f, after %.1f; max commit ms around %.1f; GC pauses ms/s"
                                    + " before %.0f, during %.0f, after %.0f; query thread on CPU %.0f%% before, %.0f%%"
                                    + " during, %.0f%% after, CPU ms per query %.1f before, %.1f during; commit ms p99"
                                    + " before %.1f, during %.1f; commits over 50 ms before %d of %d, during %d of %d; query"
                                    + " thread waiting for a core %.1f%% before, %.1f%% during, preempted %.0f/s before, %.0f/s"
                                    + " during%n",
                            "",
                            (phases[1] - phases[0]) / 1e9,
                            (queriesAt[1] - queriesAt[0]) * 1e9 / Math.max(1, phases[1]),
                            (rotateNanos[0] - phases[1]) / 1e9,
                            (queriesAt[2] - queriesAt[1]) * 1e9 / Math.max(1, rotateNanos[0] - phases[1]),
                            (cpu[0] + cpu[1]) / 1e9,
                            cpu[1] / 1e9,
                            before[0] * 1e9 / before[1],
                            after[0] * 1e9 / after[1],
                            Math.max(before[2], after[2]) / 1e6,
                            before[3] * 1e9 / before[1],
                            during[3] * 1e9 / during[1],
                            after[3] * 1e9 / after[1],
                            100.0 * before[4] / before[1],
                            100.0 * during[4] / during[1],
                            100.0 * after[4] / after[1],
                            before[4] / 1e6 / Math.max(1, before[0]),
                            during[4] / 1e6 / Math.max(1, during[0]),
                            before[6] / 1e6,
                            during[6] / 1e6,
                            before[7],
                            before[5],
                            during[7],
                            during[5],
                            100.0 * before[9] / Math.max(1, before[8] + before[9]),
                            100.0 * during[9] / Math.max(1, during[8] + during[9]),
                            before[10] * 1e9 / Math.max(1, before[8] + before[9]),
                            during[10] * 1e9 / Math.max(1, during[8] + during[9]));
                    before = after;
                }
            }
            double[] sorted = ratios.clone();
            Arrays.sort(sorted);
            out.printf(
                    Locale.ROOT,
                    "%10d median ratio %.2f over %d rounds (min %.2f, max %.2f)%n",
                    blocks,
                    sorted[sorted.length / 2],
                    rounds,
                    sorted[0],
                    sorted[sorted.length - 1]);
            double lo = Double.MAX_VALUE;
            double hi = 0;
            for (int r = 1; r <= rounds; r++) {
                double c = windows[r] / windows[r - 1];
                lo = Math.min(lo, c);
                hi = Math.max(hi, c);
            }
            out.printf(
                    Locale.ROOT,
                    "%10d control: a window without rotation against the one before it, ratio %.2f to %.2f%n",
                    blocks,
                    lo,
                    hi);
        } finally {
            for (DatabaseKey k : keys) {
                k.close();
            }
        }
    }

    /**
     * A scan loop and a writer loop (a 100-row commit every 5 ms) on one store, running from construction to close
     * across every window and rotation, so that no window pays for starting threads: a rotation of 100,000 blocks
     * lasts under a second, and fresh threads at its start weighed on it more than on the 2.5 s windows. Windows
     * read its counters at their bounds.
     */
    private static final class Workload implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong queries = new AtomicLong();
        /** Every commit's start and end (nanoTime). */
        private final List<long[]> commits = Collections.synchronizedList(new ArrayList<>());

        private final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        private final Thread reader;
        private final Thread writer;
        /** The reader's {@code /proc/self/task/<tid>} on Linux, once it has started. */
        private volatile @Nullable Path readerTask;

        Workload(Store s) throws InterruptedException {
            CountDownLatch started = new CountDownLatch(1);
            reader = Thread.ofPlatform().start(() -> {
                try {
                    readerTask = taskDir();
                    started.countDown();
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
            writer = Thread.ofPlatform().start(() -> {
                long n = 0;
                try {
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        try (Transaction tx = s.begin()) {
                            tx.append("w", batch(n, 100));
                            tx.commit();
                        }
                        n += 100;
                        commits.add(new long[] {t0, System.nanoTime()});
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            });
            started.await();
        }

        /** {nanoTime, queries, reader CPU ns, GC pause ms, reader ns on CPU, ns waiting for a core, preemptions}. */
        long[] sample() {
            if (!failures.isEmpty()) {
                throw new IllegalStateException("a query or commit failed", failures.get(0));
            }
            long[] sched = schedStat(readerTask);
            return new long[] {
                System.nanoTime(),
                queries.get(),
                Math.max(0, THREADS.getThreadCpuTime(reader.threadId())),
                gcPauseMillis(),
                sched[0],
                sched[1],
                sched[2]
            };
        }

        /** The commits that started in {@code [from, to)}. */
        List<long[]> commitsBetween(long from, long to) {
            synchronized (commits) {
                return commits.stream().filter(c -> c[0] >= from && c[0] < to).toList();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            reader.join();
            writer.join();
            if (!failures.isEmpty()) {
                throw new IllegalStateException("a query or commit failed", failures.get(0));
            }
        }
    }

    /**
     * The workload's numbers over {@code nanos}, or while {@code work} runs: {queries, elapsed nanos, longest commit
     * nanos, GC pause millis, CPU nanos of the query thread, commits, 99th percentile commit nanos, commits over 50
     * ms, reader ns on CPU, ns waiting for a core, preemptions}. Commits count if they started in the window.
     */
    private static long[] measure(Workload w, long nanos, @Nullable Runnable work) throws InterruptedException {
        long[] a = w.sample();
        if (work != null) {
            work.run();
        } else {
            Thread.sleep(nanos / 1_000_000);
        }
        long[] b = w.sample();
        long[] sorted = w.commitsBetween(a[0], b[0]).stream()
                .mapToLong(c -> c[1] - c[0])
                .sorted()
                .toArray();
        long p99 = sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))];
        long over50 = Arrays.stream(sorted).filter(n -> n > 50_000_000L).count();
        long max = sorted.length == 0 ? 0 : sorted[sorted.length - 1];
        return new long[] {
            b[1] - a[1],
            b[0] - a[0],
            max,
            b[3] - a[3],
            b[2] - a[2],
            sorted.length,
            p99,
            over50,
            b[4] - a[4],
            b[5] - a[5],
            b[6] - a[6]
        };
    }

    /** The calling thread's {@code /proc/self/task/<tid>} directory (Linux), or null. */
    private static @Nullable Path taskDir() {
        try {
            return Path.of("/proc").resolve(Files.readSymbolicLink(Path.of("/proc/thread-self")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * A thread's time on CPU and waiting on a run queue (ns), and how often it was preempted, from its {@code
     * /proc/self/task/<tid>} directory (Linux); zeros elsewhere.
     */
    static long[] schedStat(@Nullable Path task) {
        if (task == null) {
            return new long[3];
        }
        try {
            String[] f = Files.readString(task.resolve("schedstat")).trim().split(" ");
            long preempted = 0;
            for (String line : Files.readAllLines(task.resolve("status"))) {
                if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                    preempted =
                            Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), preempted};
        } catch (IOException | RuntimeException e) {
            return new long[3];
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** CPU time the rotation's worker threads have used so far. */
    private static long workerCpuNanos() {
        long n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("strongroom-key-rotation-")) {
                n += Math.max(0, THREADS.getThreadCpuTime(t.threadId()));
            }
        }
        return n;
    }

    /** Milliseconds the collectors have stopped the application so far (concurrent cycles left out). */
    private static long gcPauseMillis() {
        long ms = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
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
        WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(blocks);
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
            refs.add(new BlockRef(blockId, 0, slice, sliceRows[slice], 1, 0, 64, ZoneMap.ofLongs(i, i)));
            keys.add(dek.version(), wrapped);
            sliceRows[slice]++;
        }
        long version = big.manifestVersion() + 1;
        TableManifest m = new TableManifest(tableId, version, sliceRows, refs, keys.build(), Map.of());
        byte[] mb = files.encodeManifest(m, sealer);
        try {
            Files.createDirectories(files.tableDir(tableId));
        } catch (IOException e) {
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

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
