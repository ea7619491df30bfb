package io.strongroom.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.strongroom.testkit.log.CapturedLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;
import org.postgresql.util.PSQLException;

/** The real PostgreSQL JDBC driver (pgjdbc 42.7) against {@link PgServer} over {@link FakeSqlEngine}. */
class JdbcIT {
    static final String USER = "master";
    static final String PASSWORD = "Str0ng-pässword";

    static FakeSqlEngine engine;
    static PgServer server;
    static PgServer tlsOnly;
    static PgServer md5;

    @BeforeAll
    static void start() {
        engine = new FakeSqlEngine();
        Authenticator auth = Authenticator.single(USER, Credentials.ofPassword(USER, PASSWORD.toCharArray()));
        server = PgServer.builder().engine(engine).port(0).authenticator(auth).start();
        tlsOnly = PgServer.builder()
                .engine(engine)
                .port(0)
                .authenticator(auth)
                .requireTls(true)
                .start();
        md5 = PgServer.builder()
                .engine(engine)
                .port(0)
                .authenticator(auth)
                .passwordMethod(PasswordMethod.MD5)
                .tlsDisabled()
                .start();
    }

    @AfterAll
    static void stop() {
        server.close();
        tlsOnly.close();
        md5.close();
    }

    static Connection connect(PgServer s, String sslmode, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", password);
        p.setProperty("sslmode", sslmode);
        p.setProperty("connectTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + s.port() + "/dev", p);
    }

    @Test
    void scramOverRequiredTls_readsEveryTypeInText() throws Exception {
        try (Connection c = connect(tlsOnly, "require", PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT types")) {
            assertThat(rs.next()).isTrue();
            assertEveryType(rs);
            assertThat(rs.next()).isTrue();
            for (int i = 1; i <= FakeSqlEngine.TYPE_COLUMNS.size(); i++) {
                assertThat(rs.getObject(i)).as("column %d", i).isNull();
            }
            assertThat(rs.next()).isFalse();
        }
    }

    @Test
    void plaintextClient_isRefusedByTlsOnlyServer_andServedByTheDefaultOne() throws Exception {
        assertThatThrownBy(() -> connect(tlsOnly, "disable", PASSWORD))
                .isInstanceOf(PSQLException.class)
                .hasMessageContaining("requires TLS");
        try (Connection c = connect(server, "disable", PASSWORD);
                ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void wrongPasswordAndUnknownUser_failAlike() {
        assertThatThrownBy(() -> connect(server, "require", "wrong"))
                .isInstanceOfSatisfying(
                        PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"))
                .hasMessageContaining("password authentication failed for user \"master\"");
        Properties p = new Properties();
        p.setProperty("user", "nobody");
        p.setProperty("password", PASSWORD);
        assertThatThrownBy(
                        () -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/dev", p))
                .isInstanceOfSatisfying(
                        PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    void md5Server_acceptsRightPasswordOnly() throws Exception {
        try (Connection c = connect(md5, "disable", PASSWORD);
                ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
        }
        assertThatThrownBy(() -> connect(md5, "disable", "nope"))
                .isInstanceOfSatisfying(
                        PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    void preparedStatement_pastTheBinarySwitch_roundTripsParametersAndResults() throws Exception {
        try (Connection c = connect(server, "require", PASSWORD);
                PreparedStatement ps = c.prepareStatement("SELECT echo(?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int run = 0; run < 10; run++) {
                LocalDate date = LocalDate.of(2020, 1, 1).plusDays(run);
                ps.setInt(1, run);
                ps.setLong(2, -1L << 40 | run);
                ps.setDouble(3, run + 0.25);
                ps.setBigDecimal(4, new BigDecimal("123456789.0123").add(BigDecimal.valueOf(run)));
                ps.setString(5, "s" + run);
                ps.setBoolean(6, run % 2 == 0);
                ps.setShort(7, (short) (run - 5));
                ps.setFloat(8, run * 1.5f);
                ps.setObject(9, date);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(run);
                    assertThat(rs.getLong(2)).isEqualTo(-1L << 40 | run);
                    assertThat(rs.getDouble(3)).isEqualTo(run + 0.25);
                    assertThat(rs.getBigDecimal(4))
                            .isEqualByComparingTo(new BigDecimal("123456789.0123").add(BigDecimal.valueOf(run)));
                    assertThat(rs.getString(5)).isEqualTo("s" + run);
                    assertThat(rs.getBoolean(6)).isEqualTo(run % 2 == 0);
                    assertThat(rs.getShort(7)).isEqualTo((short) (run - 5));
                    assertThat(rs.getFloat(8)).isEqualTo(run * 1.5f);
                    assertThat(rs.getObject(9, LocalDate.class)).isEqualTo(date);
                    assertThat(rs.next()).isFalse();
                }
            }
        }
    }

    @Test
    void preparedStatement_everyResultType_inBinaryAfterTheSwitch() throws Exception {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", PASSWORD);
        // Ask for binary for every type the driver can read in binary, including bool (pgjdbc cannot read oid in
        // binary).
        p.setProperty("binaryTransferEnable", "16,21,23,20,1700,700,701,1082,1114,1184");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/dev", p);
                PreparedStatement ps = c.prepareStatement("SELECT types")) {
            for (int run = 0; run < 7; run++) {
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertEveryType(rs);
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getObject(5)).isNull();
                }
            }
        }
    }

    @Test
    void fetchSize_streamsALargeResult_andClosingEarlyClosesTheRows() throws Exception {
        try (Connection c = connect(server, "require", PASSWORD)) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.setFetchSize(1000);
                long count = 0;
                long sum = 0;
                try (ResultSet rs = st.executeQuery("SELECT series 200000")) {
                    while (rs.next()) {
                        count++;
                        sum += rs.getLong(1);
                    }
                }
                assertThat(count).isEqualTo(200_000);
                assertThat(sum).isEqualTo(200_000L * 200_001 / 2);

                int closedBefore = engine.rowsClosed.get();
                long producedBefore = engine.rowsProduced.get();
                try (ResultSet rs = st.executeQuery("SELECT series 1000000")) {
                    for (int i = 0; i < 10; i++) {
                        assertThat(rs.next()).isTrue();
                    }
                }
                c.commit();
                // Only the first batch was produced, and the portal's rows were closed.
                assertThat(engine.rowsProduced.get() - producedBefore).isLessThanOrEqualTo(1001);
                assertThat(engine.rowsClosed.get()).isGreaterThan(closedBefore);
            }
        }
    }

    @Test
    void copyManager_copiesInAndOut() throws Exception {
        try (Connection c = connect(server, "require", PASSWORD)) {
            CopyManager copy = new CopyManager(c.unwrap(BaseConnection.class));
            StringBuilder data = new StringBuilder();
            for (int i = 0; i < 5000; i++) {
                data.append(i).append("\tvalue ").append(i).append('\n');
            }
            long before = engine.copiedRows.get();
            long loaded = copy.copyIn("COPY t FROM STDIN", new StringReader(data.toString()));
            assertThat(loaded).isEqualTo(5000);
            assertThat(engine.copiedRows.get() - before).isEqualTo(5000);

            StringWriter w = new StringWriter();
            assertThat(copy.copyOut("COPY t TO STDOUT", w)).isEqualTo(3);
            assertThat(w.toString()).isEqualTo("1\tone\n2\ttwo\n3\tthree\n");

            try (ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }

    @Test
    void cancel_stopsASlowQuery_andTheConnectionStaysUsable() throws Exception {
        try (Connection c = connect(server, "require", PASSWORD);
                Statement st = c.createStatement()) {
            engine.slowStarted = new CountDownLatch(1);
            CompletableFuture<Throwable> running = CompletableFuture.supplyAsync(() -> {
                try {
                    st.executeQuery("SLOW").close();
                    return new AssertionError("SLOW returned");
                } catch (SQLException e) {
                    return e;
                }
            });
            assertThat(engine.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
            st.cancel();
            Throwable failure = running.get(15, TimeUnit.SECONDS);
            assertThat(failure).isInstanceOf(PSQLException.class).hasMessageContaining("canceling statement");
            try (ResultSet rs = st.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }

    @Test
    void sixHundredIdleSockets_doNotHoldOffARealLogin() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 600; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                idle.add(s);
                try {
                    s.getOutputStream().write(new byte[] {0, 0, 0, 8}); // the start of a startup packet, then nothing
                    s.getOutputStream().flush();
                } catch (IOException refused) {
                    // Past the limits, a newcomer with nothing old enough to evict is refused (53300) and closed.
                }
            }
            // The flood's sockets are now old enough to be dropped for a newcomer (a protocol constant, not a timing
            // assertion).
            Thread.sleep(PgServer.MIN_AGE_TO_DROP.toMillis() + 200);
            try (Connection c = connect(server, "require", PASSWORD);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
            }
            // The server dropped the oldest of them to stay within its limits on connections still authenticating
            // (their threads end a moment after their sockets close).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (server.connectionCount() > PgServer.MAX_UNAUTHENTICATED_PER_ADDRESS + 1
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(server.connectionCount()).isLessThanOrEqualTo(PgServer.MAX_UNAUTHENTICATED_PER_ADDRESS + 1);
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void aFloodFromTwentyAddressesThatReconnectsWithoutPause_doesNotHoldOffARealLogin() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        // 300 attackers, 15 on each of 127.0.0.2..21 (under the per-address limit, over the total): each sends four
        // bytes of a startup packet and nothing more, and connects again the moment the server drops it.
        List<Thread> attackers = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte last = (byte) (2 + i % 20);
            attackers.add(Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[4096];
                while (running.get()) {
                    try (Socket s = new Socket(
                            InetAddress.getLoopbackAddress(),
                            server.port(),
                            InetAddress.getByAddress(new byte[] {127, 0, 0, last}),
                            0)) {
                        s.getOutputStream().write(new byte[] {0, 0, 0, 8});
                        s.setSoTimeout(200);
                        while (running.get()) {
                            try {
                                if (s.getInputStream().read(buf) < 0) {
                                    break; // dropped: connect again
                                }
                            } catch (SocketTimeoutException stillHeld) {
                                // keep holding it
                            }
                        }
                    } catch (IOException refusedOrReset) {
                        // connect again
                    }
                }
            }));
        }
        try {
            Thread.sleep(PgServer.MIN_AGE_TO_DROP.toMillis() + 500);
            for (int i = 0; i < 5; i++) {
                try (Connection c = connect(server, "require", PASSWORD);
                        Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT 1")) {
                    assertThat(rs.next()).isTrue();
                }
            }
        } finally {
            running.set(false);
            for (Thread t : attackers) {
                t.join(10_000);
            }
        }
    }

    @Test
    void sqlErrorAndEngineCrash_leaveTheSessionUsable_andLeakNothing() throws Exception {
        try (Connection c = connect(server, "require", PASSWORD);
                Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery("FAIL"))
                    .isInstanceOfSatisfying(
                            PSQLException.class,
                            e -> assertThat(e.getSQLState()).isEqualTo("42P01"))
                    .hasMessageContaining("relation \"nope\" does not exist");
            // One log line with a reference the client is told, the connection and the stack, but not the message,
            // which may quote the statement's values.
            for (String failing : List.of("BOOM", "INVARIANT")) {
                try (CapturedLog log = new CapturedLog()) {
                    PSQLException e = catchThrowableOfType(PSQLException.class, () -> st.executeQuery(failing));
                    assertThat(e.getSQLState()).isEqualTo("XX000");
                    assertThat(e.getMessage())
                            .contains("reference ")
                            .doesNotContain("DEADBEEF", "/var/lib", "Exception", "at io.", "io.strongroom.");
                    Matcher m = Pattern.compile("reference ([0-9a-f-]{36})").matcher(e.getMessage());
                    assertThat(m.find()).isTrue();
                    assertThat(log.errors()).singleElement().satisfies(r -> {
                        assertThat(r.getMessage()).contains(m.group(1)).contains("the SQL engine failed");
                        StringWriter w = new StringWriter();
                        r.getThrown().printStackTrace(new PrintWriter(w));
                        assertThat(w.toString()).contains("FakeSqlEngine").doesNotContain("DEADBEEF", "/var/lib");
                    });
                }
            }
            try (PreparedStatement ps = c.prepareStatement("FAIL")) {
                assertThatThrownBy(ps::executeQuery).isInstanceOf(PSQLException.class);
            }
            try (ResultSet rs = st.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }

    private static void assertEveryType(ResultSet rs) throws SQLException {
        assertThat(rs.getBoolean("b")).isTrue();
        assertThat(rs.getShort("i2")).isEqualTo((short) -12);
        assertThat(rs.getInt("i4")).isEqualTo(123456);
        assertThat(rs.getLong("i8")).isEqualTo(-9_000_000_000L);
        assertThat(rs.getBigDecimal("n")).isEqualTo(new BigDecimal("-12345.6789"));
        assertThat(rs.getFloat("f4")).isEqualTo(1.5f);
        assertThat(rs.getDouble("f8")).isEqualTo(-2.25e-10);
        assertThat(rs.getString("c")).isEqualTo("fixed");
        assertThat(rs.getString("v")).isEqualTo("varying ünïcode");
        assertThat(rs.getString("t")).isEqualTo("text with 'quotes'");
        assertThat(rs.getString("nm")).isEqualTo("a_name");
        assertThat(rs.getLong("o")).isEqualTo(4_000_000_000L);
        assertThat(rs.getObject("d", LocalDate.class)).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(rs.getObject("ts", LocalDateTime.class))
                .isEqualTo(LocalDateTime.of(2024, 5, 6, 7, 8, 9, 123_456_000));
        assertThat(rs.getObject("tz", OffsetDateTime.class).toInstant())
                .isEqualTo(OffsetDateTime.of(2024, 5, 6, 7, 8, 9, 500_000_000, ZoneOffset.ofHours(2))
                        .toInstant());
        assertThat(rs.getTimestamp("ts"))
                .isEqualTo(Timestamp.valueOf(LocalDateTime.of(2024, 5, 6, 7, 8, 9, 123_456_000)));
    }
}
