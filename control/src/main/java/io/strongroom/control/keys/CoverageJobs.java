package io.strongroom.control.keys;

import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.jobs.JobState;
import io.strongroom.control.snapshot.ClusterSnapshots;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Encryption coverage reports as background jobs: reading every block file's header costs what the data does, so
 * {@code DescribeEncryptionCoverage} starts a job ({@link JobKind#COVERAGE_REPORT}), waits at most the job grace
 * period, and answers with the job's state and progress (tables and snapshots read of those to read) and the
 * newest finished report of the cluster, if any.
 *
 * <p>Invariants: at most one coverage job per cluster runs at a time (a second request while one runs joins it);
 * the newest finished report of each cluster is kept in memory with the time it was made (a restart forgets it: a
 * report is a reading of the files, and the next request makes a new one). A job a restart cut short is settled as
 * rolled back (it changed nothing). Thread-safe.
 */
public final class CoverageJobs {
    /**
     * What DescribeEncryptionCoverage answers: the job asked for now (empty id when the newest report was answered
     * without one), its progress in tables and snapshots read, and the newest finished report with its time.
     */
    public record Status(
            String jobId,
            JobState state,
            long done,
            long total,
            @Nullable String message,
            @Nullable CoverageReport report,
            @Nullable Instant generatedAt) {}

    private record Finished(CoverageReport report, Instant at) {}

    private final ControlState state;
    private final ClusterSnapshots snapshots;
    /** The newest coverage job of each cluster, running or ended. */
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    private final Map<String, Finished> latest = new ConcurrentHashMap<>();

    public CoverageJobs(ControlState state, ClusterSnapshots snapshots) {
        this.state = state;
        this.snapshots = snapshots;
    }

    /**
     * Starts a report of {@code e} unless one is running (which the request joins) or, with {@code refresh} false,
     * one was made already; waits the grace period, and says where things stand. A job that failed within the grace
     * period answers its error.
     */
    public Status request(ClusterEntry e, boolean refresh) {
        String id = e.rec.id();
        Job job;
        synchronized (this) {
            Job last = jobs.get(id);
            if (last != null && last.record().state() == JobState.RUNNING) {
                job = last;
            } else if (!refresh && last != null && last.record().state() != JobState.SUCCEEDED) {
                job = last; // a poll after the job failed: its error, not another job
            } else if (refresh || !latest.containsKey(id)) {
                job = start(e);
                jobs.put(id, job);
            } else {
                job = null;
            }
        }
        if (job != null) {
            state.jobs.awaitGraceOrThrow(job);
        }
        return status(id, job);
    }

    private Job start(ClusterEntry e) {
        String id = e.rec.id();
        // Checks that the cluster can be read now, so a stopped cluster is refused at once rather than as a job.
        CoverageReport.requireRunning(e);
        Job job = state.jobs.start(
                JobRecord.start(
                        state.newJobId(),
                        JobKind.COVERAGE_REPORT,
                        e.rec.accountId(),
                        e.rec.region(),
                        e.rec.identifier(),
                        id,
                        state.clock.instant(),
                        Map.of()),
                new JobEngine.Work() {
                    @Override
                    public String run(Job j) {
                        CoverageReport r = CoverageReport.of(state, snapshots, e, j);
                        latest.put(id, new Finished(r, state.clock.instant()));
                        return r.fullyEncrypted()
                                ? "Every block of the cluster and its snapshots is encrypted, and the files agree with"
                                        + " the manifests."
                                : r.problems().size() + " problem(s) found; DescribeEncryptionCoverage lists them.";
                    }

                    @Override
                    public String failed(Job j, RuntimeException cause) {
                        return "The coverage report failed: " + cause.getMessage();
                    }
                });
        return job;
    }

    private Status status(String clusterId, @Nullable Job job) {
        Finished f = latest.get(clusterId);
        if (job == null) {
            return new Status(
                    "", JobState.SUCCEEDED, 1, 1, null, f == null ? null : f.report(), f == null ? null : f.at());
        }
        JobRecord r = job.record();
        Job.Progress p = job.progress();
        return new Status(
                r.id(),
                r.state(),
                p.doneBytes(),
                p.totalBytes(),
                r.message(),
                f == null ? null : f.report(),
                f == null ? null : f.at());
    }

    /** Settles a coverage job a restart cut short: it changed nothing, and the next request starts another. */
    public static void settleAtStart(JobEngine jobs, Job job) {
        jobs.settle(
                job,
                JobState.ROLLED_BACK,
                "A restart stopped this coverage report before it finished; it changed nothing. Ask again.");
    }
}
