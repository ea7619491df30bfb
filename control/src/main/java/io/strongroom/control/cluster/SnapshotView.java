package io.strongroom.control.cluster;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot as an API answer shows it: its record and the status to show ({@code creating} in the answer to
 * CreateClusterSnapshot, {@code deleted} in the answer to DeleteClusterSnapshot, else the record's).
 */
public record SnapshotView(
        SnapshotRecord record, String status, @Nullable String sourceRegion) {}
