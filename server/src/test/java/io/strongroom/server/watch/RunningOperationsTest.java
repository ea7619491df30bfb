package io.strongroom.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.server.watch.Operation.Meter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.DataTransferProgress;
import software.amazon.awssdk.services.redshift.model.RestoreStatus;
import software.amazon.awssdk.services.redshift.model.Snapshot;
import software.amazon.awssdk.services.redshift.model.TableRestoreStatus;

class RunningOperationsTest {

    private static List<Operation> running(Cluster... clusters) {
        return RunningOperations.running(RunningOperations.of(List.of(clusters), List.of(), List.of()));
    }

    private static List<Operation> runningSnapshots(Snapshot... snapshots) {
        return RunningOperations.running(RunningOperations.of(List.of(), List.of(snapshots), List.of()));
    }

    private static Cluster available(String id) {
        return Cluster.builder()
                .clusterIdentifier(id)
                .clusterStatus("available")
                .build();
    }

    @Test
    void availableCluster_withNothingGoingOn_hasNoRunningOperation() {
        assertThat(running(available("dw1"))).isEmpty();
    }

    @Test
    void restore_whileRestoring_isABarWithTheReportedRateEtaAndElapsedTime() {
        Cluster c = Cluster.builder()
                .clusterIdentifier("dw2")
                .clusterStatus("available")
                .restoreStatus(RestoreStatus.builder()
                        .status("restoring")
                        .snapshotSizeInMegaBytes(1000L)
                        .progressInMegaBytes(450L)
                        .currentRestoreRateInMegaBytesPerSecond(12.5)
                        .elapsedTimeInSeconds(36L)
                        .estimatedTimeToCompletionInSeconds(44L)
                        .build())
                .build();

        assertThat(running(c))
                .containsExactly(new Operation(
                        "restore/dw2",
                        "restore dw2",
                        "restoring",
                        true,
                        Meter.BAR,
                        450,
                        1000,
                        "MB",
                        12.5,
                        Duration.ofSeconds(44),
                        Duration.ofSeconds(36)));
    }

    @Test
    void restore_startingWithoutSizes_isAnIndeterminateBar() {
        Cluster c = Cluster.builder()
                .clusterIdentifier("dw2")
                .clusterStatus("creating")
                .restoreStatus(RestoreStatus.builder().status("Starting").build())
                .build();

        List<Operation> ops = running(c);

        assertThat(ops).singleElement().satisfies(o -> {
            assertThat(o.label()).isEqualTo("restore dw2");
            assertThat(o.meter()).isEqualTo(Meter.INDETERMINATE);
            assertThat(o.eta()).isNull();
        });
    }

    @Test
    void restore_completedOrFailed_isNotRunning_andTheCreatingClusterBehindItIsNotShownTwice() {
        for (String done : List.of("completed", "FAILED")) {
            Cluster c = Cluster.builder()
                    .clusterIdentifier("dw2")
                    .clusterStatus("available")
                    .restoreStatus(RestoreStatus.builder()
                            .status(done)
                            .snapshotSizeInMegaBytes(10L)
                            .progressInMegaBytes(10L)
                            .build())
                    .build();
            assertThat(running(c)).as(done).isEmpty();
        }
        Cluster restoringWhileCreating = Cluster.builder()
                .clusterIdentifier("dw2")
                .clusterStatus("creating")
                .restoreStatus(RestoreStatus.builder()
                        .status("restoring")
                        .snapshotSizeInMegaBytes(10L)
                        .progressInMegaBytes(1L)
                        .build())
                .build();
        assertThat(running(restoringWhileCreating)).extracting(Operation::id).containsExactly("restore/dw2");
    }

