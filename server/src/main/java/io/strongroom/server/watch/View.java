package io.strongroom.server.watch;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** Where {@code strongroom watch} draws its frames: a live terminal, or plain lines. Not thread-safe. */
interface View extends AutoCloseable {
    /**
     * Draws one poll's state.
     *
     * @param running the operations still running, in the order to show them
     * @param ended the operations that were running at the previous poll and are not any more, each as it ended
     * @param problem why this poll failed, when it did (the previous frame's operations stay on screen); else null
     */
    void frame(List<Operation> running, List<Operation> ended, @Nullable String problem);

    /** Leaves the terminal as a shell expects it: the last frame in place, the cursor on a fresh line. */
    @Override
    void close();
}
