package io.strongroom.base;

import java.util.List;
import java.util.Objects;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The one unchecked exception of Strongroom. Its {@link ErrorCode} decides how callers and protocol layers
 * react; its message names identifiers (cluster, table, file, block, key id) and never key material.
 */
public class StrongroomException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public StrongroomException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code);
    }

    public StrongroomException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code);
    }

    public ErrorCode code() {
        return code;
    }

    /**
     * Absolute file-system paths, as messages name them (a block, a manifest, a store directory): not preceded by a
     * word character or a dot, so ARNs ({@code key/...}) and URLs are left alone.
     */
    private static final Pattern PATH = Pattern.compile("(?<![\\w.:/])/(?:[\\w.@+=-]+/)+[\\w.@+=-]*");

    /**
     * {@code message} as a client may see it: every absolute server path replaced by {@code <path in the server
     * log>}. Protocol edges send this and log the full message when the two differ (DESIGN §7: the path goes to the
     * log, never to a client).
     */
    public static String forClient(String message) {
        return PATH.matcher(message).replaceAll("<path in the server log>");
    }

    /** The absolute server paths {@code message} names (what {@link #forClient} withholds), for a log line. */
    public static List<String> pathsIn(String message) {
        return PATH.matcher(message).results().map(MatchResult::group).toList();
    }

    /** A copy of this failure with more context in front of the message, keeping the code and the cause. */
    public StrongroomException withContext(String context) {
        return new StrongroomException(code, context + ": " + getMessage(), this);
    }
}
