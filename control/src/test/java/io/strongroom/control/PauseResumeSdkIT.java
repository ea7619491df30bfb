package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.kms.AuditQuery;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.RedshiftException;

/**
 * PauseCluster and ResumeCluster through the SDK: a paused cluster serves nothing and holds no keys (its store is
 * closed), stays paused across a restart of the control plane, refuses snapshots; resuming loads the keys through
 * the KMS again (the audit shows the Decrypt) with every row there; a resume with the key disabled leaves the cluster
 * in inaccessible-encryption-credentials, and a reboot after the key is enabled brings it back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PauseResumeSdkIT {
    ControlFixture f;
    RedshiftClient rs;
    KmsClient kms;

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
    }

    @AfterAll
    void stop() throws Exception {
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

    @Test
    void pause_dropsKeysAndServesNothing_resume_loadsThemThroughTheKms() {
        String key =
                kms.createKey(r -> r.description("pause key")).keyMetadata().arn();
        rs.createCluster(r -> r.clusterIdentifier("p1")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .encrypted(true)
                .kmsKeyId(key));
        waitFor(() -> cluster("p1").clusterStatus().equals("available"));
        ControlFixture.writeTable(
                f.control
                        .running(f.admin.accountId(), "us-east-1", "p1")
                        .orElseThrow()
                        .store(),
                "t",
                5_000);

        Cluster paused = rs.pauseCluster(r -> r.clusterIdentifier("p1")).cluster();
        assertThat(paused.clusterStatus()).isEqualTo("paused");
        assertThat(paused.clusterAvailabilityStatus()).isEqualTo("Paused");
        assertThat(f.control.running(f.admin.accountId(), "us-east-1", "p1")).isEmpty();
        assertThatThrownBy(() ->
                        rs.createClusterSnapshot(r -> r.clusterIdentifier("p1").snapshotIdentifier("x")))
                .isInstanceOf(RedshiftException.class)
                .satisfies(e -> assertThat(
                                ((RedshiftException) e).awsErrorDetails().errorCode())
                        .isEqualTo("InvalidClusterState"));
        assertThatThrownBy(() -> rs.pauseCluster(r -> r.clusterIdentifier("p1")))
                .isInstanceOf(RedshiftException.class);

        // Still paused after a restart: the keys are not loaded.
        long decryptsBefore = f.audit()
                .query(AuditQuery.all().withEventName("Decrypt").withKey(key))
                .size();
        f.restartControl();
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
        assertThat(cluster("p1").clusterStatus()).isEqualTo("paused");
        assertThat(f.control.running(f.admin.accountId(), "us-east-1", "p1")).isEmpty();
        assertThat(f.audit().query(AuditQuery.all().withEventName("Decrypt").withKey(key)))
                .hasSize((int) decryptsBefore);

        // Resume: the keys come back through the KMS.
        Cluster resumed = rs.resumeCluster(r -> r.clusterIdentifier("p1")).cluster();
        assertThat(resumed.clusterStatus()).isEqualTo("available");
        assertThat(f.audit()
                        .query(AuditQuery.all().withEventName("Decrypt").withKey(key))
                        .size())
                .isGreaterThan((int) decryptsBefore);
        assertThat(
                        ControlFixture.countAndSum(
                                f.control
                                        .running(f.admin.accountId(), "us-east-1", "p1")
                                        .orElseThrow()
                                        .store(),
                                "t")[0])
                .isEqualTo(5_000);
        assertThatThrownBy(() -> rs.resumeCluster(r -> r.clusterIdentifier("p1")))
                .isInstanceOf(RedshiftException.class);

        // A resume while the key is disabled: the cluster says why; once the key is back, a reboot serves again.
        rs.pauseCluster(r -> r.clusterIdentifier("p1"));
        kms.disableKey(r -> r.keyId(key));
        assertThat(rs.resumeCluster(r -> r.clusterIdentifier("p1")).cluster().clusterStatus())
                .isEqualTo("inaccessible-encryption-credentials");
        kms.enableKey(r -> r.keyId(key));
        rs.rebootCluster(r -> r.clusterIdentifier("p1"));
        waitFor(() -> cluster("p1").clusterStatus().equals("available"));
        // A paused cluster can be deleted.
        rs.pauseCluster(r -> r.clusterIdentifier("p1"));
        rs.deleteCluster(r -> r.clusterIdentifier("p1").skipFinalClusterSnapshot(true));
        waitFor(() -> rs.describeClusters().clusters().stream()
                .noneMatch(c -> c.clusterIdentifier().equals("p1")));
    }
}
