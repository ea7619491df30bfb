package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazon.redshift.RedshiftConnection;
import io.strongroom.control.ControlPlane;
import io.strongroom.kms.Credential;
import io.strongroom.kms.KmsServer;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * Amazon's Redshift JDBC driver in its IAM mode ({@code jdbc:redshift:iam://}, with the AWS SDK for Java v1 it
 * needs on the class path) logs in through Strongroom's {@code GetClusterCredentials}: the driver signs the API call
 * with the access key it is given, sent to Strongroom's Redshift API ({@code EndpointUrl}), and logs in as the
 * {@code IAM:admin} user it gets back, over TLS verified against the installation's CA. Through that connection a
 * 200,000-row result is fetched through a cursor with a fetch size, checked by count and checksum; a wrong secret
 * key is refused before any SQL connection.
 */
class RedshiftJdbcIamIT {
    private static final int ROWS = 200_000;

    private Path dir;
    private KmsServer kms;
    private SqlEndpoints sql;
    private ControlPlane control;
    private RedshiftClient redshift;
    private int port;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("strongroom-rsiam");
        int base;
        try (ServerSocket s = new ServerSocket(0)) {
            base = s.getLocalPort();
        }
        sql = new SqlEndpoints("127.0.0.1", dir.resolve("control").resolve("tls"));
        kms = KmsServer.builder(dir.resolve("kms")).port(0).start();
        control = ControlPlane.builder(dir.resolve("control"))
                .kms(kms)
                .port(0)
                .clusterPortBase(base)
                .clusterListener(sql)
                .start();
        sql.auditTo(control.auditLog());
        sql.temporaryCredentialsFrom(control.clusters().temporaryCredentials());
        Credential admin = kms.adminCredential();
        redshift = RedshiftClient.builder()
                .endpointOverride(control.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        redshift.createCluster(r -> r.clusterIdentifier("rs1")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin")
                .masterUserPassword("Passw0rdX")
                .encrypted(true));
        port = redshift.describeClusters(r -> r.clusterIdentifier("rs1"))
                .clusters()
                .get(0)
                .endpoint()
                .port();
    }

    @AfterEach
    void stop() throws Exception {
        redshift.close();
        control.close();
        sql.close();
        kms.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The IAM URL as README documents it; the secret key is a property, never part of the URL. */
    private Connection connectIam(String accessKeyId, String secretAccessKey) throws Exception {
        Path root = dir.resolve("ca.pem");
        Files.writeString(root, sql.authority().caPem());
        Driver d = (Driver) Class.forName("com.amazon.redshift.jdbc.Driver")
                .getDeclaredConstructor()
                .newInstance();
        String url = "jdbc:redshift:iam://127.0.0.1:" + port + "/dev?ClusterID=rs1&Region=us-east-1&DbUser=admin"
                + "&EndpointUrl=" + control.endpoint() + "&IAMDisableCache=true"
                + "&ssl=true&sslmode=verify-full&sslrootcert=" + root;
        Properties p = new Properties();
        p.setProperty("AccessKeyID", accessKeyId);
        p.setProperty("SecretAccessKey", secretAccessKey);
        Connection c = d.connect(url, p);
        assertThat(c).as("the Redshift driver accepts the IAM URL").isNotNull();
        return c;
    }

    @Test
    void iamLogin_throughGetClusterCredentials_fetchesALargeResultThroughACursor() throws Exception {
        Credential admin = kms.adminCredential();
        try (Connection c = connectIam(admin.accessKeyId(), admin.secretAccessKey())) {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_user")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("IAM:admin");
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE big (id BIGINT, v BIGINT)");
            }
            StringBuilder csv = new StringBuilder();
            long expectedSum = 0;
            for (long i = 0; i < ROWS; i++) {
                long v = (i * 7919) % 100_003;
                csv.append(i).append(',').append(v).append('\n');
                expectedSum += i * 31 + v;
            }
            long copied = ((RedshiftConnection) c)
                    .getCopyAPI()
                    .copyIn(
                            "COPY big FROM STDIN WITH CSV",
                            new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)));
            assertThat(copied).isEqualTo(ROWS);

            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.setFetchSize(1000);
                long n = 0;
                long sum = 0;
                try (ResultSet rs = st.executeQuery("SELECT id, v FROM big")) {
                    while (rs.next()) {
                        n++;
                        sum += rs.getLong(1) * 31 + rs.getLong(2);
                    }
                }
                assertThat(n).isEqualTo(ROWS);
                assertThat(sum).as("checksum over every row").isEqualTo(expectedSum);
            }
            c.commit();
        }
        // A wrong secret key: the API refuses the signature, and the driver says so; no SQL connection is made.
        assertThatThrownBy(() -> connectIam(admin.accessKeyId(), "not-the-secret-key-000000000000000000000"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("IAM error retrieving temp credentials")
                .hasMessageContaining("SignatureDoesNotMatch");
    }
}
