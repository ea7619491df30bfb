package io.strongroom.storage;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Lowers the CPU priority of the calling thread, for background work that should take only the CPU queries leave
 * idle (a key rotation's rewrap). Stateless and thread-safe.
 *
 * <p>How this works. On Linux scheduling policy and nice value are attributes of each thread, and calls with pid 0
 * change the calling thread only; the JVM ignores {@link Thread#setPriority} there unless started with root-only
 * flags, so the calls go to libc through the foreign function API (the launcher, the test JVMs and the benchmarks
 * run with {@code --enable-native-access=ALL-UNNAMED}). The thread is put in {@code SCHED_IDLE}: it runs only on
 * a core nothing else wants, and a core running only such threads still counts as idle when the kernel places a
 * waking thread, so a query's helper or a commit waking up lands there rather than beside the query. Where that
 * is refused, the thread gets nice {@value #NICE} (about 1.5% of a core it shares with a normal thread; but its
 * core looks busy to waking threads). Work that must end in bounded time pairs this with a floor pace of its own
 * ({@code KeyRotation.Pace}). An unprivileged thread cannot raise its priority again, so callers lower only
 * threads that do nothing else (never one that takes the commit lock, which would invert priorities). Elsewhere,
 * or when both calls fail, this falls back to {@link Thread#MIN_PRIORITY}, a hint the OS may ignore.
 *
 * <p>Alternatives rejected: a CPU budget alone, at normal priority (a chunk still takes the core from a query
 * that wants it; {@code KeyRotation} caps its workers' speed too, for what speed costs queries indirectly);
 * {@code -XX:ThreadPriorityPolicy} (needs root and a JVM
 * flag on every launcher); nice alone (a core running a nice-19 thread looks busy to a waking thread, which may
 * then be placed beside the query). Measured: with either, {@code RotationThroughput}'s query thread
 * still gets about a tenth less CPU during a rotation (GC pauses are part of it); {@code SCHED_IDLE} did not
 * measurably change that on a 2-core machine, but it is the policy made for this. RocksDB runs its idle-priority
 * threads the same way.
 */
final class BackgroundPriority {
    /** The nice value background threads run at when {@code SCHED_IDLE} is refused (0 is normal, 19 lowest). */
    static final int NICE = 19;

    /** Linux's {@code SCHED_IDLE} policy, as {@code /proc/<pid>/task/<tid>/stat} reports it (field 41). */
    static final int SCHED_IDLE = 5;

    private static final int PRIO_PROCESS = 0;

    private static final @Nullable MethodHandle SETPRIORITY = lookUp(
            "setpriority",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static final @Nullable MethodHandle SCHED_SETSCHEDULER = lookUp(
            "sched_setscheduler",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    /** What {@link #lowerCurrentThread} achieved. */
    enum Result {
        SCHED_IDLE,
        NICE,
        HINT_ONLY
    }

    private BackgroundPriority() {}

    private static @Nullable MethodHandle lookUp(String name, FunctionDescriptor signature) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup()
                    .find(name)
                    .map(a -> linker.downcallHandle(a, signature))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            // No native access (an embedding JVM that denies it): the fallbacks below still apply.
            return null;
        }
    }

    /** Lowers the calling thread's priority for good. */
    static Result lowerCurrentThread() {
        Thread.currentThread().setPriority(Thread.MIN_PRIORITY);
        MethodHandle sched = SCHED_SETSCHEDULER;
        if (sched != null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment param = arena.allocate(ValueLayout.JAVA_INT); // struct sched_param { 0 }
                param.set(ValueLayout.JAVA_INT, 0, 0);
                if ((int) sched.invokeExact(0, SCHED_IDLE, param) == 0) {
                    return Result.SCHED_IDLE;
                }
            } catch (Throwable e) { // invokeExact declares Throwable; the call itself only returns -1
                // Fall through to nice.
            }
        }
        MethodHandle nice = SETPRIORITY;
        if (nice != null) {
            try {
                if ((int) nice.invokeExact(PRIO_PROCESS, 0, NICE) == 0) {
                    return Result.NICE;
                }
            } catch (Throwable e) { // as above
                // Fall through to the hint.
            }
        }
        return Result.HINT_ONLY;
    }
}
