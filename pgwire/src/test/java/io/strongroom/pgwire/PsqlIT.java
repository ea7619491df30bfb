package io.strongroom.pgwire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** psql 15 (Debian postgresql-client) against {@link PgServer}, over TLS with SCRAM. */
class PsqlIT {
    static final Path PSQL = Path.of("/usr/bin/psql");
    static FakeSqlEngine engine;
    static PgServer server;

    @BeforeAll
    static void start() {
        if (!Files.isExecutable(PSQL)) {
            throw new IllegalStateException(
                    "psql not found at /usr/bin/psql: install it with `apt-get install postgresql-client`");
        }
        engine = new FakeSqlEngine();
        server = PgServer.builder()
                .engine(engine)
                .port(0)
                .requireTls(true)
                .authenticator(Authenticator.single(
                        JdbcIT.USER, Credentials.ofPassword(JdbcIT.USER, JdbcIT.PASSWORD.toCharArray())))
                .start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Run(int exit, String out, String err) {}

    static Run psql(String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                PSQL.toString(),
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
        return new Run(
                p.exitValue(),
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void select_printsEveryTypeInPostgresTextFormat() throws Exception {
        Run r = psql("", "-F", ",", "-c", "SELECT types");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines().toList())
                .first()
                .isEqualTo("t,-12,123456,-9000000000,-12345.6789,1.5,-2.25e-10,fixed,varying ünïcode,"
                        + "text with 'quotes',a_name,4000000000,2024-02-29,2024-05-06 07:08:09.123456,"
                        + "2024-05-06 07:08:09.5+02");
    }

    @Test
    void severalStatementsAndEmptyQuery_inOneSimpleQuery() throws Exception {
        Run r = psql("", "-c", "SELECT 1; SELECT series 3");
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines().toList()).containsExactly("1", "1|row 1", "2|row 2", "3|row 3");
    }

    @Test
    void backslashCopyFromStdin_loadsTheRows() throws Exception {
        long before = engine.copiedRows.get();
        // Data ends at EOF: psql 15 forwards a "\\." line to the server, which the fake engine would count.
        Run r = psql("1\ta\n2\tb\n3\tc\n", "-c", "\\copy t from stdin");
        assertThat(r.err()).isEmpty();
        assertThat(r.out().strip()).isEqualTo("COPY 3");
        assertThat(engine.copiedRows.get() - before).isEqualTo(3);
    }

    @Test
    void sqlError_reportsTheMessage_andTheNextCommandRuns() throws Exception {
        Run r = psql("FAIL;\nSELECT 1;\n");
        assertThat(r.err()).contains("ERROR:  relation \"nope\" does not exist");
        assertThat(r.out().strip()).isEqualTo("1");
    }

    @Test
    void wrongPassword_isRefused() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                PSQL.toString(),
                "host=127.0.0.1 port=" + server.port() + " user=" + JdbcIT.USER + " sslmode=require",
                "-c",
                "SELECT 1");
        pb.environment().put("PGPASSWORD", "wrong");
        Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("password authentication failed for user \"master\"");
    }
}