    @Test
    void restore_withoutReportedEta_derivesItFromTheRate() {
        Cluster c = Cluster.builder()
                .clusterIdentifier("dw2")
                .clusterStatus("available")
                .restoreStatus(RestoreStatus.builder()
                        .status("restoring")
                        .snapshotSizeInMegaBytes(1000L)
                        .progressInMegaBytes(400L)
                        .currentRestoreRateInMegaBytesPerSecond(7.0)
                        .build())
                .build();

        // 600 MB left at 7 MB/s: 85.7 s, rounded up.
        assertThat(running(c)).singleElement().extracting(Operation::eta).isEqualTo(Duration.ofSeconds(86));
    }

    @Test
    void restore_progressBeyondTheSize_isClampedToAFullBar() {
        Cluster c = Cluster.builder()
                .clusterIdentifier("dw2")
                .restoreStatus(RestoreStatus.builder()
                        .status("restoring")
                        .snapshotSizeInMegaBytes(100L)
                        .progressInMegaBytes(130L)
                        .build())
                .build();

        assertThat(running(c)).singleElement().satisfies(o -> {
            assertThat(o.done()).isEqualTo(100);
            assertThat(o.percent()).isEqualTo(100);
        });
    }

    private static Cluster transferring(String clusterStatus, String transferStatus) {
        return Cluster.builder()
                .clusterIdentifier("dw1")
                .clusterStatus(clusterStatus)
                .dataTransferProgress(DataTransferProgress.builder()
                        .status(transferStatus)
                        .totalDataInMegaBytes(2048L)
                        .dataTransferredInMegaBytes(512L)
                        .currentRateInMegaBytesPerSecond(64.0)
                        .estimatedTimeToCompletionInSeconds(24L)
                        .elapsedTimeInSeconds(8L)
                        .build())
                .build();
    }

    @Test
    void dataTransfer_whileResizing_isLabelledResize_andWhileModifying_modify() {
        assertThat(running(transferring("resizing", "TransferringData")))
                .singleElement()
                .satisfies(o -> {
                    assertThat(o.label()).isEqualTo("resize dw1");
                    assertThat(o.status()).isEqualTo("TransferringData");
                    assertThat(o.done()).isEqualTo(512);
                    assertThat(o.total()).isEqualTo(2048);
                    assertThat(o.ratePerSecond()).isEqualTo(64.0);
                    assertThat(o.eta()).isEqualTo(Duration.ofSeconds(24));
                });
        assertThat(running(transferring("modifying", "InProgress")))
                .extracting(Operation::label)
                .containsExactly("modify dw1");
    }

    @Test
    void dataTransfer_inATerminalStatusInAnyCase_isNotRunning_evenWhileTheClusterStillResizes() {
        for (String done : List.of("SUCCEEDED", "Failed", "complete", "Completed", "cancelled")) {
            assertThat(running(transferring("resizing", done)))
                    .as(done)
                    .extracting(Operation::id)
                    // The cluster is still resizing: that shows as a status line, not as the finished transfer.
                    .containsExactly("cluster/dw1");
        }
    }

    @Test
    void dataTransfer_ofAnAvailableCluster_isNotRunning() {
        assertThat(running(transferring("available", "InProgress"))).isEmpty();
    }

    @Test
    void rotatingKeys_withNOfMInModifyStatus_isABarOfThatCount() {
        Cluster c = Cluster.builder()
                .clusterIdentifier("dw1")
                .clusterStatus("rotating-keys")
                .modifyStatus("rewrapping block keys: 1,200 of 5000")
                .build();

        assertThat(running(c)).singleElement().satisfies(o -> {
            assertThat(o.label()).isEqualTo("rotate keys dw1");
            assertThat(o.status()).isEqualTo("rewrapping block keys: 1,200 of 5000");
            assertThat(o.meter()).isEqualTo(Meter.BAR);
            assertThat(o.done()).isEqualTo(1200);
            assertThat(o.total()).isEqualTo(5000);
            assertThat(o.unit()).isEmpty();
            assertThat(o.percent()).isEqualTo(24);
        });
    }

