package io.strongroom.control.snapshot;

import io.strongroom.control.cluster.ClusterRequests;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** One RestoreTableFromClusterSnapshot request and its outcome, as DescribeTableRestoreStatus shows it. */
public record TableRestoreStatus(
        String requestId,
        String status,
        @Nullable String message,
        Instant requestTime,
        double progressMegaBytes,
        double totalMegaBytes,
        String accountId,
        String region,
        ClusterRequests.RestoreTable request) {}
