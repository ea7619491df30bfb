package io.strongroom.sql.exec;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.Locale;

/**
 * The memory one operator of a query may hold (a hash join's build side, an aggregation's groups) before it spills
 * to disk: PostgreSQL's {@code work_mem}, set per session with {@code SET work_mem = '512MB'}. The default is a
 * fifth of the heap, at least 64 MB; threads of one operator share it.
 */
public final class QueryMemory {
    private static final long MB = 1L << 20;

    private QueryMemory() {}

    /**
     * The default budget, in bytes: a fifth of the heap (the block cache takes a quarter by default), at least 64 MB.
     * It does not ask the block cache its size: that would make the cache, which the process sizes once, early.
     */
    public static long defaultBytes() {
        return Math.max(64 * MB, Runtime.getRuntime().maxMemory() / 5);
    }

    /** The budget as PostgreSQL writes work_mem: whole megabytes ("1536MB"), kilobytes below one. */
    public static String format(long bytes) {
        return bytes % MB == 0 || bytes >= 64 * MB ? (bytes / MB) + "MB" : (bytes >> 10) + "kB";
    }

    /**
     * Parses a work_mem value as PostgreSQL does: a whole number with an optional unit (kB, MB, GB, TB; B for bytes),
     * kilobytes when there is none; at least 64 kB.
     */
    public static long parse(String value) {
        String v = value.trim();
        if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
            v = v.substring(1, v.length() - 1).trim();
        }
        int i = 0;
        while (i < v.length() && Character.isDigit(v.charAt(i))) {
            i++;
        }
        String unit = v.substring(i).trim().toLowerCase(Locale.ROOT);
        long mult = switch (unit) {
            case "", "kb" -> 1L << 10;
            case "b" -> 1;
            case "mb" -> MB;
            case "gb" -> 1L << 30;
            case "tb" -> 1L << 40;
            default -> -1;
        };
        if (i == 0 || mult < 0 || i > 12) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "invalid value for parameter \"work_mem\": \"" + value
                            + "\"; give a size such as '64MB' or '4GB' (units kB, MB, GB, TB)");
        }
        long bytes = Long.parseLong(v.substring(0, i)) * mult;
        if (bytes < 64 << 10) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "work_mem must be at least 64kB; " + value + " is less");
        }
        return bytes;
    }
}
