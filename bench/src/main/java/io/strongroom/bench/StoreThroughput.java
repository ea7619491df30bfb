package io.strongroom.bench;

import io.strongroom.crypto.CryptoProvider;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Load and full-scan throughput of a table (id BIGINT, k INTEGER 0..999, v DOUBLE PRECISION, s VARCHAR(16)),
 * encrypted against unencrypted, side by side in one run: the two stores are loaded and scanned alternately,
 * and each figure is the median over rounds. "Cold" opens the store afresh before the scan (and drops the OS
 * page cache first when this process may); "warm" scans again in the same process. The scan reads every column
 * on both slices in parallel and sums them.
 */
public final class StoreThroughput {
    private static final List<Column> COLS = List.of(
            new Column(0, "id", ColumnType.BIGINT),
            new Column(1, "k", ColumnType.INTEGER),
            new Column(2, "v", ColumnType.DOUBLE),
            new Column(3, "s", ColumnType.varchar(16)));

    private StoreThroughput() {}

    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path base = Files.createTempDirectory(
                Path.of(args.length > 2 ? args[2] : System.getProperty("java.io.tmpdir")), "strongroom-bench");
        CryptoProvider.get().warmUp(Duration.ofSeconds(30));
        System.out.println("provider: " + CryptoProvider.get().report());
        System.out.printf(
                "table of %,d rows (id BIGINT, k INTEGER, v DOUBLE PRECISION, s VARCHAR(16)), 1 node x 2 slices, %d rounds%n",
                rows, rounds);
        byte[] material = new byte[32];
        new SecureRandom().nextBytes(material);
        double[] loadEnc = new double[rounds];
        double[] loadPlain = new double[rounds];
        double[] coldEnc = new double[rounds];
        double[] coldPlain = new double[rounds];
        double[] warmEnc = new double[rounds];
        double[] warmPlain = new double[rounds];
        long[] bytes = new long[2];
        try {
            // Warm-up: one small load and scan on each side, discarded, so neither side pays the JIT.
            for (boolean enc : new boolean[] {true, false}) {
                Path dir = base.resolve("warmup-" + enc);
                try (DatabaseKey dek = dek(material)) {
                    StoreKeys keys = enc ? StoreKeys.of(dek) : StoreKeys.unencrypted();
                    load(dir, keys, Math.min(rows, 2_000_000));
                    try (Store store = Store.open(dir, keys)) {
                        scan(store, new long[1]);
                        scan(store, new long[1]);
                    }
                }
                delete(dir);
            }
            for (int r = 0; r < rounds; r++) {
                for (int side = 0; side < 2; side++) {
                    boolean enc = (r + side) % 2 == 0; // alternate which side goes first
                    Path dir = base.resolve((enc ? "enc-" : "plain-") + r);
                    try (DatabaseKey dek = dek(material)) {
                        StoreKeys keys = enc ? StoreKeys.of(dek) : StoreKeys.unencrypted();
                        double load = load(dir, keys, rows);
                        bytes[enc ? 1 : 0] = size(dir);
                        dropCaches();
                        long[] sums = new long[1];
                        double cold;
                        double warm;
                        try (Store store = Store.open(dir, keys)) {
                            cold = scan(store, sums);
                            warm = scan(store, sums);
                            warm = Math.min(warm, scan(store, sums));
                        }
                        (enc ? loadEnc : loadPlain)[r] = load;
                        (enc ? coldEnc : coldPlain)[r] = cold;
                        (enc ? warmEnc : warmPlain)[r] = warm;
                        System.out.printf(
                                "  round %d %-11s load %,7.0f ms  cold scan %,6.0f ms  warm scan %,6.0f ms  (checksum %x)%n",
                                r, enc ? "encrypted" : "unencrypted", load, cold, warm, sums[0]);
                    }
                    delete(dir);
                }
            }
        } finally {
            delete(base);
        }
        System.out.printf(
                "on disk: unencrypted %,d bytes, encrypted %,d bytes (%.3fx)%n",
                bytes[0], bytes[1], (double) bytes[1] / bytes[0]);
        report("load", rows, loadPlain, loadEnc);
        report("full scan, cold", rows, coldPlain, coldEnc);
        report("full scan, warm", rows, warmPlain, warmEnc);
    }

    private static DatabaseKey dek(byte[] material) {
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "bench/dek", 1), SecretBytes.copyOf(material));
    }

    private static void report(String what, long rows, double[] plain, double[] enc) {
        double p = Stats.median(plain);
        double e = Stats.median(enc);
        System.out.printf(
                "%-16s unencrypted %,8.0f ms (%,.0f rows/s)  encrypted %,8.0f ms (%,.0f rows/s)  encrypted/unencrypted time %.3fx%n",
                what, p, rows / (p / 1000), e, rows / (e / 1000), e / p);
    }

    /** Loads the table in batches of a million rows, one commit per batch; returns milliseconds. */
    private static double load(Path dir, StoreKeys keys, long rows) {
        long t0 = System.nanoTime();
        try (Store store = Store.create(dir, "bench", new ClusterLayout(1, 2), keys)) {
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "t", COLS));
                tx.commit();
            }
            int batch = 1_000_000;
            for (long from = 0; from < rows; from += batch) {
                int n = (int) Math.min(batch, rows - from);
                try (Transaction tx = store.begin()) {
                    tx.append("t", generate(from, n));
                    tx.commit();
                }
            }
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    static RowBatch generate(long from, int n) {
        ColumnVector id = new ColumnVector(ColumnType.BIGINT, n);
        ColumnVector k = new ColumnVector(ColumnType.INTEGER, n);
        ColumnVector v = new ColumnVector(ColumnType.DOUBLE, n);
        ColumnVector s = new ColumnVector(ColumnType.varchar(16), n);
        byte[] hex = new byte[16];
        for (long i = from; i < from + n; i++) {
            long h = mix(i);
            id.appendLong(i);
            k.appendLong(Math.floorMod(h, 1000));
            v.appendDouble(Math.floorMod(h >>> 20, 1_000_000) / 100.0);
            long x = mix(h);
            for (int j = 0; j < 16; j++) {
                hex[j] = (byte) "0123456789abcdef".charAt((int) ((x >>> (j * 4)) & 15));
            }
            s.appendBytes(hex, 0, 16);
        }
        return new RowBatch(List.of(id, k, v, s));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Reads every column of every slice (slices in parallel) and sums them; returns milliseconds. */
    private static double scan(Store store, long[] checksum) throws Exception {
        long t0 = System.nanoTime();
        long total = 0;
        try (Snapshot snap = store.snapshot()) {
            TableReader t = snap.table("t");
            List<TableReader.SliceScan> scans = t.scan(ScanSpec.all(4));
            ExecutorService pool = Executors.newFixedThreadPool(scans.size());
            try {
                List<Future<Long>> parts = scans.stream()
                        .map(s -> pool.submit(() -> {
                            long sum = 0;
                            while (s.hasNext()) {
                                RowBatch b = s.next();
                                ColumnVector id = b.column(0);
                                ColumnVector k = b.column(1);
                                ColumnVector v = b.column(2);
                                ColumnVector str = b.column(3);
                                byte[] data = str.bytesData();
                                for (int i = 0; i < b.rowCount(); i++) {
                                    sum += id.getLong(i)
                                            + k.getLong(i)
                                            + (long) v.getDouble(i)
                                            + data[str.bytesStart(i)];
                                }
                            }
                            return sum;
                        }))
                        .toList();
                for (Future<Long> f : parts) {
                    total += f.get();
                }
            } finally {
                pool.shutdown();
            }
        }
        checksum[0] = total;
        return (System.nanoTime() - t0) / 1e6;
    }

    private static void dropCaches() {
        try {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
        } catch (IOException | RuntimeException e) {
            // Not root, or not Linux: "cold" then means a freshly opened store over a warm page cache.
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
