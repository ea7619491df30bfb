package io.strongroom.storage;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Lowers the CPU priority of the calling thread, for background work that should take only the cores queries
 * leave idle (a key rotation's rewrap). Stateless and thread-safe.
 *
 * <p>How this works. On Linux the nice value is an attribute of each thread, and {@code setpriority(PRIO_PROCESS,
 * 0, n)} changes the calling thread only; the JVM ignores {@link Thread#setPriority} there unless started with
 * root-only flags, so the call goes to libc through the foreign function API (the launcher, the test JVMs and the
 * benchmarks run with {@code --enable-native-access=ALL-UNNAMED}). At nice {@value #NICE} a thread gets about 1.5%
 * of a core that a normal thread also wants (CFS weights 15 against 1024), and all of a core that nobody else
 * wants: rotation still runs at full speed on an idle machine, and costs a query sharing its core almost nothing.
 * Work that must end in bounded time pairs this with a floor pace of its own ({@code KeyRotation.Pace}). An
 * unprivileged thread cannot raise its priority again, so callers lower only threads that do nothing else (never
 * one that takes the commit lock, which would invert priorities). Elsewhere, or when the call fails, this falls
 * back to {@link Thread#MIN_PRIORITY}, a hint the OS may ignore.
 *
 * <p>Alternatives rejected: sleeping between chunks to a CPU budget (slows rotation even on an idle machine, and
 * still takes a core from a query that arrives mid-chunk); {@code -XX:ThreadPriorityPolicy} (needs root and a JVM
 * flag on every launcher); nice 10 (still about a tenth of any core it shares with a query). RocksDB lowers its low-priority compaction threads the same way, to nice 19.
 */
final class BackgroundPriority {
    /** The nice value background threads run at (0 is normal, 19 the lowest). */
    static final int NICE = 19;

    private static final int PRIO_PROCESS = 0;

    private static final @Nullable MethodHandle SETPRIORITY = lookUp();

    private BackgroundPriority() {}

    private static @Nullable MethodHandle lookUp() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup()
                    .find("setpriority")
                    .map(a -> linker.downcallHandle(
                            a,
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            // No native access (an embedding JVM that denies it): the fallback below still applies.
            return null;
        }
    }

    /** Lowers the calling thread's priority for good; true when the OS nice value was changed. */
    static boolean lowerCurrentThread() {
        Thread.currentThread().setPriority(Thread.MIN_PRIORITY);
        MethodHandle h = SETPRIORITY;
        if (h == null) {
            return false;
        }
        try {
            return (int) h.invokeExact(PRIO_PROCESS, 0, NICE) == 0;
        } catch (Throwable e) { // invokeExact declares Throwable; setpriority itself only returns -1
            return false;
        }
    }
}
