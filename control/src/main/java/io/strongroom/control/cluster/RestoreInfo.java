package io.strongroom.control.cluster;

/**
 * The RestoreStatus of a cluster made by RestoreFromClusterSnapshot.
 *
 * @param status {@code completed} (restores run inside the request)
 * @param snapshotSizeMegaBytes the snapshot's size
 * @param elapsedSeconds how long the copy took
 */
public record RestoreInfo(String status, double snapshotSizeMegaBytes, long elapsedSeconds, double rateMegaBytes) {}
