package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.strongroom.control.AwsCli.Result;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.gateway.HsmGateway;
import io.strongroom.hsm.gateway.ReplicaGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * HSM mode with the AWS CLI v2 ({@code /usr/bin/aws}) against a control plane in this JVM and {@code strongroom hsm}
 * over SoftHSM2: what ControlCliIT's HSM test does not cover. The dc2 refusal, {@code incompatible-hsm} at create,
 * rotate-encryption-key on an HSM cluster, the HSM down at reboot (event 1504) and the recovery when it returns,
 * modify-cluster to a partition without the key (event 1506 at the reboot) and to a replica of the partition on a
 * second HSM (a cloned token, see {@link ReplicaGateway}), each checked through the CLI's own output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HsmCliIT {
    private static final String PIN_A = "cli2-part-a-pin";
    private static final String PIN_B = "cli2-part-b-pin";

    ControlFixture f;
    Path work;
    AwsCli cli;

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        work = Files.createDirectories(f.dir.resolve("hsm-cli-work"));
        cli = new AwsCli(f.control.endpoint(), work);
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    Result aws(String... args) throws Exception {
        return cli.run("us-east-1", f.admin.accessKeyId(), f.admin.secretAccessKey(), args);
    }

    private JsonNode cluster(String id) throws Exception {
        return aws("redshift", "describe-clusters", "--cluster-identifier", id)
                .ok()
                .json()
                .path("Clusters")
                .get(0);
    }

    private String status(String id) throws Exception {
        return cluster(id).path("ClusterStatus").asText();
    }

    /** Reboots through the CLI and waits, through the CLI, until the cluster is no longer rebooting. */
    private String reboot(String id) throws Exception {
        aws("redshift", "reboot-cluster", "--cluster-identifier", id).ok();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String s;
        while ((s = status(id)).equals("rebooting")) {
            assertThat(System.nanoTime()).as("waiting for the reboot").isLessThan(deadline);
            Thread.sleep(200);
        }
        return s;
    }

    /** The messages of {@code cluster}'s events with id {@code eventId}, as describe-events lists them. */
    private List<String> events(String cluster, String eventId) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode e : aws(
                        "redshift",
                        "describe-events",
                        "--source-identifier",
                        cluster,
                        "--source-type",
                        "cluster",
                        "--duration",
                        "600")
                .ok()
                .json()
                .path("Events")) {
            if (e.path("EventId").asText().equals(eventId)) {
                out.add(e.path("Message").asText());
            }
        }
        return out;
    }

    private Result createHsmCluster(String id, String nodeType) throws Exception {
        return aws(
                "redshift",
                "create-cluster",
                "--cluster-identifier",
                id,
                "--node-type",
                nodeType,
                "--master-username",
                "admin",
                "--master-user-password",
                "Passw0rdX",
                "--hsm-client-certificate-identifier",
                "cli2-cert",
                "--hsm-configuration-identifier",
                "cli2-a");
    }

    private void configuration(String id, int port, String partition, String pin, String serverPem) throws Exception {
        aws(
                        "redshift",
                        "create-hsm-configuration",
                        "--hsm-configuration-identifier",
                        id,
                        "--description",
                        id,
                        "--hsm-ip-address",
                        "127.0.0.1:" + port,
                        "--hsm-partition-name",
                        partition,
                        "--hsm-partition-password",
                        pin,
                        "--hsm-server-public-certificate",
                        serverPem)
                .ok();
    }

    private long rows(String id) {
        return ControlFixture.countAndSum(
                f.control
                        .running(f.admin.accountId(), "us-east-1", id)
                        .orElseThrow()
                        .store(),
                "t")[0];
    }

    @Test
    void hsmCluster_withTheAwsCli_refusalsRotationOutagePartitionSwitchAndReplica() throws Exception {
        Path gatewayDir = Files.createTempDirectory(f.dir, "cli2-hsm");
        Path library = TestSoftHsm.library();
        HsmGateway gateway = HsmGateway.start(gatewayDir, "127.0.0.1", 0, library);
        int port = gateway.port();
        try {
            gateway.createPartition("cli2-part-a", PIN_A);
            gateway.createPartition("cli2-part-b", PIN_B);
            String serverPem = ClientCertificates.toPem(gateway.serverCertificate());
            String pem = aws(
                            "redshift",
                            "create-hsm-client-certificate",
                            "--hsm-client-certificate-identifier",
                            "cli2-cert")
                    .ok()
                    .json()
                    .path("HsmClientCertificate")
                    .path("HsmClientCertificatePublicKey")
                    .asText();
            configuration("cli2-a", port, "cli2-part-a", PIN_A, serverPem);

            // dc2 does not offer HSM.
            createHsmCluster("cli2-dc2", "dc2.large")
                    .failsWith("InvalidParameterValue")
                    .failsWith("ds2");

            // Not registered on the partition yet: the cluster is incompatible-hsm, with event 1504 saying why.
            createHsmCluster("cli2-early", "ds2.xlarge").ok();
            assertThat(status("cli2-early")).isEqualTo("incompatible-hsm");
            assertThat(events("cli2-early", "REDSHIFT-EVENT-1504")).isNotEmpty();
            aws("redshift", "delete-cluster", "--cluster-identifier", "cli2-early", "--skip-final-cluster-snapshot")
                    .ok();
            aws("redshift", "wait", "cluster-deleted", "--cluster-identifier", "cli2-early")
                    .ok();

            // Registered and assigned: the cluster comes up with its key in the partition.
            HsmGateway.registerClient(gatewayDir, "cli2-cert", ClientCertificates.parseCertificatePem(pem));
            HsmGateway.assignClient(gatewayDir, "cli2-cert", "cli2-part-a");
            createHsmCluster("cli2-hsm", "ds2.xlarge").ok();
            aws("redshift", "wait", "cluster-available", "--cluster-identifier", "cli2-hsm")
                    .ok();
            ControlFixture.writeTable(
                    f.control
                            .running(f.admin.accountId(), "us-east-1", "cli2-hsm")
                            .orElseThrow()
                            .store(),
                    "t",
                    2_000);

            // Rotation: a new CEK in the HSM (event 3622); a reboot loads the keys through it.
            aws("redshift", "rotate-encryption-key", "--cluster-identifier", "cli2-hsm")
                    .ok();
            aws("redshift", "wait", "cluster-available", "--cluster-identifier", "cli2-hsm")
                    .ok();
            assertThat(events("cli2-hsm", "REDSHIFT-EVENT-3622")).isNotEmpty();
            assertThat(reboot("cli2-hsm")).isEqualTo("available");
            assertThat(rows("cli2-hsm")).isEqualTo(2_000);

            // The HSM goes down: the reboot cannot load the keys, and says so in an event 1504 of its own.
            gateway.close();
            // Nothing writes the partition now: clone it for the replica used below.
            Path replicaRoot = Files.createTempDirectory(f.dir, "cli2-replica");
            ReplicaGateway.clonePartition(HsmSdkIT.softHsmTokens(), gatewayDir, "cli2-part-a", replicaRoot);
            assertThat(reboot("cli2-hsm")).isEqualTo("inaccessible-encryption-credentials");
            assertThat(events("cli2-hsm", "REDSHIFT-EVENT-1504"))
                    .anySatisfy(m -> assertThat(m)
                            .startsWith(
                                    "Unable to connect to HSM for cluster 'cli2-hsm' (HSM configuration cli2-a). "));

            // It comes back: a reboot serves again.
            gateway = HsmGateway.start(gatewayDir, "127.0.0.1", port, library);
            assertThat(reboot("cli2-hsm")).isEqualTo("available");
            assertThat(rows("cli2-hsm")).isEqualTo(2_000);

            // modify-cluster to a partition without the key: connectivity only; the reboot fails with event 1506.
            HsmGateway.assignClient(gatewayDir, "cli2-cert", "cli2-part-b");
            configuration("cli2-b", port, "cli2-part-b", PIN_B, serverPem);
            assertThat(aws(
                                    "redshift",
                                    "modify-cluster",
                                    "--cluster-identifier",
                                    "cli2-hsm",
                                    "--hsm-configuration-identifier",
                                    "cli2-b")
                            .ok()
                            .json()
                            .path("Cluster")
                            .path("HsmStatus")
                            .path("HsmConfigurationIdentifier")
                            .asText())
                    .isEqualTo("cli2-b");
            assertThat(reboot("cli2-hsm")).isEqualTo("inaccessible-encryption-credentials");
            assertThat(events("cli2-hsm", "REDSHIFT-EVENT-1506"))
                    .singleElement()
                    .satisfies(m -> assertThat(m).contains("does not hold the key of cluster 'cli2-hsm'"));

            // modify-cluster to the replica on a second HSM, with the first one stopped: the key is there.
            try (ReplicaGateway replica = ReplicaGateway.start(replicaRoot, "cli2-part-a", PIN_A)) {
                HsmGateway.registerClient(replica.dir(), "cli2-cert", ClientCertificates.parseCertificatePem(pem));
                HsmGateway.assignClient(replica.dir(), "cli2-cert", "cli2-part-a");
                configuration(
                        "cli2-replica",
                        replica.port(),
                        "cli2-part-a",
                        PIN_A,
                        ClientCertificates.toPem(replica.serverCertificate()));
                aws(
                                "redshift",
                                "modify-cluster",
                                "--cluster-identifier",
                                "cli2-hsm",
                                "--hsm-configuration-identifier",
                                "cli2-replica")
                        .ok();
                gateway.close();
                assertThat(reboot("cli2-hsm"))
                        .as("replica: %s", replica.output())
                        .isEqualTo("available");
                assertThat(cluster("cli2-hsm")
                                .path("HsmStatus")
                                .path("HsmConfigurationIdentifier")
                                .asText())
                        .isEqualTo("cli2-replica");
                assertThat(rows("cli2-hsm")).isEqualTo(2_000);
                aws("redshift", "delete-cluster", "--cluster-identifier", "cli2-hsm", "--skip-final-cluster-snapshot")
                        .ok();
                aws("redshift", "wait", "cluster-deleted", "--cluster-identifier", "cli2-hsm")
                        .ok();
            }
        } finally {
            gateway.close();
        }
    }
}
