package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.control.ControlPlane;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.gateway.HsmGateway;
import io.strongroom.kms.Credential;
import io.strongroom.kms.KmsServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
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
import software.amazon.awssdk.services.redshift.model.HsmClientCertificate;

/**
 * HSM mode as {@code STRONGROOM_HSM=embedded ./strongroom up} runs it, in one process: the KMS, the control plane,
 * the SQL endpoints and the HSM gateway over SoftHSM2. SQL over JDBC into an HSM cluster, a reboot through the HSM,
 * the data still there; and {@code pkcs11-tool} (OpenSC) shows the cluster key on the token as sensitive and never
 * extractable, while no file under the data directory holds it.
 */
class HsmEndToEndIT {
    private Path dir;
    private KmsServer kms;
    private SqlEndpoints sql;
    private ControlPlane control;
    private HsmGateway gateway;
    private RedshiftClient redshift;

    @BeforeEach
    void start() throws Exception {
        String conf = System.getenv("SOFTHSM2_CONF");
        assertThat(conf)
                .as("SOFTHSM2_CONF is set for the test JVM (server/pom.xml)")
                .isNotBlank();
        Path confFile = Path.of(conf).toAbsolutePath();
        if (!Files.exists(confFile)) {
            HsmGateway.writeSoftHsmConfig(confFile);
        }
        dir = Files.createTempDirectory("strongroom-hsm-e2e");
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
        gateway = HsmGateway.start(dir.resolve("hsm-gateway"), "127.0.0.1", 0, HsmGateway.DEFAULT_LIBRARY);
        Credential admin = kms.adminCredential();
        redshift = RedshiftClient.builder()
                .endpointOverride(control.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        redshift.close();
        control.close();
        sql.close();
        kms.close();
        gateway.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private Connection connect(int port) throws Exception {
        Path root = dir.resolve("ca.pem");
        Files.writeString(root, sql.authority().caPem());
        Properties p = new Properties();
        p.setProperty("user", "admin");
        p.setProperty("password", "Passw0rdX");
        p.setProperty("sslmode", "verify-full");
        p.setProperty("sslrootcert", root.toString());
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p);
    }

    @Test
    void sqlIntoAnHsmCluster_survivesAReboot_andTheKeyIsNonExtractableOnTheToken() throws Exception {
        String label = "e2e-" + Long.toHexString(System.nanoTime());
        String pin = "e2e-partition-pin";
        gateway.createPartition(label, pin);
        HsmClientCertificate cert = redshift.createHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("e2e"))
                .hsmClientCertificate();
        Path gw = dir.resolve("hsm-gateway");
        HsmGateway.registerClient(
                gw, "e2e", ClientCertificates.parseCertificatePem(cert.hsmClientCertificatePublicKey()));
        HsmGateway.assignClient(gw, "e2e", label);
        redshift.createHsmConfiguration(r -> r.hsmConfigurationIdentifier("e2e")
                .description("embedded")
                .hsmIpAddress("127.0.0.1:" + gateway.port())
                .hsmPartitionName(label)
                .hsmPartitionPassword(pin)
                .hsmServerPublicCertificate(ClientCertificates.toPem(gateway.serverCertificate())));
        redshift.createCluster(r -> r.clusterIdentifier("hsm-e2e")
                .nodeType("ds2.xlarge")
                .masterUsername("admin")
                .masterUserPassword("Passw0rdX")
                .hsmClientCertificateIdentifier("e2e")
                .hsmConfigurationIdentifier("e2e"));
        int port = redshift.describeClusters(r -> r.clusterIdentifier("hsm-e2e"))
                .clusters()
                .get(0)
                .endpoint()
                .port();
        try (Connection c = connect(port);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE sales (id BIGINT, region VARCHAR(8))");
            st.execute("INSERT INTO sales VALUES (1, 'east'), (2, 'west'), (3, 'east')");
            try (ResultSet rs = st.executeQuery("SELECT encrypted, count(*) FROM stv_blocklist GROUP BY 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("t");
            }
        }
        redshift.rebootCluster(r -> r.clusterIdentifier("hsm-e2e"));
        try (Connection c = connect(port);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT region, count(*) FROM sales GROUP BY region ORDER BY region")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1) + rs.getLong(2)).isEqualTo("east2");
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1) + rs.getLong(2)).isEqualTo("west1");
        }

        // The token holds the key: sensitive, never extractable (pkcs11-tool is OpenSC's, installed by ./test).
        Process p = new ProcessBuilder(
                        "pkcs11-tool",
                        "--module",
                        HsmGateway.DEFAULT_LIBRARY.toString(),
                        "--login",
                        "--pin",
                        pin,
                        "--token-label",
                        label,
                        "--list-objects",
                        "--type",
                        "secrkey")
                .redirectErrorStream(true)
                .start();
        String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(listing)
                .as("pkcs11-tool output")
                .contains("Secret Key Object; AES length 32")
                .contains("sensitive, always sensitive, never extractable")
                .contains("CKR_ATTRIBUTE_SENSITIVE"); // its value cannot be read from the token
        String uid = listing.lines()
                .filter(l -> l.strip().startsWith("label:"))
                .map(l -> l.strip().substring("label:".length()).strip())
                .findFirst()
                .orElseThrow();
        // The data directory names the key (its KMIP id) but holds no key material: the token's value is sensitive.
        assertThat(containsText(dir.resolve("control").resolve("keyvault"), uid))
                .isTrue();
    }

    private static boolean containsText(Path root, String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(f);
                outer:
                for (int i = 0; i + needle.length <= b.length; i++) {
                    for (int j = 0; j < needle.length; j++) {
                        if (b[i + j] != needle[j]) {
                            continue outer;
                        }
                    }
                    return true;
                }
            }
        }
        return false;
    }
}
