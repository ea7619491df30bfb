package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.control.snapshot.SnapshotPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Parameter;

/**
 * The KMS-outage contract through the SDK: a key disabled on purpose stops the cluster at the next check (keys wiped,
 * inaccessible-encryption-credentials, event 3644) and a reboot brings it back once the key is enabled; a KMS that
 * cannot be reached starts a lease (parameter kms_lease_minutes) during which the cluster keeps serving, with events
 * at its start, at half time and when the KMS answers again, and the cluster stops when the lease runs out.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KmsOutageSdkIT {
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    ControlFixture f;
    RedshiftClient rs;
    KmsClient kms;

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture(now::get, SnapshotPolicy.DEFAULT);
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private String status(String id) {
        return rs.describeClusters(r -> r.clusterIdentifier(id))
                .clusters()
                .get(0)
                .clusterStatus();
    }

    private List<String> events(String id) {
        return rs
                .describeEvents(
                        r -> r.sourceIdentifier(id).sourceType("cluster").duration(24 * 60 * 7))
                .events()
                .stream()
                .map(e -> e.eventId())
                .toList();
    }

    private void create(String id, String key, String group) {
        rs.createCluster(r -> r.clusterIdentifier(id)
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .kmsKeyId(key)
                .clusterParameterGroupName(group));
        ControlFixture.writeTable(
                f.control
                        .running(f.admin.accountId(), "us-east-1", id)
                        .orElseThrow()
                        .store(),
                "t",
                1_000);
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
    void keyDisabledOnPurpose_stopsTheClusterAtTheNextCheck_rebootBringsItBack() {
        String key =
                kms.createKey(r -> r.description("revocable")).keyMetadata().arn();
        create("revoked1", key, "default.redshift-1.0");
        assertThat(f.control.clusters().checkKms()).isZero();

        kms.disableKey(r -> r.keyId(key));
        assertThat(f.control.clusters().checkKms()).isEqualTo(1);
        assertThat(status("revoked1")).isEqualTo("inaccessible-encryption-credentials");
        assertThat(f.control.running(f.admin.accountId(), "us-east-1", "revoked1"))
                .as("keys wiped, nothing served")
                .isEmpty();
        assertThat(events("revoked1")).contains("REDSHIFT-EVENT-3644");

        kms.enableKey(r -> r.keyId(key));
        rs.rebootCluster(r -> r.clusterIdentifier("revoked1"));
        assertThat(status("revoked1")).isEqualTo("available");
        assertThat(rows("revoked1")).isEqualTo(1_000);
    }

    @Test
    void kmsUnreachable_leaseKeepsServing_eventsAtStartHalfAndBack_stopsWhenItRunsOut() {
        String key = kms.createKey(r -> r.description("leased")).keyMetadata().arn();
        rs.createClusterParameterGroup(r -> r.parameterGroupName("short-lease")
                .parameterGroupFamily("redshift-1.0")
                .description("one hour"));
        rs.modifyClusterParameterGroup(r -> r.parameterGroupName("short-lease")
                .parameters(Parameter.builder()
                        .parameterName("kms_lease_minutes")
                        .parameterValue("60")
                        .build()));
        create("leased1", key, "short-lease");

        // Down, then back within the lease: serving throughout, an event each way.
        f.stopKms();
        assertThat(f.control.clusters().checkKms()).isZero();
        assertThat(events("leased1")).contains("REDSHIFT-EVENT-3640");
        assertThat(status("leased1")).isEqualTo("available");
        assertThat(rows("leased1")).isEqualTo(1_000);
        f.startKms();
        assertThat(f.control.clusters().checkKms()).isZero();
        assertThat(events("leased1")).contains("REDSHIFT-EVENT-3641");

        // Down for longer than the lease.
        f.stopKms();
        try {
            assertThat(f.control.clusters().checkKms()).isZero();
            now.set(now.get().plus(Duration.ofMinutes(31)));
            assertThat(f.control.clusters().checkKms()).isZero();
            assertThat(events("leased1")).contains("REDSHIFT-EVENT-3642");
            assertThat(rows("leased1")).isEqualTo(1_000);
            now.set(now.get().plus(Duration.ofMinutes(30)));
            assertThat(f.control.clusters().checkKms()).isEqualTo(1);
            assertThat(status("leased1")).isEqualTo("inaccessible-encryption-credentials");
            assertThat(events("leased1")).contains("REDSHIFT-EVENT-3643");
            assertThat(f.control.running(f.admin.accountId(), "us-east-1", "leased1"))
                    .isEmpty();
        } finally {
            f.startKms();
        }
        rs.rebootCluster(r -> r.clusterIdentifier("leased1"));
        assertThat(status("leased1")).isEqualTo("available");
        assertThat(rows("leased1")).isEqualTo(1_000);
    }
}
