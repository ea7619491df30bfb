package io.strongroom.pgwire;

import org.jspecify.annotations.Nullable;

/**
 * A failure as the log may show it: the same classes and stack frames, each message withheld. An engine's message
 * can quote the statement with its literal values (a customer's data) or worse; the class and frames locate the
 * fault. Immutable.
 */
final class Withheld extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private Withheld(String className, @Nullable Throwable cause) {
        super(className + " (message withheld from the log: it may quote SQL literals)", cause);
    }

    /** {@code t} with every message in its chain withheld. */
    static Throwable of(Throwable t) {
        Throwable cause = t.getCause();
        Throwable copy = new Withheld(t.getClass().getName(), cause == null || cause == t ? null : of(cause));
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }
}
