package io.strongroom.control.cluster;

import io.strongroom.control.jobs.Job;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A cluster in memory: its record, status and, when up, its running store and keys.
 *
 * <p>Invariants: {@link #rec} is the record last saved (or, before a creation's commit point, the one about to be);
 * {@link #running} is set only while the cluster serves; {@link #progress} is set only while the status is
 * rotating-keys; {@link #job} only while a job runs on the cluster.
 *
 * <p>Thread-safe for reads: every field is volatile. Writers follow the control plane's discipline ({@link
 * ControlState}): one operation at a time per cluster, its status taken under the control plane's lock.
 */
public final class ClusterEntry {
    public volatile ClusterRecord rec;
    public volatile ClusterStatus status;
    public volatile @Nullable RunningCluster running;
    public volatile @Nullable RestoreInfo restore;
    /** Key rotation progress while the status is rotating-keys. */
    public volatile @Nullable String progress;
    /**
     * The job running on this cluster (restore, resize, snapshot, deletion), if any: set under the control plane's
     * lock together with the status, so one operation runs on a cluster at a time; the API's progress fields read it.
     */
    public volatile @Nullable Job job;
    /** The DataTransferProgress of the last resize, once it ended. */
    public volatile @Nullable DataTransferInfo transfer;
    /** The parameter values the cluster's SQL endpoint started with (a later change applies at its next reboot). */
    volatile @Nullable Map<String, String> appliedParameters;

    public ClusterEntry(ClusterRecord rec, ClusterStatus status) {
        this.rec = rec;
        this.status = status;
    }
}
