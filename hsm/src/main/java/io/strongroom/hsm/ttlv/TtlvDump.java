package io.strongroom.hsm.ttlv;

import java.util.Arrays;
import java.util.Set;

/**
 * A hex dump of raw TTLV bytes for logs, one item per line, with the values of {@link #REDACTED} tags (Data, Key
 * Material, Password, Key Value) withheld. It walks the bytes as far as their framing holds and withholds whatever
 * cannot be framed, so a malformed message, whose secrets sit at unknown places, never leaks them either.
 * Stateless and thread-safe.
 */
public final class TtlvDump {
    /** Tags whose values never appear in a dump. */
    public static final Set<Integer> REDACTED = Set.of(Tags.DATA, Tags.KEY_MATERIAL, Tags.PASSWORD, Tags.KEY_VALUE);

    private static final int MAX_LINES = 200;

    private TtlvDump() {}

    /** The redacted dump of {@code bytes}. */
    public static String redacted(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        int[] lines = {0};
        walk(bytes, 0, bytes.length, 0, out, lines);
        return out.toString();
    }

    private static void walk(byte[] b, int from, int to, int depth, StringBuilder out, int[] lines) {
        int p = from;
        while (p < to) {
            if (++lines[0] > MAX_LINES) {
                out.append("  ".repeat(depth))
                        .append("... (dump cut at ")
                        .append(MAX_LINES)
                        .append(" lines)\n");
                return;
            }
            String indent = "  ".repeat(depth);
            if (to - p < 8) {
                out.append(indent).append("<").append(to - p).append(" unframed bytes withheld>\n");
                return;
            }
            int tag = ((b[p] & 0xFF) << 16) | ((b[p + 1] & 0xFF) << 8) | (b[p + 2] & 0xFF);
            int type = b[p + 3] & 0xFF;
            long len = ((b[p + 4] & 0xFFL) << 24)
                    | ((b[p + 5] & 0xFFL) << 16)
                    | ((b[p + 6] & 0xFFL) << 8)
                    | (b[p + 7] & 0xFFL);
            String header = TtlvCodec.hex(Arrays.copyOfRange(b, p, p + 8));
            out.append(indent).append(header).append("  ").append(Tags.describe(tag));
            long padded = (len + 7) & ~7L;
            if (padded > to - p - 8) {
                out.append(" <length beyond parent; ").append(to - p - 8).append(" bytes withheld>\n");
                return;
            }
            int start = p + 8;
            int end = (int) (start + padded);
            if (type == TtlvType.STRUCTURE.code() && !REDACTED.contains(tag)) {
                out.append('\n');
                walk(b, start, end, depth + 1, out, lines);
            } else if (REDACTED.contains(tag)) {
                out.append(" <").append(len).append(" bytes withheld>\n");
            } else {
                out.append("  ")
                        .append(TtlvCodec.hex(Arrays.copyOfRange(b, start, end)))
                        .append('\n');
            }
            p = end;
        }
    }
}
