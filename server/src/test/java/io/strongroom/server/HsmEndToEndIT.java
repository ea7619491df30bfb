package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.aws.Credential;
import io.strongroom.control.cluster.RunningClusterKeys;
import io.strongroom.control.keyvault.KeyVault;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.gateway.HsmGateway;
import io.strongroom.hsm.gateway.ReplicaGateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.redshift.model.HsmClientCertificate;

/**
 * HSM mode as {@code STRONGROOM_HSM=embedded ./strongroom up} runs it, in one process: the KMS, the control plane,
 * the SQL endpoints and the HSM gateway over SoftHSM2. SQL over JDBC into an HSM cluster, a reboot through the HSM,
 * the data still there; {@code pkcs11-tool} (OpenSC) shows the cluster key on the token as sensitive and never
 * extractable (so no one, this test included, can read it to look for it in files). Then data that survives a
 * rotation and a switch to a replica of the partition on a second HSM, by JDBC count and checksums, and no file
 * holding the database key that the CEK protects.
 */
class HsmEndToEndIT {
    @RegisterExtension
    final ServerStack stack = ServerStack.builder("hsm-e2e").build();

    private HsmGateway gateway;

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
        // Closed by the stack after the control plane, the SQL endpoints and the KMS.
        gateway = stack.own(
                HsmGateway.start(stack.dir().resolve("hsm-gateway"), "127.0.0.1", 0, HsmGateway.DEFAULT_LIBRARY));
    }

    private Connection connect(int port) throws Exception {
        Path root = stack.ca();
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
        HsmClientCertificate cert = stack.redshift()
                .createHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("e2e"))
                .hsmClientCertificate();
        Path gw = stack.dir().resolve("hsm-gateway");
        HsmGateway.registerClient(
                gw, "e2e", ClientCertificates.parseCertificatePem(cert.hsmClientCertificatePublicKey()));
        HsmGateway.assignClient(gw, "e2e", label);
        stack.redshift()
                .createHsmConfiguration(r -> r.hsmConfigurationIdentifier("e2e")
                        .description("embedded")
                        .hsmIpAddress("127.0.0.1:" + gateway.port())
                        .hsmPartitionName(label)
                        .hsmPartitionPassword(pin)
                        .hsmServerPublicCertificate(ClientCertificates.toPem(gateway.serverCertificate())));
        stack.redshift()
                .createCluster(r -> r.clusterIdentifier("hsm-e2e")
                        .nodeType("ds2.xlarge")
                        .masterUsername("admin")
                        .masterUserPassword("Passw0rdX")
                        .hsmClientCertificateIdentifier("e2e")
                        .hsmConfigurationIdentifier("e2e"));
        int port = stack.redshift()
                .describeClusters(r -> r.clusterIdentifier("hsm-e2e"))
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
        stack.redshift().rebootCluster(r -> r.clusterIdentifier("hsm-e2e"));
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
        assertThat(containsText(stack.dir().resolve("control").resolve("keyvault"), uid))
                .isTrue();
    }

    /**
     * Data written over JDBC survives a key rotation and a switch to a replica of the partition on a second HSM (a
     * cloned token, {@link ReplicaGateway}; the first HSM stopped), checked over JDBC by count and checksums after
     * each step. Then what is on disk: the key vault entry names the CEK only by its KMIP id and holds the DEK only
     * as the HSM's ciphertext sealed again under the internal root key; and the DEK's bytes (taken from the running
     * cluster, {@link RunningClusterKeys}), before and after the rotation, are in no file under the data directory
     * or the SoftHSM2 token directory, raw, hex or base64. The CEK itself cannot be searched for: it is
     * non-extractable, so not even this test can read it (pkcs11-tool above shows CKR_ATTRIBUTE_SENSITIVE); what
     * this proves is that the key it protects, and so everything under it, never reaches a file in the clear.
     */
    @Test
    void sqlSurvivesRotationAndASwitchToAReplica_andNoFileHoldsTheDatabaseKey() throws Exception {
        String label = "e2r-" + Long.toHexString(System.nanoTime());
        String pin = "e2r-partition-pin";
        int port = hsmCluster("hsm-e2r", label, pin);
        Credential admin = stack.admin();
        StringBuilder values = new StringBuilder();
        long sumId = 0;
        long sumV = 0;
        for (int i = 1; i <= 500; i++) {
            values.append(i == 1 ? "" : ", ")
                    .append('(')
                    .append(i)
                    .append(", ")
                    .append(i * 7919L % 1009)
                    .append(')');
            sumId += i;
            sumV += i * 7919L % 1009;
        }
        String expected = "500/" + sumId + "/" + sumV + "/1/500";
        try (Connection c = connect(port);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE facts (id BIGINT, v BIGINT)");
            st.execute("INSERT INTO facts VALUES " + values);
        }
        assertThat(checksum(port)).isEqualTo(expected);
        byte[] dekBefore = RunningClusterKeys.databaseKeyMaterial(stack.control()
                .running(admin.accountId(), "us-east-1", "hsm-e2r")
                .orElseThrow());

        stack.redshift().rotateEncryptionKey(r -> r.clusterIdentifier("hsm-e2r"));
        awaitAvailable("hsm-e2r");
        assertThat(checksum(port)).as("after the rotation").isEqualTo(expected);
        stack.redshift().rebootCluster(r -> r.clusterIdentifier("hsm-e2r"));
        awaitAvailable("hsm-e2r");
        assertThat(checksum(port)).as("after a reboot on the rotated keys").isEqualTo(expected);

        // Clone the partition while nothing writes it, serve the clone from a second gateway, switch, and reboot
        // with the first gateway stopped.
        gateway.close();
        Path replicaRoot = Files.createDirectories(stack.dir().resolve("hsm-replica"));
        ReplicaGateway.clonePartition(
                Path.of(System.getenv("SOFTHSM2_CONF")).toAbsolutePath().resolveSibling("tokens"),
                stack.dir().resolve("hsm-gateway"),
                label,
                replicaRoot);
        HsmClientCertificate cert = stack.redshift()
                .describeHsmClientCertificates(r -> r.hsmClientCertificateIdentifier("hsm-e2r"))
                .hsmClientCertificates()
                .get(0);
        try (ReplicaGateway replica = ReplicaGateway.start(replicaRoot, label, pin)) {
            HsmGateway.registerClient(
                    replica.dir(),
                    "hsm-e2r",
                    ClientCertificates.parseCertificatePem(cert.hsmClientCertificatePublicKey()));
            HsmGateway.assignClient(replica.dir(), "hsm-e2r", label);
            stack.redshift()
                    .createHsmConfiguration(r -> r.hsmConfigurationIdentifier("hsm-e2r-replica")
                            .description("replica")
                            .hsmIpAddress("127.0.0.1:" + replica.port())
                            .hsmPartitionName(label)
                            .hsmPartitionPassword(pin)
                            .hsmServerPublicCertificate(ClientCertificates.toPem(replica.serverCertificate())));
            stack.redshift()
                    .modifyCluster(r -> r.clusterIdentifier("hsm-e2r").hsmConfigurationIdentifier("hsm-e2r-replica"));
            stack.redshift().rebootCluster(r -> r.clusterIdentifier("hsm-e2r"));
            awaitAvailable("hsm-e2r");
            assertThat(checksum(port)).as("on the replica").isEqualTo(expected);
            byte[] dekAfter = RunningClusterKeys.databaseKeyMaterial(stack.control()
                    .running(admin.accountId(), "us-east-1", "hsm-e2r")
                    .orElseThrow());
            assertThat(dekAfter).as("the rotation made a new DEK").isNotEqualTo(dekBefore);

            // The vault entry: the CEK by name only, the DEK only as sealed HSM ciphertext.
            List<Path> vaultFiles;
            try (Stream<Path> files = Files.list(stack.dir().resolve("control").resolve("keyvault"))) {
                vaultFiles = files.filter(f -> f.toString().endsWith(KeyVault.SUFFIX))
                        .toList();
            }
            assertThat(vaultFiles).hasSize(1);
            VaultEntry entry = VaultEntry.decode(Files.readAllBytes(vaultFiles.get(0)), "test");
            assertThat(entry.hsmProtected()).isTrue();
            assertThat(entry.hsmCekUid()).matches("[0-9a-f-]{36}");
            assertThat(entry.wrappedDek().ciphertext().length)
                    .as("sealed IV, ciphertext and tag of a 32-byte DEK")
                    .isGreaterThan(12 + 32 + 16);
            // The search finds a DEK where one is (so its silence below means something).
            Path planted = Files.createDirectories(
                    stack.dir().resolveSibling(stack.dir().getFileName() + "-planted"));
            Files.writeString(
                    planted.resolve("leak.json"),
                    "{\"k\":\"" + Base64.getEncoder().encodeToString(dekAfter) + "\"}");
            assertThat(filesHolding(planted, dekAfter)).hasSize(1);
            Files.delete(planted.resolve("leak.json"));
            Files.delete(planted);
            for (byte[] dek : List.of(dekBefore, dekAfter)) {
                assertThat(filesHolding(stack.dir(), dek))
                        .as("files under the data directory holding a DEK")
                        .isEmpty();
                assertThat(filesHolding(replicaRoot.resolve("tokens"), dek)).isEmpty();
                assertThat(filesHolding(
                                Path.of(System.getenv("SOFTHSM2_CONF"))
                                        .toAbsolutePath()
                                        .resolveSibling("tokens"),
                                dek))
                        .as("token files holding a DEK")
                        .isEmpty();
            }
            Arrays.fill(dekBefore, (byte) 0);
            Arrays.fill(dekAfter, (byte) 0);
        }
    }

    /** Creates HSM cluster {@code id} on a new partition of the gateway; returns its SQL port. */
    private int hsmCluster(String id, String label, String pin) throws InterruptedException {
        gateway.createPartition(label, pin);
        HsmClientCertificate cert = stack.redshift()
                .createHsmClientCertificate(r -> r.hsmClientCertificateIdentifier(id))
                .hsmClientCertificate();
        Path gw = stack.dir().resolve("hsm-gateway");
        HsmGateway.registerClient(gw, id, ClientCertificates.parseCertificatePem(cert.hsmClientCertificatePublicKey()));
        HsmGateway.assignClient(gw, id, label);
        stack.redshift()
                .createHsmConfiguration(r -> r.hsmConfigurationIdentifier(id)
                        .description("first HSM")
                        .hsmIpAddress("127.0.0.1:" + gateway.port())
                        .hsmPartitionName(label)
                        .hsmPartitionPassword(pin)
                        .hsmServerPublicCertificate(ClientCertificates.toPem(gateway.serverCertificate())));
        stack.redshift()
                .createCluster(r -> r.clusterIdentifier(id)
                        .nodeType("ds2.xlarge")
                        .masterUsername("admin")
                        .masterUserPassword("Passw0rdX")
                        .hsmClientCertificateIdentifier(id)
                        .hsmConfigurationIdentifier(id));
        awaitAvailable(id);
        return stack.redshift()
                .describeClusters(r -> r.clusterIdentifier(id))
                .clusters()
                .get(0)
                .endpoint()
                .port();
    }

    private void awaitAvailable(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String status;
        while (!(status = stack.redshift()
                        .describeClusters(r -> r.clusterIdentifier(id))
                        .clusters()
                        .get(0)
                        .clusterStatus())
                .equals("available")) {
            assertThat(status).as("cluster %s", id).isIn("creating", "rebooting", "modifying", "rotating-keys");
            assertThat(System.nanoTime()).as("waiting for %s", id).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Count, sums and bounds of table facts, over JDBC. */
    private String checksum(int port) throws Exception {
        try (Connection c = connect(port);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), sum(id), sum(v), min(id), max(id) FROM facts")) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getLong(3) + "/" + rs.getLong(4) + "/"
                    + rs.getLong(5);
        }
    }

    /** Files under {@code root} holding {@code key} as raw bytes, lower- or upper-case hex, or base64. */
    private static List<Path> filesHolding(Path root, byte[] key) throws IOException {
        List<byte[]> forms = List.of(
                key,
                HexFormat.of().formatHex(key).getBytes(StandardCharsets.US_ASCII),
                HexFormat.of().withUpperCase().formatHex(key).getBytes(StandardCharsets.US_ASCII),
                Base64.getEncoder().encode(key),
                Base64.getUrlEncoder().withoutPadding().encode(key));
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(f);
                if (forms.stream().anyMatch(form -> indexOf(b, form) >= 0)) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
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
