package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.jobs.JobState;
import io.strongroom.control.keys.CoverageJobs;
import io.strongroom.control.keys.CoverageReport;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.DescribeResizeResponse;
import software.amazon.awssdk.services.redshift.model.Event;
import software.amazon.awssdk.services.redshift.model.InvalidClusterSnapshotStateException;
import software.amazon.awssdk.services.redshift.model.InvalidClusterStateException;
import software.amazon.awssdk.services.redshift.model.ResizeNotFoundException;
import software.amazon.awssdk.services.redshift.model.Snapshot;
import software.amazon.awssdk.services.redshift.model.SourceType;
import software.amazon.awssdk.services.redshift.model.TableRestoreStatus;

/**
 * Long operations as jobs, through the AWS SDK: a restore, a resize, a snapshot and a table restore answer at once
 * and show live progress in the API's own fields while they run (held mid-way by a job hook, no timings); the cluster
 * is held against other operations meanwhile; and a crash at each recorded step of a restore, a table restore and a
 * resize (a simulated one: the job thread dies where it stands, then the control plane restarts on the same data)
 * ends with the operation finished or rolled back, data intact, no temporary grant left, and events saying what
 * happened.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobsSdkIT {
    static final String PASSWORD = "Passw0rdX";
    static final List<Column> COLUMNS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.BIGINT));
    static final int ROWS = 600_000;

    ControlFixture f;
    RedshiftClient rs;
    KmsClient kms;
    String key;

    /** A simulated crash: an Error, which the job engine does not treat as a failure to undo. */
    static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(String where) {
            super("simulated crash at " + where);
        }
    }

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
        key = kms.createKey(r -> r.description("jobs")).keyMetadata().arn();
        create("src");
        writeRandom(store("src"), "a", ROWS, 1);
        writeRandom(store("src"), "b", ROWS, 2);
        rs.createClusterSnapshot(r -> r.clusterIdentifier("src").snapshotIdentifier("base"));
        waitFor(() -> snapshot("base").status().equals("available"), "snapshot base available");
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

    private void create(String id) {
        rs.createCluster(r -> r.clusterIdentifier(id)
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword(PASSWORD)
                .encrypted(true)
                .kmsKeyId(key));
        waitFor(() -> cluster(id).clusterStatus().equals("available"), id + " available");
    }

    /** Restarts the control plane on the same data; its endpoint port changes, so the clients are made again. */
    private void restart() {
        f.restartControl();
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
    }

    private Store store(String id) {
        return f.control
                .running(f.admin.accountId(), "us-east-1", id)
                .orElseThrow()
                .store();
    }

    private Cluster cluster(String id) {
        return rs.describeClusters(r -> r.clusterIdentifier(id)).clusters().get(0);
    }

    private Snapshot snapshot(String id) {
        return rs.describeClusterSnapshots(r -> r.snapshotIdentifier(id))
                .snapshots()
                .get(0);
    }

    /** Random values (incompressible), so that the tables are some megabytes and progress shows in whole MB. */
    static void writeRandom(Store store, String name, int rows, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (Transaction tx = store.begin()) {
            tx.createTable(TableSpec.of("public", name, COLUMNS));
            RowBatch b = RowBatch.builder(COLUMNS, rows);
            for (int i = 0; i < rows; i++) {
                b.addRow((long) i, random.nextLong());
            }
            tx.append("public." + name, b);
            tx.commit();
        }
    }

    /** Polls until {@code done} holds; not a timing assertion, only a generous bound against a hang. */
    static void waitFor(BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static void await(CountDownLatch l, String what) throws InterruptedException {
        assertThat(l.await(120, TimeUnit.SECONDS)).as(what).isTrue();
    }

    /** Hooks that hold the first job of {@code kind} once it is part-way, until released. */
    private static final class Hold implements FaultHook {
        final JobKind kind;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        Hold(JobKind kind) {
            this.kind = kind;
        }

        @Override
        public void at(FaultPoint point, @Nullable Path file) {
            if (!(point instanceof JobPoint.Progress(Job job))) {
                return;
            }
            Job.Progress p = job.progress();
            if (job.kind() == kind && p.doneBytes() > 0 && p.doneBytes() < p.totalBytes() && reached.getCount() > 0) {
                reached.countDown();
                try {
                    release.await(120, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Hooks that crash the first job of {@code kind} when it records {@code step} (or makes progress, for "progress"). */
    private static final class CrashAt implements FaultHook {
        final JobKind kind;
        final String step;
        final AtomicBoolean crashed = new AtomicBoolean();

        CrashAt(JobKind kind, String step) {
            this.kind = kind;
            this.step = step;
        }

        @Override
        public void at(FaultPoint point, @Nullable Path file) {
            switch (point) {
                case JobPoint.Step(JobRecord job, String at) -> onStep(job, at);
                case JobPoint.Progress(Job job) -> onProgress(job);
                default -> {}
            }
        }

        private void onStep(JobRecord job, String at) {
            if (job.kind() == kind && at.equals(step) && crashed.compareAndSet(false, true)) {
                throw new SimulatedCrash(kind + " " + at);
            }
        }

        private void onProgress(Job job) {
            Job.Progress p = job.progress();
            if (job.kind() == kind
                    && step.equals("progress")
                    && p.doneBytes() > 0
                    && p.doneBytes() < p.totalBytes()
                    && crashed.compareAndSet(false, true)) {
                throw new SimulatedCrash(kind + " mid-way");
            }
        }
    }

    private long[] sums(String cluster) {
        long[] a = ControlFixture.countAndSum(store(cluster), "a");
        long[] b = ControlFixture.countAndSum(store(cluster), "b");
        return new long[] {a[0], a[1], b[0], b[1]};
    }

    private List<String> leftoverRestoreGrants() {
        return kms.listGrants(r -> r.keyId(key)).grants().stream()
                .map(g -> g.name())
                .filter(n -> n != null && n.startsWith("redshift-restore-"))
                .toList();
    }

    private List<String> events(String source) {
        return rs
                .describeEvents(r -> r.sourceIdentifier(source)
                        .sourceType(SourceType.CLUSTER)
                        .duration(600))
                .events()
                .stream()
                .map(Event::message)
                .toList();
    }

    @Test
    void coverageReport_isAJob_answersAtOnceWithProgress_thenTheReport_andPollsJoinIt() throws Exception {
        Hold hold = new Hold(JobKind.COVERAGE_REPORT);
        f.jobHooks = hold;
        CoverageJobs.Status first = f.control.clusters().coverage(f.admin, "us-east-1", "src", true);
        await(hold.reached, "the coverage report part-way");
        String jobId = first.jobId();
        try {
            assertThat(first.state()).isEqualTo(JobState.RUNNING);
            assertThat(first.report()).as("no report was made before this one").isNull();
            // A poll joins the running job rather than starting another; so does a refresh while it runs.
            CoverageJobs.Status poll = f.control.clusters().coverage(f.admin, "us-east-1", "src", false);
            assertThat(poll.jobId()).isEqualTo(jobId);
            assertThat(poll.state()).isEqualTo(JobState.RUNNING);
            assertThat(poll.done()).isPositive().isLessThan(poll.total());
            // src has tables a and b and snapshot base (and the snapshots other tests took): items to read.
            assertThat(poll.total()).isGreaterThanOrEqualTo(3);
            assertThat(f.control
                            .clusters()
                            .coverage(f.admin, "us-east-1", "src", true)
                            .jobId())
                    .isEqualTo(jobId);
        } finally {
            hold.release.countDown();
        }
        waitFor(
                () -> f.control
                                .clusters()
                                .coverage(f.admin, "us-east-1", "src", false)
                                .state()
                        == JobState.SUCCEEDED,
                "the coverage report done");
        CoverageJobs.Status done = f.control.clusters().coverage(f.admin, "us-east-1", "src", false);
        assertThat(done.report()).isNotNull();
        assertThat(done.generatedAt()).isNotNull();
        assertThat(done.report().fullyEncrypted()).isTrue();
        assertThat(done.report().tables())
                .extracting(CoverageReport.TableRow::table)
                .contains("public.a", "public.b"); // and what other tests restored into src
        assertThat(done.report().snapshots())
                .extracting(CoverageReport.SnapshotRow::identifier)
                .contains("base");
        // Each snapshot's manifests were opened under its own keys and reconciled with its block files.
        assertThat(done.report().snapshots()).allSatisfy(sn -> {
            assertThat(sn.reconciliation()).isNull();
            assertThat(sn.reconciledBlocks()).isPositive();
        });
        // Without a refresh the newest report answers, with no job; a refresh makes a new one.
        assertThat(done.jobId()).isEmpty();
        String next =
                f.control.clusters().coverage(f.admin, "us-east-1", "src", true).jobId();
        assertThat(next).isNotEmpty().isNotEqualTo(jobId);
    }

    @Test
    void restore_answersAtOnce_showsLiveProgress_holdsItsCluster_andSharesTheBlocks() throws Exception {
        long[] before = sums("src");
        Hold hold = new Hold(JobKind.RESTORE_CLUSTER);
        f.jobHooks = hold;
        Cluster answer = rs.restoreFromClusterSnapshot(
                        r -> r.clusterIdentifier("r1").snapshotIdentifier("base"))
                .cluster();
        assertThat(answer.clusterStatus()).isEqualTo("creating");
        await(hold.reached, "the restore part-way");
        try {
            Cluster mid = cluster("r1");
            assertThat(mid.clusterStatus()).isEqualTo("creating");
            assertThat(mid.restoreStatus().status()).isEqualTo("restoring");
            assertThat(mid.restoreStatus().snapshotSizeInMegaBytes()).isPositive();
            assertThat(mid.restoreStatus().progressInMegaBytes())
                    .isLessThan(mid.restoreStatus().snapshotSizeInMegaBytes());
            assertThat(mid.restoreStatus().elapsedTimeInSeconds()).isNotNegative();
            assertThatThrownBy(() -> rs.rebootCluster(r -> r.clusterIdentifier("r1")))
                    .isInstanceOf(InvalidClusterStateException.class)
                    .hasMessageContaining("restore from snapshot");
            assertThatThrownBy(() -> rs.deleteClusterSnapshot(r -> r.snapshotIdentifier("base")))
                    .isInstanceOf(InvalidClusterSnapshotStateException.class)
                    .hasMessageContaining("being restored");
            assertThat(leftoverRestoreGrants()).hasSize(1); // the job's temporary grant, while it runs
        } finally {
            hold.release.countDown();
        }
        waitFor(() -> cluster("r1").clusterStatus().equals("available"), "r1 available");
        assertThat(cluster("r1").restoreStatus().status()).isEqualTo("completed");
        assertThat(sums("r1")).containsExactly(before);
        // The restored store reads the snapshot's own block files in the pool, never copies; a pin keeps them.
        try (Stream<Path> files = Files.walk(store("r1").root())) {
            assertThat(files.filter(p -> p.toString().endsWith(".blk"))).isEmpty();
        }
        String r1 = f.control.allClusters().stream()
                .filter(c -> c.record().identifier().equals("r1"))
                .findFirst()
                .orElseThrow()
                .record()
                .id();
        Path pin = f.dir.resolve("control/snapshots/us-east-1/store/images/pin-" + r1);
        assertThat(pin.resolve("COMPLETE")).exists();
        assertThat(leftoverRestoreGrants()).isEmpty();
        // Writes go on in the restored cluster, and a reboot reads both kinds of block.
        writeRandom(store("r1"), "c", 1000, 3);
        rs.rebootCluster(r -> r.clusterIdentifier("r1"));
        waitFor(() -> cluster("r1").clusterStatus().equals("available"), "r1 rebooted");
        assertThat(sums("r1")).containsExactly(before);
        assertThat(ControlFixture.countAndSum(store("r1"), "c")[0]).isEqualTo(1000);
        // Deleting the restored cluster releases the pin.
        rs.deleteCluster(r -> r.clusterIdentifier("r1").skipFinalClusterSnapshot(true));
        waitFor(() -> !Files.exists(pin), "the pin released");
    }

    @ParameterizedTest
    @ValueSource(strings = {"accepted", "ready", "progress", "store", "record-saved", "committed"})
    void restore_crashAtEachStep_thenRestart_resumesOrRollsBack(String step) throws Exception {
        long[] before = sums("src");
        String id = "rc-" + step;
        CrashAt crash = new CrashAt(JobKind.RESTORE_CLUSTER, step);
        f.jobHooks = crash;
        try {
            rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier(id).snapshotIdentifier("base"));
        } catch (SdkException requestCrashed) {
            // A crash on the request thread ("accepted", "ready") loses the answer, as a real one would.
        }
        waitFor(crash.crashed::get, "the crash at " + step);
        f.jobHooks = FaultHook.NONE;
        restart();
        if (step.equals("accepted")) {
            // Nothing was made yet: rolled back, and said so.
            assertThat(f.control.allClusters())
                    .noneMatch(c -> c.record().identifier().equals(id));
            assertThat(events(id)).anyMatch(m -> m.contains("rolled back"));
        } else {
            waitFor(() -> cluster(id).clusterStatus().equals("available"), id + " available after restart");
            assertThat(sums(id)).containsExactly(before);
            if (!step.equals("committed") && !step.equals("record-saved")) {
                assertThat(events(id)).anyMatch(m -> m.contains("resumed after a restart"));
            } else {
                // Past the commit point nothing is built again: the cluster came up as it was.
                assertThat(events(id)).noneMatch(m -> m.contains("resumed after a restart"));
            }
        }
        waitFor(() -> leftoverRestoreGrants().isEmpty(), "temporary grants retired");
        assertThat(f.control.allClusters()).noneMatch(c -> c.status().wireName().equals("creating"));
    }

    @Test
    void tableRestore_crashMidCopy_resumesAfterRestart_andItsHistorySurvivesRestarts() throws Exception {
        long[] before = ControlFixture.countAndSum(store("src"), "a");
        CrashAt crash = new CrashAt(JobKind.RESTORE_TABLE, "progress");
        f.jobHooks = crash;
        TableRestoreStatus st = rs.restoreTableFromClusterSnapshot(r -> r.clusterIdentifier("src")
                        .snapshotIdentifier("base")
                        .sourceDatabaseName("dev")
                        .sourceTableName("a")
                        .newTableName("a_back"))
                .tableRestoreStatus();
        waitFor(crash.crashed::get, "the crash");
        f.jobHooks = FaultHook.NONE;
        restart();
        waitFor(
                () -> rs.describeTableRestoreStatus(r -> r.tableRestoreRequestId(st.tableRestoreRequestId()))
                        .tableRestoreStatusDetails()
                        .get(0)
                        .statusAsString()
                        .equals("SUCCEEDED"),
                "the table restore to finish");
        assertThat(ControlFixture.countAndSum(store("src"), "a_back")).containsExactly(before);
        restart();
        waitFor(() -> cluster("src").clusterStatus().equals("available"), "src back");
        TableRestoreStatus after =
                rs.describeTableRestoreStatus(r -> r.clusterIdentifier("src")).tableRestoreStatusDetails().stream()
                        .filter(t -> t.tableRestoreRequestId().equals(st.tableRestoreRequestId()))
                        .findFirst()
                        .orElseThrow();
        assertThat(after.statusAsString()).isEqualTo("SUCCEEDED");
        assertThat(after.totalDataInMegaBytes()).isEqualTo(after.progressInMegaBytes());
        assertThat(leftoverRestoreGrants()).isEmpty();
    }

    @Test
    void resize_showsDataTransferProgress_thenAfterACrashResumesAndFinishes() throws Exception {
        create("rz");
        writeRandom(store("rz"), "a", ROWS, 1);
        writeRandom(store("rz"), "b", ROWS, 2);
        long[] before = sums("rz");
        assertThatThrownBy(() -> rs.describeResize(r -> r.clusterIdentifier("rz")))
                .isInstanceOf(ResizeNotFoundException.class);
        Hold hold = new Hold(JobKind.RESIZE_CLUSTER);
        f.jobHooks = hold;
        Cluster answer = rs.resizeCluster(r -> r.clusterIdentifier("rz").numberOfNodes(3))
                .cluster();
        assertThat(answer.clusterStatus()).isEqualTo("resizing");
        await(hold.reached, "the resize part-way");
        try {
            Cluster mid = cluster("rz");
            assertThat(mid.clusterStatus()).isEqualTo("resizing");
            assertThat(mid.dataTransferProgress().status()).isEqualTo("IN_PROGRESS");
            assertThat(mid.dataTransferProgress().totalDataInMegaBytes()).isPositive();
            assertThat(mid.dataTransferProgress().dataTransferredInMegaBytes())
                    .isLessThan(mid.dataTransferProgress().totalDataInMegaBytes());
            assertThatThrownBy(() -> rs.createClusterSnapshot(
                            r -> r.clusterIdentifier("rz").snapshotIdentifier("x")))
                    .isInstanceOf(InvalidClusterStateException.class)
                    .hasMessageContaining("resize");
            DescribeResizeResponse during = rs.describeResize(r -> r.clusterIdentifier("rz"));
            assertThat(during.status()).isEqualTo("IN_PROGRESS");
            assertThat(during.targetNumberOfNodes()).isEqualTo(3);
            assertThat(during.progressInMegaBytes()).isLessThan(during.totalResizeDataInMegaBytes());
        } finally {
            hold.release.countDown();
        }
        waitFor(() -> cluster("rz").clusterStatus().equals("available"), "rz resized");
        assertThat(cluster("rz").numberOfNodes()).isEqualTo(3);
        assertThat(cluster("rz").dataTransferProgress().status()).isEqualTo("SUCCEEDED");
        DescribeResizeResponse after = rs.describeResize(r -> r.clusterIdentifier("rz"));
        assertThat(after.status()).isEqualTo("SUCCEEDED");
        assertThat(after.progressInMegaBytes()).isEqualTo(after.totalResizeDataInMegaBytes());
        assertThat(sums("rz")).containsExactly(before);

        CrashAt crash = new CrashAt(JobKind.RESIZE_CLUSTER, "progress");
        f.jobHooks = crash;
        rs.resizeCluster(r -> r.clusterIdentifier("rz").numberOfNodes(2));
        waitFor(crash.crashed::get, "the crash");
        f.jobHooks = FaultHook.NONE;
        restart();
        waitFor(
                () -> cluster("rz").clusterStatus().equals("available")
                        && cluster("rz").numberOfNodes() == 2,
                "the resize to resume and finish");
        assertThat(sums("rz")).containsExactly(before);
        assertThat(events("rz")).anyMatch(m -> m.contains("resumed after a restart"));
    }

    @Test
    void snapshot_showsBackupProgress_andACrashMarksItFailedWithAnEvent() throws Exception {
        create("sn");
        writeRandom(store("sn"), "a", ROWS, 1);
        writeRandom(store("sn"), "b", ROWS, 2);
        Hold hold = new Hold(JobKind.CREATE_SNAPSHOT);
        f.jobHooks = hold;
        Snapshot answer = rs.createClusterSnapshot(
                        r -> r.clusterIdentifier("sn").snapshotIdentifier("sn-1"))
                .snapshot();
        assertThat(answer.status()).isEqualTo("creating");
        await(hold.reached, "the snapshot part-way");
        try {
            Snapshot mid = snapshot("sn-1");
            assertThat(mid.status()).isEqualTo("creating");
            assertThat(mid.backupProgressInMegaBytes()).isLessThan(mid.totalBackupSizeInMegaBytes());
            assertThat(mid.totalBackupSizeInMegaBytes()).isPositive();
        } finally {
            hold.release.countDown();
        }
        waitFor(() -> snapshot("sn-1").status().equals("available"), "sn-1 available");

        CrashAt crash = new CrashAt(JobKind.CREATE_SNAPSHOT, "progress");
        f.jobHooks = crash;
        writeRandom(store("sn"), "c", ROWS, 3); // new blocks to copy
        rs.createClusterSnapshot(r -> r.clusterIdentifier("sn").snapshotIdentifier("sn-2"));
        waitFor(crash.crashed::get, "the crash");
        f.jobHooks = FaultHook.NONE;
        restart();
        assertThat(snapshot("sn-2").status()).isEqualTo("failed");
        assertThat(rs.describeEvents(r -> r.sourceIdentifier("sn-2")
                                .sourceType(SourceType.CLUSTER_SNAPSHOT)
                                .duration(600))
                        .events())
                .anyMatch(e -> e.message().contains("stopped while it was being written"));
        waitFor(() -> cluster("sn").clusterStatus().equals("available"), "sn available");
        // The cluster is free again: another snapshot works.
        rs.createClusterSnapshot(r -> r.clusterIdentifier("sn").snapshotIdentifier("sn-3"));
        waitFor(() -> snapshot("sn-3").status().equals("available"), "sn-3 available");
    }

    @Test
    void jobRecords_areKeptUnderControlJobs_keyRotationsToo() throws IOException {
        create("rot");
        rs.rotateEncryptionKey(r -> r.clusterIdentifier("rot"));
        waitFor(() -> cluster("rot").clusterStatus().equals("available"), "rot rotated");
        List<JobRecord> records = new ArrayList<>();
        try (Stream<Path> s = Files.list(f.dir.resolve("control/jobs"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".json")).toList()) {
                records.add(JobRecord.fromJson(Files.readAllBytes(p), p.toString()));
            }
        }
        assertThat(records).anySatisfy(r -> {
            assertThat(r.kind()).isEqualTo(JobKind.ROTATE_KEYS);
            assertThat(r.subject()).isEqualTo("rot");
            assertThat(r.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(r.message()).contains("rotated to cluster key v2");
        });
    }
}
