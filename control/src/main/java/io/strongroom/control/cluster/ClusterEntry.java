package io.strongroom.control.cluster;

import org.jspecify.annotations.Nullable;

/**
 * A cluster in memory: its record, status and, when up, its running store and keys.
 *
 * <p>Invariants: {@link #rec} is the record last saved (or, before a creation's commit point, the one about to be);
 * {@link #running} is set only while the cluster serves; {@link #progress} is set only while the status is
 * rotating-keys.
 *
 * <p>Thread-safe for reads: every field is volatile. Writers follow the control plane's discipline ({@link
 * ControlState}): one operation at a time per cluster, its status taken under the control plane's lock.
 */
final class ClusterEntry {
    volatile ClusterRecord rec;
    volatile ClusterStatus status;
    volatile @Nullable RunningCluster running;
    volatile @Nullable RestoreInfo restore;
    /** Key rotation progress while the status is rotating-keys. */
    volatile @Nullable String progress;

    ClusterEntry(ClusterRecord rec, ClusterStatus status) {
        this.rec = rec;
        this.status = status;
    }
}
