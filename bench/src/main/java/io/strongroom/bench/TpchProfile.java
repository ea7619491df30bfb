package io.strongroom.bench;

import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.BlockCache;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.trino.tpch.TpchTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * One engine, a few TPC-H queries, for reading plans and profiling: loads the data into an unencrypted store, prints
 * each query's plan and then its time over many rounds, after a warm-up over all 22. {@code -Dtpch.jfr=file}
 * records a JFR profile of the measured rounds only.
 *
 * <p>Usage: {@code TpchProfile [scale factor] [rounds] [queries, e.g. 17,20]}.
 */
public final class TpchProfile {
    private TpchProfile() {}

    public static void main(String[] args) throws Exception {
        String cacheMb = System.getProperty("strongroom.block-cache-mb", "4096");
        BlockCache.configure(BlockCache.megabytes(cacheMb, "-Dstrongroom.block-cache-mb"));
        double sf = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        List<Integer> queries = Arrays.stream((args.length > 2 ? args[2] : "17").split(","))
                .map(String::trim)
                .map(Integer::valueOf)
                .toList();
        Path dir = Files.createTempDirectory("strongroom-tpch-profile");
        try (Store store = Store.create(
                        dir.resolve("plain"), "tpch-profile", new ClusterLayout(1, 2), StoreKeys.unencrypted());
                SqlSession s = new StoreSqlEngine(store).open(new SessionInfo("bench", "dev", Map.of()))) {
            for (TpchTable<?> table : TpchTable.getTables()) {
                String name = table.getTableName();
                Path file = dir.resolve(name + ".tbl");
                TpchData.write(table, sf, file);
                TpchData.load(s, name, file);
                Files.delete(file);
            }
            // JIT warm-up over all 22 queries first, as TpchBench does: code compiled for one query alone is
            // compiled again (slower for a while) when the next one sends it other types.
            for (int q = 1; q <= 22; q++) {
                TpchBench.time(s, TpchBench.query(q));
            }
            // -Dtpch.jfr=file records a JFR profile of the measured rounds only.
            String jfr = System.getProperty("tpch.jfr");
            Recording recording = null;
            if (jfr != null) {
                recording = new Recording(Configuration.getConfiguration("profile"));
                recording.start();
            }
            for (int q : queries) {
                String sql = TpchBench.query(q);
                System.out.printf(Locale.ROOT, "== Q%02d plan%n", q);
                try (Result.Rows r = (Result.Rows) s.execute(s.prepare("EXPLAIN " + sql, List.of()), List.of())) {
                    while (r.hasNext()) {
                        System.out.println(r.next()[0]);
                    }
                }
                double[] t = new double[rounds];
                TpchBench.time(s, sql);
                for (int i = 0; i < rounds; i++) {
                    t[i] = TpchBench.time(s, sql);
                }
                System.out.printf(
                        Locale.ROOT,
                        "Q%02d median %.1f ms, fastest %.1f ms, over %d rounds%n",
                        q,
                        Stats.median(t),
                        Arrays.stream(t).min().orElseThrow(),
                        rounds);
            }
            if (recording != null) {
                recording.stop();
                recording.dump(Path.of(jfr));
                recording.close();
            }
        } finally {
            try (var w = Files.walk(dir)) {
                w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
