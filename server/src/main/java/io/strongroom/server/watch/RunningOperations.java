package io.strongroom.server.watch;

import io.strongroom.server.watch.Operation.Meter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.DataTransferProgress;
import software.amazon.awssdk.services.redshift.model.RestoreStatus;
import software.amazon.awssdk.services.redshift.model.Snapshot;
import software.amazon.awssdk.services.redshift.model.TableRestoreStatus;

/**
 * Turns DescribeClusters, DescribeClusterSnapshots and DescribeTableRestoreStatus responses into {@link Operation}s.
 * Pure: no I/O and no clock, so every rule below is pinned by unit tests on hand-built SDK model objects.
 *
 * <p>What counts as running:
 *
 * <ul>
 *   <li>a cluster's RestoreStatus while its Status is {@code starting} or {@code restoring};
 *   <li>a cluster's DataTransferProgress while its Status is not terminal and the cluster is {@code resizing} or
 *       {@code modifying};
 *   <li>a cluster in {@code rotating-keys}, with a bar when its ModifyStatus says "N of M";
 *   <li>a cluster in a transitional state ({@code creating}, {@code deleting}, {@code final-snapshot}, {@code
 *       resizing}, {@code modifying}, {@code rebooting}) that no other running operation of it explains: a status
 *       line without a bar;
 *   <li>a snapshot whose Status is {@code creating};
 *   <li>a table restore whose Status is {@code PENDING} or {@code IN_PROGRESS}.
 * </ul>
 *
 * <p>The same sources also give finished operations ({@code running == false}, e.g. a restore whose status is
 * {@code completed}, or a snapshot that is {@code available}): the view looks up an operation it was showing among
 * them to print how it ended. Strings are compared case-insensitively because Redshift mixes cases across these
 * fields ({@code restoring}, {@code IN_PROGRESS}, {@code SUCCEEDED}). Thread-safe: stateless.
 */
public final class RunningOperations {
    private static final Set<String> RESTORE_RUNNING = Set.of("starting", "restoring");
    private static final Set<String> TRANSFER_DONE =
            Set.of("succeeded", "failed", "complete", "completed", "cancelled", "canceled");
    private static final Set<String> TRANSFER_CLUSTER_STATES = Set.of("resizing", "modifying");
    private static final String ROTATING = "rotating-keys";
    private static final Set<String> TRANSITIONAL =
            Set.of("creating", "deleting", "final-snapshot", "resizing", "modifying", "rebooting");
    private static final Set<String> TABLE_RESTORE_RUNNING = Set.of("pending", "in_progress");
    /** "rewrapping block keys: 1200 of 5000", also with thousands separators. */
    private static final Pattern N_OF_M = Pattern.compile("(\\d[\\d,]*)\\s+of\\s+(\\d[\\d,]*)");

    private RunningOperations() {}

    /**
     * Every operation the responses show, running or finished, in the order clusters, snapshots, table restores
     * (each in the order the API listed them).
     */
    public static List<Operation> of(
            List<Cluster> clusters, List<Snapshot> snapshots, List<TableRestoreStatus> tableRestores) {
        List<Operation> out = new ArrayList<>();
        for (Cluster c : clusters) {
            addCluster(out, c);
        }
        for (Snapshot s : snapshots) {
            out.add(snapshot(s));
        }
        for (TableRestoreStatus t : tableRestores) {
            out.add(tableRestore(t));
        }
        return out;
    }

    /** The running ones of {@code operations}, in order. */
    public static List<Operation> running(List<Operation> operations) {
        return operations.stream().filter(Operation::running).toList();
    }

    /**
     * The operations of {@code wereRunning} (the previous poll's running ones) that are not running in {@code now},
     * each as it ended: as {@code now} shows it when it is still listed (a restore that is {@code completed}, a
     * snapshot that is {@code available}, a cluster back to {@code available}), else as {@link #vanished}. Each
     * keeps the label it had while running, so "rotate keys dw1" ends as "rotate keys dw1  available".
     */
    public static List<Operation> ended(Collection<Operation> wereRunning, List<Operation> now) {
        Map<String, Operation> byId = new HashMap<>();
        for (Operation o : now) {
            byId.put(o.id(), o);
        }
        List<Operation> out = new ArrayList<>();
        for (Operation before : wereRunning) {
            Operation after = byId.get(before.id());
            if (after == null) {
                out.add(vanished(before));
            } else if (!after.running()) {
                out.add(after.withLabel(before.label()));
            }
        }
        return out;
    }

    /**
     * How an operation that was running ended when the API no longer lists it at all: a cluster that was being
     * deleted is gone because the deletion finished; anything else just disappeared.
     */
    public static Operation vanished(Operation last) {
        String status =
                lower(last.status()).equals("deleting") || lower(last.status()).equals("final-snapshot")
                        ? "deleted"
                        : "no longer listed (last status: " + last.status() + ")";
        return new Operation(
                last.id(),
                last.label(),
                status,
                false,
                last.meter() == Meter.BAR ? Meter.BAR : Meter.NONE,
                last.done(),
                last.total(),
                last.unit(),
                null,
                null,
                last.elapsed());
    }

