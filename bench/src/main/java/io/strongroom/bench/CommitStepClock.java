package io.strongroom.bench;

import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;
import java.io.PrintStream;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where a commit's CPU goes, step by step: installed as a store's {@link FaultHook}, it reads the committing thread's
 * CPU time at every point the store announces (each durable write step, announced before it happens, and each commit
 * step, announced after), and charges the time since the previous point to the span between the two. The spans of
 * one commit add up to its CPU. Records only between {@link #begin} and {@link #end}, on the thread that began, so
 * the measured commits of the benchmark run without it; a span's label names the points at its ends ({@code
 * WRITE catalog -> SYNC_FILE catalog} is creating and writing the catalog file). Not thread-safe beyond that.
 */
final class CommitStepClock implements FaultHook {
    private final ThreadMXBean cpu;
    private final Map<String, long[]> spans = new LinkedHashMap<>();
    private @Nullable Thread thread;
    private String last = "";
    private long lastNanos;
    private int commits;

    CommitStepClock(ThreadMXBean cpu) {
        this.cpu = cpu;
    }

    /** Starts charging the current thread's CPU to spans, from the start of a commit. */
    void begin() {
        thread = Thread.currentThread();
        last = "start";
        lastNanos = cpu.getCurrentThreadCpuTime();
    }

    /** Charges the time since the last point to the span up to the commit's return, and stops recording. */
    void end() {
        charge("return");
        thread = null;
        commits++;
    }

    @Override
    public void at(FaultPoint point, @Nullable Path file) {
        if (Thread.currentThread() == thread) {
            charge(point + (file == null ? "" : " " + kind(file)));
        }
    }

    private void charge(String to) {
        long now = cpu.getCurrentThreadCpuTime();
        spans.computeIfAbsent(last + " -> " + to, k -> new long[1])[0] += now - lastNanos;
        last = to;
        lastNanos = cpu.getCurrentThreadCpuTime();
    }

    /** A file's kind, so that every commit's spans have the same labels: the name without numbers. */
    private static String kind(Path file) {
        Path name = file.getFileName();
        String n = name == null ? "/" : name.toString();
        if (n.endsWith(".mdl")) {
            return "delta";
        }
        if (n.endsWith(".cat")) {
            return "catalog";
        }
        if (n.endsWith(".man")) {
            return "manifest";
        }
        return n.chars().allMatch(Character::isDigit) ? "tables/<id>" : n;
    }

    /** Prints the mean CPU of each span per commit, largest first, and their sum. */
    void print(PrintStream out, String title) {
        List<Map.Entry<String, long[]>> all = new ArrayList<>(spans.entrySet());
        all.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        double total = 0;
        out.printf(Locale.ROOT, "%s: mean CPU per commit by step, %d commits%n", title, commits);
        for (Map.Entry<String, long[]> e : all) {
            double ms = e.getValue()[0] / 1e6 / Math.max(1, commits);
            total += ms;
            out.printf(Locale.ROOT, "  %8.3f ms  %s%n", ms, e.getKey());
        }
        out.printf(Locale.ROOT, "  %8.3f ms  in all%n", total);
    }
}
