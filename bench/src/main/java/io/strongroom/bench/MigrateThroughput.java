package io.strongroom.bench;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.EncryptionChange;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Encrypting an unencrypted store in place (issue 15's goals), side by side in one run: the time to re-seal a store
 * of {@code megabytes} MB of blocks against {@code cp -r} of the same files followed by {@code sync} (goal: at most
 * 1.25x); the time from the request until the first write commits, encrypted (goal: under 1 s); and the throughput of
 * a scan loop during the pass against before it (goal: at least 0.8).
 *
 * <p>Usage: {@code MigrateThroughput [megabytes] [workDir]}; default 1024 MB.
 */
public final class MigrateThroughput {
    private static final List<Column> COLS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.BIGINT));
    private static final long WINDOW_NANOS = 5_000_000_000L;

    private MigrateThroughput() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        long megabytes = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        Path base = Files.createTempDirectory(
                Path.of(args.length > 1 ? args[1] : System.getProperty("java.io.tmpdir")), "strongroom-migbench");
        try {
            Path dir = base.resolve("store");
            // Random longs do not compress (8 stored bytes a row); the ids delta-encode to almost nothing.
            long rows = megabytes * 1024 * 1024 / 8;
            try (Store s = Store.create(dir, "migbench", new ClusterLayout(1, 4), StoreKeys.unencrypted())) {
                SplittableRandom random = new SplittableRandom(7);
                int batch = 4_000_000;
                try (Transaction tx = s.begin()) {
                    tx.createTable(TableSpec.of("public", "big", COLS));
                    tx.createTable(TableSpec.of("public", "q", COLS));
                    tx.append("q", batch(random, 0, 2_000_000));
                    tx.commit();
                }
                for (long from = 0; from < rows; from += batch) {
                    try (Transaction tx = s.begin()) {
                        tx.append("big", batch(random, from, (int) Math.min(batch, rows - from)));
                        tx.commit();
                    }
                }
            }
            long storeBytes = bytesUnder(dir.resolve("tables"));
            // cp of the same bytes (page cache warm for both: the store was just written), then sync.
            Path copy = base.resolve("copy");
            long c0 = System.nanoTime();
            run("cp", "-r", dir.resolve("tables").toString(), copy.toString());
            run("sync");
            long cpNanos = System.nanoTime() - c0;
            deleteTree(copy);

            // The crypto provider loaded and its code compiled, as in a running server (the KMS and other clusters
            // use it), before the request is timed.
            try (DatabaseKey warm = dek();
                    Store w = Store.create(base.resolve("warm"), "warm", new ClusterLayout(1, 4), StoreKeys.of(warm))) {
                for (int i = 0; i < 20; i++) {
                    try (Transaction tx = w.begin()) {
                        if (i == 0) {
                            tx.createTable(TableSpec.of("public", "q", COLS));
                        }
                        tx.append("q", batch(new SplittableRandom(i), i * 100_000L, 100_000));
                        tx.commit();
                    }
                }
            }
            DatabaseKey dek = dek();
            try (Store s = Store.open(dir, StoreKeys.unencrypted());
                    Scans scans = new Scans(s)) {
                scans.window(WINDOW_NANOS); // warm-up
                long[] before = scans.window(WINDOW_NANOS);
                long t0 = System.nanoTime();
                s.beginEncryption(dek);
                try (Transaction tx = s.begin()) {
                    tx.append("q", batch(new SplittableRandom(1), 10_000_000, 1_000));
                    tx.commit();
                }
                long firstWriteNanos = System.nanoTime() - t0;
                long q0 = scans.queries.get();
                long p0 = System.nanoTime();
                EncryptionChange.Remaining todo = s.toReseal(true);
                long blocks = s.resealBlocks(true, EncryptionChange.Listener.NONE, () -> {});
                long passNanos = System.nanoTime() - p0;
                long duringQueries = scans.queries.get() - q0;
                long[] after = scans.window(WINDOW_NANOS);
                double qpsBefore = (before[0] * 1e9 / before[1] + after[0] * 1e9 / after[1]) / 2;
                double qpsDuring = duringQueries * 1e9 / passNanos;
                if (s.toReseal(true).blocks() != 0) {
                    throw new AssertionError("blocks left in the clear");
                }
                out.printf(
                        Locale.ROOT,
                        "store: %.0f MB in %d blocks (%d re-sealed)%n",
                        storeBytes / 1048576.0,
                        todo.blocks(),
                        blocks);
                out.printf(
                        Locale.ROOT,
                        "encrypt in place %8.2f s   cp -r + sync %8.2f s   ratio %.2f (goal <= 1.25)%n",
                        passNanos / 1e9,
                        cpNanos / 1e9,
                        (double) passNanos / cpNanos);
                out.printf(
                        Locale.ROOT,
                        "request to first encrypted write committed: %.1f ms (goal < 1000)%n",
                        firstWriteNanos / 1e6);
                out.printf(
                        Locale.ROOT,
                        "scan queries/s before+after %.1f   during %.1f   ratio %.2f (goal >= 0.8)%n",
                        qpsBefore,
                        qpsDuring,
                        qpsDuring / qpsBefore);
            } finally {
                dek.close();
            }
        } finally {
            deleteTree(base);
        }
    }

    private static RowBatch batch(SplittableRandom random, long from, int rows) {
        RowBatch b = RowBatch.builder(COLS, rows);
        for (int i = 0; i < rows; i++) {
            b.addRow(from + i, random.nextLong());
        }
        return b;
    }

    private static DatabaseKey dek() {
        byte[] m = new byte[32];
        new SecureRandom().nextBytes(m);
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "bench/dek", 1), SecretBytes.copyOf(m));
    }

    /** A loop of full scans of table q (summing a column) on one thread, counting queries. */
    private static final class Scans implements AutoCloseable {
        final AtomicLong queries = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread thread;

        Scans(Store s) {
            thread = new Thread(() -> {
                while (!stop.get()) {
                    long sum = 0;
                    try (Snapshot snap = s.snapshot()) {
                        TableReader t = snap.table("q");
                        for (TableReader.SliceScan scan : t.scan(ScanSpec.all(2))) {
                            while (scan.hasNext()) {
                                RowBatch b = scan.next();
                                for (int i = 0; i < b.rowCount(); i++) {
                                    sum += b.column(1).getLong(i);
                                }
                            }
                        }
                    }
                    if (sum == 42) {
                        System.out.print("");
                    }
                    queries.incrementAndGet();
                }
            });
            thread.start();
        }

        /** Queries run in {@code nanos}, and the nanos. */
        long[] window(long nanos) throws InterruptedException {
            long q0 = queries.get();
            long t0 = System.nanoTime();
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(nanos));
            return new long[] {queries.get() - q0, System.nanoTime() - t0};
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }

    private static long bytesUnder(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    private static void deleteTree(Path root) throws Exception {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
