package io.strongroom.bench;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.pgwire.Authenticator;
import io.strongroom.pgwire.Credentials;
import io.strongroom.pgwire.PgServer;
import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.trino.tpch.TpchEntity;
import io.trino.tpch.TpchTable;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;

/**
 * Results at wire speed: TPC-H {@code lineitem} served to the same client by Strongroom's PostgreSQL endpoint (an
 * encrypted store) and by PostgreSQL 15 (Debian's package, started here as a plain process on loopback), side by
 * side in one run: {@code SELECT *} over JDBC with a fetch size (every column read as text, as a client that prints
 * or exports does) and {@code COPY lineitem TO STDOUT}. Both without TLS, so the comparison is of the servers.
 * Rounds alternate which server goes first; medians are printed with the ratio (Strongroom / PostgreSQL: below 1 is
 * faster).
 *
 * <p>Usage: {@code WireBench [scale factor, default 1] [rounds, default 3]}. Needs the {@code postgresql} package
 * (PostgreSQL 15) and the {@code postgres} system user; run as root (PostgreSQL itself runs as {@code postgres}).
 */
public final class WireBench {
    private static final String PG_BIN = "/usr/lib/postgresql/15/bin";
    private static final String USER = "bench";
    private static final String PASSWORD = "Bench-passw0rd";

    private WireBench() {}

