package io.strongroom.control.cluster;

import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.crypto.StrongroomException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Watches the HSM of every running HSM cluster: once a {@link #INTERVAL}, it connects with the cluster's
 * certificate and configuration and reads the state of the cluster key (KMIP Get Attributes), as Percona's and
 * MongoDB's KMIP users poll their master key. A cluster keeps serving on the keys it holds whatever this finds;
 * what changes is that the user hears of it at once instead of at the next reboot: event 1504 when the HSM cannot
 * be reached (or refuses the client), 1508 when the key is no longer active there (revoked or destroyed), each once
 * per outage, and 1509 when it is fine again.
 *
 * <p>Thread-safe: one scheduler thread; {@link #run} may also be called directly (tests).
 */
final class HsmMonitor implements AutoCloseable {
    static final Duration INTERVAL = Duration.ofMinutes(1);
    private static final System.Logger LOG = System.getLogger(HsmMonitor.class.getName());

    private final ControlState state;
    /** Clusters with a reported problem, by id: the problem last reported. */
    private final Map<String, String> problems = new ConcurrentHashMap<>();

    private @Nullable ScheduledExecutorService scheduler;

    HsmMonitor(ControlState state) {
        this.state = state;
    }

    void start() {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strongroom-hsm-monitor");
            t.setDaemon(true);
            return t;
        });
        s.scheduleWithFixedDelay(
                () -> {
                    try {
                        run();
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "HSM check failed: " + e);
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

    @Override
    public void close() {
        ScheduledExecutorService s = scheduler;
        if (s != null) {
            s.shutdownNow();
        }
    }
}
