package io.strongroom.testkit.log;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The records the product logs under {@code io.strongroom} while this is open. The product logs through {@link
 * System.Logger}, which the JDK backs with {@code java.util.logging} when no other backend is installed (the case in
 * every module's tests), so a handler on the {@code io.strongroom} logger sees every product line, whichever class
 * wrote it. Use in try-with-resources; thread-safe (handlers run on the logging thread).
 */
public final class CapturedLog implements AutoCloseable {
    private final Logger root = Logger.getLogger("io.strongroom");
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private final @Nullable Level levelBefore;

    public CapturedLog() {
        levelBefore = root.getLevel();
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        if (levelBefore == null || levelBefore.intValue() > Level.INFO.intValue()) {
            root.setLevel(Level.INFO);
        }
    }

    /** Every record logged so far. */
    public List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** The records at {@code SEVERE} (a {@link System.Logger.Level#ERROR}) so far. */
    public List<LogRecord> errors() {
        return records.stream()
                .filter(r -> r.getLevel().intValue() >= Level.SEVERE.intValue())
                .toList();
    }

    @Override
    public void close() {
        root.removeHandler(handler);
        root.setLevel(levelBefore);
    }
}
