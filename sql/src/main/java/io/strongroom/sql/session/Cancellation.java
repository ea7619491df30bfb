package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;

/**
 * A session's cancel request: set by {@link StoreSession#cancel()} from any thread, cleared when the session starts
 * executing its next statement, and polled by the running statement (the executor between batches, row appends
 * between rows, COPY between batches).
 *
 * <p>Thread-safe: the flag is volatile, and is the only state of a session that another thread touches. A request
 * that arrives while no statement runs is dropped by the next {@link #reset()}, as PostgreSQL drops a cancel that
 * finds nothing running.
 */
final class Cancellation {
    private volatile boolean requested;

    /** Asks the statement running now, if any, to stop. */
    void request() {
        requested = true;
    }

    /** Forgets any earlier request: called as a statement starts. */
    void reset() {
        requested = false;
    }

    /** Whether a cancel has been asked for since the statement started; the executor's poll. */
    boolean isRequested() {
        return requested;
    }

    /** Fails the running statement with SQLSTATE 57014 if a cancel has been asked for. */
    void check() {
        if (requested) {
            throw new StrongroomException(ErrorCode.QUERY_CANCELED, "canceling statement due to user request");
        }
    }
}
