package io.strongroom.server;

import java.util.logging.SimpleFormatter;

/**
 * The one place the product's logging is configured. Product code logs through {@link System.Logger} only (no
 * module depends on a logging library); with no other backend installed the JDK sends those records to {@code
 * java.util.logging}, whose console handler writes them to standard error. This sets that output to one line per
 * record (time with its offset, level, logger, message) followed by the stack when there is one, so a failure's request id, its
 * line and its stack stay together, and lets an operator replace all of it with their own {@code
 * java.util.logging.config.file}. (The AWS SDK, used by {@code strongroom watch} and the external KMS client, logs
 * through SLF4J to {@code slf4j-simple}, a runtime dependency of this module only.)
 */
final class ServerLogging {
    /**
     * {@link SimpleFormatter}'s format: date-time, level, logger name, message, stack (the sixth
     * argument, empty without one), newline.
     */
    static final String FORMAT = "%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s: %5$s%6$s%n";

    private static final String FORMAT_PROPERTY = "java.util.logging.SimpleFormatter.format";

    private ServerLogging() {}

    /** Called first in {@code main}, before anything logs; leaves an operator's own configuration alone. */
    static void configure() {
        if (System.getProperty("java.util.logging.config.file") != null
                || System.getProperty(FORMAT_PROPERTY) != null) {
            return;
        }
        // Read by each SimpleFormatter when it is made, so before the console handler's first record.
        System.setProperty(FORMAT_PROPERTY, FORMAT);
    }
}
