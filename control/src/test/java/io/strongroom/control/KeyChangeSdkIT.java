package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.FaultHook;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.storage.Store;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.Event;
import software.amazon.awssdk.services.redshift.model.RedshiftException;
import software.amazon.awssdk.services.redshift.model.SourceType;

/**
 * ModifyCluster {@code --kms-key-id} moves an encrypted cluster to another KMS key with no data pass, through the
 * SDK: the rows are the same, the new key generated the new cluster key with the frozen context (the audit shows
 * it), the old key is no longer needed (disabled, the cluster still reboots) but snapshots taken before still restore
 * through it, rotation works after, refusals match CreateCluster's, and a crash at either step settles at restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeyChangeSdkIT {
    static final String PASSWORD = "Passw0rdX";

    ControlFixture f;
    RedshiftClient rs;
    KmsClient kms;

    /** A simulated crash: an Error, which no request or job treats as a failure to undo. */
    static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(String where) {
            super("simulated crash at " + where);
        }
    }

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        clients();
    }

    private void clients() {
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
    }

    @AfterEach
    void resetHooks() {
        f.jobHooks = FaultHook.NONE;
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private String key(String description) {
        return kms.createKey(r -> r.description(description)).keyMetadata().arn();
    }

    private void create(String id, String keyArn) {
        rs.createCluster(r -> r.clusterIdentifier(id)
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword(PASSWORD)
                .encrypted(true)
                .kmsKeyId(keyArn));
        waitFor(() -> cluster(id).clusterStatus().equals("available"));
    }

    private Cluster cluster(String id) {
        return rs.describeClusters(r -> r.clusterIdentifier(id)).clusters().get(0);
    }

    private Store store(String id) {
        return f.control
                .running(f.admin.accountId(), "us-east-1", id)
                .orElseThrow()
                .store();
    }

    private static void waitFor(BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
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

    private List<String> grantNames(String keyArn) {
        return kms.listGrants(r -> r.keyId(keyArn)).grants().stream()
                .map(g -> g.name() == null ? "" : g.name())
                .toList();
    }

    private List<String> events(String id) {
        return rs
                .describeEvents(r ->
                        r.sourceIdentifier(id).sourceType(SourceType.CLUSTER).duration(600))
                .events()
                .stream()
                .map(Event::message)
                .toList();
    }

    @Test
    void anotherKey_movesTheClusterWithoutADataPass_andTheOldKeyIsNoLongerNeeded() {
        String a = key("root a");
        String b = key("root b");
        create("kc1", a);
        ControlFixture.writeTable(store("kc1"), "t", 50_000);
        long[] before = ControlFixture.countAndSum(store("kc1"), "t");
        rs.createClusterSnapshot(r -> r.clusterIdentifier("kc1").snapshotIdentifier("kc1-before"));
        waitFor(() -> rs.describeClusterSnapshots(r -> r.snapshotIdentifier("kc1-before"))
                .snapshots()
                .get(0)
                .status()
                .equals("available"));

        Cluster answer =
                rs.modifyCluster(r -> r.clusterIdentifier("kc1").kmsKeyId(b)).cluster();
        assertThat(answer.clusterStatus()).isEqualTo("modifying");
        assertThat(cluster("kc1").clusterStatus()).isEqualTo("available");
        assertThat(cluster("kc1").kmsKeyId()).isEqualTo(b);
        assertThat(ControlFixture.countAndSum(store("kc1"), "t")).containsExactly(before);
        // The new key generated the new cluster key, with the cluster's original (frozen) context.
        List<AuditRecord> generated = f.audit()
                .query(AuditQuery.all()
                        .withEventName("GenerateDataKey")
                        .withKey(b)
                        .withContextValue("kc1"));
        assertThat(generated).singleElement().satisfies(g -> {
            assertThat(g.keyArn()).isEqualTo(b);
            assertThat(g.encryptionContext())
                    .containsEntry(
                            "aws:redshift:arn", "arn:aws:redshift:us-east-1:" + f.admin.accountId() + ":cluster:kc1");
        });
        assertThat(grantNames(b)).anyMatch(n -> n.startsWith("redshift-"));
        assertThat(grantNames(a)).noneMatch(n -> n.startsWith("redshift-"));
        assertThat(events("kc1")).anyMatch(m -> m.contains("moved from KMS key " + a + " to " + b));

        // The cluster no longer needs the old key: disabled, a reboot still loads the keys (through the new one).
        kms.disableKey(r -> r.keyId(a));
        rs.rebootCluster(r -> r.clusterIdentifier("kc1"));
        waitFor(() -> cluster("kc1").clusterStatus().equals("available"));
        assertThat(ControlFixture.countAndSum(store("kc1"), "t")).containsExactly(before);
        // A snapshot taken before stays under the old key: it restores once that key is usable again.
        kms.enableKey(r -> r.keyId(a));
        rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier("kc1-r").snapshotIdentifier("kc1-before"));
        waitFor(() -> cluster("kc1-r").clusterStatus().equals("available"));
        assertThat(ControlFixture.countAndSum(store("kc1-r"), "t")).containsExactly(before);
        // Rotation works under the new key, and a new snapshot is under it.
        rs.rotateEncryptionKey(r -> r.clusterIdentifier("kc1"));
        waitFor(() -> cluster("kc1").clusterStatus().equals("available"));
        assertThat(ControlFixture.countAndSum(store("kc1"), "t")).containsExactly(before);
        rs.createClusterSnapshot(r -> r.clusterIdentifier("kc1").snapshotIdentifier("kc1-after"));
        waitFor(() -> rs.describeClusterSnapshots(r -> r.snapshotIdentifier("kc1-after"))
                .snapshots()
                .get(0)
                .status()
                .equals("available"));
        assertThat(rs.describeClusterSnapshots(r -> r.snapshotIdentifier("kc1-after"))
                        .snapshots()
                        .get(0)
                        .kmsKeyId())
                .isEqualTo(b);
    }

    @Test
    void refusals_matchCreateCluster_andChangeNothing() {
        String a = key("root c");
        create("kc2", a);
        String rsa = kms.createKey(r -> r.keySpec(KeySpec.RSA_2048).keyUsage(KeyUsageType.ENCRYPT_DECRYPT))
                .keyMetadata()
                .arn();
        assertThatThrownBy(
                        () -> rs.modifyCluster(r -> r.clusterIdentifier("kc2").kmsKeyId(rsa)))
                .isInstanceOfSatisfying(RedshiftException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterValue");
                    assertThat(e.getMessage()).contains("symmetric");
                });
        String off = key("off");
        kms.disableKey(r -> r.keyId(off));
        assertThatThrownBy(
                        () -> rs.modifyCluster(r -> r.clusterIdentifier("kc2").kmsKeyId(off)))
                .isInstanceOfSatisfying(
                        RedshiftException.class, e -> assertThat(e.getMessage()).contains("Disabled"));
        assertThatThrownBy(
                        () -> rs.modifyCluster(r -> r.clusterIdentifier("kc2").kmsKeyId("alias/no-such-key")))
                .isInstanceOfSatisfying(
                        RedshiftException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterValue"));
        String b = key("root d");
        assertThatThrownBy(() -> rs.modifyCluster(
                        r -> r.clusterIdentifier("kc2").kmsKeyId(b).numberOfNodes(3)))
                .isInstanceOfSatisfying(
                        RedshiftException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterCombination"));
        assertThatThrownBy(() -> rs.modifyCluster(
                        r -> r.clusterIdentifier("kc2").kmsKeyId(b).newClusterIdentifier("kc2-renamed")))
                .isInstanceOfSatisfying(RedshiftException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterCombination");
                    assertThat(e.getMessage()).contains("separate requests");
                });
        assertThatThrownBy(() -> rs.modifyCluster(
                        r -> r.clusterIdentifier("kc2").encrypted(false).kmsKeyId(b)))
                .isInstanceOfSatisfying(RedshiftException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterCombination");
                    assertThat(e.getMessage()).contains("takes no KMS key");
                });
        assertThat(cluster("kc2").kmsKeyId()).isEqualTo(a);
        assertThat(cluster("kc2").clusterStatus()).isEqualTo("available");
    }

    @ParameterizedTest
    @ValueSource(strings = {"granted", "switched"})
    void aCrashAtEitherStep_settlesAtRestart(String step) {
        String a = key("crash a " + step);
        String b = key("crash b " + step);
        String id = "kc-" + step;
        create(id, a);
        ControlFixture.writeTable(store(id), "t", 10_000);
        long[] before = ControlFixture.countAndSum(store(id), "t");
        f.jobHooks = (jobPoint, jobFile) -> {
            if (jobPoint instanceof JobPoint.Step(JobRecord job, String at)) {
                if (job.kind() == JobKind.CHANGE_ROOT_KEY && at.equals(step)) {
                    throw new SimulatedCrash(at);
                }
            }
        };
        try {
            rs.modifyCluster(r -> r.clusterIdentifier(id).kmsKeyId(b));
        } catch (SdkException crashed) {
            // The request's thread died where it stood, as in a crash.
        }
        f.jobHooks = FaultHook.NONE;
        f.restartControl();
        clients();
        waitFor(() -> cluster(id).clusterStatus().equals("available"));
        assertThat(ControlFixture.countAndSum(store(id), "t")).containsExactly(before);
        if (step.equals("granted")) {
            // Not yet in force: the cluster keeps its key, and the grant on the new key is gone.
            assertThat(cluster(id).kmsKeyId()).isEqualTo(a);
            assertThat(grantNames(b)).noneMatch(n -> n.startsWith("redshift-"));
            assertThat(grantNames(a)).anyMatch(n -> n.startsWith("redshift-"));
            assertThat(events(id)).anyMatch(m -> m.contains("was stopped by a restart before it took effect"));
        } else {
            // In force: completed at start, the old grant retired.
            assertThat(cluster(id).kmsKeyId()).isEqualTo(b);
            assertThat(grantNames(a)).noneMatch(n -> n.startsWith("redshift-"));
            assertThat(events(id)).anyMatch(m -> m.contains("moved from KMS key " + a + " to " + b));
        }
    }
}
