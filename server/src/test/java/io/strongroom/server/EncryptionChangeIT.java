package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * The three encryption changes with the AWS CLI v2 while the PostgreSQL JDBC driver queries and writes throughout:
 * encrypt an unencrypted ra3 cluster, move it to another KMS key, decrypt it; on dc2, writes are refused with SQLSTATE
 * 25006 while the pass runs and reads go on. Every row written over SQL is there at the end.
 */
class EncryptionChangeIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private volatile long slowMillis = 0;

    @RegisterExtension
    final ServerStack stack = ServerStack.builder("encchange")
            .control(c -> c.jobHooks((jobPoint, jobFile) -> {
                if (jobPoint instanceof JobPoint.Progress(Job job)) {
                    // The pass's first report waits, so that describe-clusters sees it run; the rest go at
                    // full speed (the JDBC load makes thousands of one-row blocks to re-seal).
                    if (job.kind() == JobKind.CHANGE_ENCRYPTION
                            && job.progress().doneBytes() == 0) {
                        try {
                            Thread.sleep(slowMillis);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            }))
            .build();

    @BeforeEach
    void requireAwsCli() {
        ServerStack.requireAwsCli();
    }

    private JsonNode aws(String... args) throws Exception {
        ServerStack.AwsCall call = stack.aws("us-east-1", args);
        if (call.exit() != 0) {
            fail("aws " + String.join(" ", args) + " failed: " + call.err());
        }
        return call.out().isBlank() ? JSON.createObjectNode() : JSON.readTree(call.out());
    }

    private JsonNode cluster(String id) throws Exception {
        return aws("redshift", "describe-clusters", "--cluster-identifier", id)
                .path("Clusters")
                .get(0);
    }

    private void awaitAvailable(String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!cluster(id).path("ClusterStatus").asText().equals("available")) {
            assertThat(System.nanoTime()).as("waiting for %s", id).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private Connection connect(int port) throws SQLException {
        return ServerStack.connect(port, ServerStack.MASTER_PASSWORD);
    }

    /** An unencrypted cluster with table sales loaded in 8 COPYs (many blocks); returns its SQL port. */
    private int create(String id, String nodeType) throws Exception {
        aws(
                "redshift",
                "create-cluster",
                "--cluster-identifier",
                id,
                "--node-type",
                nodeType,
                "--number-of-nodes",
                "2",
                "--master-username",
                "admin",
                "--master-user-password",
                "Passw0rdX",
                "--no-encrypted");
        awaitAvailable(id);
        int port = cluster(id).path("Endpoint").path("Port").asInt();
        try (Connection conn = connect(port)) {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE sales (id BIGINT, region VARCHAR(8), note VARCHAR(40))");
            }
            for (int k = 0; k < 8; k++) {
                StringBuilder csv = new StringBuilder();
                for (int i = k * 25_000; i < (k + 1) * 25_000; i++) {
                    csv.append(i)
                            .append(',')
                            .append(i % 2 == 0 ? "east" : "west")
                            .append(",row ")
                            .append(i)
                            .append('\n');
                }
                ((PGConnection) conn)
                        .getCopyAPI()
                        .copyIn(
                                "COPY sales FROM STDIN WITH CSV",
                                new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)));
            }
        }
        return port;
    }

    private static long count(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM sales")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** JDBC inserts and counts in a loop until stopped; every count must be what was written. */
    private static final class Load implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong inserted = new AtomicLong();
        final AtomicLong queries = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread;

        Load(Connection conn, long base) {
            thread = new Thread(() -> {
                try (PreparedStatement ins = conn.prepareStatement("INSERT INTO sales VALUES (?, 'load', 'x')")) {
                    long id = 10_000_000;
                    while (!stop.get()) {
                        ins.setLong(1, id++);
                        ins.executeUpdate();
                        inserted.incrementAndGet();
                        assertThat(count(conn)).isEqualTo(base + inserted.get());
                        queries.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(30_000);
            assertThat(failure.get()).isNull();
        }
    }

    @Test
    void allThreeChanges_withTheCli_whileJdbcReadsAndWrites() throws Exception {
        int port = create("enc1", "ra3.xlplus");
        slowMillis = 4_000;
        String keyA = aws("kms", "create-key", "--description", "enc a")
                .path("KeyMetadata")
                .path("Arn")
                .asText();
        String keyB = aws("kms", "create-key", "--description", "enc b")
                .path("KeyMetadata")
                .path("Arn")
                .asText();
        aws("kms", "create-alias", "--alias-name", "alias/enc-a", "--target-key-id", keyA);
        try (Connection conn = connect(port)) {
            long base = count(conn);
            assertThat(base).isEqualTo(200_000);
            long inserted;
            try (Load load = new Load(conn, base)) {
                JsonNode answer = aws(
                                "redshift",
                                "modify-cluster",
                                "--cluster-identifier",
                                "enc1",
                                "--encrypted",
                                "--kms-key-id",
                                "alias/enc-a")
                        .path("Cluster");
                assertThat(answer.path("ClusterStatus").asText()).isEqualTo("modifying");
                JsonNode during = cluster("enc1");
                assertThat(during.path("PendingModifiedValues")
                                .path("EncryptionType")
                                .asText())
                        .isEqualTo("KMS");
                assertThat(during.path("DataTransferProgress").path("Status").asText())
                        .isEqualTo("IN_PROGRESS");
                awaitAvailable("enc1");
                long writesDuring = load.inserted.get();
                assertThat(writesDuring).as("JDBC writes during the pass").isPositive();
                JsonNode after = cluster("enc1");
                assertThat(after.path("Encrypted").asBoolean()).isTrue();
                assertThat(after.path("KmsKeyId").asText()).isEqualTo(keyA);
                assertThat(after.path("DataTransferProgress").path("Status").asText())
                        .isEqualTo("SUCCEEDED");

                // Another root key: metadata only.
                aws("redshift", "modify-cluster", "--cluster-identifier", "enc1", "--kms-key-id", keyB);
                awaitAvailable("enc1");
                assertThat(cluster("enc1").path("KmsKeyId").asText()).isEqualTo(keyB);

                aws("redshift", "modify-cluster", "--cluster-identifier", "enc1", "--no-encrypted");
                awaitAvailable("enc1");
                assertThat(cluster("enc1").path("Encrypted").asBoolean()).isFalse();
                inserted = load.inserted.get();
            }
            inserted = Math.max(inserted, 0);
            assertThat(count(conn)).isGreaterThanOrEqualTo(base + inserted);
        }
        // A new session after the changes reads every row.
        try (Connection conn = connect(port);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT region) FROM sales")) {
            rs.next();
            assertThat(rs.getLong(1)).isGreaterThan(200_000);
            assertThat(rs.getLong(2)).isEqualTo(3);
        }
    }

    @Test
    void onDc2_jdbcWritesGetSqlstate25006DuringThePass_andReadsGoOn() throws Exception {
        int port = create("enc2", "dc2.large");
        slowMillis = 4_000;
        try (Connection conn = connect(port)) {
            aws("redshift", "modify-cluster", "--cluster-identifier", "enc2", "--encrypted");
            assertThat(count(conn)).isEqualTo(200_000);
            assertThatThrownBy(() -> {
                        try (Statement st = conn.createStatement()) {
                            st.executeUpdate("INSERT INTO sales VALUES (1, 'x', 'y')");
                        }
                    })
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("25006"))
                    .hasMessageContaining("read-only while it is encrypted");
            awaitAvailable("enc2");
            try (Statement st = conn.createStatement()) {
                assertThat(st.executeUpdate("INSERT INTO sales VALUES (1, 'x', 'y')"))
                        .isEqualTo(1);
            }
            assertThat(count(conn)).isEqualTo(200_001);
        }
    }
}