    @Test
    void rotatingKeys_withoutACount_isAnIndeterminateBar() {
        Cluster c = Cluster.builder()
                .clusterIdentifier("dw1")
                .clusterStatus("rotating-keys")
                .build();

        assertThat(running(c)).singleElement().satisfies(o -> {
            assertThat(o.label()).isEqualTo("rotate keys dw1");
            assertThat(o.status()).isEqualTo("rotating-keys");
            assertThat(o.meter()).isEqualTo(Meter.INDETERMINATE);
        });
    }

    @Test
    void deletingCreatingOrFinalSnapshot_withNothingElse_isAStatusLineWithoutBar() {
        for (String state : List.of("deleting", "creating", "final-snapshot")) {
            Cluster c = Cluster.builder()
                    .clusterIdentifier("dw1")
                    .clusterStatus(state)
                    .build();
            assertThat(running(c)).as(state).singleElement().satisfies(o -> {
                assertThat(o.label()).isEqualTo("cluster dw1");
                assertThat(o.status()).isEqualTo(state);
                assertThat(o.meter()).isEqualTo(Meter.NONE);
            });
        }
    }

    @Test
    void snapshot_creating_isABarOfBackupProgress_andAvailableOnesAreNot() {
        Snapshot creating = Snapshot.builder()
                .snapshotIdentifier("s1")
                .clusterIdentifier("dw1")
                .status("creating")
                .totalBackupSizeInMegaBytes(300.0)
                .backupProgressInMegaBytes(100.4)
                .currentBackupRateInMegaBytesPerSecond(50.0)
                .estimatedSecondsToCompletion(4L)
                .elapsedTimeInSeconds(2L)
                .build();
        Snapshot available = Snapshot.builder()
                .snapshotIdentifier("s0")
                .status("available")
                .totalBackupSizeInMegaBytes(300.0)
                .backupProgressInMegaBytes(300.0)
                .build();

        assertThat(runningSnapshots(available, creating))
                .containsExactly(new Operation(
                        "snapshot/s1",
                        "snapshot s1",
                        "creating",
                        true,
                        Meter.BAR,
                        100,
                        300,
                        "MB",
                        50.0,
                        Duration.ofSeconds(4),
                        Duration.ofSeconds(2)));
    }

    @Test
    void snapshot_withoutTotalBackupSize_usesTheIncrementalSize() {
        Snapshot s = Snapshot.builder()
                .snapshotIdentifier("s1")
                .status("Creating")
                .actualIncrementalBackupSizeInMegaBytes(80.0)
                .backupProgressInMegaBytes(20.0)
                .build();

        assertThat(runningSnapshots(s)).singleElement().satisfies(o -> {
            assertThat(o.total()).isEqualTo(80);
            assertThat(o.percent()).isEqualTo(25);
        });
    }

    @Test
    void tableRestore_pendingOrInProgress_isRunning_andLabelledWithTableAndCluster() {
        TableRestoreStatus inProgress = TableRestoreStatus.builder()
                .tableRestoreRequestId("r-1")
                .status("IN_PROGRESS")
                .clusterIdentifier("dw1")
                .newTableName("sales_copy")
                .progressInMegaBytes(5L)
                .totalDataInMegaBytes(20L)
                .build();
        TableRestoreStatus pending = inProgress.toBuilder()
                .tableRestoreRequestId("r-2")
                .status("PENDING")
                .progressInMegaBytes(0L)
                .build();
        TableRestoreStatus succeeded = inProgress.toBuilder()
                .tableRestoreRequestId("r-3")
                .status("SUCCEEDED")
                .build();

        List<Operation> ops = RunningOperations.running(
                RunningOperations.of(List.of(), List.of(), List.of(inProgress, pending, succeeded)));

        assertThat(ops).extracting(Operation::id).containsExactly("table-restore/r-1", "table-restore/r-2");
        assertThat(ops.get(0).label()).isEqualTo("table restore sales_copy on dw1");
        assertThat(ops.get(0).done()).isEqualTo(5);
        assertThat(ops.get(0).total()).isEqualTo(20);
    }

