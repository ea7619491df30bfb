package io.strongroom.bench;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.trino.tpch.TpchTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loading TPC-H side by side in one run: the tables generated once to '|'-delimited text files, then loaded with
 * COPY FROM STDIN into an encrypted Strongroom store (1 node x 2 slices), into an unencrypted one, and with
 * DuckDB's COPY into a DuckDB database file (a CHECKPOINT after each table, so both sides end durable on disk).
 * Each round starts from empty stores and a new DuckDB file; the three loaders take turns going first. Prints the
 * median milliseconds per table and in total, and the ratios encrypted / DuckDB and encrypted / unencrypted.
 *
 * <p>Usage: {@code LoadBench [scale factor, default 1] [rounds, default 3]}.
 */
public final class LoadBench {
    private LoadBench() {}

    public static void main(String[] args) throws Exception {
        double sf = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("strongroom-load");
        byte[] material = new byte[32];
        new SecureRandom().nextBytes(material);
        List<TpchTable<?>> tables = new ArrayList<>(TpchTable.getTables());
        int n = tables.size();
        try (DatabaseKey dek =
                DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "load/dek", 1), SecretBytes.copyOf(material))) {
            long bytes = 0;
            for (TpchTable<?> table : tables) {
                Path file = dir.resolve(table.getTableName() + ".tbl");
                TpchData.write(table, sf, file);
                bytes += Files.size(file);
            }
            System.out.printf(
                    Locale.ROOT,
                    "TPC-H scale factor %s load, %,d MB of text, %d round(s), 1 node x 2 slices, %d cores%n",
                    sf,
                    bytes >> 20,
                    rounds,
                    Runtime.getRuntime().availableProcessors());
            // ms[loader][table][round]; the last table index holds the round's total.
            double[][][] ms = new double[3][n + 1][rounds];
            for (int r = 0; r < rounds; r++) {
                Path round = dir.resolve("round" + r);
                for (int k = 0; k < 3; k++) {
                    int loader = (r + k) % 3;
                    Path where = round.resolve(String.valueOf(loader));
                    Files.createDirectories(where);
                    switch (loader) {
                        case 0, 1 -> {
                            StoreKeys keys = loader == 0 ? StoreKeys.of(dek) : StoreKeys.unencrypted();
                            try (Store store = Store.create(
                                            where.resolve("store"), "load", new ClusterLayout(1, 2), keys);
                                    SqlSession s =
                                            new StoreSqlEngine(store).open(new SessionInfo("bench", "dev", Map.of()))) {
                                for (int t = 0; t < n; t++) {
                                    String name = tables.get(t).getTableName();
                                    ms[loader][t][r] = TpchData.load(s, name, dir.resolve(name + ".tbl"));
                                }
                            }
                        }
                        default -> {
                            try (Connection duck =
                                    DriverManager.getConnection("jdbc:duckdb:" + where.resolve("load.duckdb"))) {
                                try (Statement s = duck.createStatement()) {
                                    s.execute("SET autoinstall_known_extensions=false");
                                    s.execute("SET autoload_known_extensions=false");
                                }
                                for (int t = 0; t < n; t++) {
                                    String name = tables.get(t).getTableName();
                                    long start = System.nanoTime();
                                    TpchData.load(duck, name, dir.resolve(name + ".tbl"));
                                    try (Statement s = duck.createStatement()) {
                                        s.execute("CHECKPOINT");
                                    }
                                    ms[loader][t][r] = (System.nanoTime() - start) / 1e6;
                                }
                            }
                        }
                    }
                    for (int t = 0; t < n; t++) {
                        ms[loader][n][r] += ms[loader][t][r];
                    }
                    delete(where);
                }
                System.out.printf(
                        Locale.ROOT,
                        "round %d: encrypted %,.0f ms  unencrypted %,.0f ms  duckdb %,.0f ms%n",
                        r + 1,
                        ms[0][n][r],
                        ms[1][n][r],
                        ms[2][n][r]);
            }
            System.out.println("table       encrypted ms  unencrypted ms  duckdb ms  enc/duckdb  enc/unenc");
            for (int t = 0; t <= n; t++) {
                double e = Stats.median(ms[0][t]);
                double p = Stats.median(ms[1][t]);
                double d = Stats.median(ms[2][t]);
                System.out.printf(
                        Locale.ROOT,
                        "%-10s  %,12.0f  %,14.0f  %,9.0f  %10.2f  %9.3f%n",
                        t < n ? tables.get(t).getTableName() : "total",
                        e,
                        p,
                        d,
                        e / d,
                        e / p);
            }
        } finally {
            delete(dir);
        }
    }

    private static void delete(Path dir) throws Exception {
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
