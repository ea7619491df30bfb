package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.strongroom.aws.Credential;
import io.strongroom.base.FaultHook;
import io.strongroom.control.AwsCli.Result;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.gateway.HsmGateway;
import io.strongroom.kms.AuditQuery;
import io.strongroom.storage.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The lifecycle with the AWS CLI v2 ({@code /usr/bin/aws}, Debian's awscli 2.9.19) against a control plane and a
 * KMS started in-process; the KMS commands go to the control plane's endpoint too, which forwards them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlCliIT {

    ControlFixture f;
    Path work;
    AwsCli cli;

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        work = Files.createDirectories(f.dir.resolve("cli-work"));
        cli = new AwsCli(f.control.endpoint(), work);
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    Result aws(String... args) throws Exception {
        return awsAs(f.admin.accessKeyId(), f.admin.secretAccessKey(), args);
    }

    Result awsAs(String akid, String secret, String... args) throws Exception {
        return awsIn("us-east-1", akid, secret, args);
    }

    Result awsIn(String region, String akid, String secret, String... args) throws Exception {
        return cli.run(region, akid, secret, args);
    }

    @Test
    void lifecycle_withTheAwsCli() throws Exception {
        // A customer managed key, made through the same endpoint (forwarded to the KMS).
        String keyId = aws("kms", "create-key", "--description", "cli root")
                .ok()
                .json()
                .path("KeyMetadata")
                .path("KeyId")
                .asText();
        aws("kms", "create-alias", "--alias-name", "alias/cli-root", "--target-key-id", keyId)
                .ok();

        JsonNode created = aws(
                        "redshift",
                        "create-cluster",
                        "--cluster-identifier",
                        "cli1",
                        "--node-type",
                        "ra3.xlplus",
                        "--number-of-nodes",
                        "2",
                        "--master-username",
                        "admin1",
                        "--master-user-password",
                        "Passw0rdX",
                        "--encrypted",
                        "--kms-key-id",
                        "alias/cli-root")
                .ok()
                .json()
                .path("Cluster");
        assertThat(created.path("ClusterStatus").asText()).isEqualTo("creating");
        aws("redshift", "wait", "cluster-available", "--cluster-identifier", "cli1")
                .ok();

        aws(
                        "redshift",
                        "create-cluster",
                        "--cluster-identifier",
                        "cli2",
                        "--node-type",
                        "dc2.large",
                        "--cluster-type",
                        "single-node",
                        "--master-username",
                        "admin1",
                        "--master-user-password",
                        "Passw0rdX",
                        "--encrypted")
                .ok();
        JsonNode clusters = aws("redshift", "describe-clusters").ok().json().path("Clusters");
        assertThat(clusters).hasSize(2);
        JsonNode cli1 = clusters.get(0);
        assertThat(cli1.path("ClusterIdentifier").asText()).isEqualTo("cli1");
        assertThat(cli1.path("Encrypted").asBoolean()).isTrue();
        assertThat(cli1.path("KmsKeyId").asText()).endsWith(":key/" + keyId);
        assertThat(cli1.path("Endpoint").path("Port").asInt()).isEqualTo(25439);
        assertThat(clusters.get(1).path("ClusterNodes")).hasSize(1);
        assertThat(clusters.get(1).path("ClusterNodes").get(0).path("NodeRole").asText())
                .isEqualTo("SHARED");

        String rsa = aws("kms", "create-key", "--key-spec", "RSA_2048", "--key-usage", "ENCRYPT_DECRYPT")
                .ok()
                .json()
                .path("KeyMetadata")
                .path("Arn")
                .asText();
        aws(
                        "redshift",
                        "create-cluster",
                        "--cluster-identifier",
                        "cli-rsa",
                        "--node-type",
                        "ra3.xlplus",
                        "--master-username",
                        "admin1",
                        "--master-user-password",
                        "Passw0rdX",
                        "--encrypted",
                        "--kms-key-id",
                        rsa)
                .failsWith("InvalidParameterValue");

        aws("redshift", "modify-cluster", "--cluster-identifier", "cli1", "--new-cluster-identifier", "cli1b")
                .ok();
        aws("redshift", "reboot-cluster", "--cluster-identifier", "cli1b").ok();
        assertThat(f.audit()
                        .query(AuditQuery.all().withEventName("Decrypt").withContextValue("cli1"))
                        .get(0)
                        .encryptionContext()
                        .get("aws:redshift:arn"))
                .endsWith(":cluster:cli1");
        JsonNode resized = aws("redshift", "resize-cluster", "--cluster-identifier", "cli1b", "--number-of-nodes", "3")
                .ok()
                .json()
                .path("Cluster");
        assertThat(resized.path("ClusterStatus").asText()).isEqualTo("resizing");
        aws("redshift", "wait", "cluster-available", "--cluster-identifier", "cli1b")
                .ok();

        JsonNode events = aws(
                        "redshift",
                        "describe-events",
                        "--source-type",
                        "cluster",
                        "--source-identifier",
                        "cli1b",
                        "--duration",
                        "60")
                .ok()
                .json()
                .path("Events");
        List<String> ids = new ArrayList<>();
        events.forEach(e -> ids.add(e.path("EventId").asText()));
        assertThat(ids).contains("REDSHIFT-EVENT-3000", "REDSHIFT-EVENT-3601", "REDSHIFT-EVENT-3002");

        aws("redshift", "delete-cluster", "--cluster-identifier", "cli1b").failsWith("InvalidParameterCombination");
        aws("redshift", "delete-cluster", "--cluster-identifier", "cli1b", "--skip-final-cluster-snapshot")
                .ok();
        aws("redshift", "wait", "cluster-deleted", "--cluster-identifier", "cli1b")
                .ok();
        aws("redshift", "describe-clusters", "--cluster-identifier", "cli1b").failsWith("ClusterNotFound");
    }

    @Test
    void snapshots_withTheAwsCli() throws Exception {
        aws(
                        "redshift",
                        "create-cluster",
                        "--cluster-identifier",
                        "clisnap",
                        "--node-type",
                        "ra3.xlplus",
                        "--number-of-nodes",
                        "2",
                        "--master-username",
                        "admin1",
                        "--master-user-password",
                        "Passw0rdX",
                        "--encrypted")
                .ok();
        Store store = f.control
                .running(f.admin.accountId(), "us-east-1", "clisnap")
                .orElseThrow()
                .store();
        ControlFixture.writeTable(store, "t", 20_000);
        long[] before = ControlFixture.countAndSum(store, "t");
        JsonNode snap = aws(
                        "redshift",
                        "create-cluster-snapshot",
                        "--cluster-identifier",
                        "clisnap",
                        "--snapshot-identifier",
                        "clis1",
                        "--manual-snapshot-retention-period",
                        "7")
                .ok()
                .json()
                .path("Snapshot");
        assertThat(snap.path("Status").asText()).isEqualTo("creating");
        aws("redshift", "wait", "snapshot-available", "--snapshot-identifier", "clis1")
                .ok();
        JsonNode d = aws(
                        "redshift",
                        "describe-cluster-snapshots",
                        "--snapshot-identifier",
                        "clis1",
                        "--query",
                        "Snapshots[0].{S:Status,T:SnapshotType,E:Encrypted,K:KmsKeyId,H:EncryptedWithHSM,R:ManualSnapshotRetentionPeriod}")
                .ok()
                .json();
        assertThat(d.path("S").asText()).isEqualTo("available");
        assertThat(d.path("T").asText()).isEqualTo("manual");
        assertThat(d.path("E").asBoolean()).isTrue();
        assertThat(d.path("K").asText()).contains(":key/");
        assertThat(d.path("H").asBoolean()).isFalse();
        assertThat(d.path("R").asInt()).isEqualTo(7);
        aws(
                        "redshift",
                        "restore-from-cluster-snapshot",
                        "--cluster-identifier",
                        "clisnap-r",
                        "--snapshot-identifier",
                        "clis1")
                .ok();
        aws("redshift", "wait", "cluster-restored", "--cluster-identifier", "clisnap-r")
                .ok();
        Store restored = f.control
                .running(f.admin.accountId(), "us-east-1", "clisnap-r")
                .orElseThrow()
                .store();
        assertThat(ControlFixture.countAndSum(restored, "t")).containsExactly(before);
        JsonNode tr = aws(
                        "redshift",
                        "restore-table-from-cluster-snapshot",
                        "--cluster-identifier",
                        "clisnap",
                        "--snapshot-identifier",
                        "clis1",
                        "--source-database-name",
                        "dev",
                        "--source-table-name",
                        "t",
                        "--new-table-name",
                        "t_back")
                .ok()
                .json()
                .path("TableRestoreStatus");
        assertThat(tr.path("Status").asText()).isEqualTo("SUCCEEDED");
        aws("redshift", "describe-table-restore-status", "--cluster-identifier", "clisnap")
                .ok();
        assertThat(ControlFixture.countAndSum(store, "t_back")).containsExactly(before);
        aws("redshift", "delete-cluster-snapshot", "--snapshot-identifier", "clis1")
                .ok();
        aws("redshift", "describe-cluster-snapshots", "--snapshot-identifier", "clis1")
                .failsWith("ClusterSnapshotNotFound");
        aws(
                        "redshift",
                        "delete-cluster",
                        "--cluster-identifier",
                        "clisnap",
                        "--final-cluster-snapshot-identifier",
                        "clisnap-final")
                .ok();
        aws("redshift", "wait", "snapshot-available", "--snapshot-identifier", "clisnap-final")
                .ok();
        // Leave no cluster behind for the other tests of this class, which count clusters.
        aws("redshift", "delete-cluster", "--cluster-identifier", "clisnap-r", "--skip-final-cluster-snapshot")
                .ok();
        aws("redshift", "wait", "cluster-deleted", "--cluster-identifier", "clisnap-r")
                .ok();
    }

    /** The seed's cross-region copy process, command by command, with the AWS CLI v2. */
    @Test
    void crossRegionSnapshotCopy_withTheAwsCli() throws Exception {
        String akid = f.admin.accessKeyId();
        String secret = f.admin.secretAccessKey();
        String key = awsIn("us-west-2", akid, secret, "kms", "create-key", "--description", "dr-key")
                .ok()
                .json()
                .path("KeyMetadata")
                .path("Arn")
                .asText();
        awsIn(
                        "us-west-2",
                        akid,
                        secret,
                        "redshift",
                        "create-snapshot-copy-grant",
                        "--snapshot-copy-grant-name",
                        "cli-dr-grant",
                        "--kms-key-id",
                        key)
                .ok();
        assertThat(awsIn("us-west-2", akid, secret, "redshift", "describe-snapshot-copy-grants")
                        .ok()
                        .json()
                        .path("SnapshotCopyGrants")
                        .toString())
                .contains("cli-dr-grant");
        aws(
                        "redshift",
                        "create-cluster",
                        "--cluster-identifier",
                        "cli-dr",
                        "--node-type",
                        "ra3.xlplus",
                        "--number-of-nodes",
                        "2",
                        "--master-username",
                        "admin",
                        "--master-user-password",
                        "Passw0rdX",
                        "--encrypted")
                .ok();
        JsonNode enabled = aws(
                        "redshift",
                        "enable-snapshot-copy",
                        "--cluster-identifier",
                        "cli-dr",
                        "--destination-region",
                        "us-west-2",
                        "--retention-period",
                        "7",
                        "--snapshot-copy-grant-name",
                        "cli-dr-grant")
                .ok()
                .json()
                .path("Cluster")
                .path("ClusterSnapshotCopyStatus");
        assertThat(enabled.path("DestinationRegion").asText()).isEqualTo("us-west-2");
        assertThat(enabled.path("SnapshotCopyGrantName").asText()).isEqualTo("cli-dr-grant");
        aws("redshift", "create-cluster-snapshot", "--cluster-identifier", "cli-dr", "--snapshot-identifier", "cli-s1")
                .ok();
        JsonNode copy = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (copy == null) {
            assertThat(System.nanoTime()).as("waiting for the copy").isLessThan(deadline);
            for (JsonNode s : awsIn("us-west-2", akid, secret, "redshift", "describe-cluster-snapshots")
                    .ok()
                    .json()
                    .path("Snapshots")) {
                if (s.path("SnapshotIdentifier").asText().equals("cli-s1")
                        && s.path("Status").asText().equals("available")) {
                    copy = s;
                }
            }
            Thread.sleep(200);
        }
        assertThat(copy.path("SourceRegion").asText()).isEqualTo("us-east-1");
        assertThat(copy.path("KmsKeyId").asText()).isEqualTo(key);
        assertThat(copy.path("Encrypted").asBoolean()).isTrue();
        awsIn(
                        "us-west-2",
                        akid,
                        secret,
                        "redshift",
                        "delete-snapshot-copy-grant",
                        "--snapshot-copy-grant-name",
                        "cli-dr-grant")
                .failsWith("InvalidSnapshotCopyGrantStateFault");
        aws("redshift", "disable-snapshot-copy", "--cluster-identifier", "cli-dr")
                .ok();
        awsIn(
                        "us-west-2",
                        akid,
                        secret,
                        "redshift",
                        "delete-snapshot-copy-grant",
                        "--snapshot-copy-grant-name",
                        "cli-dr-grant")
                .ok();
    }

    @Test
    void rotateEncryptionKey_withTheAwsCli() throws Exception {
        aws(
                        "redshift",
                        "create-cluster",
                        "--cluster-identifier",
                        "clirot",
                        "--node-type",
                        "ra3.xlplus",
                        "--number-of-nodes",
                        "2",
                        "--master-username",
                        "admin1",
                        "--master-user-password",
                        "Passw0rdX",
                        "--encrypted")
                .ok();
        Store store = f.control
                .running(f.admin.accountId(), "us-east-1", "clirot")
                .orElseThrow()
                .store();
        ControlFixture.writeTable(store, "t", 20_000);
        long[] before = ControlFixture.countAndSum(store, "t");
        aws(
                        "redshift",
                        "create-cluster-snapshot",
                        "--cluster-identifier",
                        "clirot",
                        "--snapshot-identifier",
                        "clirot-s")
                .ok();
        aws("redshift", "wait", "snapshot-available", "--snapshot-identifier", "clirot-s")
                .ok();
        JsonNode c = aws("redshift", "rotate-encryption-key", "--cluster-identifier", "clirot")
                .ok()
                .json()
                .path("Cluster");
        assertThat(c.path("ClusterStatus").asText()).isEqualTo("rotating-keys");
        String status = "rotating-keys";
        for (int i = 0; i < 120 && !status.equals("available"); i++) {
            status = aws("redshift", "describe-clusters", "--cluster-identifier", "clirot")
                    .ok()
                    .json()
                    .path("Clusters")
                    .path(0)
                    .path("ClusterStatus")
                    .asText();
        }
        assertThat(status).isEqualTo("available");
        assertThat(f.control
                        .running(f.admin.accountId(), "us-east-1", "clirot")
                        .orElseThrow()
                        .store()
                        .currentKeyVersion())
                .isEqualTo(2);
        assertThat(ControlFixture.countAndSum(store, "t")).containsExactly(before);
        assertThat(aws("redshift", "describe-events", "--source-identifier", "clirot", "--source-type", "cluster")
                        .ok()
                        .out())
                .contains("REDSHIFT-EVENT-3620")
                .contains("REDSHIFT-EVENT-3622");
        aws("redshift", "delete-cluster", "--cluster-identifier", "clirot", "--skip-final-cluster-snapshot")
                .ok();
        aws("redshift", "wait", "cluster-deleted", "--cluster-identifier", "clirot")
                .ok();
        assertThat(aws("redshift", "rotate-encryption-key", "--cluster-identifier", "clirot")
                        .failsWith("ClusterNotFound")
                        .err())
                .contains("clirot-s")
                .contains("cannot be rotated");
        aws("redshift", "delete-cluster-snapshot", "--snapshot-identifier", "clirot-s")
                .ok();
    }

    @Test
    void unsignedAndBadlySignedCalls_areRefused() throws Exception {
        aws("--no-sign-request", "redshift", "describe-clusters").failsWith("MissingAuthenticationToken");
        Credential admin = f.admin;
        awsAs(admin.accessKeyId(), "wrong-secret", "redshift", "describe-clusters")
                .failsWith("SignatureDoesNotMatch");
        awsAs("AKIAUNKNOWNKEY000000", "whatever", "redshift", "describe-clusters")
                .failsWith("InvalidClientTokenId");
    }

    /**
     * A restore that takes longer than any request (held mid-way by a job hook, standing in for a snapshot of many
     * gigabytes) answers at once with the CLI's default settings; describe-clusters shows RestoreStatus progress in
     * between; once released, {@code aws redshift wait cluster-restored} succeeds and the rows are there.
     */
    @Test
    void restore_answersAtOnce_showsProgress_andTheCliWaiterSucceeds() throws Exception {
        aws(
                        "redshift",
                        "create-cluster",
                        "--cluster-identifier",
                        "clirs",
                        "--node-type",
                        "ra3.xlplus",
                        "--number-of-nodes",
                        "2",
                        "--master-username",
                        "admin",
                        "--master-user-password",
                        "Passw0rdX",
                        "--encrypted")
                .ok();
        aws("redshift", "wait", "cluster-available", "--cluster-identifier", "clirs")
                .ok();
        Store store = f.control
                .running(f.admin.accountId(), "us-east-1", "clirs")
                .orElseThrow()
                .store();
        JobsSdkIT.writeRandom(store, "a", 400_000, 1);
        JobsSdkIT.writeRandom(store, "b", 400_000, 2);
        long[] before = ControlFixture.countAndSum(store, "a");
        aws("redshift", "create-cluster-snapshot", "--cluster-identifier", "clirs", "--snapshot-identifier", "clirs-s")
                .ok();
        aws("redshift", "wait", "snapshot-available", "--snapshot-identifier", "clirs-s")
                .ok();

        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        f.jobHooks = (jobPoint, jobFile) -> {
            if (jobPoint instanceof JobPoint.Progress(Job job)) {
                Job.Progress p = job.progress();
                if (job.kind() == JobKind.RESTORE_CLUSTER
                        && p.doneBytes() > 0
                        && p.doneBytes() < p.totalBytes()
                        && reached.getCount() > 0) {
                    reached.countDown();
                    try {
                        release.await(120, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        try {
            JsonNode answer = aws(
                            "redshift",
                            "restore-from-cluster-snapshot",
                            "--cluster-identifier",
                            "clirs-r",
                            "--snapshot-identifier",
                            "clirs-s")
                    .ok()
                    .json()
                    .path("Cluster");
            assertThat(answer.path("ClusterStatus").asText()).isEqualTo("creating");
            assertThat(reached.await(120, TimeUnit.SECONDS)).isTrue();
            JsonNode restore = aws("redshift", "describe-clusters", "--cluster-identifier", "clirs-r")
                    .ok()
                    .json()
                    .path("Clusters")
                    .get(0)
                    .path("RestoreStatus");
            assertThat(restore.path("Status").asText()).isEqualTo("restoring");
            assertThat(restore.path("SnapshotSizeInMegaBytes").asLong()).isPositive();
            assertThat(restore.path("ProgressInMegaBytes").asLong())
                    .isLessThan(restore.path("SnapshotSizeInMegaBytes").asLong());
            assertThat(restore.has("EstimatedTimeToCompletionInSeconds")).isTrue();
        } finally {
            release.countDown();
            f.jobHooks = FaultHook.NONE;
        }
        // The waiter polls at once and then every 60 s: wait here for the job, so its first poll is the one.
        JobsSdkIT.waitFor(
                () -> f.control
                        .running(f.admin.accountId(), "us-east-1", "clirs-r")
                        .isPresent(),
                "the restore");
        aws("redshift", "wait", "cluster-restored", "--cluster-identifier", "clirs-r")
                .ok();
        assertThat(ControlFixture.countAndSum(
                        f.control
                                .running(f.admin.accountId(), "us-east-1", "clirs-r")
                                .orElseThrow()
                                .store(),
                        "a"))
                .containsExactly(before);
    }

    /**
     * HSM mode with the AWS CLI: a client certificate, registered on a partition of the HSM gateway; a configuration;
     * an encrypted ds2 cluster whose key is created in the partition; HsmStatus; the node-type rule; in-use refusals.
     */
    @Test
    void hsmMode_withTheAwsCli() throws Exception {
        Path gatewayDir = Files.createTempDirectory(f.dir, "cli-hsm");
        try (HsmGateway gateway = HsmGateway.start(gatewayDir, "127.0.0.1", 0, TestSoftHsm.library())) {
            gateway.createPartition("cli-part", "cli-part-pin");
            String pem = aws(
                            "redshift",
                            "create-hsm-client-certificate",
                            "--hsm-client-certificate-identifier",
                            "cli-cert")
                    .ok()
                    .json()
                    .path("HsmClientCertificate")
                    .path("HsmClientCertificatePublicKey")
                    .asText();
            assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----");
            HsmGateway.registerClient(gatewayDir, "cli-cert", ClientCertificates.parseCertificatePem(pem));
            HsmGateway.assignClient(gatewayDir, "cli-cert", "cli-part");
            JsonNode config = aws(
                            "redshift",
                            "create-hsm-configuration",
                            "--hsm-configuration-identifier",
                            "cli-hsm",
                            "--description",
                            "gateway",
                            "--hsm-ip-address",
                            "127.0.0.1:" + gateway.port(),
                            "--hsm-partition-name",
                            "cli-part",
                            "--hsm-partition-password",
                            "cli-part-pin",
                            "--hsm-server-public-certificate",
                            ClientCertificates.toPem(gateway.serverCertificate()))
                    .ok()
                    .json();
            assertThat(config.toString()).doesNotContain("cli-part-pin").doesNotContain("CERTIFICATE");
            aws(
                            "redshift",
                            "create-cluster",
                            "--cluster-identifier",
                            "cli-hsm-ra3",
                            "--node-type",
                            "ra3.xlplus",
                            "--number-of-nodes",
                            "2",
                            "--master-username",
                            "admin",
                            "--master-user-password",
                            "Passw0rdX",
                            "--hsm-client-certificate-identifier",
                            "cli-cert",
                            "--hsm-configuration-identifier",
                            "cli-hsm")
                    .failsWith("InvalidParameterValue");
            aws(
                            "redshift",
                            "create-cluster",
                            "--cluster-identifier",
                            "cli-hsm1",
                            "--node-type",
                            "ds2.xlarge",
                            "--master-username",
                            "admin",
                            "--master-user-password",
                            "Passw0rdX",
                            "--hsm-client-certificate-identifier",
                            "cli-cert",
                            "--hsm-configuration-identifier",
                            "cli-hsm")
                    .ok();
            aws("redshift", "wait", "cluster-available", "--cluster-identifier", "cli-hsm1")
                    .ok();
            JsonNode c = aws("redshift", "describe-clusters", "--cluster-identifier", "cli-hsm1")
                    .ok()
                    .json()
                    .path("Clusters")
                    .get(0);
            assertThat(c.path("Encrypted").asBoolean()).isTrue();
            assertThat(c.has("KmsKeyId")).isFalse();
            assertThat(c.path("HsmStatus").path("HsmConfigurationIdentifier").asText())
                    .isEqualTo("cli-hsm");
            assertThat(c.path("HsmStatus").path("Status").asText()).isEqualTo("active");
            assertThat(aws("redshift", "describe-hsm-configurations")
                            .ok()
                            .json()
                            .path("HsmConfigurations")
                            .get(0)
                            .path("HsmPartitionName")
                            .asText())
                    .isEqualTo("cli-part");
            aws("redshift", "delete-hsm-client-certificate", "--hsm-client-certificate-identifier", "cli-cert")
                    .failsWith("InvalidHsmClientCertificateStateFault");
            aws("redshift", "reboot-cluster", "--cluster-identifier", "cli-hsm1")
                    .ok();
            aws("redshift", "wait", "cluster-available", "--cluster-identifier", "cli-hsm1")
                    .ok();
            aws("redshift", "delete-cluster", "--cluster-identifier", "cli-hsm1", "--skip-final-cluster-snapshot")
                    .ok();
            aws("redshift", "wait", "cluster-deleted", "--cluster-identifier", "cli-hsm1")
                    .ok();
            aws("redshift", "delete-hsm-configuration", "--hsm-configuration-identifier", "cli-hsm")
                    .ok();
            aws("redshift", "delete-hsm-client-certificate", "--hsm-client-certificate-identifier", "cli-cert")
                    .ok();
        }
    }
}
