package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Work of {@code units} units (block keys to rewrap, manifest parts to encode) cut into chunks that worker threads
 * at low OS priority ({@link BackgroundPriority}) claim in turn, while the thread that waits for the work claims
 * chunks itself, at its normal priority, whenever its caller says the work has fallen behind. A key rotation runs
 * its rewrap and its manifest encoding this way: they take only the CPU queries leave idle, yet end in bounded time
 * on a machine too busy to leave any.
 *
 * <p>How this works. Chunks are numbered and claimed with one atomic counter, so each runs exactly once, by a worker
 * or by the waiting thread; a worker starved in the middle of a chunk holds the work back by that one chunk only,
 * which is why chunks are small (a few milliseconds of one core). A worker may also be held to a ceiling pace (chunk
 * {@code c} starts no sooner than {@code c * unitsPerChunk * ceilingNanosPerUnit} after the job began): speed the
 * deadline does not need costs queries indirectly (allocation, memory traffic). The waiting thread sleeps until the
 * last chunk finishes or {@value #CHECK_MILLIS} ms pass, reports progress, and asks its caller whether to help.
 *
 * <p>A failed chunk fails the job: no chunk is claimed after it, and {@link #run} rethrows the failure. Chunks
 * already running finish; what they write is the caller's to discard.
 *
 * <p>Alternatives rejected: one task per worker over a fixed share of the units (a starved worker would hold back
 * its whole share); the waiting thread at low priority too (an unprivileged thread cannot raise its priority back,
 * and the waiting thread takes locks).
 *
 * <p>Thread-safe: the task runs on several threads at once, on distinct chunks; {@link #run} is called once.
 */
final class BackgroundJob {
    /**
     * Threads that run background work: half the cores (at least one), so a busy machine keeps the rest for queries;
     * they run at low OS priority besides, so even they yield to queries.
     */
    static final int PARALLELISM = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    private static final ExecutorService WORKERS = Executors.newFixedThreadPool(PARALLELISM, lowPriorityThreads());

    /**
     * How long the waiting thread sleeps at most before it looks at the progress and the pace again. Workers wake
     * it only for the last chunk or a failure, not for every chunk: a thread at normal priority that wakes
     * hundreds of times a second is placed on a busy core now and then, and each time a query waits for it.
     */
    private static final long CHECK_MILLIS = 50;

    private static ThreadFactory lowPriorityThreads() {
        ThreadFactory named =
                Thread.ofPlatform().daemon().name("strongroom-key-rotation-", 0).factory();
        return r -> named.newThread(() -> {
            BackgroundPriority.lowerCurrentThread();
            r.run();
        });
    }

    /** Runs units {@code [from, to)}; may be called on several threads at once, for distinct ranges. */
    interface Task {
        void run(int from, int to);
    }

    private final int units;
    private final int unitsPerChunk;
    private final int chunks;
    private final long ceilingNanosPerUnit;
    private final LongSupplier clock;
    private final long startNanos;
    private final Task task;
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicLong finished = new AtomicLong();
    private volatile @Nullable Throwable failure;

    /**
     * @param ceilingNanosPerUnit the fastest the workers may go (0: as fast as they can); the waiting thread, when
     *     it helps, is never held back
     * @param clock the clock of the ceiling pace ({@link System#nanoTime} but in tests)
     */
    BackgroundJob(int units, int unitsPerChunk, long ceilingNanosPerUnit, LongSupplier clock, Task task) {
        if (units < 0 || unitsPerChunk <= 0 || ceilingNanosPerUnit < 0) {
            throw new IllegalArgumentException(
                    "units " + units + ", per chunk " + unitsPerChunk + ", ceiling " + ceilingNanosPerUnit);
        }
        this.units = units;
        this.unitsPerChunk = unitsPerChunk;
        this.chunks = (int) (((long) units + unitsPerChunk - 1) / unitsPerChunk);
        this.ceilingNanosPerUnit = ceilingNanosPerUnit;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.task = task;
    }

    /**
     * Runs every chunk and returns once all have finished: on the workers when {@code background} and there is more
     * than one chunk, on this thread otherwise. Meanwhile {@code progress} hears the units finished since it last
     * heard (on this thread), and this thread claims chunks itself while {@code behind} says so. Rethrows the
     * failure of a chunk.
     */
    void run(boolean background, BooleanSupplier behind, LongConsumer progress) {
        if (!background || chunks <= 1) {
            while (runOne(false)) {
                // This thread does it all.
            }
        } else {
            for (int i = 0; i < Math.min(PARALLELISM, chunks); i++) {
                WORKERS.execute(() -> {
                    while (runOne(true)) {
                        // Claim chunks until none is left.
                    }
                });
            }
        }
        long reported = 0;
        while (true) {
            long done = finished.get();
            // After reading the count: a failed chunk sets the failure before it counts as finished.
            rethrowFailure();
            if (done > reported) {
                progress.accept(done - reported);
                reported = done;
            }
            if (done == units) {
                // Every chunk's writes are visible here: each chunk's finished.addAndGet came after them, and this
                // thread has read the sum that counts them all.
                return;
            }
            // The workers are starved: this thread, at normal priority, takes the next chunk itself.
            if (!(behind.getAsBoolean() && runOne(false))) {
                awaitProgress();
            }
        }
    }

    /**
     * Claims and runs the next chunk; false when none was left (or the job failed). A worker ({@code paced}) first
     * waits until the ceiling pace allows that chunk.
     */
    private boolean runOne(boolean paced) {
        int c = nextChunk.getAndIncrement();
        if (c >= chunks || failure != null) {
            return false;
        }
        int from = c * unitsPerChunk;
        int to = (int) Math.min(units, (long) from + unitsPerChunk);
        if (paced && ceilingNanosPerUnit > 0) {
            long notBefore = startNanos + (long) from * ceilingNanosPerUnit;
            for (long wait; (wait = notBefore - clock.getAsLong()) > 0; ) {
                LockSupport.parkNanos(Math.min(wait, 20_000_000L));
            }
        }
        try {
            task.run(from, to);
        } catch (RuntimeException | Error e) {
            failure = e;
            nextChunk.set(chunks);
        } finally {
            if (finished.addAndGet(to - from) == units || failure != null) {
                synchronized (this) {
                    notifyAll();
                }
            }
        }
        return true;
    }

    /** Waits until the job ends or {@link #CHECK_MILLIS} pass. */
    private synchronized void awaitProgress() {
        try {
            wait(CHECK_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrongroomException(ErrorCode.INTERNAL, "background work interrupted", e);
        }
    }

    private void rethrowFailure() {
        Throwable f = failure;
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error err) {
            throw err;
        }
    }
}
