package io.strongroom.bench;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.exec.QueryMemory;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.BlockCache;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.trino.tpch.TpchTable;
import java.io.InputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How TPC-H time grows with the data: the 22 queries at a small scale factor and at a large one, in one process
 * whose heap is capped by the caller ({@code bench/run} gives {@code -Xmx8g}), on an encrypted Strongroom store
 * (1 node x 2 slices) and on DuckDB reading a database file with its memory limit set to the same heap size.
 * At each scale the data is generated, loaded into both, every query runs once as a warm-up and then {@code
 * rounds} times per engine (the engines alternating), and the store and file are deleted before the next scale.
 * Prints each query's median at both scales, the growth of each engine (large / small) and the growth of the sums:
 * steady state against steady state, each engine's caches holding what its queries read. The warm-up round's sums
 * are printed too, with their growth: the first queries after a load, whose reads at the large scale start from
 * an empty block cache (DuckDB's buffer pool keeps what it loaded). A query that fails (out of memory, say) is
 * printed with its error and the run goes on.
 *
 * <p>Usage: {@code TpchScaleBench [large scale factor, default 10] [rounds, default 1] [small, default 1]}.
 */
public final class TpchScaleBench {
    private TpchScaleBench() {}

    public static void main(String[] args) throws Exception {
        String cacheMb = System.getProperty("strongroom.block-cache-mb");
        if (cacheMb != null) {
            BlockCache.configure(BlockCache.megabytes(cacheMb, "-Dstrongroom.block-cache-mb"));
        }
        double large = args.length > 0 ? Double.parseDouble(args[0]) : 10.0;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        double small = args.length > 2 ? Double.parseDouble(args[2]) : 1.0;
        long heapMb = Runtime.getRuntime().maxMemory() >> 20;
        System.out.printf(
                Locale.ROOT,
                "TPC-H scale factor %s against %s, %d round(s), heap %,d MiB, block cache %,d MiB, DuckDB memory"
                        + " limit %,d MiB, 1 node x 2 slices, %d cores%n",
                large,
                small,
                rounds,
                heapMb,
                BlockCache.shared().maxBytes() >> 20,
                heapMb,
                Runtime.getRuntime().availableProcessors());
        double[][] smallMs = run(small, rounds, heapMb);
        double[][] largeMs = run(large, rounds, heapMb);
        System.out.printf(
                Locale.ROOT,
                "query  SF%-4s ms  SF%-5s ms  growth  duckdb SF%-4s ms  duckdb SF%-5s ms  duckdb growth%n",
                fmt(small),
                fmt(large),
                fmt(small),
                fmt(large));
        double[] sums = new double[4];
        int failed = 0;
        for (int q = 0; q < 22; q++) {
            double s = smallMs[0][q];
            double l = largeMs[0][q];
            double ds = smallMs[1][q];
            double dl = largeMs[1][q];
            if (Double.isNaN(s) || Double.isNaN(l)) {
                failed++;
            } else {
                sums[0] += s;
                sums[1] += l;
                sums[2] += ds;
                sums[3] += dl;
            }
            System.out.printf(
                    Locale.ROOT,
                    "Q%02d  %10.0f  %11.0f  %6.1f  %15.0f  %16.0f  %13.1f%n",
                    q + 1,
                    s,
                    l,
                    l / s,
                    ds,
                    dl,
                    dl / ds);
        }
        System.out.printf(
                Locale.ROOT,
                "sum  %10.0f  %11.0f  %6.1f  %15.0f  %16.0f  %13.1f%s%n",
                sums[0],
                sums[1],
                sums[1] / sums[0],
                sums[2],
                sums[3],
                sums[3] / sums[2],
                failed == 0 ? "" : "   (" + failed + " query(ies) failed and are left out of the sums)");
        double[] first = new double[4];
        for (int q = 0; q < 22; q++) {
            if (!Double.isNaN(smallMs[2][q]) && !Double.isNaN(largeMs[2][q])) {
                first[0] += smallMs[2][q];
                first[1] += largeMs[2][q];
                first[2] += smallMs[3][q];
                first[3] += largeMs[3][q];
            }
        }
        System.out.printf(
                Locale.ROOT,
                "first round after the load (the warm-up; at SF %s it also pays for JIT compilation):%n"
                        + "     %10.0f  %11.0f  %6.1f  %15.0f  %16.0f  %13.1f%n",
                fmt(small),
                first[0],
                first[1],
                first[1] / first[0],
                first[2],
                first[3],
                first[3] / first[2]);
    }

    /** Milliseconds the JVM's collectors have spent so far (pauses and concurrent work, as they report it). */
    private static long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private static String fmt(double sf) {
        return sf == Math.rint(sf) ? Long.toString((long) sf) : Double.toString(sf);
    }

    /**
     * Per engine (0 Strongroom, 1 DuckDB), per query: the median milliseconds, NaN if the query failed; then (2
     * Strongroom, 3 DuckDB) the warm-up round's.
     */
    private static double[][] run(double sf, int rounds, long memoryMb) throws Exception {
        Path dir = Files.createTempDirectory("strongroom-tpch-scale");
        byte[] material = new byte[32];
        new SecureRandom().nextBytes(material);
        double[][] out = new double[4][22];
        try (DatabaseKey dek = DatabaseKey.ofMaterial(
                        new KeyInfo(KeyTier.DATABASE, "tpch/dek", 1), SecretBytes.copyOf(material));
                Store enc = Store.create(dir.resolve("enc"), "tpch-enc", new ClusterLayout(1, 2), StoreKeys.of(dek));
                SqlSession session = new StoreSqlEngine(enc).open(new SessionInfo("bench", "dev", Map.of()));
                Connection duck = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("tpch.duckdb"))) {
            try (Statement s = duck.createStatement()) {
                s.execute("SET autoinstall_known_extensions=false");
                s.execute("SET autoload_known_extensions=false");
                s.execute("SET memory_limit='" + memoryMb + "MB'");
                s.execute("SET temp_directory='" + dir.resolve("duckdb.tmp") + "'");
            }
            long[] loadMs = new long[2];
            for (TpchTable<?> table : TpchTable.getTables()) {
                String name = table.getTableName();
                Path file = dir.resolve(name + ".tbl");
                TpchData.write(table, sf, file);
                loadMs[0] += TpchData.load(session, name, file);
                loadMs[1] += TpchData.load(duck, name, file);
                Files.delete(file);
            }
            try (Statement s = duck.createStatement()) {
                s.execute("CHECKPOINT");
            }
            System.out.printf(Locale.ROOT, "SF %s load ms: encrypted %,d  duckdb %,d%n", fmt(sf), loadMs[0], loadMs[1]);
            long gcBefore = gcMillis();
            BlockCache.Counts cacheBefore = BlockCache.shared().counts();
            for (int q = 1; q <= 22; q++) {
                out[2][q - 1] = time(session, q);
                out[3][q - 1] = time(duck, q);
            }
            for (int q = 1; q <= 22; q++) {
                double[][] t = new double[2][rounds];
                for (int r = 0; r < rounds; r++) {
                    t[0][r] = time(session, q);
                    t[1][r] = time(duck, q);
                }
                out[0][q - 1] = Stats.median(t[0]);
                out[1][q - 1] = Stats.median(t[1]);
                System.out.printf(
                        Locale.ROOT,
                        "SF %s Q%02d: %,.0f ms, duckdb %,.0f ms%n",
                        fmt(sf),
                        q,
                        out[0][q - 1],
                        out[1][q - 1]);
            }
            System.out.printf(
                    Locale.ROOT,
                    "SF %s: %,d spill files made by the queries (work_mem %s), %,d ms in garbage collection%n",
                    fmt(sf),
                    enc.spillFilesCreated(),
                    QueryMemory.format(QueryMemory.defaultBytes()),
                    gcMillis() - gcBefore);
            BlockCache.Counts cacheAfter = BlockCache.shared().counts();
            long hits = cacheAfter.hits() - cacheBefore.hits();
            long misses = cacheAfter.misses() - cacheBefore.misses();
            System.out.printf(
                    Locale.ROOT,
                    "SF %s: block cache %,d hits, %,d misses (%.0f%% hits), %,d MiB held%n",
                    fmt(sf),
                    hits,
                    misses,
                    100.0 * hits / Math.max(1, hits + misses),
                    BlockCache.shared().heldBytes() >> 20);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return out;
    }

    private static String query(int q) throws Exception {
        try (InputStream in = Objects.requireNonNull(
                TpchScaleBench.class.getResourceAsStream(String.format(Locale.ROOT, "/tpch/q%02d.sql", q)))) {
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            return sql.endsWith(";") ? sql.substring(0, sql.length() - 1) : sql;
        }
    }

    /** Milliseconds, or NaN (with the error printed) if the query failed. */
    private static double time(SqlSession s, int q) throws Exception {
        String sql = query(q);
        long t = System.nanoTime();
        try (Result.Rows r = (Result.Rows) s.execute(s.prepare(sql, List.of()), List.of())) {
            while (r.hasNext()) {
                r.next();
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            System.out.printf(Locale.ROOT, "Q%02d failed on Strongroom: %s%n", q, e);
            return Double.NaN;
        }
        return (System.nanoTime() - t) / 1e6;
    }

    private static double time(Connection duck, int q) throws Exception {
        String sql = query(q);
        long t = System.nanoTime();
        try (Statement s = duck.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                rs.getObject(1);
            }
        }
        return (System.nanoTime() - t) / 1e6;
    }
}
