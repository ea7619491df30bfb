package io.strongroom.server.watch;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One long operation of an endpoint as the Redshift API shows it at one poll: a restore, a resize, a snapshot being
 * taken, a key rotation, a table restore, or a cluster being created or deleted.
 *
 * <p>Invariants: {@code id} is stable across polls for the same operation (it is how the view keeps one bar per
 * operation); {@code done} and {@code total} are in {@code unit} and only meaningful when {@code meter} is {@link
 * Meter#BAR}, where {@code 0 <= done} and {@code 0 < total}; {@code ratePerSecond} is in {@code unit} per second.
 * Immutable, so thread-safe.
 *
 * @param id stable identity across polls, e.g. {@code restore/dw2} or {@code snapshot/s1}
 * @param label what a person reads, e.g. {@code restore dw2}
 * @param status the status the API reports, e.g. {@code restoring}
 * @param running whether the operation is still going on
 * @param meter how its progress can be shown
 * @param done how much is done, in {@code unit}
 * @param total how much there is in all, in {@code unit}
 * @param unit {@code MB}, or empty for a plain count (e.g. block keys rewrapped)
 * @param ratePerSecond the current rate the API reports, in {@code unit} per second; null when not reported
 * @param eta the time to completion the API reports, or one derived from the rate; null when unknown
 * @param elapsed the time spent so far the API reports; null when not reported
 */
public record Operation(
        String id,
        String label,
        String status,
        boolean running,
        Meter meter,
        long done,
        long total,
        String unit,
        @Nullable Double ratePerSecond,
        @Nullable Duration eta,
        @Nullable Duration elapsed) {

    /** How an operation's progress can be shown. */
    public enum Meter {
        /** A bar: {@code done} of {@code total} is known. */
        BAR,
        /** A bar that only shows that something is happening: the amount is not reported. */
        INDETERMINATE,
        /** No bar: a status line alone (e.g. a cluster being deleted). */
        NONE
    }

    public Operation {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(meter, "meter");
        Objects.requireNonNull(unit, "unit");
        if (meter == Meter.BAR && (done < 0 || total <= 0)) {
            throw new IllegalArgumentException(
                    "a bar needs 0 <= done and 0 < total, not " + done + " of " + total + " for " + id);
        }
    }

    /** The same operation under another label (a finished operation keeps the label it had while running). */
    public Operation withLabel(String newLabel) {
        return new Operation(id, newLabel, status, running, meter, done, total, unit, ratePerSecond, eta, elapsed);
    }

    /** The share done, 0 to 100, floored; 0 unless the meter is a bar. */
    public int percent() {
        if (meter != Meter.BAR) {
            return 0;
        }
        return (int) Math.min(100, Math.max(0, done * 100 / total));
    }

    /** The rate as a person reads it, e.g. {@code 12.5 MB/s}; empty when not reported. */
    public String rateText() {
        if (ratePerSecond == null) {
            return "";
        }
        return String.format(Locale.ROOT, "%.1f %s/s", ratePerSecond, unit.isEmpty() ? "items" : unit);
    }

    /**
     * One line of plain text (no ANSI), as {@code strongroom watch --once} prints it and as a finished operation's
     * final line, e.g. {@code restore dw2   restoring  45%  450/1000 MB  12.5 MB/s  elapsed 0:00:36  eta 0:00:44}.
     *
     * @param labelWidth the label is padded to this many characters so that the lines of a frame line up
     */
    public String line(int labelWidth) {
        StringBuilder b = new StringBuilder(label);
        b.append(" ".repeat(Math.max(0, labelWidth - label.length())));
        b.append("  ").append(status);
        if (meter == Meter.BAR) {
            b.append("  ")
                    .append(percent())
                    .append("%  ")
                    .append(done)
                    .append('/')
                    .append(total);
            if (!unit.isEmpty()) {
                b.append(' ').append(unit);
            }
        }
        if (running && ratePerSecond != null) {
            b.append("  ").append(rateText());
        }
        if (elapsed != null) {
            b.append(running ? "  elapsed " : "  took ").append(clock(elapsed));
        }
        if (running && eta != null) {
            b.append("  eta ").append(clock(eta));
        }
        return b.toString();
    }

    /** A duration as {@code H:MM:SS}, the form the progress bars use too. */
    static String clock(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60);
    }
}
