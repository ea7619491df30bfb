package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.RedshiftException;

/**
 * What {@code strongroom up} runs, in one process: the KMS, the control plane and the SQL endpoints. An
 * encrypted cluster made through the Redshift API (AWS SDK) is then used with the PostgreSQL JDBC driver and
 * psql: data written over SQL survives a reboot (keys reloaded through the KMS), a password change takes
 * effect, and a deleted cluster stops serving.
 */
class EndToEndIT {
    @RegisterExtension
    final ServerStack stack = ServerStack.builder("e2e").build();

    private Connection connect(int port, String password) throws SQLException {
        return ServerStack.connect(port, password);
    }

    @Test
    void getClusterCredentials_givesATemporaryIamLogin_forTheMasterUserOnly() throws Exception {
        stack.redshift()
                .createCluster(r -> r.clusterIdentifier("iam1")
                        .nodeType("ra3.xlplus")
                        .masterUsername("admin")
                        .masterUserPassword("Passw0rdX")
                        .encrypted(true));
        int port = stack.redshift()
                .describeClusters(r -> r.clusterIdentifier("iam1"))
                .clusters()
                .get(0)
                .endpoint()
                .port();
        var creds = stack.redshift()
                .getClusterCredentials(
                        r -> r.clusterIdentifier("iam1").dbUser("admin").durationSeconds(900));
        assertThat(creds.dbUser()).isEqualTo("IAM:admin");
        assertThat(creds.expiration()).isAfter(Instant.now().plusSeconds(800));
        Properties p = new Properties();
        p.setProperty("user", creds.dbUser());
        p.setProperty("password", creds.dbPassword());
        p.setProperty("sslmode", "require");
        try (Connection conn = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_user")) {
            assertThat(rs.next()).isTrue();
        }
        // A newer credential replaces the older one; a wrong password or another user opens nothing.
        var newer = stack.redshift()
                .getClusterCredentials(r -> r.clusterIdentifier("iam1").dbUser("admin"));
        p.setProperty("password", creds.dbPassword());
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p))
                .isInstanceOf(SQLException.class);
        p.setProperty("password", newer.dbPassword());
        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p)
                .close();
        assertThatThrownBy(() -> stack.redshift()
                        .getClusterCredentials(r -> r.clusterIdentifier("iam1").dbUser("bob")))
                .hasMessageContaining("its only user is the master user 'admin'");
        assertThatThrownBy(() -> stack.redshift()
                        .getClusterCredentials(
                                r -> r.clusterIdentifier("iam1").dbUser("admin").durationSeconds(60)))
                .hasMessageContaining("DurationSeconds must be from 900 to 3600");

        // Each parameter is honoured or refused over the wire, never dropped.
        assertThatThrownBy(() -> stack.redshift()
                        .getClusterCredentials(
                                r -> r.clusterIdentifier("iam1").dbUser("bob").autoCreate(true)))
                .isInstanceOfSatisfying(
                        RedshiftException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnsupportedOperation"))
                .hasMessageContaining("AutoCreate cannot create database user 'bob'");
        assertThatThrownBy(() -> stack.redshift()
                        .getClusterCredentials(
                                r -> r.clusterIdentifier("iam1").dbUser("admin").dbGroups("analysts")))
                .hasMessageContaining("DbGroups is not supported");
        assertThatThrownBy(() -> stack.redshift()
                        .getClusterCredentials(
                                r -> r.customDomainName("sql.example.com").dbUser("admin")))
                .hasMessageContaining("CustomDomainName is not supported");
        assertThatThrownBy(() -> stack.redshift()
                        .getClusterCredentials(
                                r -> r.clusterIdentifier("iam1").dbUser("admin").dbName("sales")))
                .hasMessageContaining("its database is 'dev'");
        // AutoCreate of the master user (nothing to create) and a DbName: that database only.
        var limited = stack.redshift()
                .getClusterCredentials(r -> r.clusterIdentifier("iam1")
                        .dbUser("admin")
                        .autoCreate(true)
                        .dbName("dev"));
        p.setProperty("password", limited.dbPassword());
        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p)
                .close();
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/other", p))
                .isInstanceOfSatisfying(
                        SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    void encryptedCluster_servesSql_survivesReboot_andFollowsPasswordChanges() throws Exception {
        Cluster c = stack.redshift()
                .createCluster(r -> r.clusterIdentifier("dw1")
                        .nodeType("ra3.xlplus")
                        .numberOfNodes(2)
                        .masterUsername("admin")
                        .masterUserPassword("Passw0rdX")
                        .encrypted(true))
                .cluster();
        assertThat(c.encrypted()).isTrue();
        int port = stack.redshift()
                .describeClusters(r -> r.clusterIdentifier("dw1"))
                .clusters()
                .get(0)
                .endpoint()
                .port();
        assertThat(port).isEqualTo(stack.portBase());

        try (Connection conn = connect(port, "Passw0rdX")) {
            try (Statement st = conn.createStatement()) {
                st.execute(
                        "CREATE TABLE sales (id BIGINT, region VARCHAR(8), amount DECIMAL(12,2)) DISTSTYLE KEY DISTKEY (region) SORTKEY (id)");
            }
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO sales VALUES (?, ?, ?)")) {
                for (int i = 0; i < 500; i++) {
                    ins.setLong(1, i);
                    ins.setString(2, i % 2 == 0 ? "east" : "west");
                    ins.setBigDecimal(3, new BigDecimal(i).movePointLeft(2));
                    ins.addBatch();
                }
                assertThat(ins.executeBatch()).hasSize(500);
            }
            long copied = ((PGConnection) conn)
                    .getCopyAPI()
                    .copyIn("COPY sales FROM STDIN WITH CSV", new ByteArrayInputStream(copyData(500, 20_000)));
            assertThat(copied).isEqualTo(19_500);
            // Past the driver's switch to binary transfer on the fifth run.
            try (PreparedStatement q =
                    conn.prepareStatement("SELECT count(*), sum(amount) FROM sales WHERE region = ?")) {
                for (int run = 0; run < 7; run++) {
                    q.setString(1, "east");
                    try (ResultSet rs = q.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getLong(1)).isEqualTo(10_000);
                    }
                }
            }
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                st.setFetchSize(1000);
                long n = 0;
                try (ResultSet rs = st.executeQuery("SELECT id FROM sales")) {
                    while (rs.next()) {
                        n++;
                    }
                }
                assertThat(n).isEqualTo(20_000);
            }
            conn.commit();
        }

        // Reboot: keys are reloaded through the KMS; the data is still there, and the TLS certificate is the same.
        byte[] certBefore = serverCertificate(port);
        stack.redshift().rebootCluster(r -> r.clusterIdentifier("dw1"));
        assertThat(serverCertificate(port)).isEqualTo(certBefore);
        // The cluster's TLS key store opens only with its password, which is sealed under the cluster's database
        // key: a copy of the TLS directory alone gives no private key.
        try (Stream<Path> files = Files.list(stack.dir().resolve("control").resolve("tls"))) {
            List<Path> stores = files.filter(f -> f.toString().endsWith(".p12") && !f.endsWith("ca.p12"))
                    .toList();
            assertThat(stores).hasSize(1);
            assertThat(Path.of(stores.get(0) + ".seal")).exists();
            assertThatThrownBy(() -> {
                        KeyStore ks = KeyStore.getInstance("PKCS12");
                        try (var in = Files.newInputStream(stores.get(0))) {
                            ks.load(in, new char[0]);
                        }
                    })
                    .isInstanceOf(IOException.class);
        }
        // Renewal without a restart: nothing is due now; 380 days on, the certificate is issued again and the running
        // endpoint serves the new one to the next connection.
        assertThat(stack.sql().renewDue()).isZero();
        stack.sql().authority().clock(InstantSource.offset(Clock.systemUTC(), Duration.ofDays(380)));
        assertThat(stack.sql().renewDue()).isEqualTo(1);
        assertThat(serverCertificate(port)).isNotEqualTo(certBefore);
        stack.sql().authority().clock(InstantSource.system());
        try (Connection conn = connect(port, "Passw0rdX");
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), max(id) FROM sales")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(20_000);
            assertThat(rs.getLong(2)).isEqualTo(19_999);
        }
        // Text outside Latin-1 is stored, compared and returned as sent (UTF-8 end to end).
        try (Connection conn = connect(port, "Passw0rdX");
                Statement st = conn.createStatement()) {
            st.execute("CREATE TABLE names (id INT, s VARCHAR(40))");
            st.execute("INSERT INTO names VALUES (1, '日本語'), (2, 'žluťoučký')");
            try (ResultSet rs = st.executeQuery("SELECT id, s || '!' FROM names WHERE s = '日本語'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
                assertThat(rs.getString(2)).isEqualTo("日本語!");
                assertThat(rs.next()).isFalse();
            }
            st.execute("DROP TABLE names");
        }

        // psql, the real client, over TLS.
        ProcessBuilder pb = new ProcessBuilder(
                "/usr/bin/psql",
                "host=127.0.0.1 port=" + port + " user=admin dbname=dev sslmode=require",
                "-At",
                "-c",
                "SELECT region, count(*) FROM sales GROUP BY region ORDER BY region");
        pb.environment().put("PGPASSWORD", "Passw0rdX");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("psql output (is postgresql-client installed?)").isEqualTo("east|10000\nwest|10000\n");

        // A snapshot restores into a new encrypted cluster with identical rows; BACKUP NO tables are left out.
        try (Connection conn = connect(port, "Passw0rdX");
                Statement st = conn.createStatement()) {
            st.execute("CREATE TABLE scratch (id INTEGER) BACKUP NO");
            st.execute("INSERT INTO scratch VALUES (1), (2)");
        }
        String before = checksum(port, "Passw0rdX");
        stack.redshift().createClusterSnapshot(r -> r.clusterIdentifier("dw1").snapshotIdentifier("s1"));
        stack.redshift().waiter().waitUntilSnapshotAvailable(r -> r.snapshotIdentifier("s1"));
        stack.redshift()
                .restoreFromClusterSnapshot(r -> r.clusterIdentifier("dw2").snapshotIdentifier("s1"));
        stack.redshift().waiter().waitUntilClusterRestored(r -> r.clusterIdentifier("dw2"));
        int restoredPort = stack.redshift()
                .describeClusters(r -> r.clusterIdentifier("dw2"))
                .clusters()
                .get(0)
                .endpoint()
                .port();
        assertThat(stack.redshift()
                        .describeClusters(r -> r.clusterIdentifier("dw2"))
                        .clusters()
                        .get(0)
                        .encrypted())
                .isTrue();
        assertThat(checksum(restoredPort, "Passw0rdX")).isEqualTo(before);
        try (Connection conn = connect(restoredPort, "Passw0rdX");
                Statement st = conn.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery("SELECT count(*) FROM scratch"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("scratch");
        }

        // A new master password takes effect for new connections.
        stack.redshift().modifyCluster(r -> r.clusterIdentifier("dw1").masterUserPassword("N3wPassw0rd"));
        assertThatThrownBy(() -> connect(port, "Passw0rdX"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("password");
        try (Connection conn = connect(port, "N3wPassw0rd")) {
            assertThat(conn.isValid(5)).isTrue();
        }

        // A deleted cluster stops serving.
        stack.redshift().deleteCluster(r -> r.clusterIdentifier("dw1").skipFinalClusterSnapshot(true));
        assertThatThrownBy(() -> connect(port, "N3wPassw0rd")).isInstanceOf(SQLException.class);
    }

    /** The DER bytes of the certificate the cluster's endpoint presents (PostgreSQL SSLRequest, then TLS). */
    static byte[] serverCertificate(int port) throws Exception {
        try (Socket plain = new Socket("127.0.0.1", port)) {
            plain.getOutputStream().write(new byte[] {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f});
            assertThat(plain.getInputStream().read()).isEqualTo('S');
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(
                    null,
                    new TrustManager[] {
                        new X509TrustManager() {
                            @Override
                            public void checkClientTrusted(X509Certificate[] c, String a) {}

                            @Override
                            public void checkServerTrusted(X509Certificate[] c, String a) {}

                            @Override
                            public X509Certificate[] getAcceptedIssuers() {
                                return new X509Certificate[0];
                            }
                        }
                    },
                    null);
            try (SSLSocket tls =
                    (SSLSocket) trustAll.getSocketFactory().createSocket(plain, "127.0.0.1", port, false)) {
                tls.startHandshake();
                return tls.getSession().getPeerCertificates()[0].getEncoded();
            }
        }
    }

    /** Row count and an order-independent checksum of the sales table, over SQL. */
    private String checksum(int port, String password) throws SQLException {
        try (Connection conn = connect(port, password);
                Statement st = conn.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT count(*), sum(id), sum(amount), count(DISTINCT region) FROM sales")) {
            rs.next();
            return rs.getLong(1) + ":" + rs.getLong(2) + ":" + rs.getBigDecimal(3) + ":" + rs.getLong(4);
        }
    }

    private static byte[] copyData(int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append(i)
                    .append(',')
                    .append(i % 2 == 0 ? "east" : "west")
                    .append(',')
                    .append(i / 100)
                    .append('.')
                    .append(String.format(Locale.ROOT, "%02d", i % 100))
                    .append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
