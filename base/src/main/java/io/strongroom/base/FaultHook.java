package io.strongroom.base;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The one fault-injection hook every module uses. Code with durable steps calls it at each {@link FaultPoint}; a
 * crash test throws from it to stop the work there (an {@link IOException} where the step does I/O, as the file
 * system would fail it, or an unchecked throwable to simulate a crash) and may damage the file just written, as a
 * torn write would; a recording hook (testkit's {@code DurableWriteRecorder}) lists the points to pin a sequence; a
 * slowed-job test waits in it. Production passes {@link #NONE}.
 *
 * <p>Where the point falls (before or after its step) is documented by the point: {@link DurableFile.Step}s are
 * announced before the step, a store's commit steps after. One hook may see several kinds of point (a store's hook
 * sees its commit steps and the durable writes they are made of); a hook picks the kind it wants with {@code
 * instanceof}.
 *
 * <p>Implementations called from several threads (a control plane's jobs) must be thread-safe.
 */
@FunctionalInterface
public interface FaultHook {
    /** The production hook: does nothing. */
    FaultHook NONE = (point, file) -> {};

    /**
     * Called at {@code point}; {@code file} is the file or directory it concerns, if any. Throwing stops the work
     * there, as a failure of that step would.
     */
    void at(FaultPoint point, @Nullable Path file) throws IOException;

    /**
     * {@link #at} for a point in code that does no I/O of its own at that place (a step already done): an {@link
     * IOException} the hook throws is rethrown as an {@link UncheckedIOException}.
     */
    default void reached(FaultPoint point, @Nullable Path file) {
        try {
            at(point, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