    private static void addCluster(List<Operation> out, Cluster c) {
        String name = text(c.clusterIdentifier());
        String state = lower(c.clusterStatus());
        boolean explained = false;

        RestoreStatus r = c.restoreStatus();
        if (r != null && r.status() != null) {
            boolean running = RESTORE_RUNNING.contains(lower(r.status()));
            out.add(measured(
                    "restore/" + name,
                    "restore " + name,
                    r.status(),
                    running,
                    r.progressInMegaBytes(),
                    r.snapshotSizeInMegaBytes(),
                    "MB",
                    r.currentRestoreRateInMegaBytesPerSecond(),
                    r.estimatedTimeToCompletionInSeconds(),
                    r.elapsedTimeInSeconds()));
            explained |= running;
        }

        DataTransferProgress t = c.dataTransferProgress();
        if (t != null) {
            String status = t.status() == null ? state : t.status();
            boolean running = !TRANSFER_DONE.contains(lower(t.status())) && TRANSFER_CLUSTER_STATES.contains(state);
            String pending = c.pendingModifiedValues() == null
                    ? null
                    : c.pendingModifiedValues().encryptionType();
            String verb = state.equals("resizing")
                    ? "resize "
                    : "KMS".equals(pending) ? "encrypt " : "NONE".equals(pending) ? "decrypt " : "modify ";
            out.add(measured(
                    "transfer/" + name,
                    verb + name,
                    status,
                    running,
                    t.dataTransferredInMegaBytes(),
                    t.totalDataInMegaBytes(),
                    "MB",
                    t.currentRateInMegaBytesPerSecond(),
                    t.estimatedTimeToCompletionInSeconds(),
                    t.elapsedTimeInSeconds()));
            explained |= running;
        }

        if (state.equals(ROTATING)) {
            String detail = text(c.modifyStatus()).strip();
            String status = detail.isEmpty() ? c.clusterStatus() : detail;
            Matcher m = N_OF_M.matcher(detail);
            if (m.find() && count(m.group(2)) > 0) {
                long total = count(m.group(2));
                long done = Math.min(count(m.group(1)), total);
                out.add(new Operation(
                        "rotate/" + name,
                        "rotate keys " + name,
                        status,
                        true,
                        Meter.BAR,
                        done,
                        total,
                        "",
                        null,
                        null,
                        null));
            } else {
                out.add(new Operation(
                        "rotate/" + name,
                        "rotate keys " + name,
                        status,
                        true,
                        Meter.INDETERMINATE,
                        0,
                        0,
                        "",
                        null,
                        null,
                        null));
            }
            explained = true;
        } else {
            out.add(statusOnly("rotate/" + name, "rotate keys " + name, text(c.clusterStatus()), false));
        }

        boolean transitional = TRANSITIONAL.contains(state) && !explained;
        out.add(statusOnly("cluster/" + name, "cluster " + name, text(c.clusterStatus()), transitional));
    }

    private static Operation snapshot(Snapshot s) {
        Double total = s.totalBackupSizeInMegaBytes();
        if (total == null || total <= 0) {
            total = s.actualIncrementalBackupSizeInMegaBytes();
        }
        String id = text(s.snapshotIdentifier());
        return measured(
                "snapshot/" + id,
                "snapshot " + id,
                text(s.status()),
                lower(s.status()).equals("creating"),
                s.backupProgressInMegaBytes(),
                total,
                "MB",
                s.currentBackupRateInMegaBytesPerSecond(),
                s.estimatedSecondsToCompletion(),
                s.elapsedTimeInSeconds());
    }

    private static Operation tableRestore(TableRestoreStatus t) {
        String status = text(t.statusAsString());
        String table = text(t.newTableName());
        String cluster = text(t.clusterIdentifier());
        String id = t.tableRestoreRequestId() == null ? cluster + "/" + table : t.tableRestoreRequestId();
        return measured(
                "table-restore/" + id,
                "table restore " + table + " on " + cluster,
                status,
                TABLE_RESTORE_RUNNING.contains(lower(status)),
                t.progressInMegaBytes(),
                t.totalDataInMegaBytes(),
                "MB",
                null,
                null,
                null);
    }

    /**
     * An operation that reports an amount: a bar when the total is known, else an indeterminate bar while it runs
     * and a status line once it is over. The ETA is the one reported, or else derived from the rate.
     */
    private static Operation measured(
            String id,
            String label,
            String status,
            boolean running,
            @Nullable Number done,
            @Nullable Number total,
            String unit,
            @Nullable Double ratePerSecond,
            @Nullable Long etaSeconds,
            @Nullable Long elapsedSeconds) {
        long totalAmount = total == null ? 0 : Math.max(0, Math.round(total.doubleValue()));
        long doneAmount = done == null ? 0 : Math.max(0, Math.round(done.doubleValue()));
        Meter meter;
        if (totalAmount > 0) {
            meter = Meter.BAR;
            doneAmount = Math.min(doneAmount, totalAmount);
        } else {
            meter = running ? Meter.INDETERMINATE : Meter.NONE;
            doneAmount = 0;
        }
        Double rate = ratePerSecond == null || ratePerSecond < 0 || ratePerSecond.isNaN() ? null : ratePerSecond;
        Duration eta = etaSeconds != null && etaSeconds >= 0 ? Duration.ofSeconds(etaSeconds) : null;
        if (eta == null && rate != null && rate > 0 && meter == Meter.BAR) {
            eta = Duration.ofSeconds((long) Math.ceil((totalAmount - doneAmount) / rate));
        }
        Duration elapsed = elapsedSeconds != null && elapsedSeconds >= 0 ? Duration.ofSeconds(elapsedSeconds) : null;
        return new Operation(id, label, status, running, meter, doneAmount, totalAmount, unit, rate, eta, elapsed);
    }

    private static Operation statusOnly(String id, String label, String status, boolean running) {
        return new Operation(id, label, status, running, Meter.NONE, 0, 0, "", null, null, null);
    }

    private static long count(String digits) {
        try {
            return Long.parseLong(digits.replace(",", ""));
        } catch (NumberFormatException e) {
            return 0; // more digits than a long holds: not a count this view can draw
        }
    }

    private static String text(@Nullable String s) {
        return s == null ? "" : s;
    }

    private static String lower(@Nullable String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }
}