    public static void main(String[] args) throws Exception {
        double sf = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("strongroom-wire");
        Path pgDir =
                Path.of("/tmp", "strongroom-wire-pg-" + ProcessHandle.current().pid());
        int pgPort = freePort();
        Properties tables = new Properties();
        try (InputStream in = Objects.requireNonNull(
                WireBench.class.getResourceAsStream("/tpch/tables.properties"), "tpch/tables.properties")) {
            tables.load(in);
        }
        String ddl = "CREATE TABLE lineitem (" + tables.getProperty("lineitem") + ")";
        byte[] material = new byte[32];
        new SecureRandom().nextBytes(material);
        try (DatabaseKey dek = DatabaseKey.ofMaterial(
                        new KeyInfo(KeyTier.DATABASE, "wire/dek", 1), SecretBytes.copyOf(material));
                Store store = Store.create(dir.resolve("store"), "wire", new ClusterLayout(1, 2), StoreKeys.of(dek))) {
            Path file = dir.resolve("lineitem.tbl");
            long rows = 0;
            try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (TpchEntity e : TpchTable.LINE_ITEM.createGenerator(sf, 1, 1)) {
                    String line = e.toLine();
                    w.write(line, 0, line.endsWith("|") ? line.length() - 1 : line.length());
                    w.write('\n');
                    rows++;
                }
            }
            try (SqlSession s = new StoreSqlEngine(store).open(new SessionInfo(USER, "dev", Map.of()))) {
                s.execute(s.prepare(ddl, List.of()), List.of());
                Result.CopyIn copy = (Result.CopyIn)
                        s.execute(s.prepare("COPY lineitem FROM STDIN WITH DELIMITER '|'", List.of()), List.of());
                try (InputStream in = Files.newInputStream(file)) {
                    byte[] buf = new byte[1 << 16];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        copy.sink().write(buf, 0, n);
                    }
                }
                copy.sink().finish();
            }
            startPostgres(pgDir, pgPort);
            try {
                try (Connection pg = pg(pgPort);
                        Statement st = pg.createStatement()) {
                    st.execute(ddl);
                    try (InputStream in = Files.newInputStream(file)) {
                        pg.unwrap(PGConnection.class)
                                .getCopyAPI()
                                .copyIn("COPY lineitem FROM STDIN WITH (DELIMITER '|')", in);
                    }
                    st.execute("VACUUM ANALYZE lineitem");
                }
                Files.delete(file);
                PgServer ours = PgServer.builder()
                        .engine(new StoreSqlEngine(store))
                        .port(0)
                        .tlsDisabled()
                        .authenticator(Authenticator.single(USER, Credentials.ofPassword(USER, PASSWORD.toCharArray())))
                        .start();
                try {
                    System.out.printf(
                            Locale.ROOT,
                            "lineitem at scale factor %s: %,d rows; %d round(s) after a warm-up; no TLS on either%n",
                            sf,
                            rows,
                            rounds);
                    compare(
                            "SELECT * (JDBC, fetch size 10,000)",
                            rounds,
                            () -> select(ours(ours.port())),
                            () -> select(pg(pgPort)));
                    compare(
                            "COPY lineitem TO STDOUT",
                            rounds,
                            () -> copyOut(ours(ours.port())),
                            () -> copyOut(pg(pgPort)));
                } finally {
                    ours.close();
                }
            } finally {
                stopPostgres(pgDir);
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A measured run: returns the bytes or rows it moved (for the rate). */
    @FunctionalInterface
    private interface Run {
        long run() throws Exception;
    }

    private static void compare(String what, int rounds, Run ours, Run theirs) throws Exception {
        ours.run(); // warm-up: JIT, caches
        theirs.run();
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        long amount = 0;
        for (int r = 0; r < rounds; r++) {
            boolean oursFirst = r % 2 == 0;
            for (int i = 0; i < 2; i++) {
                boolean mine = oursFirst == (i == 0);
                long t = System.nanoTime();
                long n = (mine ? ours : theirs).run();
                double ms = (System.nanoTime() - t) / 1e6;
                (mine ? a : b).add(ms);
                amount = Math.max(amount, n);
            }
        }
        double ma = Stats.median(a.stream().mapToDouble(Double::doubleValue).toArray());
        double mb = Stats.median(b.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf(
                Locale.ROOT,
                "%-36s Strongroom %,9.0f ms  PostgreSQL 15 %,9.0f ms  ratio %.2f  (%,d %s)%n",
                what,
                ma,
                mb,
                ma / mb,
                amount,
                what.startsWith("COPY") ? "bytes" : "rows");
    }

    private static long select(Connection c) throws SQLException {
        try (c;
                Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.setFetchSize(10_000);
            long n = 0;
            try (ResultSet rs = st.executeQuery("SELECT * FROM lineitem")) {
                int cols = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    for (int i = 1; i <= cols; i++) {
                        rs.getString(i);
                    }
                    n++;
                }
            }
            c.commit();
            return n;
        }
    }

    private static long copyOut(Connection c) throws Exception {
        try (c) {
            long[] bytes = new long[1];
            OutputStream sink = new OutputStream() {
                @Override
                public void write(int b) {
                    bytes[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    bytes[0] += len;
                }
            };
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY lineitem TO STDOUT", sink);
            return bytes[0];
        }
    }

    private static Connection ours(int port) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", PASSWORD);
        p.setProperty("sslmode", "disable");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p);
    }

    private static Connection pg(int port) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("sslmode", "disable");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** initdb (trust on loopback) and pg_ctl start, as the postgres user. */
    private static void startPostgres(Path dataDir, int port) throws Exception {
        run(
                "runuser",
                "-u",
                "postgres",
                "--",
                PG_BIN + "/initdb",
                "-D",
                dataDir.toString(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync");
        run(
                "runuser",
                "-u",
                "postgres",
                "--",
                PG_BIN + "/pg_ctl",
                "-D",
                dataDir.toString(),
                "-w",
                "-l",
                dataDir.resolve("log").toString(),
                "-o",
                "-p " + port + " -k " + dataDir + " -c listen_addresses=127.0.0.1 -c shared_buffers=2GB"
                        + " -c fsync=off",
                "start");
    }

    private static void stopPostgres(Path dataDir) throws Exception {
        try {
            run(
                    "runuser",
                    "-u",
                    "postgres",
                    "--",
                    PG_BIN + "/pg_ctl",
                    "-D",
                    dataDir.toString(),
                    "-m",
                    "fast",
                    "-w",
                    "stop");
        } finally {
            run("rm", "-rf", dataDir.toString());
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
        }
    }
}
