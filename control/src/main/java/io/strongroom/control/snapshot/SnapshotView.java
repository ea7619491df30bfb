package io.strongroom.control.snapshot;

import io.strongroom.control.jobs.Job;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot as an API answer shows it: its record and the status to show ({@code creating} in the answer to
 * CreateClusterSnapshot, {@code deleted} in the answer to DeleteClusterSnapshot, else the record's), and the
 * progress of the job writing it while one does.
 */
public record SnapshotView(
        SnapshotRecord record, String status, @Nullable String sourceRegion, Job.@Nullable Progress progress) {
    public SnapshotView(SnapshotRecord record, String status, @Nullable String sourceRegion) {
        this(record, status, sourceRegion, null);
    }
}
