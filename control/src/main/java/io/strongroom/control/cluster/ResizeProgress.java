package io.strongroom.control.cluster;

import org.jspecify.annotations.Nullable;

/**
 * What DescribeResize answers of a cluster's last resize: live while its job runs, final after (kept with the job
 * record, so across restarts).
 *
 * @param status {@code IN_PROGRESS}, {@code SUCCEEDED} or {@code FAILED}
 */
public record ResizeProgress(
        String targetNodeType,
        int targetNumberOfNodes,
        String targetClusterType,
        String status,
        String resizeType,
        double totalMegaBytes,
        double progressMegaBytes,
        double rateMegaBytes,
        long elapsedSeconds,
        long etaSeconds,
        @Nullable String message,
        String targetEncryptionType) {}
