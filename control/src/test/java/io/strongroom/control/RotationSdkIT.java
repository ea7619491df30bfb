package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.control.keyvault.KeyVault;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.storage.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.ClusterNotFoundException;
import software.amazon.awssdk.services.redshift.model.Event;
import software.amazon.awssdk.services.redshift.model.RedshiftException;
import software.amazon.awssdk.services.redshift.model.SourceType;
import software.amazon.awssdk.services.redshift.waiters.RedshiftWaiter;

/**
 * Issue 7 through the AWS SDK for Java v2: RotateEncryptionKey keeps every row, shows rotating-keys then available
 * with start and end events, asks the KMS for a new data key with the cluster's frozen encryption context, keeps
 * snapshots taken before it restorable (twice rotated), survives a reboot, serves queries throughout, and refuses
 * unencrypted clusters and snapshots whose cluster is gone. Data is checked through the storage API of the running
 * clusters (count and sum of ids).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RotationSdkIT {
    static final String PASSWORD = "Passw0rdX";

    ControlFixture f;
    RedshiftClient rs;
    final Instant start = Instant.now().minusSeconds(60);

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        rs = f.redshift(f.admin);
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private Cluster create(String id, boolean encrypted) {
        return rs.createCluster(r -> r.clusterIdentifier(id)
                        .nodeType("ra3.xlplus")
                        .numberOfNodes(2)
                        .masterUsername("admin1")
                        .masterUserPassword(PASSWORD)
                        .encrypted(encrypted))
                .cluster();
    }

    private Store store(String id) {
        return f.control
                .running(f.admin.accountId(), "us-east-1", id)
                .orElseThrow()
                .store();
    }

    private Cluster describe(String id) {
        return rs.describeClusters(r -> r.clusterIdentifier(id)).clusters().get(0);
    }

    private RedshiftWaiter waiter() {
        return RedshiftWaiter.builder()
                .client(rs)
                .overrideConfiguration(WaiterOverrideConfiguration.builder()
                        .maxAttempts(300)
                        .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(200)))
                        .build())
                .build();
    }

    /** Polls until the cluster is available again; returns every ModifyStatus seen on the way. */
    private List<String> awaitRotated(String id) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            Cluster c = describe(id);
            if (c.modifyStatus() != null) {
                seen.add(c.modifyStatus());
            }
            if (c.clusterStatus().equals("available")) {
                return seen;
            }
            assertThat(c.clusterStatus()).isEqualTo("rotating-keys");
            Thread.sleep(20);
        }
        throw new AssertionError("cluster " + id + " did not finish rotating");
    }

    private List<Event> events(String id) {
        return rs.describeEvents(r ->
                        r.sourceIdentifier(id).sourceType(SourceType.CLUSTER).startTime(start))
                .events();
    }

    private List<AuditRecord> generateDataKeys(String clusterName) {
        return f.audit().query(AuditQuery.all().withEventName("GenerateDataKey").withContextValue(clusterName));
    }

    private long vaultFiles(String suffix) throws Exception {
        try (Stream<Path> s = Files.list(f.dir.resolve("control/keyvault"))) {
            return s.filter(p -> p.toString().endsWith(suffix)).count();
        }
    }

    @Test
    @Order(1)
    void rotate_keepsData_newDataKeyWithContext_snapshotsStillRestore_queriesNeverFail() throws Exception {
        create("rot1", true);
        Store s = store("rot1");
        ControlFixture.writeTable(s, "t", 300_000);
        long[] before = ControlFixture.countAndSum(s, "t");
        rs.createClusterSnapshot(r -> r.clusterIdentifier("rot1").snapshotIdentifier("rot1-before"));
        waiter().waitUntilSnapshotAvailable(r -> r.snapshotIdentifier("rot1-before"));
        List<AuditRecord> gdkBefore = generateDataKeys("rot1");
        assertThat(gdkBefore).hasSize(1);

        // Queries run throughout, against whatever store the cluster serves.
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger queries = new AtomicInteger();
        Thread reader = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                try {
                    assertThat(ControlFixture.countAndSum(store("rot1"), "t")).containsExactly(before);
                    queries.incrementAndGet();
                } catch (Throwable t) {
                    failures.add(t);
                    return;
                }
            }
        });
        Cluster c;
        List<String> progress;
        try {
            c = rs.rotateEncryptionKey(r -> r.clusterIdentifier("rot1")).cluster();
            assertThat(c.clusterStatus()).isEqualTo("rotating-keys");
            assertThat(c.clusterAvailabilityStatus()).isEqualTo("Modifying");
            progress = awaitRotated("rot1");
        } finally {
            stop.set(true);
            reader.join();
        }
        assertThat(failures).isEmpty();
        assertThat(queries.get()).isPositive();
        assertThat(progress).allSatisfy(p -> assertThat(p).startsWith("rotating-keys"));
        assertThat(ControlFixture.countAndSum(store("rot1"), "t")).containsExactly(before);
        assertThat(store("rot1").currentKeyVersion()).isEqualTo(2);

        // The audit shows the new data key request, by the service, with the cluster's original context.
        List<AuditRecord> gdk = generateDataKeys("rot1");
        assertThat(gdk).hasSize(2);
        assertThat(gdk.get(1).encryptionContext()).isEqualTo(gdkBefore.get(0).encryptionContext());
        assertThat(gdk.get(1).encryptionContext().get("aws:redshift:arn")).endsWith(":cluster:rot1");

        List<Event> ev = events("rot1");
        assertThat(ev).anySatisfy(e -> assertThat(e.eventId()).isEqualTo("REDSHIFT-EVENT-3620"));
        assertThat(ev).anySatisfy(e -> {
            assertThat(e.eventId()).isEqualTo("REDSHIFT-EVENT-3622");
            assertThat(e.message()).contains("1 snapshot key envelopes rewrapped");
        });
        assertThat(vaultFiles(".pending")).isZero();

        // The snapshot taken before the rotation still restores, with the same rows.
        rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier("rot1-r").snapshotIdentifier("rot1-before"));
        waiter().waitUntilClusterRestored(r -> r.clusterIdentifier("rot1-r"));
        assertThat(ControlFixture.countAndSum(store("rot1-r"), "t")).containsExactly(before);

        // A reboot reloads the new keys through the KMS.
        rs.rebootCluster(r -> r.clusterIdentifier("rot1"));
        assertThat(describe("rot1").clusterStatus()).isEqualTo("available");
        assertThat(ControlFixture.countAndSum(store("rot1"), "t")).containsExactly(before);

        // A second rotation: the snapshot's DEK (v1) moves under CEK v3; writes after the first one survive.
        ControlFixture.writeTable(store("rot1"), "u", 1_000);
        long[] u = ControlFixture.countAndSum(store("rot1"), "u");
        rs.rotateEncryptionKey(r -> r.clusterIdentifier("rot1"));
        awaitRotated("rot1");
        assertThat(store("rot1").currentKeyVersion()).isEqualTo(3);
        assertThat(ControlFixture.countAndSum(store("rot1"), "t")).containsExactly(before);
        assertThat(ControlFixture.countAndSum(store("rot1"), "u")).containsExactly(u);
        rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier("rot1-r2").snapshotIdentifier("rot1-before"));
        waiter().waitUntilClusterRestored(r -> r.clusterIdentifier("rot1-r2"));
        assertThat(ControlFixture.countAndSum(store("rot1-r2"), "t")).containsExactly(before);

        // A restart of the control plane brings the rotated cluster up.
        f.restartControl();
        rs = f.redshift(f.admin);
        assertThat(describe("rot1").clusterStatus()).isEqualTo("available");
        assertThat(ControlFixture.countAndSum(store("rot1"), "u")).containsExactly(u);
    }

    @Test
    @Order(2)
    void rotate_ofADeletedClustersSnapshots_isRefusedClearly() {
        create("rot2", true);
        rs.createClusterSnapshot(r -> r.clusterIdentifier("rot2").snapshotIdentifier("rot2-orphan"));
        waiter().waitUntilSnapshotAvailable(r -> r.snapshotIdentifier("rot2-orphan"));
        rs.deleteCluster(r -> r.clusterIdentifier("rot2").skipFinalClusterSnapshot(true));
        assertThatThrownBy(() -> rs.rotateEncryptionKey(r -> r.clusterIdentifier("rot2")))
                .isInstanceOf(ClusterNotFoundException.class)
                .hasMessageContaining("rot2-orphan")
                .hasMessageContaining("cannot be rotated");
        assertThatThrownBy(() -> rs.rotateEncryptionKey(r -> r.clusterIdentifier("never-was")))
                .isInstanceOf(ClusterNotFoundException.class);
    }

    @Test
    @Order(3)
    void rotate_ofAnUnencryptedCluster_isRefused() {
        create("rot3", false);
        assertThatThrownBy(() -> rs.rotateEncryptionKey(r -> r.clusterIdentifier("rot3")))
                .isInstanceOf(RedshiftException.class)
                .satisfies(e -> assertThat(
                                ((RedshiftException) e).awsErrorDetails().errorCode())
                        .isEqualTo("UnsupportedOperation"))
                .hasMessageContaining("not encrypted");
        assertThat(describe("rot3").clusterStatus()).isEqualTo("available");
    }

    private Set<String> vaultIds() throws Exception {
        try (Stream<Path> s = Files.list(f.dir.resolve("control/keyvault"))) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".vault"))
                    .map(n -> n.substring(0, n.length() - ".vault".length()))
                    .collect(Collectors.toSet());
        }
    }

    private static void copyDir(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(to)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName().toString()));
            }
        }
    }

    private void restart() {
        f.restartControl();
        rs = f.redshift(f.admin);
    }

    /**
     * The two states a crash can leave, rebuilt on disk exactly: (1) the new keys stored as pending but nothing
     * committed under them: the restart rolls back; (2) the store switched to the new DEK but neither the snapshot
     * envelopes nor the vault were finished: the restart completes the rotation.
     */
    @Test
    @Order(4)
    void restartMidRotation_completesOrRollsBack_asTheStoreCommitted() throws Exception {
        Set<String> known = vaultIds();
        create("rot4", true);
        Set<String> now = new HashSet<>(vaultIds());
        now.removeAll(known);
        String id = now.iterator().next();
        ControlFixture.writeTable(store("rot4"), "t", 50_000);
        long[] before = ControlFixture.countAndSum(store("rot4"), "t");
        rs.createClusterSnapshot(r -> r.clusterIdentifier("rot4").snapshotIdentifier("rot4-s"));
        waiter().waitUntilSnapshotAvailable(r -> r.snapshotIdentifier("rot4-s"));
        Path vaultDir = f.dir.resolve("control/keyvault");
        Path records = f.dir.resolve("control/snapshots/us-east-1/records");

        // (1) Crash after the pending entry was stored, before the store switched.
        f.control.close();
        KeyVault kv = KeyVault.open(vaultDir);
        VaultEntry v1 = kv.get(id).orElseThrow();
        kv.putPending(new VaultEntry(
                id,
                v1.rootKeyArn(),
                v1.grantId(),
                v1.context(),
                v1.cekVersion() + 1,
                v1.wrappedCek(),
                v1.dekVersion() + 1,
                v1.wrappedDek(),
                v1.createdAt()));
        restart();
        assertThat(describe("rot4").clusterStatus()).isEqualTo("available");
        assertThat(ControlFixture.countAndSum(store("rot4"), "t")).containsExactly(before);
        assertThat(vaultFiles(".pending")).isZero();
        assertThat(events("rot4")).anySatisfy(e -> assertThat(e.message()).contains("rolled back"));
        assertThat(kv.get(id).orElseThrow().dekVersion()).isEqualTo(v1.dekVersion());

        // (2) Crash after the store switched, before snapshots and the vault were finished.
        Path savedRecords = f.dir.resolve("saved-records");
        copyDir(records, savedRecords);
        rs.rotateEncryptionKey(r -> r.clusterIdentifier("rot4"));
        awaitRotated("rot4");
        f.control.close();
        VaultEntry v2 = kv.get(id).orElseThrow();
        assertThat(v2.dekVersion()).isGreaterThan(v1.dekVersion());
        kv.putPending(v2);
        kv.put(v1);
        copyDir(savedRecords, records);
        restart();
        assertThat(describe("rot4").clusterStatus()).isEqualTo("available");
        assertThat(ControlFixture.countAndSum(store("rot4"), "t")).containsExactly(before);
        assertThat(store("rot4").currentKeyVersion()).isEqualTo(v2.dekVersion());
        assertThat(vaultFiles(".pending")).isZero();
        assertThat(kv.get(id).orElseThrow().cekVersion()).isEqualTo(v2.cekVersion());
        assertThat(events("rot4"))
                .anySatisfy(e -> assertThat(e.message())
                        .contains("completed at restart")
                        .contains("1 snapshot key envelopes rewrapped"));
        rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier("rot4-r").snapshotIdentifier("rot4-s"));
        waiter().waitUntilClusterRestored(r -> r.clusterIdentifier("rot4-r"));
        assertThat(ControlFixture.countAndSum(store("rot4-r"), "t")).containsExactly(before);
    }

    /** Rotation of the root key inside the KMS keeps the cluster (and a later cluster key rotation) working. */
    @Test
    @Order(5)
    void rootKeyRotationInTheKms_keepsTheClusterWorkingAcrossReboots() throws Exception {
        KmsClient kms = f.kmsThroughControl(f.admin);
        String key = kms.createKey(r -> r.description("rot5")).keyMetadata().arn();
        rs.createCluster(r -> r.clusterIdentifier("rot5")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword(PASSWORD)
                .encrypted(true)
                .kmsKeyId(key));
        ControlFixture.writeTable(store("rot5"), "t", 20_000);
        long[] before = ControlFixture.countAndSum(store("rot5"), "t");
        kms.enableKeyRotation(r -> r.keyId(key));
        kms.rotateKeyOnDemand(r -> r.keyId(key));
        rs.rebootCluster(r -> r.clusterIdentifier("rot5"));
        assertThat(describe("rot5").clusterStatus()).isEqualTo("available");
        assertThat(ControlFixture.countAndSum(store("rot5"), "t")).containsExactly(before);
        rs.rotateEncryptionKey(r -> r.clusterIdentifier("rot5"));
        awaitRotated("rot5");
        kms.rotateKeyOnDemand(r -> r.keyId(key));
        restart();
        assertThat(describe("rot5").clusterStatus()).isEqualTo("available");
        assertThat(ControlFixture.countAndSum(store("rot5"), "t")).containsExactly(before);
    }
}
