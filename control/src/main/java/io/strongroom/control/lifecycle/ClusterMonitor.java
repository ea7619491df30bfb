package io.strongroom.control.lifecycle;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.ParameterGroups;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.hsm.client.KmipException;
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
 * Watches every running cluster once an interval (a minute by default, {@link #INTERVAL}; {@code
 * ControlPlane.Builder.monitorInterval}): its storage, its KMS key (the lease) and, for an HSM cluster, its HSM.
 *
 * <p>Storage: a cluster whose disk filled up shows {@code storage-full} at once (its store refuses writes with
 * SQLSTATE 53100 while reads go on); here it gets event 3530 naming the cause and the fix, and a probe write
 * ({@value #PROBE_BYTES} bytes) each round finds when space is back, which clears the state and writes event 3531:
 * no reboot is needed. A store that stopped after a failure at or past a commit point (it cannot know what an
 * fsync error left) is reopened here through the reboot flow, with event 3532.
 *
 * <p>KMS (the outage contract, docs/control/README.md): every running KMS cluster's CEK is re-validated with KMS
 * Decrypt (its stored context, through its grant). A key taken away on purpose (disabled, pending deletion, grant
 * revoked or retired, a policy that denies the service) stops the cluster within one round: its SQL endpoint goes,
 * its keys are wiped from memory, status inaccessible-encryption-credentials, event 3644; a reboot once access is
 * back serves again. A KMS that cannot be reached or throttles starts a lease (parameter {@code kms_lease_minutes},
 * default a day): the cluster keeps serving on the keys it holds, with event 3640 at the start, 3642 when half of
 * the lease is gone and 3641 when the KMS answers again (the lease then starts afresh); when the lease runs out the
 * cluster stops serving and wipes its keys (event 3643).
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
    /** KMS clusters whose KMS could not be reached: since when, and whether the half-lease warning went out. */
    private final Map<String, Outage> kmsOutages = new ConcurrentHashMap<>();

    private record Outage(Instant since, boolean warned) {}
    /** Clusters with a reported problem, by id: the problem last reported. */
    private final Map<String, String> problems = new ConcurrentHashMap<>();

    private @Nullable ScheduledExecutorService scheduler;

    ClusterMonitor(ControlState state, ClusterLifecycle lifecycle) {
        this.state = state;
        this.lifecycle = lifecycle;
    }

    void start(Duration interval) {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strongroom-cluster-monitor");
            t.setDaemon(true);
            return t;
        });
        s.scheduleWithFixedDelay(
                () -> {
                    try {
                        checkStorage();
                        checkKms();
                        run();
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "cluster check failed: " + e);
                    }
                },
                interval.toMillis(),
                interval.toMillis(),
                TimeUnit.MILLISECONDS);
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
                if (ex.getCause() instanceof KmipException kmip && kmip.kind() == KmipException.Kind.KEY_NOT_FOUND) {
                    // The HSM answered, and the key is not there: destroyed (or the partition is another one).
                    inactive = true;
                    problem = "the cluster key " + v.hsmCekUid() + " is not in the HSM partition any more: it was"
                            + " destroyed there, or the partition is not the one holding it";
                } else {
                    problem = String.valueOf(ex.getMessage());
                }
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

    /**
     * The KMS round (the outage contract in the class comment). Returns how many clusters were stopped by it.
     */
    int checkKms() {
        int stopped = 0;
        for (ClusterEntry e : state.byId.values()) {
            if (state.closing) {
                break;
            }
            RunningCluster run = e.running;
            if (run == null || !run.encrypted() || e.status != ClusterStatus.AVAILABLE) {
                continue;
            }
            String id = e.rec.id();
            VaultEntry v;
            try {
                v = state.vault.get(id).orElse(null);
            } catch (StrongroomException ex) {
                continue;
            }
            if (v == null || v.hsmProtected()) {
                continue;
            }
            Instant now = state.clock.instant();
            try {
                state.keys.revalidate(v, e.rec.region());
                Outage was = kmsOutages.remove(id);
                if (was != null) {
                    state.event(
                            e.rec,
                            "REDSHIFT-EVENT-3641",
                            "INFO",
                            "The KMS answers again for cluster '" + e.rec.identifier() + "' (unreachable since "
                                    + was.since() + " UTC): its key " + v.rootKeyArn() + " is valid and the lease"
                                    + " starts afresh.",
                            "security",
                            "monitoring");
                }
            } catch (StrongroomException ex) {
                if (ex.code() == ErrorCode.KEY_UNAVAILABLE) {
                    if (leaseRunsOut(e, v, now, ex)) {
                        stopped++;
                    }
                } else if (ex.code() == ErrorCode.ACCESS_DENIED || ex.code() == ErrorCode.WRONG_KEY) {
                    stop(
                            e,
                            "REDSHIFT-EVENT-3644",
                            "Cluster '" + e.rec.identifier() + "' stopped serving: its KMS key " + v.rootKeyArn()
                                    + " can no longer be used (" + ex.getMessage() + "). Its keys were wiped from"
                                    + " memory. Restore access (enable the key, cancel its deletion, grant the"
                                    + " service again), then reboot the cluster: no data is lost.");
                    stopped++;
                }
            }
        }
        kmsOutages.keySet().removeIf(id -> !state.byId.containsKey(id));
        return stopped;
    }

    /** One round of a KMS outage for {@code e}; true when its lease ran out and the cluster was stopped. */
    private boolean leaseRunsOut(ClusterEntry e, VaultEntry v, Instant now, StrongroomException why) {
        String id = e.rec.id();
        Duration lease = leaseOf(e);
        Outage o = kmsOutages.get(id);
        if (o == null) {
            kmsOutages.put(id, new Outage(now, false));
            state.event(
                    e.rec,
                    "REDSHIFT-EVENT-3640",
                    "WARNING",
                    "The KMS cannot be reached for cluster '" + e.rec.identifier() + "' (" + why.getMessage() + "). It"
                            + " keeps serving on the keys it holds until " + now.plus(lease) + " UTC (its lease, "
                            + lease.toMinutes() + " minutes: parameter kms_lease_minutes); it stops then unless the"
                            + " KMS answers again.",
                    "security",
                    "monitoring");
            return false;
        }
        Instant end = o.since().plus(lease);
        if (!now.isBefore(end)) {
            kmsOutages.remove(id);
            stop(
                    e,
                    "REDSHIFT-EVENT-3643",
                    "Cluster '" + e.rec.identifier() + "' stopped serving: the KMS has not answered since "
                            + o.since() + " UTC and its lease of " + lease.toMinutes() + " minutes ran out. Its keys"
                            + " were wiped from memory; reboot it once the KMS is back: no data is lost.");
            return true;
        }
        if (!o.warned() && !now.isBefore(o.since().plus(lease.dividedBy(2)))) {
            kmsOutages.put(id, new Outage(o.since(), true));
            state.event(
                    e.rec,
                    "REDSHIFT-EVENT-3642",
                    "WARNING",
                    "Half of the KMS lease of cluster '" + e.rec.identifier() + "' is gone: the KMS has not answered"
                            + " since " + o.since() + " UTC; the cluster stops serving at " + end + " UTC unless it"
                            + " answers before.",
                    "security",
                    "monitoring");
        }
        return false;
    }

    private Duration leaseOf(ClusterEntry e) {
        String minutes = state.parameters
                .values(e.rec.accountId(), e.rec.region(), e.rec.parameterGroupName())
                .get(ParameterGroups.KMS_LEASE_MINUTES);
        try {
            return Duration.ofMinutes(Long.parseLong(String.valueOf(minutes)));
        } catch (NumberFormatException ex) {
            return Duration.ofDays(1);
        }
    }

    /**
     * Stops {@code e} serving because of its keys: the SQL endpoint goes, the store closes and the keys are zeroed;
     * status inaccessible-encryption-credentials until a reboot.
     */
    private void stop(ClusterEntry e, String eventId, String message) {
        synchronized (state.lock) {
            if (e.status != ClusterStatus.AVAILABLE || e.job != null) {
                return;
            }
            e.status = ClusterStatus.INACCESSIBLE_KEY;
        }
        state.closeRunning(e);
        state.event(e.rec, eventId, "ERROR", message, "security", "monitoring");
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
