package io.strongroom.server.watch;

import io.strongroom.server.watch.Operation.Meter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jspecify.annotations.Nullable;

/**
 * The live terminal view: one progress bar per running operation (drawn by {@code me.tongfei:progressbar}), a
 * status line for operations without an amount, and a footer; redrawn in place at each poll. An operation that
 * ends leaves its final line above the live area, so the scrollback keeps a record of what finished and how.
 *
 * <p>How this works: each running operation owns a {@link ProgressBar} whose consumer does not print but keeps the
 * last line the library rendered; at each poll the bar is moved to the reported amount and asked to render, and
 * this class redraws the whole live area (cursor up over the previous frame, clear to the end of the screen, print
 * the new lines). The width comes from the jline terminal at every frame, so a resized window is followed.
 *
 * <p>Alternatives rejected: the library's own multi-bar consumer ({@code InteractiveConsoleProgressBarConsumer})
 * prints from the library's thread and counts lines itself, so bars can be neither removed nor interleaved with
 * the final lines and the footer, and anything else printed shifts every bar; drawing the bars by hand duplicates
 * the library's width, Unicode and ETA handling.
 *
 * <p>Not thread-safe: the polling thread alone calls it. The library renders on its own daemon thread too (once,
 * when a bar is created or closed); what it renders lands in a volatile field and is overwritten by the next
 * explicit render.
 */
final class LiveView implements View {
    private static final String CLEAR_TO_END_OF_SCREEN = "\u001b[J";
    private static final int MIN_LABEL_WIDTH = 20;

    private final PrintStream out;
    private final String target;
    private final Duration interval;
    private final Terminal terminal;
    private final ProgressBarStyle style;
    private final Map<String, LiveBar> bars = new LinkedHashMap<>();
    private int drawnLines;
    private int lastRunning = -1;

    /**
     * @param target what is watched, for the footer, e.g. {@code cluster dw1 at http://...}
     * @param interval the polling interval, for the footer
     */
    LiveView(PrintStream out, String target, Duration interval) {
        this.out = out;
        this.target = target;
        this.interval = interval;
        try {
            // Only for the window's width: output goes through `out`, input is never read.
            this.terminal = TerminalBuilder.builder().system(true).dumb(true).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the terminal", e);
        }
        String encoding = System.getProperty("stdout.encoding", "UTF-8");
        this.style =
                encoding.equalsIgnoreCase("UTF-8") ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK : ProgressBarStyle.ASCII;
    }

    @Override
    public void frame(List<Operation> running, List<Operation> ended, @Nullable String problem) {
        int width = width();
        List<String> lines = new ArrayList<>();
        int labelWidth = Math.max(MIN_LABEL_WIDTH, PlainView.labelWidth(running));
        Set<String> live = new HashSet<>();
        for (Operation o : running) {
            live.add(o.id());
            if (o.meter() == Meter.NONE) {
                lines.add(fit(o.line(labelWidth), width));
                continue;
            }
            LiveBar bar = bars.get(o.id());
            if (bar == null) {
                bar = new LiveBar(o, labelWidth, style);
                bars.put(o.id(), bar);
            }
            lines.add(bar.render(o, width));
        }
        for (var it = bars.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!live.contains(e.getKey())) {
                e.getValue().close();
                it.remove();
            }
        }
        lines.add(fit(footer(running.size(), problem), width));

        StringBuilder b = new StringBuilder();
        if (drawnLines > 0) {
            b.append("\r\u001b[").append(drawnLines).append('A');
        }
        b.append(CLEAR_TO_END_OF_SCREEN);
        int endedWidth = PlainView.labelWidth(ended);
        for (Operation o : ended) {
            b.append(fit(o.line(endedWidth), width)).append('\n');
        }
        for (String line : lines) {
            b.append(line).append('\n');
        }
        out.print(b);
        out.flush();
        drawnLines = lines.size();
        lastRunning = running.size();
    }

    @Override
    public void close() {
        for (LiveBar bar : bars.values()) {
            bar.close();
        }
        bars.clear();
        if (lastRunning == 0) {
            // The footer said "every 2 s · Ctrl-C to stop"; the watch is over, so it says what was found instead.
            out.print("\r\u001b[1A" + CLEAR_TO_END_OF_SCREEN + "nothing running " + target + "\n");
        }
        out.flush();
        try {
            terminal.close();
        } catch (IOException e) {
            // Nothing to restore: the terminal was opened for its size only, never put in raw mode.
        }
    }

    private String footer(int running, @Nullable String problem) {
        if (problem != null) {
            return "poll failed, retrying: " + problem;
        }
        String every = "every " + seconds(interval) + " s · Ctrl-C to stop";
        return running == 0
                ? "nothing running " + target + " · " + every
                : running + " running " + target + " · " + every;
    }

    private static String seconds(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : Double.toString(millis / 1000.0);
    }

    private int width() {
        int w = terminal.getWidth();
        // The last column is left free: writing into it makes some terminals wrap, which breaks the line count.
        return (w >= 10 ? w : 80) - 1;
    }

    private static String fit(String line, int width) {
        return line.length() <= width ? line : line.substring(0, Math.max(0, width - 1)) + "…";
    }

    /** One operation's bar, and the line the library last rendered for it. */
    private static final class LiveBar implements AutoCloseable {
        /** Written by the polling thread, read by the ETA function on whichever thread renders. */
        private volatile Operation current;

        private final CapturingConsumer consumer = new CapturingConsumer();
        private final ProgressBar bar;

        LiveBar(Operation o, int labelWidth, ProgressBarStyle style) {
            this.current = o;
            String name =
                    o.label() + " ".repeat(Math.max(0, labelWidth - o.label().length()));
            this.bar = new ProgressBarBuilder()
                    .setTaskName(name)
                    .setStyle(style)
                    .setInitialMax(o.meter() == Meter.BAR ? o.total() : -1)
                    .setUnit(o.unit().isEmpty() ? "" : " " + o.unit(), 1)
                    // The API's elapsed time: the bar's clock starts where the operation's is.
                    .startsFrom(o.done(), o.elapsed() == null ? Duration.ZERO : o.elapsed())
                    // The API's ETA (or one from its rate), not the library's guess from this process's samples.
                    .setEtaFunction(state -> Optional.ofNullable(current.eta()))
                    // Renders at each explicit refresh even when the amount has not moved (rate, ETA, status).
                    .continuousUpdate()
                    // Rendering is driven by the poll (refresh), not by the library's timer.
                    .setUpdateIntervalMillis(Integer.MAX_VALUE)
                    .setConsumer(consumer)
                    .build();
        }

        String render(Operation o, int width) {
            current = o;
            consumer.width = width;
            if (o.meter() == Meter.BAR) {
                bar.maxHint(o.total());
                bar.stepTo(o.done());
            } else {
                bar.maxHint(-1);
            }
            String rate = o.rateText();
            bar.setExtraMessage((rate.isEmpty() ? "" : rate + " · ") + o.status());
            bar.refresh();
            return consumer.last;
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    /** Keeps the library's rendered line instead of printing it. */
    private static final class CapturingConsumer implements ProgressBarConsumer {
        volatile int width = 79;
        volatile String last = "";

        @Override
        public int getMaxRenderedLength() {
            return width;
        }

        @Override
        public void accept(String rendered) {
            last = rendered;
        }

        @Override
        public void close() {}
    }
}