    @Test
    void ordering_isClustersThenSnapshotsThenTableRestores() {
        Cluster deleting = Cluster.builder()
                .clusterIdentifier("dw9")
                .clusterStatus("deleting")
                .build();
        Snapshot snapshot =
                Snapshot.builder().snapshotIdentifier("s1").status("creating").build();
        TableRestoreStatus table = TableRestoreStatus.builder()
                .tableRestoreRequestId("r-1")
                .status("PENDING")
                .newTableName("t")
                .clusterIdentifier("dw1")
                .build();

        List<Operation> ops =
                RunningOperations.running(RunningOperations.of(List.of(deleting), List.of(snapshot), List.of(table)));

        assertThat(ops).extracting(Operation::id).containsExactly("cluster/dw9", "snapshot/s1", "table-restore/r-1");
    }

    @Test
    void ended_reportsAFinishedOperationAsItNowIs_underTheLabelItHadWhileRunning() {
        Cluster rotating = Cluster.builder()
                .clusterIdentifier("dw1")
                .clusterStatus("rotating-keys")
                .build();
        List<Operation> before = running(rotating);

        List<Operation> ended =
                RunningOperations.ended(before, RunningOperations.of(List.of(available("dw1")), List.of(), List.of()));

        assertThat(ended).singleElement().satisfies(o -> {
            assertThat(o.label()).isEqualTo("rotate keys dw1");
            assertThat(o.status()).isEqualTo("available");
            assertThat(o.running()).isFalse();
        });
    }

    @Test
    void ended_ignoresOperationsStillRunning_andReportsAVanishedDeletingClusterAsDeleted() {
        Cluster deleting = Cluster.builder()
                .clusterIdentifier("dw9")
                .clusterStatus("deleting")
                .build();
        Snapshot creating =
                Snapshot.builder().snapshotIdentifier("s1").status("creating").build();
        List<Operation> before =
                RunningOperations.running(RunningOperations.of(List.of(deleting), List.of(creating), List.of()));

        List<Operation> ended =
                RunningOperations.ended(before, RunningOperations.of(List.of(), List.of(creating), List.of()));

        assertThat(ended).singleElement().satisfies(o -> {
            assertThat(o.label()).isEqualTo("cluster dw9");
            assertThat(o.status()).isEqualTo("deleted");
        });
    }

    @Test
    void ended_snapshotThatDisappeared_saysSoWithItsLastStatus() {
        Operation last = runningSnapshots(Snapshot.builder()
                        .snapshotIdentifier("s1")
                        .status("creating")
                        .build())
                .get(0);

        assertThat(RunningOperations.vanished(last).status()).isEqualTo("no longer listed (last status: creating)");
    }

    @Test
    void line_showsStatusPercentAmountRateElapsedAndEta_whileRunning_andTheOutcomeOnceOver() {
        Operation running = new Operation(
                "restore/dw2",
                "restore dw2",
                "restoring",
                true,
                Meter.BAR,
                450,
                1000,
                "MB",
                12.5,
                Duration.ofSeconds(44),
                Duration.ofSeconds(3723));
        Operation over = new Operation(
                "restore/dw2",
                "restore dw2",
                "completed",
                false,
                Meter.BAR,
                1000,
                1000,
                "MB",
                12.5,
                Duration.ZERO,
                Duration.ofSeconds(80));

        assertThat(running.line(14))
                .isEqualTo("restore dw2     restoring  45%  450/1000 MB  12.5 MB/s  elapsed 1:02:03  eta 0:00:44");
        assertThat(over.line(0)).isEqualTo("restore dw2  completed  100%  1000/1000 MB  took 0:01:20");
        assertThat(new Operation("cluster/dw1", "cluster dw1", "deleting", true, Meter.NONE, 0, 0, "", null, null, null)
                        .line(0))
                .isEqualTo("cluster dw1  deleting");
    }

    @Test
    void operation_barWithoutTotal_isRejected() {
        assertThatThrownBy(() -> new Operation("x", "x", "s", true, Meter.BAR, 1, 0, "MB", null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 < total");
    }
}
