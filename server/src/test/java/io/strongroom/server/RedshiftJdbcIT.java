package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.aws.Credential;
import io.strongroom.control.ControlPlane;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.kms.AuditTrail;
import io.strongroom.pgwire.TlsAuthority;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Parameter;

/**
 * Amazon's own Redshift JDBC driver ({@code com.amazon.redshift:redshift-jdbc42}) logs in and works: it announces
 * itself ({@code client_protocol_version}, {@code driver_version}) and cannot do SCRAM, so the cluster asks it for
 * Redshift's SHA-256 digest (authentication code 13). With TLS verified against the installation's CA ({@code
 * sslmode=verify-full}, {@code sslrootcert}; the PostgreSQL driver too; another CA refused), without TLS, and with a wrong password (refused, SQLSTATE
 * 28P01); a password changed through the API takes effect for the driver too. The cluster parameter {@code auth_methods}
 * chooses what each client is asked for, read off the wire here, and MD5 logs both drivers in.
 */
class RedshiftJdbcIT {
    @RegisterExtension
    final ServerStack stack = ServerStack.builder("rsjdbc").cluster("rs1").build();

    /** Amazon's driver, loaded by class name (DriverManager would also find the PostgreSQL driver). */
    private Connection connect(String password, Properties extra) throws Exception {
        Driver d = (Driver) Class.forName("com.amazon.redshift.jdbc.Driver")
                .getDeclaredConstructor()
                .newInstance();
        Properties p = new Properties();
        p.setProperty("user", "admin");
        p.setProperty("password", password);
        p.putAll(extra);
        Connection c = d.connect("jdbc:redshift://127.0.0.1:" + stack.port() + "/dev", p);
        assertThat(c).as("the Redshift driver accepts the URL").isNotNull();
        return c;
    }

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void redshiftJdbc_logsInWithTheDigest_withAndWithoutTls_andRunsSql() throws Exception {
        // TLS verified, host name included, against the installation's CA (what `strongroom ca` prints).
        Path root = stack.ca();
        try (Connection c =
                connect("Passw0rdX", props("ssl", "true", "sslmode", "verify-full", "sslrootcert", root.toString()))) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t (id BIGINT, name VARCHAR(20))");
            }
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
                for (int i = 0; i < 10; i++) {
                    ins.setLong(1, i);
                    ins.setString(2, "n" + i);
                    ins.executeUpdate();
                }
            }
            try (PreparedStatement q = c.prepareStatement("SELECT count(*), sum(id) FROM t WHERE id >= ?")) {
                q.setLong(1, 5);
                try (ResultSet rs = q.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getLong(1)).isEqualTo(5);
                    assertThat(rs.getLong(2)).isEqualTo(35);
                }
            }
        }
        // The PostgreSQL driver verifies the same way.
        Properties pg = props(
                "user", "admin", "password", "Passw0rdX", "sslmode", "verify-full", "sslrootcert", root.toString());
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + stack.port() + "/dev", pg);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(10);
        }
        // A CA it does not know is refused by both.
        Path other = stack.dir().resolve("other-ca.pem");
        Files.writeString(
                other, TlsAuthority.loadOrCreate(stack.dir().resolve("other")).caPem());
        assertThatThrownBy(() -> connect(
                        "Passw0rdX", props("ssl", "true", "sslmode", "verify-full", "sslrootcert", other.toString())))
                .isInstanceOf(SQLException.class);
        // Without TLS: refused by default (require_ssl=true in the default parameter group), as a typed error.
        assertThatThrownBy(() -> connect("Passw0rdX", props("ssl", "false")))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"));
        // A parameter group with require_ssl=false lets plain connections in, from the next reboot (it is static).
        stack.redshift()
                .createClusterParameterGroup(r -> r.parameterGroupName("plain-ok")
                        .parameterGroupFamily("redshift-1.0")
                        .description("plain connections allowed"));
        stack.redshift()
                .modifyClusterParameterGroup(r -> r.parameterGroupName("plain-ok")
                        .parameters(Parameter.builder()
                                .parameterName("require_ssl")
                                .parameterValue("false")
                                .build()));
        stack.redshift().modifyCluster(r -> r.clusterIdentifier("rs1").clusterParameterGroupName("plain-ok"));
        assertThat(stack.redshift()
                        .describeClusters(r -> r.clusterIdentifier("rs1"))
                        .clusters()
                        .get(0)
                        .clusterParameterGroups()
                        .get(0)
                        .parameterApplyStatus())
                .isEqualTo("pending-reboot");
        assertThatThrownBy(() -> connect("Passw0rdX", props("ssl", "false"))).isInstanceOf(SQLException.class);
        stack.redshift().rebootCluster(r -> r.clusterIdentifier("rs1"));
        assertThat(stack.redshift()
                        .describeClusters(r -> r.clusterIdentifier("rs1"))
                        .clusters()
                        .get(0)
                        .clusterParameterGroups()
                        .get(0))
                .satisfies(g -> {
                    assertThat(g.parameterGroupName()).isEqualTo("plain-ok");
                    assertThat(g.parameterApplyStatus()).isEqualTo("in-sync");
                });
        try (Connection c = connect("Passw0rdX", props("ssl", "false"));
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT name FROM t WHERE id = 3")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("n3");
        }
        // A wrong password, and an unknown user, are refused like PostgreSQL refuses them, and audited.
        assertThatThrownBy(() -> connect("WrongPassw0rd", props("ssl", "false")))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
        List<AuditRecord> failed = new AuditTrail(
                        stack.dir().resolve("control").resolve("audit").resolve(ControlPlane.AUDIT_FILE))
                .query(AuditQuery.all().onlyErrors());
        assertThat(failed).anySatisfy(r -> {
            assertThat(r.eventName()).isEqualTo("SqlLogin");
            assertThat(r.errorCode()).isEqualTo("28P01");
            assertThat(r.json().path("userIdentity").path("userName").asText()).isEqualTo("admin");
            assertThat(r.json().path("sourceIPAddress").asText()).isEqualTo("127.0.0.1");
            assertThat(r.json()
                            .path("requestParameters")
                            .path("clusterIdentifier")
                            .asText())
                    .isEqualTo("rs1");
        });
        // A Redshift API request signed with a wrong secret is refused and audited with the key id it claimed.
        Credential admin = stack.admin();
        try (RedshiftClient forged = RedshiftClient.builder()
                .endpointOverride(stack.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), "not-the-secret-key-000000000000000000000")))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build()) {
            assertThatThrownBy(forged::describeClusters).isInstanceOf(RuntimeException.class);
        }
        assertThat(new AuditTrail(
                                stack.dir().resolve("control").resolve("audit").resolve(ControlPlane.AUDIT_FILE))
                        .query(AuditQuery.all().onlyErrors()))
                .anySatisfy(r -> {
                    assertThat(r.eventName()).isEqualTo("DescribeClusters");
                    assertThat(r.errorCode()).isEqualTo("SignatureDoesNotMatch");
                    assertThat(r.accessKeyId()).isEqualTo(admin.accessKeyId());
                    assertThat(r.json().path("eventSource").asText()).isEqualTo("redshift.amazonaws.com");
                });
        // A password changed through the API is the one the driver logs in with.
        stack.redshift().modifyCluster(r -> r.clusterIdentifier("rs1").masterUserPassword("N3wPassw0rd"));
        assertThatThrownBy(() -> connect("Passw0rdX", props("ssl", "false"))).isInstanceOf(SQLException.class);
        try (Connection c = connect("N3wPassw0rd", props("ssl", "false"));
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(10);
        }
    }

    /**
     * The authentication request a plain connection gets, read off the wire: 5 (md5), 10 (SASL: SCRAM-SHA-256) or
     * 13 (Redshift's digest). {@code redshiftDriver} makes the startup packet announce one of Amazon's drivers, as
     * they do ({@code client_protocol_version}).
     */
    private int authenticationOffered(boolean redshiftDriver) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream b = new DataOutputStream(body);
        b.writeInt(196608);
        List<String> params = redshiftDriver
                ? List.of("user", "admin", "database", "dev", "client_protocol_version", "2")
                : List.of("user", "admin", "database", "dev");
        for (String p : params) {
            b.write(p.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        b.write(0);
        try (Socket s = new Socket("127.0.0.1", stack.port())) {
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(body.size() + 4);
            out.write(body.toByteArray());
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertThat((char) in.readUnsignedByte())
                    .as("an authentication request")
                    .isEqualTo('R');
            in.readInt();
            return in.readInt();
        }
    }

    /** Puts rs1 in a new parameter group with {@code auth_methods} and plain connections allowed, and reboots it. */
    private void authMethods(String group, String methods) {
        stack.redshift()
                .createClusterParameterGroup(r -> r.parameterGroupName(group)
                        .parameterGroupFamily("redshift-1.0")
                        .description("auth_methods " + methods));
        stack.redshift()
                .modifyClusterParameterGroup(r -> r.parameterGroupName(group)
                        .parameters(
                                Parameter.builder()
                                        .parameterName("require_ssl")
                                        .parameterValue("false")
                                        .build(),
                                Parameter.builder()
                                        .parameterName("auth_methods")
                                        .parameterValue(methods)
                                        .build()));
        stack.redshift().modifyCluster(r -> r.clusterIdentifier("rs1").clusterParameterGroupName(group));
        stack.redshift().rebootCluster(r -> r.clusterIdentifier("rs1"));
    }

    private Connection connectPostgres(String user, String password) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + stack.port() + "/dev",
                props("user", user, "password", password, "sslmode", "disable"));
    }

    @Test
    void authMethods_chooseWhatEachClientIsAskedFor_andMd5LogsInBothDrivers() throws Exception {
        authMethods("plain-default", "digest-scram");
        assertThat(authenticationOffered(false))
                .as("PostgreSQL client, default")
                .isEqualTo(10);
        assertThat(authenticationOffered(true)).as("Redshift driver, default").isEqualTo(13);

        authMethods("all-md5", "md5");
        assertThat(authenticationOffered(false)).as("PostgreSQL client, md5").isEqualTo(5);
        assertThat(authenticationOffered(true)).as("Redshift driver, md5").isEqualTo(5);
        try (Connection c = connect("Passw0rdX", props("ssl", "false"));
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
        }
        try (Connection c = connectPostgres("admin", "Passw0rdX")) {
            assertThat(c.isValid(5)).isTrue();
        }
        assertThatThrownBy(() -> connect("WrongPassw0rd", props("ssl", "false")))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
        assertThatThrownBy(() -> connectPostgres("admin", "WrongPassw0rd"))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
        // Temporary credentials carry an md5 hash for their own user name (IAM:admin), as PostgreSQL's covers it.
        var issued = stack.redshift()
                .getClusterCredentials(r -> r.clusterIdentifier("rs1").dbUser("admin"));
        assertThat(issued.dbUser()).isEqualTo("IAM:admin");
        try (Connection c = connectPostgres(issued.dbUser(), issued.dbPassword())) {
            assertThat(c.isValid(5)).isTrue();
        }
        // A new master password: md5 follows it.
        stack.redshift().modifyCluster(r -> r.clusterIdentifier("rs1").masterUserPassword("N3wPassw0rd"));
        assertThatThrownBy(() -> connectPostgres("admin", "Passw0rdX")).isInstanceOf(SQLException.class);
        try (Connection c = connectPostgres("admin", "N3wPassw0rd")) {
            assertThat(c.isValid(5)).isTrue();
        }

        authMethods("digest-md5", "digest-md5");
        assertThat(authenticationOffered(false))
                .as("PostgreSQL client, digest-md5")
                .isEqualTo(5);
        assertThat(authenticationOffered(true))
                .as("Redshift driver, digest-md5")
                .isEqualTo(13);
        try (Connection c = connect("N3wPassw0rd", props("ssl", "false"))) {
            assertThat(c.isValid(5)).isTrue();
        }

        authMethods("all-scram", "scram");
        assertThat(authenticationOffered(false)).as("PostgreSQL client, scram").isEqualTo(10);
        assertThat(authenticationOffered(true)).as("Redshift driver, scram").isEqualTo(10);
        try (Connection c = connectPostgres("admin", "N3wPassw0rd")) {
            assertThat(c.isValid(5)).isTrue();
        }
    }
}
