package io.strongroom.control.snapshot;

import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobState;
import io.strongroom.storage.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The automated snapshot schedule: takes each cluster's automated snapshots as its {@link SnapshotPolicy} says, and
 * deletes snapshots whose retention has ended. {@link #start} runs it on a daemon thread every {@code checkEvery};
 * tests call {@link #run} (through {@code ClusterManager.runSnapshotSchedule()}) instead.
 *
 * <p>Invariants: an automated snapshot is named for its cluster and the time of the run ({@code
 * rs:<cluster>-yyyy-MM-dd-HH-mm-ss}), so one run takes at most one per cluster; a snapshot still {@code creating} is
 * never deleted.
 *
 * <p>Thread-safe: a run checks each cluster's status again under the control plane's lock as it claims the
 * snapshot's identifier and saves its {@code creating} record (which keeps a key rotation of that cluster from
 * starting until the image is written); {@link #start} and {@link #close} are called once each, by the control
 * plane's owner.
 */
public final class SnapshotSchedule implements AutoCloseable {
    public static final DateTimeFormatter AUTOMATED_NAME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final SnapshotPolicy policy;
    private @Nullable ScheduledExecutorService scheduler;

    public SnapshotSchedule(ControlState state, ClusterSnapshots snapshots, SnapshotPolicy policy) {
        this.state = state;
        this.snapshots = snapshots;
        this.policy = policy;
    }

    /** Starts running the schedule every {@code policy.checkEvery()}, unless that is zero. */
    public void start() {
        if (!policy.checkEvery().isZero()) {
            ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "strongroom-snapshot-schedule");
                t.setDaemon(true);
                return t;
            });
            long every = policy.checkEvery().toMillis();
            s.scheduleWithFixedDelay(
                    () -> {
                        try {
                            run();
                        } catch (RuntimeException e) {
                            // each failure has its event; the next run tries again
                        }
                    },
                    every,
                    every,
                    TimeUnit.MILLISECONDS);
            scheduler = s;
        }
    }

    /**
     * Checks automated snapshots and retention for every cluster now: takes an automated snapshot of each running
     * cluster with AutomatedSnapshotRetentionPeriod above 0 whose interval has passed or whose change volume is
     * reached, then deletes automated snapshots past their cluster's retention and manual snapshots past theirs.
     * Returns how many automated snapshots were taken.
     */
    public int run() {
        Instant now = state.clock.instant();
        int taken = 0;
        for (ClusterEntry e : List.copyOf(state.byId.values())) {
            ClusterRecord c = e.rec;
            if (c.automatedSnapshotRetentionPeriod() == 0 || e.running == null || e.status != ClusterStatus.AVAILABLE) {
                continue;
            }
            Optional<SnapshotRecord> last = snapshots.records().stream()
                    .filter(s -> s.sourceClusterId().equals(c.id())
                            && s.automated()
                            && s.available()
                            && s.sourceRegion() == null)
                    .max(Comparator.comparing(SnapshotRecord::createTime));
            Instant since = last.map(SnapshotRecord::createTime).orElse(c.createTime());
            boolean due = !since.plus(policy.interval()).isAfter(now);
            if (!due && last.isPresent()) {
                RunningCluster run = e.running;
                if (run != null) {
                    try (Snapshot snap = run.store().snapshot()) {
                        due = snapshots
                                        .store(c.region())
                                        .bytesChangedSince(last.get().id(), snap)
                                >= policy.changeBytes();
                    } catch (RuntimeException ex) {
                        due = true;
                    }
                }
            }
            if (!due) {
                continue;
            }
            // This thread is a background one already: it waits for the job, so runs never overlap.
            Job job = snapshots.takeAutomated(e, "rs:" + c.identifier() + "-" + AUTOMATED_NAME.format(now), null);
            if (job != null && job.record().state() == JobState.SUCCEEDED) {
                taken++;
            }
        }
        for (SnapshotRecord s : List.copyOf(snapshots.records())) {
            Instant expiry = null;
            if (s.sourceRegion() != null) {
                // A copy from another region: kept for the copy's retention (set when it was copied).
                expiry = s.manualRetentionDays() == -1
                        ? null
                        : s.createTime().plus(Duration.ofDays(s.manualRetentionDays()));
            } else if (s.automated()) {
                Optional<ClusterEntry> c = Optional.ofNullable(state.byId.get(s.sourceClusterId()));
                int days = c.map(x -> x.rec.automatedSnapshotRetentionPeriod()).orElse(0);
                expiry = s.createTime().plus(Duration.ofDays(days));
            } else if (s.manualRetentionDays() != -1) {
                expiry = s.createTime().plus(Duration.ofDays(s.manualRetentionDays()));
            }
            if (expiry != null && !expiry.isAfter(now) && !s.status().equals("creating")) {
                synchronized (state.lock) {
                    if (snapshots.contains(s.id()) && !snapshots.inUse(s)) {
                        snapshots.remove(s);
                    }
                }
            }
        }
        return taken;
    }

    /** Stops the scheduled runs; a run in progress is interrupted. */
    @Override
    public void close() {
        ScheduledExecutorService s = scheduler;
        if (s != null) {
            s.shutdownNow();
        }
    }
}
