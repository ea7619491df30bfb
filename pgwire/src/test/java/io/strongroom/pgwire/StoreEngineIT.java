package io.strongroom.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.util.PSQLException;

/**
 * Real clients (psql 15 and pgjdbc 42.7) against {@link PgServer} over the real engine ({@link StoreSqlEngine}) on
 * an encrypted temporary store: catalog commands, {@code \copy}, prepared statements past the binary switch,
 * batches, streaming with a fetch size, cancel, and DatabaseMetaData.
 */
class StoreEngineIT {
    static PgServer server;
    static Store store;
    static DatabaseKey dek;

    @BeforeAll
    static void start(@TempDir Path dir) {
        dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "c/dek", 1), SecretBytes.copyOf(new byte[32]));
        store = Store.create(dir, "c", new ClusterLayout(2, 2), StoreKeys.of(dek));
        server = PgServer.builder()
                .engine(new StoreSqlEngine(store))
                .port(0)
                .requireTls(true)
                .authenticator(Authenticator.single(
                        JdbcIT.USER, Credentials.ofPassword(JdbcIT.USER, JdbcIT.PASSWORD.toCharArray())))
                .start();
    }

    @AfterAll
    static void stop() {
        server.close();
        store.close();
        dek.close();
    }

    static PsqlIT.Run psql(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                PsqlIT.PSQL.toString(),
                "host=127.0.0.1 port=" + server.port() + " user=" + JdbcIT.USER + " dbname=dev sslmode=require",
                "-X",
                "-A",
                "-t"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PGPASSWORD", JdbcIT.PASSWORD);
        pb.environment().put("PGCONNECT_TIMEOUT", "10");
        Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("psql finished").isTrue();
        PsqlIT.Run r = new PsqlIT.Run(
                p.exitValue(),
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        if (Boolean.getBoolean("psql.echo")) {
            System.out.println("psql " + String.join(" ", args) + "\n" + r.out() + r.err());
        }
        return r;
    }

    private static Connection connect() throws SQLException {
        return JdbcIT.connect(server, "require", JdbcIT.PASSWORD);
    }

    @Test
    void aDamagedBlock_isAnIntegrityError_thatNamesNoServerPath() throws Exception {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE damaged (id BIGINT)");
            st.execute("INSERT INTO damaged VALUES (1), (2), (3)");
            Path blockFile;
            try (Stream<Path> files = Files.walk(store.root().resolve("tables"))) {
                blockFile = files.filter(p -> p.toString().endsWith(".blk"))
                        .max(Comparator.comparing(p -> p.toFile().lastModified()))
                        .orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(blockFile);
            bytes[bytes.length - 5] ^= 1;
            Files.write(blockFile, bytes);
            assertThatThrownBy(() -> st.executeQuery("SELECT sum(id) FROM damaged"))
                    .isInstanceOfSatisfying(PSQLException.class, e -> {
                        assertThat(e.getSQLState()).startsWith("XX");
                        assertThat(e.getMessage())
                                .contains("<path in the server log>")
                                .doesNotContain(store.root().toString());
                    });
            st.execute("DROP TABLE damaged");
        }
    }

    @Test
    void tooDeeplyNestedStatements_are54001_andTheSessionGoesOn() throws Exception {
        String sum = "SELECT " + "1 + ".repeat(20_000) + "1";
        StringBuilder unions = new StringBuilder("SELECT 1");
        for (int i = 0; i < 20_000; i++) {
            unions.append(" UNION ALL SELECT ").append(i);
        }
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            for (String sql : List.of(sum, unions.toString())) {
                assertThatThrownBy(() -> st.executeQuery(sql)).isInstanceOfSatisfying(PSQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("54001");
                    assertThat(e.getMessage()).contains("too complex");
                });
            }
            try (PreparedStatement ps = c.prepareStatement(sum)) {
                assertThatThrownBy(ps::executeQuery)
                        .isInstanceOfSatisfying(
                                PSQLException.class,
                                e -> assertThat(e.getSQLState()).isEqualTo("54001"));
            }
            try (ResultSet rs = st.executeQuery("SELECT 1 + 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
        }
    }

    @Test
    void cursors_psqlWithFetchCount_andJdbcDeclareFetchClose() throws Exception {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS curs (id INTEGER, s VARCHAR(10))");
            st.execute("INSERT INTO curs VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
        }
        // psql with FETCH_COUNT reads a query through a cursor: BEGIN, DECLARE, FETCH FORWARD 2 until empty, CLOSE.
        PsqlIT.Run fetched = psql("\\set FETCH_COUNT 2\nSELECT id, s FROM curs ORDER BY id;\n", "-F", ",");
        assertThat(fetched.err()).isEmpty();
        assertThat(fetched.out().lines().toList()).containsExactly("1,a", "2,b", "3,c", "4,d", "5,e");
        // SQL PREPARE and EXECUTE, in one psql command string.
        PsqlIT.Run executed =
                psql("", "-c", "PREPARE pick (int) AS SELECT s FROM curs WHERE id = $1; EXECUTE pick (1 + 2);");
        assertThat(executed.err()).isEmpty();
        assertThat(executed.out().lines().toList()).containsExactly("PREPARE", "c"); // psql prints the tag too
        // JDBC, as a BI tool: batches of two from a cursor inside a transaction.
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("DECLARE big CURSOR FOR SELECT id FROM curs ORDER BY id");
            List<Integer> seen = new ArrayList<>();
            while (true) {
                int n = 0;
                try (ResultSet rs = st.executeQuery("FETCH FORWARD 2 FROM big")) {
                    while (rs.next()) {
                        seen.add(rs.getInt(1));
                        n++;
                    }
                }
                if (n == 0) {
                    break;
                }
            }
            st.execute("CLOSE big");
            c.commit();
            assertThat(seen).containsExactly(1, 2, 3, 4, 5);
        }
    }

    @Test
    void psql_describesTablesCopiesInAndQueries() throws Exception {
        PsqlIT.Run create =
                psql("", "-c", "CREATE TABLE IF NOT EXISTS ptab (id INTEGER, name VARCHAR(20), amount DECIMAL(10,2))");
        assertThat(create.err()).isEmpty();

        PsqlIT.Run copy = psql("\\copy ptab from stdin with csv\n1,one,1.50\n2,two,2.25\n\\.\n");
        assertThat(copy.err()).isEmpty();
        assertThat(copy.out()).contains("COPY 2");

        PsqlIT.Run dt = psql("", "-c", "\\dt");
        assertThat(dt.err()).isEmpty();
        assertThat(dt.out().lines().toList()).contains("public|ptab|table|" + JdbcIT.USER);

        PsqlIT.Run d = psql("", "-c", "\\d ptab");
        assertThat(d.err()).isEmpty();
        assertThat(d.out().lines().toList())
                .contains("id|integer|||", "name|character varying(20)|||", "amount|numeric(10,2)|||");

        PsqlIT.Run l = psql("", "-c", "\\l");
        assertThat(l.err()).isEmpty();
        assertThat(l.out()).contains("dev|");

        PsqlIT.Run q = psql("", "-F", ",", "-c", "SELECT id, name, amount * 2 AS twice FROM ptab ORDER BY id");
        assertThat(q.err()).isEmpty();
        assertThat(q.out().lines().toList()).containsExactly("1,one,3.00", "2,two,4.50");
    }

    @Test
    void jdbc_preparedStatementsPastTheBinarySwitch_batches_fetchSizeStreaming() throws Exception {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE jtab (id BIGINT, label VARCHAR(16), price DECIMAL(12,2))");
            c.setAutoCommit(false); // one commit for the whole batch
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO jtab VALUES (?, ?, ?)")) {
                for (int i = 0; i < 1000; i++) {
                    ins.setLong(1, i);
                    ins.setString(2, "row" + i);
                    ins.setBigDecimal(3, new BigDecimal(i).movePointLeft(2));
                    ins.addBatch();
                }
                int[] counts = ins.executeBatch();
                assertThat(counts).hasSize(1000).containsOnly(1);
            }
            c.commit();
            c.setAutoCommit(true);
            try (PreparedStatement q = c.prepareStatement("SELECT label, price FROM jtab WHERE id = ?")) {
                // pgjdbc switches to a named server statement and binary results after the fifth run.
                for (int i = 0; i < 8; i++) {
                    q.setLong(1, i * 7);
                    try (ResultSet rs = q.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).isEqualTo("row" + (i * 7));
                        assertThat(rs.getBigDecimal(2)).isEqualByComparingTo(new BigDecimal(i * 7).movePointLeft(2));
                        assertThat(rs.next()).isFalse();
                    }
                }
            }
            st.execute("CREATE TABLE big AS SELECT a.id * 1000 + b.id AS n FROM jtab a, jtab b WHERE b.id < 100");
        }
        try (Connection c = connect()) {
            c.setAutoCommit(false); // pgjdbc streams with a fetch size only inside a transaction
            try (Statement st = c.createStatement()) {
                st.setFetchSize(1000);
                long rows = 0;
                long sum = 0;
                try (ResultSet rs = st.executeQuery("SELECT n FROM big")) {
                    while (rs.next()) {
                        rows++;
                        sum += rs.getLong(1);
                    }
                }
                assertThat(rows).isEqualTo(100_000);
                assertThat(sum).isEqualTo(1000L * 100 * (999L * 1000 / 2) + 1000L * (99L * 100 / 2));
            }
            c.commit();
        }
    }

    @Test
    void jdbc_cancel_stopsALongQuery() throws Exception {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE ctab AS SELECT 1 AS x");
            for (int i = 0; i < 17; i++) {
                st.execute("INSERT INTO ctab SELECT x FROM ctab");
            }
            CompletableFuture<Void> cancel = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(500);
                    st.cancel();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long started = System.nanoTime();
            // 2^34 pairs: hours of work unless cancelled.
            assertThatThrownBy(() -> st.executeQuery("SELECT count(*) FROM ctab a, ctab b WHERE a.x + b.x > 0"))
                    .isInstanceOf(PSQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
            cancel.get(10, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started))
                    .isLessThan(20);
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM ctab")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(1 << 17);
            }
        }
    }

    @Test
    void jdbc_metaData_getTablesAndGetColumns() throws Exception {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE mtab (id INTEGER, note VARCHAR(30), at TIMESTAMP)");
            DatabaseMetaData md = c.getMetaData();
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = md.getTables(null, "public", "mtab", new String[] {"TABLE"})) {
                while (rs.next()) {
                    tables.add(rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME") + ":"
                            + rs.getString("TABLE_TYPE"));
                }
            }
            assertThat(tables).containsExactly("public.mtab:TABLE");
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "public", "mtab", null)) {
                while (rs.next()) {
                    columns.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME") + ":"
                            + rs.getInt("DATA_TYPE") + ":" + rs.getInt("ORDINAL_POSITION"));
                }
            }
            assertThat(columns)
                    .containsExactly(
                            "id:int4:" + Types.INTEGER + ":1",
                            "note:varchar:" + Types.VARCHAR + ":2",
                            "at:timestamp:" + Types.TIMESTAMP + ":3");
        }
    }

    @Test
    void alterTableAndNotNull_areSeenByPsqlDescribe_jdbcGetColumns_andSqlstates() throws Exception {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE atab (id INTEGER NOT NULL, old_name VARCHAR(10), gone INTEGER)");
            st.execute("INSERT INTO atab VALUES (1, 'a', 1)");
            st.execute("ALTER TABLE atab RENAME COLUMN old_name TO label");
            st.execute("ALTER TABLE atab DROP COLUMN gone");
            st.execute("ALTER TABLE atab ADD COLUMN status VARCHAR(8) DEFAULT 'new' NOT NULL");
            st.execute("ALTER TABLE atab RENAME TO btab");
            assertThatThrownBy(() -> st.execute("INSERT INTO btab (id, label) VALUES (NULL, 'x')"))
                    .isInstanceOfSatisfying(PSQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("23502");
                        assertThat(e.getMessage()).contains("null value in column \"id\" violates not-null constraint");
                    });
            try (ResultSet rs = st.executeQuery("SELECT id, label, status FROM btab")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1) + "," + rs.getString(2) + "," + rs.getString(3))
                        .isEqualTo("1,a,new");
            }
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = c.getMetaData().getColumns(null, "public", "btab", null)) {
                while (rs.next()) {
                    columns.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("IS_NULLABLE") + ":"
                            + rs.getInt("NULLABLE") + ":" + rs.getString("COLUMN_DEF"));
                }
            }
            assertThat(columns)
                    .containsExactly(
                            "id:NO:" + DatabaseMetaData.columnNoNulls + ":null",
                            "label:YES:" + DatabaseMetaData.columnNullable + ":null",
                            "status:NO:" + DatabaseMetaData.columnNoNulls + ":'new'::character varying");
        }
        PsqlIT.Run d = psql("", "-c", "\\d btab");
        assertThat(d.err()).isEmpty();
        assertThat(d.out().lines().toList())
                .contains(
                        "id|integer||not null|",
                        "label|character varying(10)|||",
                        "status|character varying(8)||not null|'new'::character varying");
        assertThat(d.out()).doesNotContain("gone").doesNotContain("old_name");
    }
}
