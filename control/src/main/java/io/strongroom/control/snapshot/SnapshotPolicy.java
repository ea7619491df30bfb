package io.strongroom.control.snapshot;

import java.time.Duration;

/**
 * When automated snapshots are taken: for each cluster whose AutomatedSnapshotRetentionPeriod is above 0, once
 * {@code interval} has passed since its last automated snapshot (or its creation), or once {@code changeBytes} of
 * blocks were written since that snapshot, whichever comes first. The control plane checks every {@code
 * checkEvery} (zero: never by itself; tests call {@code ClusterManager.runSnapshotSchedule()}). Immutable.
 */
public record SnapshotPolicy(Duration interval, long changeBytes, Duration checkEvery) {
    /** Redshift's defaults: every 8 hours or 5 GB of change per node (here per cluster); checked every minute. */
    public static final SnapshotPolicy DEFAULT =
            new SnapshotPolicy(Duration.ofHours(8), 5L * 1024 * 1024 * 1024, Duration.ofMinutes(1));

    public SnapshotPolicy {
        if (interval.isNegative() || interval.isZero() || changeBytes <= 0 || checkEvery.isNegative()) {
            throw new IllegalArgumentException("snapshot interval and change volume must be positive");
        }
    }
}
