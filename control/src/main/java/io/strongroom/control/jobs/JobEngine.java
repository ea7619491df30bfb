package io.strongroom.control.jobs;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.keyvault.AtomicFile;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs long operations as durable jobs: the request records the job ({@link #start}), the work runs on a thread of
 * its own, and the request waits at most a short grace period for it, so small operations still answer done while
 * large ones go on in the background. After a restart, {@link #unfinished} lists the jobs that were running, and
 * their owners resume or roll back each one through {@link #resume}.
 *
 * <p>How this works. A job's record is written before the work starts and again at every step its work makes
 * durable ({@link Job#step}); its end (succeeded, failed and undone, rolled back) is written last. Work is
 * idempotent from its last recorded step: each kind's code decides, from the step, whether to redo a step or undo
 * everything. A clean stop ({@link #close}) makes running work throw {@link Stopped} at its next {@link
 * Job#checkpoint}; the record stays {@code running} and the next start resumes it, as after a crash.
 *
 * <p>Alternatives rejected: a journal of all jobs in one file (every step of every job would rewrite it); running
 * jobs on the request thread with a longer HTTP timeout (clients give up after 60 s and retry, and a retried
 * restore answers ClusterAlreadyExists for a restore that worked).
 *
 * <p>Thread-safe.
 */
public final class JobEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(JobEngine.class.getName());
    /** Finished jobs are kept this long (DescribeTableRestoreStatus history reads them). */
    static final Duration HISTORY = Duration.ofDays(30);

    /** What one kind of job does. */
    public interface Work {
        /**
         * Runs the job to its end, or, after a restart, from the step its record names. Returns the message its
         * record keeps on success.
         */
        String run(Job job);

        /**
         * Undoes what a run that threw {@code cause} did, so nothing half-done is left; returns the message the
         * record keeps.
         */
        String failed(Job job, RuntimeException cause);
    }

    /** Thrown by {@link Job#checkpoint} while the control plane closes: the job resumes at the next start. */
    public static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super("the control plane is stopping; the job resumes at the next start", null, false, false);
        }
    }

    private final Path dir;
    private final InstantSource clock;
    private final Duration grace;
    /** Told of each {@link JobPoint}: crash tests throw here, and slowed jobs wait. */
    final FaultHook hooks;

    private final Map<String, JobRecord> records = new ConcurrentHashMap<>();
    private final Map<String, Job> running = new ConcurrentHashMap<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("strongroom-job-", 0).factory());
    volatile boolean closing;

    private JobEngine(Path dir, InstantSource clock, Duration grace, FaultHook hooks) {
        this.dir = dir;
        this.clock = clock;
        this.grace = grace;
        this.hooks = hooks;
    }

    /**
     * Opens the job records in {@code dir}, dropping those finished longer than {@link #HISTORY} ago.
     *
     * @param grace how long a request waits for its job before answering with the job still running
     */
    public static JobEngine open(Path dir, InstantSource clock, Duration grace, FaultHook hooks) {
        JobEngine e = new JobEngine(dir, clock, grace, hooks);
        try {
            Files.createDirectories(dir);
            AtomicFile.deleteStrays(dir);
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p :
                        s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                    JobRecord r = JobRecord.fromJson(Files.readAllBytes(p), p.toString());
                    if (r.endedAt() != null
                            && r.endedAt().isBefore(clock.instant().minus(HISTORY))) {
                        AtomicFile.delete(p);
                    } else {
                        e.records.put(r.id(), r);
                    }
                }
            }
        } catch (IOException ex) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read job records in " + dir + ": " + ex, ex);
        }
        return e;
    }

    /** Records {@code rec} and starts {@code work} on it. */
    public Job start(JobRecord rec, Work work) {
        Job job = create(rec);
        launch(job, work);
        return job;
    }

    /**
     * Records {@code rec} and returns its job, not yet running: for a request that must publish the job (so API
     * answers show its progress) before it can end, and that may still make steps on it before {@link #launch}.
     */
    public Job create(JobRecord rec) {
        if (closing) {
            throw new StrongroomException(ErrorCode.INVALID_STATE, "the control plane is stopping; try again");
        }
        save(rec);
        Job job = new Job(this, rec);
        running.put(rec.id(), job);
        hooks.reached(new JobPoint.Step(rec, rec.step()), null);
        return job;
    }

    /** Starts {@code work} on a job a restart found unfinished; it continues from its recorded step. */
    public Job resume(JobRecord rec, Work work) {
        if (rec.state().finished()) {
            throw new IllegalArgumentException(rec + " has ended");
        }
        Job job = new Job(this, rec);
        running.put(rec.id(), job);
        launch(job, work);
        return job;
    }

    /**
     * A job a restart found unfinished, as a handle the owner can make steps on before it decides to launch it or to
     * roll it back ({@link #rolledBack}).
     */
    public Job reopen(JobRecord rec) {
        Job job = new Job(this, rec);
        running.put(rec.id(), job);
        return job;
    }

    /** Runs {@code work} on {@code job} (made by {@link #create} or {@link #reopen}) on a thread of its own. */
    public void launch(Job job, Work work) {
        threads.execute(() -> runJob(job, work));
    }

    /**
     * Records that a job was rolled back rather than run to its end (a restart found it where it cannot resume, or a
     * request gave it up before launching it), with why.
     */
    public void rolledBack(Job job, String why) {
        endUnlaunched(job, JobState.ROLLED_BACK, why);
    }

    /** Records that the request of a job not yet launched failed, and everything it did was undone. */
    public void refused(Job job, String why) {
        endUnlaunched(job, JobState.FAILED, why);
    }

    /**
     * Ends a job that is not running (a restart found it, and recovery finished or undid its work; or its request
     * failed before launching it) in {@code state}, with why.
     */
    public void settle(Job job, JobState state, String why) {
        endUnlaunched(job, state, why);
    }

    private void endUnlaunched(Job job, JobState state, String why) {
        JobRecord done = job.record().ended(state, clock.instant(), why);
        save(done);
        job.setRecord(done);
        running.remove(job.id());
        job.ended.countDown();
    }

    private void runJob(Job job, Work work) {
        try {
            String message = work.run(job);
            end(job, JobState.SUCCEEDED, message);
        } catch (Stopped stopped) {
            // Left running on disk: the next start resumes it.
        } catch (RuntimeException ex) {
            // Set first: a request waiting within the grace period answers the error even if the undo fails.
            job.setFailure(ex);
            String message;
            try {
                message = work.failed(job, ex);
            } catch (RuntimeException undo) {
                // The record stays running, so the next start settles it as after a crash.
                LOG.log(Level.WARNING, "undoing " + job + " failed; the next start settles it", undo);
                return;
            }
            end(job, JobState.FAILED, message);
        } catch (Error err) {
            LOG.log(Level.ERROR, job + " stopped on an error; the next start resumes it", err);
            throw err;
        } finally {
            running.remove(job.id());
            job.ended.countDown();
        }
    }

    private void end(Job job, JobState state, String message) {
        JobRecord done = job.record().ended(state, clock.instant(), message);
        try {
            save(done);
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "cannot record the end of " + job + "; the next start looks at it again", ex);
        }
        job.setRecord(done);
    }

    /**
     * Waits up to the grace period for {@code job} to end. Returns whether it ended: small operations answer done,
     * and the AWS CLI's waiters (which poll at once, then every 15 to 60 s) see them finished at their first poll.
     */
    public boolean awaitGrace(Job job) {
        try {
            return job.ended.await(grace.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * {@link #awaitGrace}, then, if the job failed in that time, throws its failure: the request answers the error
     * as it would have had the work run inside it.
     */
    public void awaitGraceOrThrow(Job job) {
        if (awaitGrace(job)) {
            job.rethrowFailure();
        }
    }

    /** Waits for {@code job} to end (tests, and close). */
    public boolean await(Job job, Duration timeout) {
        try {
            return job.ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void save(JobRecord r) {
        AtomicFile.write(dir.resolve(r.id() + ".json"), r.toJson());
        records.put(r.id(), r);
    }

    /** The jobs a restart found running, oldest first: each must be resumed or rolled back. */
    public List<JobRecord> unfinished() {
        return records.values().stream()
                .filter(r -> !r.state().finished() && !running.containsKey(r.id()))
                .sorted(Comparator.comparing(JobRecord::createdAt).thenComparing(JobRecord::id))
                .toList();
    }

    /** Every job record kept: running ones, and those finished within {@link #HISTORY}. */
    public Collection<JobRecord> records() {
        return records.values();
    }

    /** The job {@code id} if it is running in this process. */
    public Optional<Job> running(String id) {
        return Optional.ofNullable(running.get(id));
    }

    public Instant now() {
        return clock.instant();
    }

    /**
     * Stops taking jobs and asks running ones to stop at their next checkpoint; waits a little for them. What is
     * still running is resumed by the next start.
     */
    @Override
    public void close() {
        closing = true;
        threads.shutdown();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "JobEngine[" + dir + ", " + running.size() + " running]";
    }
}
