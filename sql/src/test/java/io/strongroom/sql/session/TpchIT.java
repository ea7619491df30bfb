package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.trino.tpch.TpchEntity;
import io.trino.tpch.TpchTable;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TPC-H at scale factor 0.1 against DuckDB as the peer: the same generated data is loaded into a Strongroom store
 * (with COPY through the engine) and into an in-process DuckDB, all 22 queries run on both, and the rows must
 * match — in order where the query orders, numbers within a small relative tolerance (DuckDB computes AVG in
 * floating point, Strongroom in DECIMAL).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TpchIT {
    private static final double SCALE_FACTOR = 0.1;

    /** The TPC-H schema, shared with the benchmark ({@code tpch/tables.properties} in the sql module). */
    private static final Properties DDL = tables();

    private static Properties tables() {
        Properties p = new Properties();
        try (InputStream in = Objects.requireNonNull(
                TpchIT.class.getResourceAsStream("/tpch/tables.properties"), "tpch/tables.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** PostgreSQL names an unaliased aggregate after its function, where DuckDB prints the whole call. */
    private static final Map<Integer, Map<Integer, String>> PG_NAMES = Map.of(18, Map.of(5, "sum"));

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tpch-watchdog");
        t.setDaemon(true);
        return t;
    });

    private Store store;
    private DatabaseKey dek;
    private SqlSession session;
    /** A session with work_mem at 256 kB. */
    private SqlSession spilling;

    private Connection duck;

    @BeforeAll
    void load(@TempDir Path dir) throws Exception {
        dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "c/dek", 1), SecretBytes.copyOf(new byte[32]));
        store = Store.create(dir.resolve("store"), "c", new ClusterLayout(2, 2), StoreKeys.of(dek));
        session = new StoreSqlEngine(store).open(new SessionInfo("admin", "dev", Map.of()));
        spilling = new StoreSqlEngine(store).open(new SessionInfo("admin", "dev", Map.of()));
        run(spilling, "SET work_mem = '256kB'");
        duck = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement s = duck.createStatement()) {
            s.execute("SET autoinstall_known_extensions=false");
            s.execute("SET autoload_known_extensions=false");
        }
        long started = System.nanoTime();
        for (TpchTable<?> table : TpchTable.getTables()) {
            String name = table.getTableName();
            Path file = dir.resolve(name + ".tbl");
            long rows = generate(table, file);
            String ddl = "CREATE TABLE " + name + " (" + DDL.getProperty(name) + ")";
            execute(ddl);
            Result.CopyIn copy = (Result.CopyIn) run("COPY " + name + " FROM STDIN WITH DELIMITER '|'");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    copy.sink().write(buf, 0, n);
                }
            }
            assertThat(copy.sink().finish()).isEqualTo("COPY " + rows);
            try (Statement s = duck.createStatement()) {
                s.execute(ddl);
                s.execute("COPY " + name + " FROM '" + file + "' (DELIMITER '|', HEADER false, QUOTE '', ESCAPE '')");
            }
        }
        System.out.printf(Locale.ROOT, "TPC-H SF %s loaded in %d ms%n", SCALE_FACTOR, millisSince(started));
    }

    @AfterAll
    void close() throws SQLException {
        session.close();
        spilling.close();
        store.close();
        dek.close();
        duck.close();
    }

    private static long generate(TpchTable<?> table, Path file) throws IOException {
        long rows = 0;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (TpchEntity e : table.createGenerator(SCALE_FACTOR, 1, 1)) {
                String line = e.toLine();
                // dbgen ends each line with the delimiter.
                w.write(line, 0, line.endsWith("|") ? line.length() - 1 : line.length());
                w.write('\n');
                rows++;
            }
        }
        return rows;
    }

    /** All 22 queries, or those listed in {@code -Dtpch.queries=5,19} while working on one. */
    static Stream<Integer> queries() {
        String only = System.getProperty("tpch.queries", "");
        return only.isBlank()
                ? IntStream.rangeClosed(1, 22).boxed()
                : Arrays.stream(only.split(",")).map(String::trim).map(Integer::valueOf);
    }

    @ParameterizedTest(name = "Q{0}")
    @MethodSource("queries")
    void query_returnsTheSameRowsAsDuckDb(int q) throws Exception {
        check(q, session);
    }

    /**
     * The same with work_mem at 256 kB: every hash join whose build side and every aggregation whose groups pass
     * it spill to disk (encrypted spill files) and work partition by partition, and the answers must not change.
     */
    @ParameterizedTest(name = "Q{0}")
    @MethodSource("queries")
    void query_spillingToDisk_returnsTheSameRowsAsDuckDb(int q) throws Exception {
        check(q, spilling);
    }

    @Test
    void aLargeAggregationAndJoin_spillUnderASmallWorkMem_andNotUnderTheDefault() throws Exception {
        long before = store.spillFilesCreated();
        drain(session, query(18));
        assertThat(store.spillFilesCreated())
                .as("spill files under the default work_mem")
                .isEqualTo(before);
        drain(spilling, query(18));
        assertThat(store.spillFilesCreated())
                .as("spill files under work_mem 256kB")
                .isGreaterThan(before);
        try (Result.Rows r = (Result.Rows) run(spilling, "SHOW work_mem")) {
            assertThat(r.next()[0]).isEqualTo("256kB");
        }
        assertThatThrownBy(() -> run(spilling, "SET work_mem = 'lots'"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("work_mem");
    }

    private static void drain(SqlSession s, String sql) {
        try (Result.Rows r = (Result.Rows) run(s, sql)) {
            r.forEachRemaining(row -> {});
        }
    }

    private void check(int q, SqlSession session) throws Exception {
        String sql = query(q);
        if (Boolean.getBoolean("tpch.explain")) {
            try (Result.Rows plan = (Result.Rows) run(session, "EXPLAIN " + sql)) {
                plan.forEachRemaining(line -> System.out.println(line[0]));
            }
        }
        long t0 = System.nanoTime();
        List<String> names = new ArrayList<>();
        List<List<Object>> ours = new ArrayList<>();
        // A query that runs away is cancelled (and fails) rather than hanging the build.
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(session::cancel, 60, TimeUnit.SECONDS);
        try (Result.Rows r = (Result.Rows) run(session, sql)) {
            for (ResultColumn c : r.columns()) {
                names.add(c.name());
            }
            while (r.hasNext()) {
                ours.add(Arrays.asList(r.next()));
            }
        } finally {
            watchdog.cancel(false);
        }
        long oursMs = millisSince(t0);
        long t1 = System.nanoTime();
        List<String> duckNames = new ArrayList<>();
        List<List<Object>> theirs = new ArrayList<>();
        try (Statement s = duck.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                duckNames.add(md.getColumnLabel(i));
            }
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.add(rs.getObject(i));
                }
                theirs.add(row);
            }
        }
        long duckMs = millisSince(t1);
        System.out.printf(
                Locale.ROOT, "TPC-H Q%02d: %d rows, strongroom %d ms, duckdb %d ms%n", q, ours.size(), oursMs, duckMs);

        PG_NAMES.getOrDefault(q, Map.of()).forEach(duckNames::set);
        assertThat(names).as("column names of Q%d", q).isEqualTo(duckNames);
        assertThat(ours).as("row count of Q%d", q).hasSize(theirs.size());
        assertThat(ours).as("Q%d returns no rows", q).isNotEmpty();
        boolean ordered = sql.toLowerCase(Locale.ROOT).contains("order by");
        List<List<Object>> a = canonical(ours, ordered);
        List<List<Object>> b = canonical(theirs, ordered);
        for (int i = 0; i < a.size(); i++) {
            List<Object> x = a.get(i);
            List<Object> y = b.get(i);
            assertThat(x).as("Q%d row %d width", q, i).hasSameSizeAs(y);
            for (int c = 0; c < x.size(); c++) {
                if (!same(x.get(c), y.get(c))) {
                    throw new AssertionError("Q" + q + " row " + i + " column " + names.get(c) + ": strongroom " + x
                            + " but duckdb " + y);
                }
            }
        }
        // Decimal results keep their scale.
        for (int c = 0; c < names.size(); c++) {
            Object v = ours.get(0).get(c);
            if (v instanceof BigDecimal d && names.get(c).startsWith("sum_")) {
                assertThat(d.scale()).as("scale of %s", names.get(c)).isGreaterThanOrEqualTo(2);
            }
        }
    }

    private static List<List<Object>> canonical(List<List<Object>> rows, boolean ordered) {
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> r : rows) {
            List<Object> c = new ArrayList<>();
            for (Object v : r) {
                c.add(
                        v == null
                                ? "NULL"
                                : v instanceof Number n ? (Object) new BigDecimal(n.toString()) : v.toString());
            }
            out.add(c);
        }
        if (!ordered) {
            out.sort(Comparator.comparing(Object::toString));
        }
        return out;
    }

    private static boolean same(Object x, Object y) {
        if (x instanceof BigDecimal a && y instanceof BigDecimal b) {
            double d = Math.abs(a.doubleValue() - b.doubleValue());
            return d <= 1e-9 * Math.max(Math.abs(a.doubleValue()), Math.abs(b.doubleValue())) + 1e-9;
        }
        return Objects.equals(x, y);
    }

    private static String query(int q) throws IOException {
        String path = String.format(Locale.ROOT, "/tpch/q%02d.sql", q);
        try (InputStream in = Objects.requireNonNull(TpchIT.class.getResourceAsStream(path), path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Result run(String sql) {
        return run(session, sql);
    }

    private static Result run(SqlSession s, String sql) {
        return s.execute(s.prepare(sql, List.of()), List.of());
    }

    private void execute(String sql) {
        run(sql);
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
