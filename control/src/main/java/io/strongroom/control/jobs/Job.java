package io.strongroom.control.jobs;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A job while it runs in this process: its record (re-written at each durable step) and its progress in bytes,
 * from which the API's rate and time-to-completion fields are computed.
 *
 * <p>Progress is in memory only: after a restart a resumed job counts again from what it redoes. Rate is the average
 * since the job (or its resume) started, which is what {@code CurrentRestoreRateInMegaBytesPerSecond} and its kin
 * show for Redshift too.
 *
 * <p>Thread-safe: the body's thread writes steps and progress; API threads read them.
 */
public final class Job {
    private final JobEngine engine;
    private volatile JobRecord record;
    private final long startNanos = System.nanoTime();
    private final AtomicLong doneBytes = new AtomicLong();
    private volatile long totalBytes;
    final CountDownLatch ended = new CountDownLatch(1);
    private volatile @Nullable RuntimeException failure;

    Job(JobEngine engine, JobRecord record) {
        this.engine = engine;
        this.record = record;
    }

    public JobRecord record() {
        return record;
    }

    public String id() {
        return record.id();
    }

    public JobKind kind() {
        return record.kind();
    }

    /**
     * Makes step {@code name} durable (with {@code attributes} added to the record) before the work that relies on
     * it: a restart resumes from the last step written. Crash tests stop a job here.
     */
    public void step(String name, Map<String, String> attributes) {
        JobRecord next = record.withStep(name, attributes);
        engine.save(next);
        record = next;
        engine.hooks.reached(new JobPoint.Step(next, name), null);
    }

    public void step(String name) {
        step(name, Map.of());
    }

    /**
     * Tells the hooks that the work passed {@code point}, a place between durable steps where a crash leaves a state
     * of its own (crash tests stop a job there); nothing is written.
     */
    public void passed(String point) {
        engine.hooks.reached(new JobPoint.Step(record, point), null);
    }

    /** The job's size in bytes, once known. */
    public void total(long bytes) {
        totalBytes = Math.max(0, bytes);
    }

    /** {@code bytes} more done. */
    public void advance(long bytes) {
        doneBytes.addAndGet(bytes);
        engine.hooks.reached(new JobPoint.Progress(this), null);
    }

    /** Throws {@link JobEngine.Stopped} when the control plane is closing: the job is left to resume at the next start. */
    public void checkpoint() {
        if (engine.closing) {
            throw new JobEngine.Stopped();
        }
    }

    void setRecord(JobRecord r) {
        record = r;
    }

    void setFailure(RuntimeException cause) {
        failure = cause;
    }

    /**
     * Throws what made the job fail, if it failed (its work undone): a request that waited for its job within the
     * grace period answers that error itself, as it did when the work ran inside the request.
     */
    public void rethrowFailure() {
        RuntimeException f = failure;
        if (f != null) {
            throw f;
        }
    }

    /** What the job has done so far, for the API's progress fields. */
    public Progress progress() {
        long done = doneBytes.get();
        long total = Math.max(totalBytes, done);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
        double seconds = Math.max(1e-3, elapsed.toNanos() / 1e9);
        double rate = done / seconds;
        Duration eta = rate <= 0 ? null : Duration.ofSeconds((long) Math.ceil((total - done) / rate));
        return new Progress(done, total, elapsed, rate, eta);
    }

    /**
     * Progress at one moment.
     *
     * @param rateBytesPerSecond average since the job started in this process
     * @param eta time to completion at that rate, or null before anything is done
     */
    public record Progress(
            long doneBytes,
            long totalBytes,
            Duration elapsed,
            double rateBytesPerSecond,
            @Nullable Duration eta) {
        private static final double MB = 1024.0 * 1024.0;

        public double doneMegaBytes() {
            return doneBytes / MB;
        }

        public double totalMegaBytes() {
            return totalBytes / MB;
        }

        public double rateMegaBytesPerSecond() {
            return rateBytesPerSecond / MB;
        }

        public long etaSeconds() {
            return eta == null ? 0 : eta.toSeconds();
        }
    }

    @Override
    public String toString() {
        return record.toString();
    }
}
