package io.strongroom.control.cluster.archfixture;

import io.strongroom.control.snapshot.SnapshotPolicy;

/**
 * A deliberate violation for {@code ArchitectureTest}: the clusters' shared state and model ({@code control.cluster})
 * must not use the snapshot operations above it.
 */
public final class ClusterReachingIntoSnapshot {
    private ClusterReachingIntoSnapshot() {}

    public static String snapshotPolicyClass() {
        return SnapshotPolicy.class.getSimpleName();
    }
}
