package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed's cross-region snapshot copy with the real AWS CLI v2, with the data written and read over SQL (the
 * PostgreSQL JDBC driver on pgwire), in the process {@code strongroom up} runs: a key and a snapshot copy grant in
 * us-west-2, copy enabled on an encrypted cluster of us-east-1 (whose rename is then refused), rows inserted over
 * JDBC, a manual snapshot, its copy waited for in us-west-2 (SourceRegion us-east-1), a restore there, and the
 * restored cluster answers the same count, sums and row checksum over JDBC as the source.
 */
class CrossRegionCopySqlIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROWS = 3_000;

    @RegisterExtension
    final ServerStack stack = ServerStack.builder("xr-sql").build();

    /** What one CLI call returned. */
    private record Result(int exit, String out, String err) {
        JsonNode json() throws Exception {
            assertThat(exit).as("aws exit code; stderr: %s", err).isZero();
            return out.isBlank() ? JSON.createObjectNode() : JSON.readTree(out);
        }
    }

    @BeforeEach
    void requireAwsCli() {
        ServerStack.requireAwsCli();
    }

    /** One call of the AWS CLI in {@code region}, as the KMS's admin, against the control plane's endpoint. */
    private Result aws(String region, String... args) throws Exception {
        ServerStack.AwsCall call = stack.aws(region, args);
        return new Result(call.exit(), call.out(), call.err());
    }

    /** Polls describe-clusters in {@code region} until {@code id} is available; returns its endpoint port. */
    private int awaitAvailable(String region, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            JsonNode c = aws(region, "redshift", "describe-clusters", "--cluster-identifier", id)
                    .json()
                    .path("Clusters")
                    .path(0);
            if (c.path("ClusterStatus").asText().equals("available")) {
                return c.path("Endpoint").path("Port").asInt();
            }
            assertThat(System.nanoTime())
                    .as("waiting for cluster %s in %s", id, region)
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static Connection connect(int port) throws SQLException {
        return ServerStack.connect(port, ServerStack.MASTER_PASSWORD);
    }

    /**
     * What a restore must give back, read over SQL: count(*), sum(id), sum(amount), sum(length(note)), and a
     * SHA-256 over every row in id order (the rows themselves, not just aggregates).
     */
    private static List<String> fingerprint(int port) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection conn = connect(port);
                Statement st = conn.createStatement()) {
            try (ResultSet rs =
                    st.executeQuery("SELECT count(*), sum(id), sum(amount), sum(length(note)) FROM orders")) {
                assertThat(rs.next()).isTrue();
                for (int i = 1; i <= 4; i++) {
                    out.add(rs.getString(i));
                }
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long rows = 0;
            try (ResultSet rs = st.executeQuery("SELECT id, note, amount FROM orders ORDER BY id")) {
                while (rs.next()) {
                    rows++;
                    sha.update((rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getBigDecimal(3) + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            out.add(rows + " rows sha256 " + HexFormat.of().formatHex(sha.digest()));
        }
        return out;
    }

    @Test
    void theSeedsProcess_withTheAwsCli_restoreInTheDestinationAnswersTheSameOverSql() throws Exception {
        String key = aws("us-west-2", "kms", "create-key", "--description", "dr-key")
                .json()
                .path("KeyMetadata")
                .path("Arn")
                .asText();
        assertThat(key).contains(":us-west-2:");
        aws(
                        "us-west-2",
                        "redshift",
                        "create-snapshot-copy-grant",
                        "--snapshot-copy-grant-name",
                        "dr-grant",
                        "--kms-key-id",
                        key)
                .json();
        aws(
                        "us-east-1",
                        "redshift",
                        "create-cluster",
                        "--cluster-identifier",
                        "dw1",
                        "--node-type",
                        "ra3.xlplus",
                        "--number-of-nodes",
                        "2",
                        "--master-username",
                        "admin",
                        "--master-user-password",
                        "Passw0rdX",
                        "--encrypted")
                .json();
        int sourcePort = awaitAvailable("us-east-1", "dw1");
        JsonNode copyStatus = aws(
                        "us-east-1",
                        "redshift",
                        "enable-snapshot-copy",
                        "--cluster-identifier",
                        "dw1",
                        "--destination-region",
                        "us-west-2",
                        "--retention-period",
                        "7",
                        "--snapshot-copy-grant-name",
                        "dr-grant")
                .json()
                .path("Cluster")
                .path("ClusterSnapshotCopyStatus");
        assertThat(copyStatus.path("DestinationRegion").asText()).isEqualTo("us-west-2");

        // The rename rule: the cluster's name is in its encryption context, so a rename waits for copy to be off.
        Result rename = aws(
                "us-east-1",
                "redshift",
                "modify-cluster",
                "--cluster-identifier",
                "dw1",
                "--new-cluster-identifier",
                "dw1-renamed");
        assertThat(rename.exit())
                .as("rename while copying; stdout: %s", rename.out())
                .isNotZero();
        assertThat(rename.err()).contains("InvalidClusterState").contains("disable snapshot copy, rename the cluster");

        try (Connection conn = connect(sourcePort)) {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE orders (id BIGINT, note VARCHAR(64), amount DECIMAL(12,2))");
            }
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO orders VALUES (?, ?, ?)")) {
                for (int i = 0; i < ROWS; i++) {
                    ins.setLong(1, i);
                    ins.setString(2, "order " + Integer.toHexString(i * 7919) + (i % 3 == 0 ? " priority" : ""));
                    ins.setBigDecimal(3, new BigDecimal(i * 37L % 100_000).movePointLeft(2));
                    ins.addBatch();
                }
                assertThat(ins.executeBatch()).hasSize(ROWS);
            }
        }
        List<String> source = fingerprint(sourcePort);
        assertThat(source.get(0)).isEqualTo(String.valueOf(ROWS));

        aws(
                        "us-east-1",
                        "redshift",
                        "create-cluster-snapshot",
                        "--cluster-identifier",
                        "dw1",
                        "--snapshot-identifier",
                        "s1")
                .json();
        JsonNode copy = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (copy == null) {
            assertThat(System.nanoTime())
                    .as("waiting for the copy in us-west-2")
                    .isLessThan(deadline);
            for (JsonNode s : aws("us-west-2", "redshift", "describe-cluster-snapshots")
                    .json()
                    .path("Snapshots")) {
                if (s.path("SnapshotIdentifier").asText().equals("s1")
                        && s.path("Status").asText().equals("available")) {
                    copy = s;
                }
            }
            Thread.sleep(200);
        }
        assertThat(copy.path("SourceRegion").asText()).isEqualTo("us-east-1");
        assertThat(copy.path("Encrypted").asBoolean()).isTrue();
        assertThat(copy.path("KmsKeyId").asText()).isEqualTo(key);

        aws(
                        "us-west-2",
                        "redshift",
                        "restore-from-cluster-snapshot",
                        "--cluster-identifier",
                        "dw1-dr",
                        "--snapshot-identifier",
                        "s1")
                .json();
        int restoredPort = awaitAvailable("us-west-2", "dw1-dr");
        assertThat(restoredPort).isNotEqualTo(sourcePort);
        assertThat(fingerprint(restoredPort)).containsExactlyElementsOf(source);

        // Disable, rename, enable: the order the refusal asks for works.
        aws("us-east-1", "redshift", "disable-snapshot-copy", "--cluster-identifier", "dw1")
                .json();
        aws(
                        "us-east-1",
                        "redshift",
                        "modify-cluster",
                        "--cluster-identifier",
                        "dw1",
                        "--new-cluster-identifier",
                        "dw1-renamed")
                .json();
        awaitAvailable("us-east-1", "dw1-renamed");
        aws(
                        "us-east-1",
                        "redshift",
                        "enable-snapshot-copy",
                        "--cluster-identifier",
                        "dw1-renamed",
                        "--destination-region",
                        "us-west-2",
                        "--snapshot-copy-grant-name",
                        "dr-grant")
                .json();
    }
}
