package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.control.snapshot.SnapshotPolicy;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.SnapshotStore;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
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
import software.amazon.awssdk.services.redshift.model.ClusterSnapshotNotFoundException;
import software.amazon.awssdk.services.redshift.model.Event;
import software.amazon.awssdk.services.redshift.model.InvalidTableRestoreArgumentException;
import software.amazon.awssdk.services.redshift.model.Snapshot;
import software.amazon.awssdk.services.redshift.model.SourceType;
import software.amazon.awssdk.services.redshift.model.TableRestoreStatus;
import software.amazon.awssdk.services.redshift.waiters.RedshiftWaiter;

/**
 * Issue 6 through the AWS SDK for Java v2: encrypted snapshots, restore under another key, BACKUP NO tables, table
 * restore (refused and working), automated snapshots on an injected clock, deletion freeing only unshared blocks,
 * and DeleteCluster with a final snapshot. Data is checked through the storage API of the running clusters (count
 * and sum of ids per table).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SnapshotSdkIT {
    static final String PASSWORD = "Passw0rdX";
    static final Instant START = Instant.parse("2025-03-01T12:00:00Z");

    final AtomicReference<Instant> now = new AtomicReference<>(START);
    ControlFixture f;
    RedshiftClient rs;
    KmsClient kms;
    String keyA;
    String keyB;

    @BeforeAll
    void start() throws Exception {
        InstantSource clock = now::get;
        f = new ControlFixture(clock, new SnapshotPolicy(Duration.ofHours(8), 1L << 40, Duration.ZERO));
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
        keyA = kms.createKey(r -> r.description("snap a")).keyMetadata().arn();
        keyB = kms.createKey(r -> r.description("snap b")).keyMetadata().arn();
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private Cluster create(String id, Boolean encrypted, String keyId) {
        return rs.createCluster(r -> {
                    r.clusterIdentifier(id)
                            .nodeType("ra3.xlplus")
                            .numberOfNodes(2)
                            .masterUsername("admin1")
                            .masterUserPassword(PASSWORD)
                            .encrypted(encrypted);
                    if (keyId != null) {
                        r.kmsKeyId(keyId);
                    }
                })
                .cluster();
    }

    private Store store(String id) {
        return f.control
                .running(f.admin.accountId(), "us-east-1", id)
                .orElseThrow()
                .store();
    }

    private Snapshot describe(String snapshotId) {
        return rs.describeClusterSnapshots(r -> r.snapshotIdentifier(snapshotId))
                .snapshots()
                .get(0);
    }

    private Path snapshotStore() {
        return f.dir.resolve("control/snapshots/us-east-1/store");
    }

    private long poolBlocks() {
        return SnapshotStore.open(snapshotStore()).poolBlockCount();
    }

    private RedshiftWaiter waiter() {
        return RedshiftWaiter.builder()
                .client(rs)
                .overrideConfiguration(WaiterOverrideConfiguration.builder()
                        .maxAttempts(3)
                        .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(200)))
                        .build())
                .build();
    }

    @Test
    @Order(1)
    void encryptedSnapshot_restoresUnderAnotherKey_sameRows_withoutBackupNoTables() {
        create("snap1", true, keyA);
        Store s = store("snap1");
        ControlFixture.writeTable(s, "t", 300_000);
        try (Transaction tx = s.begin()) {
            tx.createTable(
                    TableSpec.of("public", "scratch", ControlFixture.COLUMNS).withBackup(false));
            tx.commit();
        }
        long[] before = ControlFixture.countAndSum(s, "t");

        Snapshot created = rs.createClusterSnapshot(
                        r -> r.clusterIdentifier("snap1").snapshotIdentifier("s1"))
                .snapshot();
        assertThat(created.status()).isEqualTo("creating");
        assertThat(created.snapshotType()).isEqualTo("manual");
        waiter().waitUntilSnapshotAvailable(r -> r.snapshotIdentifier("s1"));
        Snapshot s1 = describe("s1");
        assertThat(s1.status()).isEqualTo("available");
        assertThat(s1.encrypted()).isTrue();
        assertThat(s1.kmsKeyId()).isEqualTo(keyA);
        assertThat(s1.encryptedWithHSM()).isFalse();
        assertThat(s1.totalBackupSizeInMegaBytes()).isPositive();
        assertThat(s1.actualIncrementalBackupSizeInMegaBytes()).isPositive();
        assertThat(s1.elapsedTimeInSeconds()).isNotNull();
        assertThat(s1.currentBackupRateInMegaBytesPerSecond()).isNotNull();

        Cluster restored = rs.restoreFromClusterSnapshot(r ->
                        r.clusterIdentifier("snap1-r").snapshotIdentifier("s1").kmsKeyId(keyB))
                .cluster();
        assertThat(restored.clusterStatus()).isEqualTo("creating");
        waiter().waitUntilClusterRestored(r -> r.clusterIdentifier("snap1-r"));
        Cluster r2 = rs.describeClusters(r -> r.clusterIdentifier("snap1-r"))
                .clusters()
                .get(0);
        assertThat(r2.encrypted()).isTrue();
        assertThat(r2.kmsKeyId()).isEqualTo(keyB);
        assertThat(r2.restoreStatus().status()).isEqualTo("completed");
        Store rstore = store("snap1-r");
        assertThat(rstore.storeId()).isNotEqualTo(s.storeId());
        assertThat(ControlFixture.countAndSum(rstore, "t")).containsExactly(before);
        try (io.strongroom.storage.Snapshot snap = rstore.snapshot()) {
            assertThat(snap.exists("scratch")).isFalse();
        }
        List<Event> events = rs.describeEvents(r -> r.sourceIdentifier("snap1-r")
                        .sourceType(SourceType.CLUSTER)
                        .startTime(START.minusSeconds(60)))
                .events();
        assertThat(events)
                .anySatisfy(e -> assertThat(e.message()).contains("BACKUP NO").contains("public.scratch"));
        assertThat(events).anySatisfy(e -> assertThat(e.message()).contains(keyB));
    }

    @Test
    @Order(2)
    void unencryptedSnapshot_restoresEncryptedWithAKey() {
        create("plain1", false, null);
        ControlFixture.writeTable(store("plain1"), "t", 5000);
        rs.createClusterSnapshot(r -> r.clusterIdentifier("plain1").snapshotIdentifier("p1"));
        assertThat(describe("p1").encrypted()).isFalse();
        assertThat(describe("p1").kmsKeyId()).isNull();
        rs.restoreFromClusterSnapshot(
                r -> r.clusterIdentifier("plain1-enc").snapshotIdentifier("p1").kmsKeyId(keyA));
        Cluster c = rs.describeClusters(r -> r.clusterIdentifier("plain1-enc"))
                .clusters()
                .get(0);
        assertThat(c.encrypted()).isTrue();
        assertThat(ControlFixture.countAndSum(store("plain1-enc"), "t"))
                .containsExactly(ControlFixture.countAndSum(store("plain1"), "t"));
    }

    @Test
    @Order(3)
    void tableRestore_works_andNeverOverwrites() {
        long[] before = ControlFixture.countAndSum(store("snap1"), "t");
        TableRestoreStatus st = rs.restoreTableFromClusterSnapshot(r -> r.clusterIdentifier("snap1")
                        .snapshotIdentifier("s1")
                        .sourceDatabaseName("dev")
                        .sourceTableName("t")
                        .newTableName("t_restored"))
                .tableRestoreStatus();
        assertThat(st.statusAsString()).isEqualTo("SUCCEEDED");
        assertThat(ControlFixture.countAndSum(store("snap1"), "t_restored")).containsExactly(before);
        assertThat(rs.describeTableRestoreStatus(r -> r.clusterIdentifier("snap1"))
                        .tableRestoreStatusDetails())
                .anySatisfy(t -> assertThat(t.tableRestoreRequestId()).isEqualTo(st.tableRestoreRequestId()));
        assertThatThrownBy(() -> rs.restoreTableFromClusterSnapshot(r -> r.clusterIdentifier("snap1")
                        .snapshotIdentifier("s1")
                        .sourceDatabaseName("dev")
                        .sourceTableName("t")
                        .newTableName("t_restored")))
                .isInstanceOf(InvalidTableRestoreArgumentException.class)
                .hasMessageContaining("already exists");
    }

    @Test
    @Order(4)
    void tableRestore_fromUnencryptedSnapshotIntoEncryptedCluster_isRefused() {
        create("mig1", false, null);
        ControlFixture.writeTable(store("mig1"), "t", 1000);
        rs.createClusterSnapshot(r -> r.clusterIdentifier("mig1").snapshotIdentifier("mig1-before"));
        rs.deleteCluster(r -> r.clusterIdentifier("mig1").skipFinalClusterSnapshot(true));
        create("mig1", true, keyA); // the same cluster, now encrypted (as after an encryption change)
        assertThatThrownBy(() -> rs.restoreTableFromClusterSnapshot(r -> r.clusterIdentifier("mig1")
                        .snapshotIdentifier("mig1-before")
                        .sourceDatabaseName("dev")
                        .sourceTableName("t")
                        .newTableName("t2")))
                .isInstanceOf(InvalidTableRestoreArgumentException.class)
                .hasMessageContaining("unencrypted snapshot")
                .hasMessageContaining("encrypted cluster");
    }

    @Test
    @Order(5)
    void deletingOneOfSeveralSnapshots_freesOnlyUnsharedBlocks() {
        Store s = store("snap1");
        long poolBefore = poolBlocks();
        try (Transaction tx = s.begin()) {
            RowBatch b = RowBatch.builder(ControlFixture.COLUMNS, 10);
            for (int i = 0; i < 10; i++) {
                b.addRow(1_000_000L + i, 1);
            }
            tx.append("public.t", b);
            tx.commit();
        }
        rs.createClusterSnapshot(r -> r.clusterIdentifier("snap1").snapshotIdentifier("s2"));
        Snapshot s2 = describe("s2");
        assertThat(s2.actualIncrementalBackupSizeInMegaBytes()).isLessThan(s2.totalBackupSizeInMegaBytes());
        long poolWithBoth = poolBlocks();
        assertThat(poolWithBoth).isGreaterThan(poolBefore);
        rs.deleteClusterSnapshot(r -> r.snapshotIdentifier("s1"));
        assertThatThrownBy(() -> describe("s1")).isInstanceOf(ClusterSnapshotNotFoundException.class);
        // s2 shares all of t's old blocks with s1: deleting s1 freed only what s2 does not list (t_restored is
        // in s2 too), so a restore of s2 still has every row.
        long[] now2 = ControlFixture.countAndSum(s, "t");
        rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier("snap1-r2").snapshotIdentifier("s2"));
        assertThat(ControlFixture.countAndSum(store("snap1-r2"), "t")).containsExactly(now2);
        assertThat(poolBlocks()).isLessThanOrEqualTo(poolWithBoth);
        rs.deleteCluster(r -> r.clusterIdentifier("snap1-r2").skipFinalClusterSnapshot(true));
    }

    @Test
    @Order(6)
    void automatedSnapshot_appearsAfterItsInterval_andGoesAfterItsRetention() {
        create("auto1", true, null);
        ControlFixture.writeTable(store("auto1"), "t", 2000);
        f.control.clusters().runSnapshotSchedule();
        assertThat(rs.describeClusterSnapshots(r -> r.clusterIdentifier("auto1").snapshotType("automated"))
                        .snapshots())
                .isEmpty();
        now.set(now.get().plus(Duration.ofHours(8)).plusSeconds(1));
        assertThat(f.control.clusters().runSnapshotSchedule()).isPositive();
        List<Snapshot> auto = rs.describeClusterSnapshots(
                        r -> r.clusterIdentifier("auto1").snapshotType("automated"))
                .snapshots();
        assertThat(auto).hasSize(1);
        assertThat(auto.get(0).snapshotIdentifier()).startsWith("rs:auto1-");
        assertThat(auto.get(0).encrypted()).isTrue();
        // Copy it to a manual snapshot; after the retention (1 day) the automated one goes, the copy stays.
        rs.copyClusterSnapshot(r ->
                r.sourceSnapshotIdentifier(auto.get(0).snapshotIdentifier()).targetSnapshotIdentifier("auto1-keep"));
        assertThat(describe("auto1-keep").snapshotType()).isEqualTo("manual");
        rs.modifyClusterSnapshot(r -> r.snapshotIdentifier("auto1-keep").manualSnapshotRetentionPeriod(30));
        assertThat(describe("auto1-keep").manualSnapshotRetentionPeriod()).isEqualTo(30);
        now.set(now.get().plus(Duration.ofDays(1)).plusSeconds(1));
        f.control.clusters().runSnapshotSchedule(); // takes a new automated one, drops the expired one
        assertThat(rs.describeClusterSnapshots(r -> r.clusterIdentifier("auto1").snapshotType("automated"))
                        .snapshots())
                .extracting(Snapshot::snapshotIdentifier)
                .doesNotContain(auto.get(0).snapshotIdentifier());
        assertThat(describe("auto1-keep").status()).isEqualTo("available");
    }

    @Test
    @Order(7)
    void deleteCluster_withFinalSnapshot_keepsARestorableSnapshot_andDropsAutomatedOnes() {
        long[] before = ControlFixture.countAndSum(store("auto1"), "t");
        Cluster c = rs.deleteCluster(r -> r.clusterIdentifier("auto1").finalClusterSnapshotIdentifier("auto1-final"))
                .cluster();
        assertThat(c.clusterStatus()).isEqualTo("final-snapshot");
        assertThatThrownBy(() -> rs.describeClusters(r -> r.clusterIdentifier("auto1")))
                .isInstanceOf(ClusterNotFoundException.class);
        assertThat(describe("auto1-final").status()).isEqualTo("available");
        assertThat(rs.describeClusterSnapshots(r -> r.snapshotType("automated")).snapshots())
                .noneMatch(s -> s.clusterIdentifier().equals("auto1"));
        rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier("auto1-back").snapshotIdentifier("auto1-final"));
        assertThat(ControlFixture.countAndSum(store("auto1-back"), "t")).containsExactly(before);
    }

    @Test
    @Order(8)
    void snapshotsSurviveARestart_andAHalfSnapshotIsMarkedFailed() throws Exception {
        // Simulate a crash while creating: a record left "creating" and a half image on disk.
        Path records = f.dir.resolve("control/snapshots/us-east-1/records");
        Path any = Files.list(records).findFirst().orElseThrow();
        String json = Files.readString(any)
                .replace("\"status\" : \"available\"", "\"status\" : \"creating\"")
                .replace("\"type\" : \"automated\"", "\"type\" : \"manual\"")
                .replaceAll("\"id\" : \"s-[0-9a-f]+\"", "\"id\" : \"s-halfhalfhalf\"")
                .replaceAll("\"identifier\" : \"[^\"]+\"", "\"identifier\" : \"half-one\"");
        Files.writeString(records.resolve("s-halfhalfhalf.json"), json);
        Files.createDirectories(snapshotStore().resolve("images/s-halfhalfhalf/catalog"));
        long[] before = ControlFixture.countAndSum(store("auto1-back"), "t");
        f.restartControl();
        rs = f.redshift(f.admin);
        assertThat(describe("half-one").status()).isEqualTo("failed");
        assertThat(snapshotStore().resolve("images/s-halfhalfhalf")).doesNotExist();
        assertThat(describe("auto1-final").status()).isEqualTo("available");
        rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier("auto1-again").snapshotIdentifier("auto1-final"));
        assertThat(ControlFixture.countAndSum(store("auto1-again"), "t")).containsExactly(before);
        rs.deleteClusterSnapshot(r -> r.snapshotIdentifier("half-one"));
    }
}
