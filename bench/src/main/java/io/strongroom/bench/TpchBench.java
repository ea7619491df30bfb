package io.strongroom.bench;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.BlockCache;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.trino.tpch.TpchTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * TPC-H side by side in one run: Strongroom encrypted, Strongroom unencrypted, and DuckDB in-process (extension
 * autoloading off), on the same generated data. Each query runs {@code rounds} times per engine, the engines
 * alternating; the median time is kept. Prints every query and the geometric means with their ratios.
 *
 * <p>With the block cache off ({@code -Dstrongroom.block-cache-mb=0}) the run is from disk: the OS page cache is
 * dropped before every query (as root; the run says when it cannot), and DuckDB runs each query in a new process
 * ({@link DuckQuery}) reading the database file it loaded, rather than from its in-memory tables.
 *
 * <p>Usage: {@code TpchBench [scale factor, default 1] [rounds, default 1]}.
 */
public final class TpchBench {
    private TpchBench() {}

    public static void main(String[] args) throws Exception {
        String cacheMb = System.getProperty("strongroom.block-cache-mb");
        if (cacheMb != null) {
            BlockCache.configure(BlockCache.megabytes(cacheMb, "-Dstrongroom.block-cache-mb"));
        }
        double sf = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        // -Dtpch.queries=8,20 runs only those (to profile them); the default is all 22.
        String only = System.getProperty("tpch.queries", "");
        List<Integer> queries = only.isBlank()
                ? IntStream.rangeClosed(1, 22).boxed().toList()
                : Arrays.stream(only.split(","))
                        .map(String::trim)
                        .map(Integer::valueOf)
                        .toList();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        Path dir = Files.createTempDirectory("strongroom-tpch");
        // Cache off: every query reads from disk, the OS page cache dropped before it, DuckDB in a fresh process
        // reading its database file.
        boolean fromDisk = !BlockCache.shared().enabled();
        byte[] material = new byte[32];
        new SecureRandom().nextBytes(material);
        try (DatabaseKey dek = DatabaseKey.ofMaterial(
                        new KeyInfo(KeyTier.DATABASE, "tpch/dek", 1), SecretBytes.copyOf(material));
                Store enc = Store.create(dir.resolve("enc"), "tpch-enc", new ClusterLayout(1, 2), StoreKeys.of(dek));
                Store plain = Store.create(
                        dir.resolve("plain"), "tpch-plain", new ClusterLayout(1, 2), StoreKeys.unencrypted());
                SqlSession encSession = new StoreSqlEngine(enc).open(new SessionInfo("bench", "dev", Map.of()));
                SqlSession plainSession = new StoreSqlEngine(plain).open(new SessionInfo("bench", "dev", Map.of()));
                Connection duck = DriverManager.getConnection(
                        "jdbc:duckdb:" + (fromDisk ? dir.resolve("tpch.duckdb").toString() : ""))) {
            try (Statement s = duck.createStatement()) {
                s.execute("SET autoinstall_known_extensions=false");
                s.execute("SET autoload_known_extensions=false");
            }
            System.out.printf(
                    Locale.ROOT,
                    "TPC-H scale factor %s, %d round(s) after a warm-up round, 1 node x 2 slices, block cache %s%n",
                    sf,
                    rounds,
                    BlockCache.shared().enabled() ? "on" : "off");
            long[] loadMs = new long[3];
            for (TpchTable<?> table : TpchTable.getTables()) {
                String name = table.getTableName();
                Path file = dir.resolve(name + ".tbl");
                TpchData.write(table, sf, file);
                loadMs[0] += TpchData.load(encSession, name, file);
                loadMs[1] += TpchData.load(plainSession, name, file);
                loadMs[2] += TpchData.load(duck, name, file);
                Files.delete(file);
            }
            System.out.printf(
                    Locale.ROOT,
                    "load ms: encrypted %,d  unencrypted %,d  duckdb %,d%n",
                    loadMs[0],
                    loadMs[1],
                    loadMs[2]);
            Engine duckdb;
            if (fromDisk) {
                try (Statement s = duck.createStatement()) {
                    s.execute("CHECKPOINT");
                }
                duck.close(); // the file is DuckDB's own from here: each query opens it in a new process
                duckdb = sql -> {
                    dropPageCache();
                    return duckProcess(dir.resolve("tpch.duckdb"), sql);
                };
                System.out.println("from disk: page cache dropped before every query (where allowed), DuckDB in a"
                        + " new process per query reading its database file");
            } else {
                duckdb = sql -> time(duck, sql);
            }
            Engine encRun = sql -> {
                dropPageCache();
                return time(encSession, sql);
            };
            Engine plainRun = sql -> {
                dropPageCache();
                return time(plainSession, sql);
            };
            System.out.println("query  encrypted ms  unencrypted ms  duckdb ms  enc/unenc  enc/duckdb");
            double[] logSum = new double[3];
            // One unmeasured round first: JIT warm-up, and the block cache filled as DuckDB's buffers are.
            for (int q : queries) {
                String sql = query(q);
                encRun.run(sql);
                plainRun.run(sql);
                duckdb.run(sql);
            }
            System.out.printf(
                    Locale.ROOT,
                    "block cache holds %,d MiB of blocks, decoded or kept encoded (both stores)%n",
                    BlockCache.shared().heldBytes() >> 20);
            for (int q : queries) {
                String sql = query(q);
                double[][] t = new double[3][rounds];
                for (int r = 0; r < rounds; r++) {
                    boolean encFirst = (q + r) % 2 == 0;
                    t[encFirst ? 0 : 1][r] = (encFirst ? encRun : plainRun).run(sql);
                    t[encFirst ? 1 : 0][r] = (encFirst ? plainRun : encRun).run(sql);
                    t[2][r] = duckdb.run(sql);
                }
                double e = Stats.median(t[0]);
                double p = Stats.median(t[1]);
                double d = Stats.median(t[2]);
                logSum[0] += Math.log(e);
                logSum[1] += Math.log(p);
                logSum[2] += Math.log(d);
                System.out.printf(
                        Locale.ROOT, "Q%02d    %,12.0f  %,14.0f  %,9.0f  %9.3f  %10.1f%n", q, e, p, d, e / p, e / d);
            }
            double ge = Math.exp(logSum[0] / queries.size());
            double gp = Math.exp(logSum[1] / queries.size());
            double gd = Math.exp(logSum[2] / queries.size());
            System.out.printf(
                    Locale.ROOT, "geomean %,10.0f  %,14.0f  %,9.0f  %9.3f  %10.1f%n", ge, gp, gd, ge / gp, ge / gd);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Runs a query, returning its milliseconds. */
    private interface Engine {
        double run(String sql) throws Exception;
    }

    private static boolean pageCacheWarned;

    /** Empties the OS page cache (root only; says once when it cannot), so the next query reads from disk. */
    private static void dropPageCache() throws Exception {
        if (BlockCache.shared().enabled()) {
            return;
        }
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        try {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
        } catch (IOException e) {
            if (!pageCacheWarned) {
                pageCacheWarned = true;
                System.out.println("could not drop the page cache (" + e.getMessage() + "): reads may come from it");
            }
        }
    }

    /** A query on DuckDB's database file in a new process ({@link DuckQuery}); its milliseconds, opening excluded. */
    private static double duckProcess(Path file, String sql) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(
                        java.toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        DuckQuery.class.getName(),
                        file.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (var in = p.getOutputStream()) {
            in.write(sql.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("DuckDB query process failed: " + out);
        }
        return Double.parseDouble(out);
    }

    static String query(int q) throws Exception {
        try (InputStream in = Objects.requireNonNull(
                TpchBench.class.getResourceAsStream(String.format(Locale.ROOT, "/tpch/q%02d.sql", q)))) {
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            return sql.endsWith(";") ? sql.substring(0, sql.length() - 1) : sql;
        }
    }

    static double time(SqlSession s, String sql) {
        long t = System.nanoTime();
        try (Result.Rows r = (Result.Rows) s.execute(s.prepare(sql, List.of()), List.of())) {
            while (r.hasNext()) {
                r.next();
            }
        }
        return (System.nanoTime() - t) / 1e6;
    }

    private static double time(Connection duck, String sql) throws Exception {
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
