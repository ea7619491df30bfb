package io.strongroom.server.watch;

import java.io.PrintStream;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Frames as plain text lines, without ANSI sequences: what {@code --once} prints, and what a poll prints when
 * standard output is not a terminal (a pipe or a log file). Each frame is the ended operations' final lines, then
 * one line per running operation; "nothing running" is said once each time the endpoint goes quiet, not at every
 * poll. Not thread-safe.
 */
final class PlainView implements View {
    private final PrintStream out;
    private final String target;
    private boolean quietSaid;

    /** @param target what is watched, for the "nothing running" line, e.g. {@code cluster dw1 at http://...} */
    PlainView(PrintStream out, String target) {
        this.out = out;
        this.target = target;
    }

    @Override
    public void frame(List<Operation> running, List<Operation> ended, @Nullable String problem) {
        if (problem != null) {
            out.println("poll failed, retrying: " + problem);
            return;
        }
        int width = labelWidth(ended, running);
        for (Operation o : ended) {
            out.println(o.line(width));
        }
        for (Operation o : running) {
            out.println(o.line(width));
        }
        if (running.isEmpty()) {
            if (!quietSaid) {
                out.println("nothing running " + target);
                quietSaid = true;
            }
        } else {
            quietSaid = false;
        }
        out.flush();
    }

    @Override
    public void close() {
        out.flush();
    }

    @SafeVarargs
    static int labelWidth(List<Operation>... lists) {
        int width = 0;
        for (List<Operation> l : lists) {
            for (Operation o : l) {
                width = Math.max(width, o.label().length());
            }
        }
        return width;
    }
}
