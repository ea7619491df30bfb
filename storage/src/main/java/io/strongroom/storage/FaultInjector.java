package io.strongroom.storage;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Told of every durable step of a write; crash tests throw from it to stop a write there (and may damage the
 * file just written, as a torn write would). Production uses {@link #NONE}.
 */
@FunctionalInterface
public interface FaultInjector {
    FaultInjector NONE = (step, file) -> {};

    /** Called after {@code step} completed; {@code file} is the file it wrote, if any. */
    void reached(CommitStep step, @Nullable Path file);
}
