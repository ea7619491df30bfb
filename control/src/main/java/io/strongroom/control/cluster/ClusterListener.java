package io.strongroom.control.cluster;

import java.util.function.Supplier;

/**
 * Told when a cluster starts serving and when it stops, so the process can attach what serves it (the
 * PostgreSQL endpoint). {@link #down} comes before the cluster's store closes; {@link #up} after it opened.
 * Called on the control plane's threads, one cluster at a time; implementations must not call back into the
 * control plane.
 */
public interface ClusterListener {
    ClusterListener NONE = new ClusterListener() {
        @Override
        public void up(String clusterId, Supplier<ClusterView> view, RunningCluster running) {}

        @Override
        public void down(String clusterId) {}
    };

    /** The cluster is up; {@code view} gives its current record (port, master user, password verifier). */
    void up(String clusterId, Supplier<ClusterView> view, RunningCluster running);

    /** The cluster stops serving; its store closes right after this returns. */
    void down(String clusterId);
}
