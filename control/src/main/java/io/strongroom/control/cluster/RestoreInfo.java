package io.strongroom.control.cluster;

/**
 * The RestoreStatus of a cluster made by RestoreFromClusterSnapshot: live while its restore job runs, final after.
 *
 * @param status {@code starting}, {@code restoring}, {@code completed} or {@code failed}
 * @param snapshotSizeMegaBytes the snapshot's size
 * @param progressMegaBytes how much of it is restored
 * @param elapsedSeconds how long the restore has run
 * @param rateMegaBytes average rate so far
 * @param etaSeconds estimated time to completion at that rate (0 once completed)
 */
public record RestoreInfo(
        String status,
        double snapshotSizeMegaBytes,
        double progressMegaBytes,
        long elapsedSeconds,
        double rateMegaBytes,
        long etaSeconds) {}
