package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import io.strongroom.control.keyvault.KeyVault;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.client.HsmEndpoint;
import io.strongroom.hsm.client.KmipClient;
import io.strongroom.hsm.client.PyKmipServer;
import io.strongroom.hsm.gateway.HsmGateway;
import io.strongroom.hsm.gateway.ReplicaGateway;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.HsmClientCertificate;
import software.amazon.awssdk.services.redshift.model.HsmConfiguration;
import software.amazon.awssdk.services.redshift.model.RedshiftException;
import software.amazon.awssdk.services.redshift.model.Snapshot;

/**
 * HSM mode through the SDK against {@code strongroom hsm} (the KMIP gateway) over SoftHSM2, in this JVM: HSM client
 * certificates and configurations, an HSM cluster whose key is created in the partition, reboot and rotation
 * through the HSM, the HSM down at reboot and back, a switch to a partition without the key and to a replica of the
 * partition on a second HSM (a cloned token, {@link ReplicaGateway}), {@code incompatible-hsm} at create, the
 * node-type rule, what is refused, and the monitor's event 1508 for a key revoked or destroyed in the HSM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HsmSdkIT {
    static final String PIN_A = "part-a-pin-1";
    static final String PIN_B = "part-b-pin-2";

    ControlFixture f;
    RedshiftClient rs;
    Path gatewayDir;
    int gatewayPort;
    HsmGateway gateway;

    @BeforeAll
    void start() throws Exception {
        Path library = TestSoftHsm.library();
        f = new ControlFixture();
        rs = f.redshift(f.admin);
        gatewayDir = Files.createTempDirectory(f.dir, "hsm-gateway");
        try (ServerSocket s = new ServerSocket(0)) {
            gatewayPort = s.getLocalPort();
        }
        gateway = HsmGateway.start(gatewayDir, "127.0.0.1", gatewayPort, library);
        gateway.createPartition("sdk-part-a", PIN_A);
        gateway.createPartition("sdk-part-b", PIN_B);
    }

    @AfterAll
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (f != null) {
            f.close();
        }
    }

    private static void waitFor(BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting").isLessThan(deadline);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private Cluster cluster(String id) {
        return rs.describeClusters(r -> r.clusterIdentifier(id)).clusters().get(0);
    }

    private List<String> eventIds(String cluster) {
        return rs
                .describeEvents(
                        r -> r.sourceIdentifier(cluster).sourceType("cluster").duration(600))
                .events()
                .stream()
                .map(e -> e.eventId())
                .toList();
    }

    /** The messages of {@code cluster}'s events with id {@code eventId}. */
    private List<String> events(String cluster, String eventId) {
        return rs
                .describeEvents(
                        r -> r.sourceIdentifier(cluster).sourceType("cluster").duration(600))
                .events()
                .stream()
                .filter(e -> e.eventId().equals(eventId))
                .map(e -> e.message())
                .toList();
    }

    private String eventMessages(String cluster) {
        return String.join(
                "\n",
                rs
                        .describeEvents(r -> r.sourceIdentifier(cluster)
                                .sourceType("cluster")
                                .duration(600))
                        .events()
                        .stream()
                        .map(e -> e.message())
                        .toList());
    }

    private static String code(Throwable e) {
        return ((RedshiftException) e).awsErrorDetails().errorCode();
    }

    private String pem() {
        return ClientCertificates.toPem(gateway.serverCertificate());
    }

    private HsmConfiguration configuration(String id, String address, String partition, String password) {
        return configuration(id, address, partition, password, pem());
    }

    private HsmConfiguration configuration(
            String id, String address, String partition, String password, String serverPem) {
        return rs.createHsmConfiguration(r -> r.hsmConfigurationIdentifier(id)
                        .description("test " + id)
                        .hsmIpAddress(address)
                        .hsmPartitionName(partition)
                        .hsmPartitionPassword(password)
                        .hsmServerPublicCertificate(serverPem))
                .hsmConfiguration();
    }

    private void register(HsmClientCertificate c, String name, String partition) {
        register(gatewayDir, c, name, partition);
    }

    /** Registers the cluster's client certificate on the gateway of {@code dir} and assigns it {@code partition}. */
    private static void register(Path dir, HsmClientCertificate c, String name, String partition) {
        X509Certificate x = ClientCertificates.parseCertificatePem(c.hsmClientCertificatePublicKey());
        if (!HsmGateway.clients(dir).stream().anyMatch(l -> l.startsWith(name + " "))) {
            HsmGateway.registerClient(dir, name, x);
        }
        HsmGateway.assignClient(dir, name, partition);
    }

    /** The SoftHSM2 token directory of this JVM (beside the file SOFTHSM2_CONF names; see TestSoftHsm). */
    static Path softHsmTokens() {
        return Path.of(System.getenv("SOFTHSM2_CONF")).toAbsolutePath().resolveSibling("tokens");
    }

    private long rows(String cluster) {
        return ControlFixture.countAndSum(
                f.control
                        .running(f.admin.accountId(), "us-east-1", cluster)
                        .orElseThrow()
                        .store(),
                "t")[0];
    }

    @Test
    void certificatesAndConfigurations_secretsSealed_inUseRefused() throws Exception {
        HsmClientCertificate c = rs.createHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("api-cert"))
                .hsmClientCertificate();
        assertThat(c.hsmClientCertificateIdentifier()).isEqualTo("api-cert");
        X509Certificate x = ClientCertificates.parseCertificatePem(c.hsmClientCertificatePublicKey());
        assertThat(x.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.2"); // clientAuth
        assertThat(x.getSubjectX500Principal().getName()).contains("strongroom-api-cert");
        assertThatThrownBy(() -> rs.createHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("api-cert")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("HsmClientCertificateAlreadyExistsFault"));
        assertThat(rs.describeHsmClientCertificates(r -> r.hsmClientCertificateIdentifier("api-cert"))
                        .hsmClientCertificates())
                .extracting(HsmClientCertificate::hsmClientCertificatePublicKey)
                .containsExactly(c.hsmClientCertificatePublicKey());

        HsmConfiguration h = configuration("api-config", "127.0.0.1:" + gatewayPort, "sdk-part-a", "Secret-Pw-123");
        assertThat(h.hsmIpAddress()).isEqualTo("127.0.0.1:" + gatewayPort);
        assertThat(h.hsmPartitionName()).isEqualTo("sdk-part-a");
        assertThatThrownBy(() -> rs.createHsmConfiguration(r -> r.hsmConfigurationIdentifier("bad-cert")
                        .description("x")
                        .hsmIpAddress("127.0.0.1")
                        .hsmPartitionName("p")
                        .hsmPartitionPassword("pw")
                        .hsmServerPublicCertificate("not a certificate")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"));
        assertThatThrownBy(() -> rs.createHsmConfiguration(r -> r.hsmConfigurationIdentifier("bad-address")
                        .description("x")
                        .hsmIpAddress("127.0.0.1:notaport")
                        .hsmPartitionName("p")
                        .hsmPartitionPassword("pw")
                        .hsmServerPublicCertificate(pem())))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"));
        assertThatThrownBy(() -> rs.describeHsmConfigurations(r -> r.hsmConfigurationIdentifier("nope")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("HsmConfigurationNotFoundFault"));

        // Nothing under the control plane's directory holds the password or the private key in the clear.
        try (Stream<Path> files = Files.walk(f.dir.resolve("control").resolve("hsm"))) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(p);
                assertThat(text).doesNotContain("Secret-Pw-123").doesNotContain("PRIVATE KEY");
            }
        }

        rs.deleteHsmConfiguration(r -> r.hsmConfigurationIdentifier("api-config"));
        rs.deleteHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("api-cert"));
        assertThatThrownBy(() -> rs.deleteHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("api-cert")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("HsmClientCertificateNotFoundFault"));
    }

    @Test
    void hsmCluster_createRebootRotate_hsmDownAndBack_partitionSwitch_incompatibleHsm() throws Exception {
        HsmClientCertificate cert = rs.createHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("flow-cert"))
                .hsmClientCertificate();
        configuration("flow-a", "127.0.0.1:" + gatewayPort, "sdk-part-a", PIN_A);

        // dc2 and ra3 do not offer HSM; KMS key and HSM together are refused.
        assertThatThrownBy(() -> rs.createCluster(r -> r.clusterIdentifier("hsm-dc2")
                        .nodeType("dc2.large")
                        .masterUsername("admin1")
                        .masterUserPassword("Passw0rdX")
                        .hsmClientCertificateIdentifier("flow-cert")
                        .hsmConfigurationIdentifier("flow-a")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("ds2");
        assertThatThrownBy(() -> rs.createCluster(r -> r.clusterIdentifier("hsm-half")
                        .nodeType("ds2.xlarge")
                        .masterUsername("admin1")
                        .masterUserPassword("Passw0rdX")
                        .hsmConfigurationIdentifier("flow-a")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterCombination"));

        // The client certificate is not registered on the partition yet: incompatible-hsm, event 1504.
        rs.createCluster(r -> r.clusterIdentifier("hsm-early")
                .nodeType("ds2.xlarge")
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .hsmClientCertificateIdentifier("flow-cert")
                .hsmConfigurationIdentifier("flow-a"));
        assertThat(cluster("hsm-early").clusterStatus()).isEqualTo("incompatible-hsm");
        assertThat(eventIds("hsm-early")).contains("REDSHIFT-EVENT-1504");
        f.restartControl();
        rs = f.redshift(f.admin);
        assertThat(cluster("hsm-early").clusterStatus()).isEqualTo("incompatible-hsm");
        rs.deleteCluster(r -> r.clusterIdentifier("hsm-early").skipFinalClusterSnapshot(true));
        waitFor(() -> rs.describeClusters().clusters().stream()
                .noneMatch(c -> c.clusterIdentifier().equals("hsm-early")));

        // Registered and assigned (the Luna way): the cluster is created with its key inside the partition.
        register(cert, "flow-cert", "sdk-part-a");
        Cluster created = rs.createCluster(r -> r.clusterIdentifier("hsm1")
                        .nodeType("ds2.xlarge")
                        .numberOfNodes(2)
                        .masterUsername("admin1")
                        .masterUserPassword("Passw0rdX")
                        .hsmClientCertificateIdentifier("flow-cert")
                        .hsmConfigurationIdentifier("flow-a"))
                .cluster();
        assertThat(created.clusterStatus()).isEqualTo("creating");
        waitFor(() -> cluster("hsm1").clusterStatus().equals("available"));
        Cluster c = cluster("hsm1");
        assertThat(c.encrypted()).isTrue();
        assertThat(c.kmsKeyId()).isNull();
        assertThat(c.hsmStatus().hsmClientCertificateIdentifier()).isEqualTo("flow-cert");
        assertThat(c.hsmStatus().hsmConfigurationIdentifier()).isEqualTo("flow-a");
        assertThat(c.hsmStatus().status()).isEqualTo("active");
        assertThat(eventMessages("hsm1")).contains("created inside HSM partition sdk-part-a");
        assertThatThrownBy(() -> rs.deleteHsmConfiguration(r -> r.hsmConfigurationIdentifier("flow-a")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidHsmConfigurationStateFault"));
        assertThatThrownBy(() -> rs.deleteHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("flow-cert")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidHsmClientCertificateStateFault"));
        ControlFixture.writeTable(
                f.control
                        .running(f.admin.accountId(), "us-east-1", "hsm1")
                        .orElseThrow()
                        .store(),
                "t",
                5_000);

        // Reboot and a restart of the control plane: the keys come back through the HSM.
        rs.rebootCluster(r -> r.clusterIdentifier("hsm1"));
        waitFor(() -> cluster("hsm1").clusterStatus().equals("available"));
        assertThat(rows("hsm1")).isEqualTo(5_000);
        f.restartControl();
        rs = f.redshift(f.admin);
        assertThat(cluster("hsm1").clusterStatus()).isEqualTo("available");
        assertThat(rows("hsm1")).isEqualTo(5_000);

        // A snapshot is encrypted with the HSM; restoring it is not offered yet and says so.
        Snapshot s = rs.createClusterSnapshot(r -> r.clusterIdentifier("hsm1").snapshotIdentifier("hsm1-s1"))
                .snapshot();
        waitFor(() -> rs.describeClusterSnapshots(r -> r.snapshotIdentifier("hsm1-s1"))
                .snapshots()
                .get(0)
                .status()
                .equals("available"));
        Snapshot described = rs.describeClusterSnapshots(r -> r.snapshotIdentifier(s.snapshotIdentifier()))
                .snapshots()
                .get(0);
        assertThat(described.encryptedWithHSM()).isTrue();
        assertThat(described.kmsKeyId()).isNull();
        assertThatThrownBy(() -> rs.restoreFromClusterSnapshot(
                        r -> r.clusterIdentifier("hsm1-restored").snapshotIdentifier("hsm1-s1")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("UnsupportedOperation"));

        // Rotation: a new CEK made in the HSM; the snapshot's envelope moves to it; reboot works on the new keys.
        rs.rotateEncryptionKey(r -> r.clusterIdentifier("hsm1"));
        waitFor(() -> cluster("hsm1").clusterStatus().equals("available"));
        assertThat(eventIds("hsm1")).contains("REDSHIFT-EVENT-3622");
        assertThat(eventMessages("hsm1")).contains("1 snapshot key envelopes rewrapped");
        rs.rebootCluster(r -> r.clusterIdentifier("hsm1"));
        waitFor(() -> cluster("hsm1").clusterStatus().equals("available"));
        assertThat(rows("hsm1")).isEqualTo(5_000);

        // The HSM goes down: a reboot cannot load the keys (event 1504); once it is back, a reboot serves again.
        gateway.close();
        // The monitor notices at once (event 1504) while the cluster keeps serving on the keys it holds.
        assertThat(f.control.clusters().checkHsms()).isEqualTo(1);
        assertThat(f.control.clusters().checkHsms()).isEqualTo(1);
        assertThat(eventIds("hsm1").stream().filter("REDSHIFT-EVENT-1504"::equals))
                .as("one event per outage")
                .hasSize(1);
        assertThat(cluster("hsm1").clusterStatus()).isEqualTo("available");
        assertThat(rows("hsm1")).isEqualTo(5_000);
        rs.rebootCluster(r -> r.clusterIdentifier("hsm1"));
        waitFor(() -> !cluster("hsm1").clusterStatus().equals("rebooting"));
        assertThat(cluster("hsm1").clusterStatus()).isEqualTo("inaccessible-encryption-credentials");
        // The reboot writes a 1504 of its own (the monitor's says the cluster keeps serving; the reboot's does not).
        List<String> outage = events("hsm1", "REDSHIFT-EVENT-1504");
        assertThat(outage).as("the monitor's 1504, then the reboot's").hasSize(2);
        assertThat(outage)
                .filteredOn(m -> !m.contains("keeps serving"))
                .singleElement(STRING)
                .startsWith("Unable to connect to HSM for cluster 'hsm1' (HSM configuration flow-a). ");
        // While no process writes partition sdk-part-a, clone it to a second HSM: the replica used below (see
        // ReplicaGateway for why a copy of the token's files is how a non-extractable key is replicated here).
        Path replicaRoot = Files.createTempDirectory(f.dir, "hsm-replica");
        ReplicaGateway.clonePartition(softHsmTokens(), gatewayDir, "sdk-part-a", replicaRoot);
        gateway = HsmGateway.start(gatewayDir, "127.0.0.1", gatewayPort, TestSoftHsm.library());
        rs.rebootCluster(r -> r.clusterIdentifier("hsm1"));
        waitFor(() -> cluster("hsm1").clusterStatus().equals("available"));
        assertThat(rows("hsm1")).isEqualTo(5_000);
        assertThat(f.control.clusters().checkHsms()).isZero();
        assertThat(eventIds("hsm1")).contains("REDSHIFT-EVENT-1509");

        // A switch to a partition without the key: only connectivity is checked, the reboot says the key is
        // missing (event 1506); switching back brings it up again.
        configuration("flow-b", "127.0.0.1:" + gatewayPort, "sdk-part-b", PIN_B);
        register(cert, "flow-cert", "sdk-part-b");
        Cluster switched = rs.modifyCluster(r -> r.clusterIdentifier("hsm1").hsmConfigurationIdentifier("flow-b"))
                .cluster();
        assertThat(switched.hsmStatus().hsmConfigurationIdentifier()).isEqualTo("flow-b");
        rs.rebootCluster(r -> r.clusterIdentifier("hsm1"));
        waitFor(() -> !cluster("hsm1").clusterStatus().equals("rebooting"));
        assertThat(cluster("hsm1").clusterStatus()).isEqualTo("inaccessible-encryption-credentials");
        assertThat(eventIds("hsm1")).contains("REDSHIFT-EVENT-1506");
        // A switch to a second HSM holding a replica of the partition (cloned above): the key is there. The first
        // HSM is stopped before the reboot, so only the replica can have given the keys back.
        try (ReplicaGateway replica = ReplicaGateway.start(replicaRoot, "sdk-part-a", PIN_A)) {
            register(replica.dir(), cert, "flow-cert", "sdk-part-a");
            configuration(
                    "flow-replica",
                    "127.0.0.1:" + replica.port(),
                    "sdk-part-a",
                    PIN_A,
                    ClientCertificates.toPem(replica.serverCertificate()));
            rs.modifyCluster(r -> r.clusterIdentifier("hsm1").hsmConfigurationIdentifier("flow-replica"));
            gateway.close();
            rs.rebootCluster(r -> r.clusterIdentifier("hsm1"));
            waitFor(() -> !cluster("hsm1").clusterStatus().equals("rebooting"));
            assertThat(cluster("hsm1").clusterStatus())
                    .as("events: %s; replica: %s", eventMessages("hsm1"), replica.output())
                    .isEqualTo("available");
            assertThat(cluster("hsm1").hsmStatus().hsmConfigurationIdentifier()).isEqualTo("flow-replica");
            assertThat(rows("hsm1")).isEqualTo(5_000);

            // A switch to an HSM that cannot be reached is refused and changes nothing.
            configuration("flow-dead", "127.0.0.1:1", "sdk-part-a", PIN_A);
            assertThatThrownBy(() ->
                            rs.modifyCluster(r -> r.clusterIdentifier("hsm1").hsmConfigurationIdentifier("flow-dead")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"));
            assertThat(cluster("hsm1").hsmStatus().hsmConfigurationIdentifier()).isEqualTo("flow-replica");
            assertThat(cluster("hsm1").clusterStatus()).isEqualTo("available");

            // What HSM clusters do not do yet is refused with a message that says so.
            assertThatThrownBy(() ->
                            rs.modifyCluster(r -> r.clusterIdentifier("hsm1").encrypted(false)))
                    .satisfies(e -> assertThat(code(e)).isEqualTo("UnsupportedOperation"));

            rs.deleteCluster(r -> r.clusterIdentifier("hsm1").skipFinalClusterSnapshot(true));
            waitFor(() -> rs.describeClusters().clusters().stream()
                    .noneMatch(x -> x.clusterIdentifier().equals("hsm1")));
        } finally {
            gateway = HsmGateway.start(gatewayDir, "127.0.0.1", gatewayPort, TestSoftHsm.library());
        }
        rs.deleteHsmConfiguration(r -> r.hsmConfigurationIdentifier("flow-a"));
    }

    /**
     * The monitor's event 1508: a cluster key revoked in the HSM behind the control plane's back (state Deactivated),
     * and another one destroyed there (the HSM answers Item Not Found), each write one 1508 naming the key, while the
     * clusters keep serving on the keys they hold.
     */
    @Test
    void monitor_keyRevokedOrDestroyedInTheHsm_writesEvent1508() throws Exception {
        HsmClientCertificate cert = rs.createHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("rev-cert"))
                .hsmClientCertificate();
        register(cert, "rev-cert", "sdk-part-a");
        configuration("rev-a", "127.0.0.1:" + gatewayPort, "sdk-part-a", PIN_A);
        // An HSM administrator's own client, registered on the partition like any other.
        ClientCertificates.Issued admin = ClientCertificates.generate("hsm-admin", Duration.ofDays(1));
        if (!HsmGateway.clients(gatewayDir).stream().anyMatch(l -> l.startsWith("hsm-admin "))) {
            HsmGateway.registerClient(gatewayDir, "hsm-admin", admin.certificate());
        }
        HsmGateway.assignClient(gatewayDir, "hsm-admin", "sdk-part-a");
        HsmEndpoint asAdmin = new HsmEndpoint(
                "127.0.0.1",
                gatewayPort,
                gateway.serverCertificate(),
                admin.privateKey(),
                admin.certificate(),
                "sdk-part-a",
                PIN_A);
        Map<String, String> cek = new HashMap<>();
        for (String id : List.of("hsm-revoked", "hsm-destroyed")) {
            Set<String> before = vaultEntries().keySet();
            rs.createCluster(r -> r.clusterIdentifier(id)
                    .nodeType("ds2.xlarge")
                    .masterUsername("admin1")
                    .masterUserPassword("Passw0rdX")
                    .hsmClientCertificateIdentifier("rev-cert")
                    .hsmConfigurationIdentifier("rev-a"));
            waitFor(() -> cluster(id).clusterStatus().equals("available"));
            Map<String, VaultEntry> after = vaultEntries();
            after.keySet().removeAll(before);
            assertThat(after).hasSize(1);
            cek.put(id, after.values().iterator().next().hsmCekUid());
        }
        assertThat(f.control.clusters().checkHsms()).isZero();

        try (KmipClient c = KmipClient.connect(asAdmin, Duration.ofSeconds(10))) {
            c.revoke(cek.get("hsm-revoked"));
            c.revokeAndDestroy(cek.get("hsm-destroyed"));
        }
        assertThat(f.control.clusters().checkHsms()).isEqualTo(2);
        assertThat(f.control.clusters().checkHsms())
                .as("still two, but no new events")
                .isEqualTo(2);
        assertThat(events("hsm-revoked", "REDSHIFT-EVENT-1508"))
                .singleElement(STRING)
                .contains(cek.get("hsm-revoked"))
                .contains("KMIP state 3");
        assertThat(events("hsm-destroyed", "REDSHIFT-EVENT-1508"))
                .singleElement(STRING)
                .contains(cek.get("hsm-destroyed"))
                .contains("destroyed there");
        assertThat(events("hsm-destroyed", "REDSHIFT-EVENT-1504"))
                .as("not a connection problem")
                .isEmpty();
        assertThat(cluster("hsm-revoked").clusterStatus()).isEqualTo("available");
        assertThat(cluster("hsm-destroyed").clusterStatus()).isEqualTo("available");

        for (String id : List.of("hsm-revoked", "hsm-destroyed")) {
            rs.deleteCluster(r -> r.clusterIdentifier(id).skipFinalClusterSnapshot(true));
            waitFor(() -> rs.describeClusters().clusters().stream()
                    .noneMatch(x -> x.clusterIdentifier().equals(id)));
        }
        assertThat(f.control.clusters().checkHsms()).isZero();
        rs.deleteHsmConfiguration(r -> r.hsmConfigurationIdentifier("rev-a"));
    }

    /** The key vault's entries by file name. */
    private Map<String, VaultEntry> vaultEntries() throws IOException {
        Map<String, VaultEntry> out = new HashMap<>();
        try (Stream<Path> files = Files.list(f.dir.resolve("control").resolve("keyvault"))) {
            for (Path p :
                    files.filter(x -> x.toString().endsWith(KeyVault.SUFFIX)).toList()) {
                out.put(p.getFileName().toString(), VaultEntry.decode(Files.readAllBytes(p), p.toString()));
            }
        }
        return out;
    }

    /**
     * The same cluster flow against an HSM nobody on this project wrote: PyKMIP's KMIP server (Debian's
     * python3-pykmip), with the cluster's client certificate registered the way PyKMIP takes one (in its CA bundle).
     */
    @Test
    void hsmCluster_againstPyKmipsServer_createRebootRotateDelete() throws Exception {
        HsmClientCertificate cert = rs.createHsmClientCertificate(r -> r.hsmClientCertificateIdentifier("py-cert"))
                .hsmClientCertificate();
        try (PyKmipServer py = PyKmipServer.start(
                List.of(ClientCertificates.parseCertificatePem(cert.hsmClientCertificatePublicKey())))) {
            rs.createHsmConfiguration(r -> r.hsmConfigurationIdentifier("py-config")
                    .description("PyKMIP")
                    .hsmIpAddress("127.0.0.1:" + py.port)
                    .hsmPartitionName("pykmip")
                    .hsmPartitionPassword("unused-by-pykmip")
                    .hsmServerPublicCertificate(ClientCertificates.toPem(py.serverCertificate)));
            rs.createCluster(r -> r.clusterIdentifier("hsm-py")
                    .nodeType("ds2.xlarge")
                    .masterUsername("admin1")
                    .masterUserPassword("Passw0rdX")
                    .hsmClientCertificateIdentifier("py-cert")
                    .hsmConfigurationIdentifier("py-config"));
            waitFor(() -> !cluster("hsm-py").clusterStatus().equals("creating"));
            assertThat(cluster("hsm-py").clusterStatus())
                    .as("events: %s; PyKMIP log: %s", eventMessages("hsm-py"), py.log())
                    .isEqualTo("available");
            ControlFixture.writeTable(
                    f.control
                            .running(f.admin.accountId(), "us-east-1", "hsm-py")
                            .orElseThrow()
                            .store(),
                    "t",
                    3_000);
            rs.rebootCluster(r -> r.clusterIdentifier("hsm-py"));
            waitFor(() -> cluster("hsm-py").clusterStatus().equals("available"));
            assertThat(rows("hsm-py")).isEqualTo(3_000);
            rs.rotateEncryptionKey(r -> r.clusterIdentifier("hsm-py"));
            waitFor(() -> cluster("hsm-py").clusterStatus().equals("available"));
            assertThat(eventIds("hsm-py")).contains("REDSHIFT-EVENT-3622").doesNotContain("REDSHIFT-EVENT-3605");
            rs.rebootCluster(r -> r.clusterIdentifier("hsm-py"));
            waitFor(() -> cluster("hsm-py").clusterStatus().equals("available"));
            assertThat(rows("hsm-py")).isEqualTo(3_000);
            assertThat(py.log()).contains("Encrypt").contains("Decrypt");
            rs.deleteCluster(r -> r.clusterIdentifier("hsm-py").skipFinalClusterSnapshot(true));
            waitFor(() -> rs.describeClusters().clusters().stream()
                    .noneMatch(x -> x.clusterIdentifier().equals("hsm-py")));
        }
    }
}
