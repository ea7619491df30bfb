package io.strongroom.control.cluster;

import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.crypto.StrongroomException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Watches every running cluster once a {@link #INTERVAL}: its storage and, for an HSM cluster, its HSM.
 *
 * <p>Storage: a cluster whose disk filled up shows {@code storage-full} at once (its store refuses writes with
 * SQLSTATE 53100 while reads go on); here it gets event 3530 naming the cause and the fix, and a probe write
 * ({@value #PROBE_BYTES} bytes) each round finds when space is back, which clears the state and writes event 3531:
 * no reboot is needed. A store that stopped after a failure at or past a commit point (it cannot know what an
 * fsync error left) is reopened here through the reboot flow, with event 3532.
 *
 * <p>HSM: it connects with the cluster's
 * certificate and configuration and reads the state of the cluster key (KMIP Get Attributes), as Percona's and
 * MongoDB's KMIP users poll their master key. A cluster keeps serving on the keys it holds whatever this finds;
 * what changes is that the user hears of it at once instead of at the next reboot: event 1504 when the HSM cannot
 * be reached (or refuses the client), 1508 when the key is no longer active there (revoked or destroyed), each once
 * per outage, and 1509 when it is fine again.
 *
 * <p>Thread-safe: one scheduler thread; {@link #run} may also be called directly (tests).
 */
final class ClusterMonitor implements AutoCloseable {
    static final Duration INTERVAL = Duration.ofMinutes(1);
    static final int PROBE_BYTES = 4 << 20;
    private static final System.Logger LOG = System.getLogger(ClusterMonitor.class.getName());

    private final ControlState state;
    private final ClusterLifecycle lifecycle;
    /** Clusters whose full disk was reported, by id. */
    private final Map<String, Instant> diskFull = new ConcurrentHashMap<>();
    /** Clusters with a reported problem, by id: the problem last reported. */
    private final Map<String, String> problems = new ConcurrentHashMap<>();

    private @Nullable ScheduledExecutorService scheduler;

    ClusterMonitor(ControlState state, ClusterLifecycle lifecycle) {
        this.state = state;
        this.lifecycle = lifecycle;
    }

    void start() {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strongroom-cluster-monitor");
            t.setDaemon(true);
            return t;
        });
        s.scheduleWithFixedDelay(
                () -> {
                    try {
                        checkStorage();
                        run();
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "cluster check failed: " + e);
                    }
                },
                INTERVAL.toSeconds(),
                INTERVAL.toSeconds(),
                TimeUnit.SECONDS);
        scheduler = s;
    }

    /** Checks every running HSM cluster now; returns how many have a problem. */
    int run() {
        int bad = 0;
        for (ClusterEntry e : state.byId.values()) {
            if (state.closing) {
                break;
            }
            String id = e.rec.id();
            Optional<HsmStore.Binding> b = state.hsm.store().binding(id);
            if (e.running == null
                    || b.isEmpty()
                    || !b.get().status().equals("active")
                    || e.status != ClusterStatus.AVAILABLE) {
                continue;
            }
            VaultEntry v;
            try {
                v = state.vault.get(id).orElse(null);
            } catch (StrongroomException ex) {
                continue; // a damaged vault shows at the next reboot, with its own event
            }
            if (v == null || !v.hsmProtected()) {
                continue;
            }
            String problem = null;
            boolean inactive = false;
            try {
                int st = state.keys.hsmKeyState(v);
                if (st != ClusterKeys.KMIP_ACTIVE) {
                    inactive = true;
                    problem = "the cluster key " + v.hsmCekUid() + " is not active in the HSM (KMIP state " + st
                            + "): it was revoked or destroyed there";
                }
            } catch (StrongroomException ex) {
                problem = String.valueOf(ex.getMessage());
            }
            if (problem != null) {
                bad++;
                if (problems.putIfAbsent(id, problem) == null) {
                    state.event(
                            e.rec,
                            inactive ? "REDSHIFT-EVENT-1508" : "REDSHIFT-EVENT-1504",
                            "ERROR",
                            (inactive
                                            ? "The HSM key of cluster '" + e.rec.identifier()
                                                    + "' is no longer usable: "
                                            : "Unable to connect to HSM for cluster '" + e.rec.identifier() + "' (HSM"
                                                    + " configuration "
                                                    + b.get().configurationId() + "): ")
                                    + problem + ". The cluster keeps serving with the keys it holds; a reboot or a"
                                    + " key rotation fails until this is fixed.",
                            "configuration",
                            "security");
                }
            } else if (problems.remove(id) != null) {
                state.event(
                        e.rec,
                        "REDSHIFT-EVENT-1509",
                        "INFO",
                        "The HSM of cluster '" + e.rec.identifier() + "' (HSM configuration "
                                + b.get().configurationId() + ") is reachable again and its key is active.",
                        "configuration",
                        "security");
            }
        }
        problems.keySet().removeIf(id -> !state.byId.containsKey(id));
        return bad;
    }

    /**
     * The storage round: reports and clears full disks, reopens stopped stores. Returns how many clusters are short
     * of space after it.
     */
    int checkStorage() {
        int full = 0;
        for (ClusterEntry e : state.byId.values()) {
            if (state.closing) {
                break;
            }
            RunningCluster run = e.running;
            if (run == null || e.status != ClusterStatus.AVAILABLE) {
                continue;
            }
            String id = e.rec.id();
            String stopped = run.store().failure();
            if (stopped != null) {
                reopen(e, stopped);
                continue;
            }
            Instant since = run.store().diskFullSince();
            if (since != null && !run.store().probeWritable(PROBE_BYTES)) {
                full++;
                if (diskFull.putIfAbsent(id, since) == null) {
                    state.event(
                            e.rec,
                            "REDSHIFT-EVENT-3530",
                            "ERROR",
                            "Cluster '" + e.rec.identifier() + "' ran out of disk space at " + since + " UTC: writes"
                                    + " (INSERT, COPY, CREATE, snapshots) are refused with SQLSTATE 53100 while"
                                    + " queries go on. Free space on the volume that holds the control plane's data"
                                    + " directory (or grow it); the cluster takes writes again within a minute, with"
                                    + " no reboot.",
                            "monitoring",
                            "management");
                }
            } else if (diskFull.remove(id) != null) {
                state.event(
                        e.rec,
                        "REDSHIFT-EVENT-3531",
                        "INFO",
                        "Cluster '" + e.rec.identifier() + "' has disk space again and takes writes.",
                        "monitoring",
                        "management");
            }
        }
        diskFull.keySet().removeIf(id -> !state.byId.containsKey(id));
        return full;
    }

    /** Reopens the store of {@code e}, stopped after a failure past a commit point, through the reboot flow. */
    private void reopen(ClusterEntry e, String why) {
        synchronized (state.lock) {
            if (e.status != ClusterStatus.AVAILABLE || e.job != null) {
                return;
            }
            e.status = ClusterStatus.REBOOTING;
        }
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3532",
                "WARNING",
                "The storage of cluster '" + e.rec.identifier() + "' stopped after a failed commit (" + why + ");"
                        + " it is being reopened, which keeps every committed change.",
                "monitoring");
        state.closeRunning(e);
        lifecycle.bringUp(e, false);
    }

    @Override
    public void close() {
        ScheduledExecutorService s = scheduler;
        if (s != null) {
            s.shutdownNow();
        }
    }
}
