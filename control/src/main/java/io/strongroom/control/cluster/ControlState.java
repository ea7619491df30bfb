package io.strongroom.control.cluster;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.hsm.HsmAccess;
import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.hsm.InternalRootKey;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.keyvault.KeyVault;
import io.strongroom.storage.format.DurableFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What every cluster operation shares: the clusters in memory (one {@link ClusterEntry} each, by id), the lock
 * under which an operation moves a cluster to its transitional status, the durable records, key vault and store
 * directories, the event log, and the cluster key flows against the KMS.
 *
 * <p>Invariants: {@link #byId} holds exactly the clusters this control plane knows, including those being created
 * (before their commit point) and deleted (until their record is gone); an entry's status changes from
 * {@code available} (or a failure status) to a transitional one only through {@link #begin}, under {@link #lock},
 * so two operations never run on one cluster at once.
 *
 * <p>Thread-safe: the map is concurrent and the entries' fields are volatile; checks that must not race (a free
 * identifier, a free port, a status transition) are made under {@link #lock}.
 */
public final class ControlState {
    private static final EnumSet<ClusterStatus> FAILED =
            EnumSet.of(ClusterStatus.INACCESSIBLE_KEY, ClusterStatus.HARDWARE_FAILURE);

    public final ClusterRegistry registry;
    public final KeyVault vault;
    /** Where the clusters' stores live, one directory {@code <id>-g<n>} per store generation. */
    public final Path storesDir;

    public final EventLog events;
    public final ClusterKeys keys;
    /** Cluster parameter groups and the values clusters run with. */
    public final ParameterGroups parameters;
    /** HSM client certificates and configurations, and which cluster uses which. */
    public final HsmCatalog hsm;
    /** How long a KMIP connection to an HSM may take to open or answer. */
    static final Duration HSM_TIMEOUT = Duration.ofSeconds(10);
    /** Long operations, recorded and run in the background ({@link JobEngine}). */
    public final JobEngine jobs;

    public final InstantSource clock;
    public final SecureRandom random;
    /** The host name every cluster's endpoint shows. */
    public final String endpointAddress;

    private final int basePort;
    public final ClusterListener listener;
    /** Taken to move a cluster into a transitional status, and to claim a cluster or snapshot identifier. */
    public final Object lock = new Object();

    public final Map<String, ClusterEntry> byId = new ConcurrentHashMap<>();
    /** A cluster's ClusterSnapshotCopyStatus by its id (set by {@code SnapshotCopy}). */
    public volatile Function<String, ClusterView.@Nullable CopyStatus> copyStatus = id -> null;
    /** A cluster's HsmStatus by its id (set by {@link HsmCatalog}'s owner). */
    public volatile Function<String, ClusterView.@Nullable HsmStatus> hsmStatus = id -> null;
    /** Set by close: a background rotation that fails then leaves the settling to the next start. */
    public volatile boolean closing;

    /**
     * Opens the records in {@code dataDir/clusters}, the key vault in {@code dataDir/keyvault} and the event log in
     * {@code dataDir/events}, in that order.
     */
    public ControlState(
            Path dataDir,
            KmsAccess kms,
            InstantSource clock,
            SecureRandom random,
            String endpointAddress,
            int basePort,
            ClusterListener listener,
            JobEngine jobs) {
        this.listener = listener;
        this.jobs = jobs;
        this.registry = new ClusterRegistry(dataDir.resolve("clusters"));
        this.vault = KeyVault.open(dataDir.resolve("keyvault"));
        this.storesDir = dataDir.resolve("data");
        this.events = EventLog.open(dataDir.resolve("events").resolve("events.jsonl"), clock.instant());
        HsmAccess hsmAccess =
                new HsmAccess(HsmStore.open(dataDir.resolve("hsm")), new InternalRootKey(kms::asService), HSM_TIMEOUT);
        this.keys = new ClusterKeys(kms, hsmAccess, random);
        this.hsm = new HsmCatalog(this, hsmAccess);
        this.hsmStatus = hsm::status;
        this.parameters = new ParameterGroups(this, dataDir.resolve("parametergroups"));
        this.clock = clock;
        this.random = random;
        this.endpointAddress = endpointAddress;
        this.basePort = basePort;
    }

    /**
     * Moves {@code e} to {@code next} if its status is one of {@code allowed}, else answers InvalidClusterState (or
     * ClusterNotFound once it is gone). Callers hold {@link #lock}.
     */
    public void begin(ClusterEntry e, Set<ClusterStatus> allowed, ClusterStatus next) {
        if (!byId.containsKey(e.rec.id())) {
            throw RedshiftApiException.clusterNotFound(e.rec.identifier());
        }
        Job running = e.job;
        if (running != null) {
            throw RedshiftApiException.invalidState("There is an operation running on the Cluster "
                    + e.rec.identifier() + ": a " + running.kind().description() + " (job " + running.id()
                    + "). Please try again when it has finished; strongroom watch shows its progress.");
        }
        if (!allowed.contains(e.status)) {
            throw RedshiftApiException.invalidState("There is an operation running on the Cluster "
                    + e.rec.identifier() + " (status " + e.status.wireName() + "). Please try again later."
                    + (FAILED.contains(e.status) ? " Reboot the cluster once the cause in its events is fixed." : ""));
        }
        e.status = next;
    }

    /** The caller's cluster {@code identifier} in {@code region}, or ClusterNotFound. */
    public ClusterEntry require(Credential caller, String region, String identifier) {
        return find(caller.accountId(), region, identifier.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> RedshiftApiException.clusterNotFound(identifier));
    }

    /** The cluster {@code identifier} (any case) of {@code accountId} in {@code region}. */
    public Optional<ClusterEntry> find(String accountId, String region, String identifier) {
        String id = identifier.toLowerCase(Locale.ROOT);
        return byId.values().stream()
                .filter(e -> e.rec.accountId().equals(accountId)
                        && e.rec.region().equals(region)
                        && e.rec.identifier().equals(id))
                .findFirst();
    }

    /** What the API shows of {@code e} with status {@code status} (the transitional one an operation answers). */
    public ClusterView view(ClusterEntry e, ClusterStatus asked) {
        RunningCluster run = e.running;
        ClusterStatus status =
                asked == ClusterStatus.AVAILABLE && run != null && run.store().diskFullSince() != null
                        ? ClusterStatus.STORAGE_FULL
                        : asked;
        Job job = e.job;
        RestoreInfo restore = e.restore;
        DataTransferInfo transfer = null;
        if (job != null && job.kind() == JobKind.RESTORE_CLUSTER) {
            Job.Progress p = job.progress();
            restore = new RestoreInfo(
                    p.totalBytes() == 0 ? "starting" : "restoring",
                    p.totalMegaBytes(),
                    p.doneMegaBytes(),
                    p.elapsed().toSeconds(),
                    p.rateMegaBytesPerSecond(),
                    p.etaSeconds());
        } else if (job != null && (job.kind() == JobKind.RESIZE_CLUSTER || job.kind() == JobKind.CHANGE_ENCRYPTION)) {
            Job.Progress p = job.progress();
            transfer = DataTransferInfo.of("IN_PROGRESS", p);
        } else if (e.transfer != null) {
            transfer = e.transfer;
        }
        return new ClusterView(
                e.rec,
                status,
                endpointAddress,
                false,
                null,
                restore,
                status == ClusterStatus.ROTATING_KEYS ? e.progress : null,
                transfer,
                job != null && job.kind() == JobKind.CHANGE_ENCRYPTION
                        ? ("encrypt".equals(job.record().attribute("direction")) ? "KMS" : "NONE")
                        : null,
                copyStatus.apply(e.rec.id()),
                hsmStatus.apply(e.rec.id()),
                parameterStatus(e));
    }

    /** The cluster's parameter group and whether it runs with the group's current values. */
    public ClusterView.ParameterStatus parameterStatus(ClusterEntry e) {
        Map<String, String> now = parameters.values(e.rec.accountId(), e.rec.region(), e.rec.parameterGroupName());
        Map<String, String> applied = e.appliedParameters;
        return new ClusterView.ParameterStatus(
                e.rec.parameterGroupName(),
                now,
                applied == null || ParameterGroups.staticOnly(applied).equals(ParameterGroups.staticOnly(now))
                        ? "in-sync"
                        : "pending-reboot");
    }

    /** Records an event whose source is cluster {@code r}. */
    public void event(ClusterRecord r, String eventId, String severity, String message, String... categories) {
        events.add(new ClusterEvent(
                r.accountId(),
                r.region(),
                r.identifier(),
                "cluster",
                message,
                List.of(categories),
                severity,
                clock.instant(),
                eventId));
    }

    /** Records that {@code e} is up with {@code run} and tells the listener. */
    public void setRunning(ClusterEntry e, RunningCluster run) {
        e.running = run;
        e.appliedParameters = parameters.values(e.rec.accountId(), e.rec.region(), e.rec.parameterGroupName());
        try {
            listener.up(e.rec.id(), () -> view(e, e.status), run);
        } catch (RuntimeException ex) {
            event(
                    e.rec,
                    "REDSHIFT-EVENT-3604",
                    "ERROR",
                    "Cluster '" + e.rec.identifier() + "' is up but its SQL endpoint did not start: " + ex.getMessage(),
                    "monitoring");
        }
    }

    /** Takes {@code e} down: tells the listener, then closes its store and zeroes its keys. */
    public void closeRunning(ClusterEntry e) {
        RunningCluster run = e.running;
        e.running = null;
        if (run != null) {
            try {
                listener.down(e.rec.id());
            } finally {
                run.close();
            }
        }
    }

    /**
     * The requested port if no other cluster has it, else the first free and bindable one from the base port. Callers
     * hold {@link #lock}, so two creations never get the same port.
     */
    public int allocatePort(@Nullable Integer requested) {
        Set<Integer> used = new HashSet<>();
        byId.values().forEach(e -> used.add(e.rec.port()));
        if (requested != null) {
            if (used.contains(requested)) {
                throw RedshiftApiException.invalidParameter(
                        "Port " + requested + " is used by another cluster of this control plane; choose another.");
            }
            return requested;
        }
        for (int p = basePort; p < Math.min(65536, basePort + 1000); p++) {
            if (!used.contains(p) && bindable(p)) {
                return p;
            }
        }
        throw new RedshiftApiException(
                ErrorCode.INVALID_STATE, "InsufficientClusterCapacity", 400, "No free port for a new cluster.");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Waits the grace period for {@code job}; if it failed in that time, throws its failure as the API error the
     * request would have answered had the work run inside it.
     */
    public void awaitGraceOrThrow(Job job) {
        try {
            jobs.awaitGraceOrThrow(job);
        } catch (StrongroomException ex) {
            throw ex instanceof RedshiftApiException ? ex : RedshiftApiException.from(ex);
        }
    }

    /**
     * Lets cluster {@code e} go if {@code job} holds it, and only then: a job never clears another's hold (one
     * that started after it ended, or a different entry of the same cluster after a restart).
     */
    public void release(ClusterEntry e, Job job) {
        synchronized (lock) {
            if (e.job == job) {
                e.job = null;
            }
        }
    }

    /** A new job id: {@code j-} and 20 random hex digits. */
    public String newJobId() {
        return "j-" + HexFormat.of().formatHex(randomBytes(10));
    }

    public byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Deletes {@code root} and everything under it, if it exists. */
    public static void deleteTree(Path root) {
        DurableFiles.deleteTree(root);
    }
}
