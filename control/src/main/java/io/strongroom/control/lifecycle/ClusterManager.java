package io.strongroom.control.lifecycle;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterEvent;
import io.strongroom.control.cluster.ClusterListener;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterRequests;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.KmsAccess;
import io.strongroom.control.cluster.KmsConnection;
import io.strongroom.control.cluster.ParameterGroups;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.ResizeProgress;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.cluster.TemporaryCredentials;
import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.jobs.JobState;
import io.strongroom.control.keys.ClusterKeyRotation;
import io.strongroom.control.keys.ClusterShredding;
import io.strongroom.control.keys.CoverageJobs;
import io.strongroom.control.keys.RootKeyChange;
import io.strongroom.control.keys.ShredReport;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.peer.PeerService;
import io.strongroom.control.snapshot.ClusterSnapshots;
import io.strongroom.control.snapshot.Peering;
import io.strongroom.control.snapshot.SnapshotCopy;
import io.strongroom.control.snapshot.SnapshotCopyReceiver;
import io.strongroom.control.snapshot.SnapshotCopySender;
import io.strongroom.control.snapshot.SnapshotPolicy;
import io.strongroom.control.snapshot.SnapshotRestores;
import io.strongroom.control.snapshot.SnapshotSchedule;
import io.strongroom.control.snapshot.SnapshotView;
import io.strongroom.control.snapshot.TableRestoreStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Runs every cluster operation and owns the clusters' state: durable records ({@code clusters/}), the key vault
 * ({@code keyvault/}), the stores ({@code data/<id>-g<n>/}) and events.
 *
 * <p>How this works. Operations run synchronously inside the API request, so a client's first poll after an
 * operation already sees its outcome (the AWS CLI waiters poll at once, then every 60 s); the one exception is
 * RotateEncryptionKey, whose rewrap is online and runs on a thread of its own while the cluster shows {@code
 * rotating-keys} with its progress ({@link ClusterKeyRotation}). An operation first moves
 * the cluster to its transitional status under one lock (any other operation on that cluster then answers
 * InvalidClusterState), does its work outside the lock, and ends in {@code available} or in a failure status
 * with an event naming the cause. Responses show the transitional status, as the real service does.
 *
 * <p>Durability: each operation has one commit point, the write of the cluster record. CreateCluster makes the
 * keys, the vault entry and the store first and writes the record last, so a crash before it leaves only
 * unreferenced files, which the next start deletes (retiring the orphaned grant). A resize builds the new store in
 * a new directory and switches the record to it. DeleteCluster marks the record {@code deleting} first, so a
 * restart finishes it. Every start brings each cluster up through the reboot flow.
 *
 * <p>Alternatives rejected: background state machines with timers (waiters would wait a full minute per
 * transitional state, and crash recovery would need a journal of steps); one file for all clusters (every
 * operation would rewrite every cluster's record).
 *
 * <p>Layout: the entry point, wiring {@link ClusterLifecycle} (create, reboot, delete, start) and {@link
 * ClusterModification} (modify, resize) here, control.cluster's shared state, control.snapshot and control.keys.
 *
 * <p>Thread-safe.
 */
public final class ClusterManager implements AutoCloseable {
    private final KmsAccess kms;
    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final SnapshotSchedule schedule;
    private final ClusterMonitor monitor;
    private final ClusterKeyRotation rotation;
    private final ClusterLifecycle lifecycle;
    private final ClusterModification modification;
    private final SnapshotRestores restores;
    private final SnapshotCopy copy;
    private final SnapshotCopyReceiver receiver;
    private final CoverageJobs coverage;
    private final ClusterShredding shredding;
    private final TemporaryCredentials temporary;

    private ClusterManager(
            Path dataDir,
            KmsAccess kms,
            InstantSource clock,
            SecureRandom random,
            String endpointAddress,
            int basePort,
            ClusterListener listener,
            SnapshotPolicy snapshotPolicy,
            FaultHook snapshotFaults,
            JobEngine jobs,
            Peering peering) {
        this.kms = kms;
        this.state = new ControlState(dataDir, kms, clock, random, endpointAddress, basePort, listener, jobs);
        this.snapshots = new ClusterSnapshots(state, dataDir.resolve("snapshots"), snapshotFaults);
        this.schedule = new SnapshotSchedule(state, snapshots, snapshotPolicy);
        this.rotation = new ClusterKeyRotation(state, snapshots);
        this.lifecycle = new ClusterLifecycle(state, snapshots, rotation);
        this.monitor = new ClusterMonitor(state, lifecycle);
        this.modification = new ClusterModification(state, snapshots);
        this.restores = new SnapshotRestores(state, snapshots);
        this.copy = new SnapshotCopy(
                state,
                snapshots,
                dataDir,
                new SnapshotCopySender(state, snapshots, peering.config(), peering.identity()));
        this.receiver = new SnapshotCopyReceiver(state, snapshots, copy, dataDir, peering.hooks());
        this.coverage = new CoverageJobs(state, snapshots);
        this.shredding = new ClusterShredding(state, snapshots, kms, dataDir.resolve("shredding"));
        this.temporary = new TemporaryCredentials(state.clock, state.random);
    }

    /** How long a request waits for its job before answering with the job still running. */
    public static final Duration DEFAULT_JOB_GRACE = Duration.ofSeconds(1);

    /**
     * Opens the control plane's state in {@code dataDir}, deletes what unfinished creations and resizes left,
     * finishes interrupted deletions and brings every other cluster up through the reboot flow.
     *
     * @param kmsConnection the KMS and the control plane's service principal there (grantee of every cluster grant)
     * @param policy when automated snapshots are taken
     * @param snapshotFaults the snapshot store's fault hook, told of each SnapshotStep (crash tests; production
     *     passes {@link FaultHook#NONE})
     * @param jobHooks the job engine's fault hook, told of each JobPoint (crash tests stop jobs at their steps,
     *     slowed-job tests hold them)
     * @param jobGrace how long a request waits for its job
     * @param peering the installations that serve other regions, and this one's identity ({@link Peering#NONE})
     */
    public static ClusterManager open(
            Path dataDir,
            KmsConnection kmsConnection,
            InstantSource clock,
            SecureRandom random,
            String endpointAddress,
            int basePort,
            ClusterListener listener,
            SnapshotPolicy policy,
            FaultHook snapshotFaults,
            FaultHook jobHooks,
            Duration jobGrace,
            Peering peering) {
        KmsAccess kms = new KmsAccess(kmsConnection);
        ClusterManager m;
        JobEngine jobs = null;
        try {
            Files.createDirectories(dataDir.resolve("data"));
            jobs = JobEngine.open(dataDir.resolve("jobs"), clock, jobGrace, jobHooks);
            m = new ClusterManager(
                    dataDir,
                    kms,
                    clock,
                    random,
                    endpointAddress,
                    basePort,
                    listener,
                    policy,
                    snapshotFaults,
                    jobs,
                    peering);
        } catch (IOException | RuntimeException e) {
            if (jobs != null) {
                jobs.close();
            }
            kms.close();
            throw e instanceof IOException io
                    ? new StrongroomException(ErrorCode.IO_ERROR, "cannot open " + dataDir + ": " + io, io)
                    : (RuntimeException) e;
        }
        m.lifecycle.recover();
        m.restores.resumeJobs();
        m.modification.resumeResizes();
        m.modification.encryption().resumeJobs();
        m.receiver.recover();
        m.copy.resumeJobs();
        m.settleJobs();
        m.schedule.start();
        return m;
    }

    /**
     * Ends the jobs a restart found running that recovery has already finished or undone: snapshots being written
     * (recovery marked them failed), snapshot deletions (recovery removed the image), cluster deletions (finished
     * once the record was marked; otherwise the final snapshot was cut short and the cluster stays). Each gets an
     * event that says what happened.
     */
    private void settleJobs() {
        RootKeyChange.settle(state, state.jobs.unfinished());
        for (JobRecord r : state.jobs.unfinished()) {
            Job job = state.jobs.reopen(r);
            switch (r.kind()) {
                case CREATE_SNAPSHOT, COPY_SNAPSHOT ->
                    state.jobs.settle(
                            job,
                            JobState.ROLLED_BACK,
                            "The control plane stopped while snapshot " + r.subject() + " was being written; it is"
                                    + " marked failed. Delete it and take another.");
                case ROTATE_KEYS -> {
                    // The reboot flow settled the rotation from the vault and the store; the vault says how.
                    int from = Integer.parseInt(r.attributes().getOrDefault("fromCekVersion", "0"));
                    boolean completed = state.byId.containsKey(r.clusterId()) && cekVersion(r.clusterId()) > from;
                    state.jobs.settle(
                            job,
                            completed ? JobState.SUCCEEDED : JobState.ROLLED_BACK,
                            completed
                                    ? "Completed at start from what the store had committed."
                                    : "Rolled back at start: the store had not committed the new keys.");
                }
                case COVERAGE_REPORT -> CoverageJobs.settleAtStart(state.jobs, job);
                case DELETE_SNAPSHOT ->
                    state.jobs.settle(job, JobState.SUCCEEDED, "Snapshot " + r.subject() + " was deleted at start.");
                case DELETE_CLUSTER -> {
                    ClusterEntry e = state.byId.get(r.clusterId());
                    if (e == null) {
                        state.jobs.settle(job, JobState.SUCCEEDED, "Cluster " + r.subject() + " was deleted at start.");
                    } else {
                        state.jobs.settle(
                                job,
                                JobState.ROLLED_BACK,
                                "Stopped by a restart while the final snapshot was taken; the cluster was not deleted.");
                        state.event(
                                e.rec,
                                "REDSHIFT-EVENT-3502",
                                "ERROR",
                                "Deletion of cluster '" + e.rec.identifier() + "' was interrupted by a restart while"
                                        + " its final snapshot was taken; the cluster was not deleted. Delete it"
                                        + " again.",
                                "management");
                    }
                }
                default ->
                    state.jobs.settle(
                            job, JobState.ROLLED_BACK, "Rolled back at start: no recovery for this kind of job.");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Clusters

    /** CreateCluster: answers {@code creating}; the cluster is available when this returns. */
    public ClusterView create(Credential caller, String region, ClusterRequests.Create q) {
        return lifecycle.create(caller, region, q);
    }

    /** The caller's clusters in {@code region} (all, or the one named), oldest first. */
    public List<ClusterView> describe(Credential caller, String region, @Nullable String identifier) {
        if (identifier != null) {
            ClusterEntry e = state.require(caller, region, identifier);
            return List.of(state.view(e, e.status));
        }
        return state.byId.values().stream()
                .filter(e -> e.rec.accountId().equals(caller.accountId())
                        && e.rec.region().equals(region))
                .sorted(Comparator.comparing((ClusterEntry e) -> e.rec.createTime())
                        .thenComparing(e -> e.rec.identifier()))
                .map(e -> state.view(e, e.status))
                .toList();
    }

    /**
     * Events of the caller in {@code region}. The window is [StartTime, EndTime]; with Duration (minutes) and no
     * StartTime it is the last Duration minutes before EndTime (or now); with nothing, the last hour.
     */
    public List<ClusterEvent> events(Credential caller, String region, ClusterRequests.Events q) {
        Instant now = state.clock.instant();
        Instant end = q.endTime() == null ? now : q.endTime();
        Instant start;
        if (q.startTime() != null) {
            start = q.startTime();
            if (q.endTime() == null && q.durationMinutes() != null) {
                end = start.plus(Duration.ofMinutes(q.durationMinutes()));
            }
        } else {
            start = end.minus(Duration.ofMinutes(q.durationMinutes() == null ? 60 : q.durationMinutes()));
        }
        if (q.sourceType() != null
                && !List.of(
                                "cluster",
                                "cluster-parameter-group",
                                "cluster-security-group",
                                "cluster-snapshot",
                                "scheduled-action")
                        .contains(q.sourceType())) {
            throw RedshiftApiException.invalidParameter("SourceType " + q.sourceType() + " is not valid.");
        }
        String source =
                q.sourceIdentifier() == null ? null : q.sourceIdentifier().toLowerCase(Locale.ROOT);
        return state.events.query(caller.accountId(), region, source, q.sourceType(), start, end);
    }

    /** ModifyCluster: rename, master password, retention and (as a classic resize) node type and count. */
    public ClusterView modify(Credential caller, String region, ClusterRequests.Modify q) {
        if (q.newIdentifier() != null) {
            copy.checkRename(state.require(caller, region, q.identifier()));
        }
        return modification.modify(caller, region, q);
    }

    /** A snapshot copy grant as the API shows it. */
    public record CopyGrantView(String name, String keyArn) {}

    /** CreateSnapshotCopyGrant (in the destination region). */
    public CopyGrantView createSnapshotCopyGrant(
            Credential caller, String region, String name, @Nullable String kmsKeyId) {
        SnapshotCopy.Grant g = copy.createGrant(caller, region, name, kmsKeyId);
        return new CopyGrantView(g.name(), g.keyArn());
    }

    /** DescribeSnapshotCopyGrants. */
    public List<CopyGrantView> describeSnapshotCopyGrants(Credential caller, String region, @Nullable String name) {
        return copy.describeGrants(caller, region, name).stream()
                .map(g -> new CopyGrantView(g.name(), g.keyArn()))
                .toList();
    }

    /** DeleteSnapshotCopyGrant. */
    public void deleteSnapshotCopyGrant(Credential caller, String region, String name) {
        copy.deleteGrant(caller, region, name);
    }

    /** EnableSnapshotCopy (in the source region). */
    public ClusterView enableSnapshotCopy(
            Credential caller,
            String region,
            String identifier,
            String destinationRegion,
            @Nullable Integer retention,
            @Nullable Integer manualRetention,
            @Nullable String grantName) {
        return copy.enable(caller, region, identifier, destinationRegion, retention, manualRetention, grantName);
    }

    /** DisableSnapshotCopy. */
    public ClusterView disableSnapshotCopy(Credential caller, String region, String identifier) {
        return copy.disable(caller, region, identifier);
    }

    /** ModifySnapshotCopyRetentionPeriod. */
    public ClusterView modifySnapshotCopyRetentionPeriod(
            Credential caller, String region, String identifier, int days, boolean manual) {
        return copy.modifyRetention(caller, region, identifier, days, manual);
    }

    /** ResizeCluster. */
    public ClusterView resize(Credential caller, String region, ClusterRequests.Resize q) {
        return modification.resize(caller, region, q);
    }

    /** DescribeResize. */
    public ResizeProgress describeResize(Credential caller, String region, String identifier) {
        return modification.describeResize(caller, region, identifier);
    }

    /** RotateEncryptionKey: starts a rotation of the cluster's CEK and DEK and answers rotating-keys. */
    public ClusterView rotateEncryptionKey(Credential caller, String region, String identifier) {
        ClusterEntry e = rotation.begin(caller, region, identifier);
        int fromCek = cekVersion(e.rec.id());
        Job job;
        try {
            // A job record like the other long operations (history, the hold on the cluster); the rotation's own
            // durable steps are the vault's pending entry and the store's rotation (docs/control/README.md).
            job = state.jobs.create(JobRecord.start(
                    state.newJobId(),
                    JobKind.ROTATE_KEYS,
                    e.rec.accountId(),
                    region,
                    e.rec.identifier(),
                    e.rec.id(),
                    state.clock.instant(),
                    Map.of("fromCekVersion", Integer.toString(fromCek))));
        } catch (RuntimeException ex) {
            e.status = ClusterStatus.AVAILABLE;
            e.progress = null;
            throw ex;
        }
        e.job = job;
        ClusterView response = state.view(e, ClusterStatus.ROTATING_KEYS);
        state.jobs.launch(job, new JobEngine.Work() {
            @Override
            public String run(Job j) {
                try {
                    boolean reboot = rotation.rotate(e);
                    j.checkpoint(); // stopping: the next start settles the rotation, and then this record
                    if (reboot) {
                        // The rotation failed after storing its pending keys: the reboot flow settles it from what
                        // the store committed.
                        state.closeRunning(e);
                        lifecycle.bringUp(e, false);
                    }
                } finally {
                    state.release(e, j);
                }
                int now = cekVersion(e.rec.id());
                if (now <= fromCek) {
                    throw new StrongroomException(
                            ErrorCode.INTERNAL, "the rotation did not complete; the cluster's events say why");
                }
                return "Cluster " + e.rec.identifier() + " rotated to cluster key v" + now + ".";
            }

            @Override
            public String failed(Job j, RuntimeException cause) {
                state.release(e, j);
                return "Key rotation failed: " + cause.getMessage();
            }
        });
        return response;
    }

    /** The CEK version of cluster {@code id}'s vault entry, 0 when it has none (or it cannot be read). */
    private int cekVersion(String id) {
        try {
            return state.vault.get(id).map(VaultEntry::cekVersion).orElse(0);
        } catch (StrongroomException damaged) {
            return 0;
        }
    }

    /** RebootCluster. */
    public ClusterView reboot(Credential caller, String region, String identifier) {
        return lifecycle.reboot(caller, region, identifier);
    }

    /** A tagged resource as DescribeTags shows it. */
    public record TaggedResource(String arn, String type, Map<String, String> tags) {}

    /** The caller's cluster named by {@code arn} in {@code region}, or ResourceNotFoundFault. */
    private ClusterEntry taggable(Credential caller, String region, String arn) {
        String prefix = "arn:aws:redshift:" + region + ":" + caller.accountId() + ":";
        if (arn.startsWith(prefix + "snapshot:")) {
            throw RedshiftApiException.unsupported("Tags on snapshots are not supported yet; tag clusters.");
        }
        if (!arn.startsWith(prefix + "cluster:")) {
            throw new RedshiftApiException(
                    ErrorCode.NOT_FOUND,
                    "ResourceNotFoundFault",
                    404,
                    "The resource " + arn + " was not found: give the ARN of one of your clusters in " + region + ".");
        }
        String identifier = arn.substring((prefix + "cluster:").length());
        return state.find(caller.accountId(), region, identifier)
                .orElseThrow(() -> new RedshiftApiException(
                        ErrorCode.NOT_FOUND, "ResourceNotFoundFault", 404, "The resource " + arn + " was not found."));
    }

    /** CreateTags: adds or replaces tags on a cluster (at most 50 in all). */
    public void createTags(Credential caller, String region, String arn, Map<String, String> tags) {
        ClusterEntry e = taggable(caller, region, arn);
        synchronized (state.lock) {
            Map<String, String> next = new LinkedHashMap<>(e.rec.tags());
            next.putAll(tags);
            if (next.size() > 50) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_ARGUMENT,
                        "TagLimitExceededFault",
                        400,
                        "A resource takes at most 50 tags; " + e.rec.identifier() + " would have " + next.size() + ".");
            }
            ClusterRecord r = e.rec.withTags(next);
            state.registry.save(r);
            e.rec = r;
        }
    }

    /** DeleteTags: removes the tags with these keys from a cluster. */
    public void deleteTags(Credential caller, String region, String arn, List<String> keys) {
        ClusterEntry e = taggable(caller, region, arn);
        synchronized (state.lock) {
            Map<String, String> next = new LinkedHashMap<>(e.rec.tags());
            keys.forEach(next::remove);
            ClusterRecord r = e.rec.withTags(next);
            state.registry.save(r);
            e.rec = r;
        }
    }

    /** DescribeTags: the caller's tagged clusters (one, by ARN), filtered by keys and values as DescribeClusters. */
    public List<TaggedResource> describeTags(
            Credential caller,
            String region,
            @Nullable String arn,
            @Nullable String type,
            List<String> keys,
            List<String> values) {
        if (type != null && !type.equalsIgnoreCase("cluster")) {
            if (type.equalsIgnoreCase("snapshot")) {
                return List.of(); // snapshots carry no tags here
            }
            throw RedshiftApiException.invalidParameter(
                    "ResourceType " + type + " is not supported; use cluster (or snapshot, which has none).");
        }
        List<ClusterEntry> entries = arn != null
                ? List.of(taggable(caller, region, arn))
                : state.byId.values().stream()
                        .filter(e -> e.rec.accountId().equals(caller.accountId())
                                && e.rec.region().equals(region))
                        .sorted(Comparator.comparing(e -> e.rec.createTime()))
                        .toList();
        List<TaggedResource> out = new ArrayList<>();
        for (ClusterEntry e : entries) {
            Map<String, String> matching = new LinkedHashMap<>();
            e.rec.tags().forEach((k, v) -> {
                if ((keys.isEmpty() || keys.contains(k)) && (values.isEmpty() || values.contains(v))) {
                    matching.put(k, v);
                }
            });
            if (!matching.isEmpty()) {
                out.add(new TaggedResource(e.rec.arn(), "cluster", matching));
            }
        }
        return out;
    }

    /** Whether {@code v}'s cluster has a tag matching {@code keys} and {@code values} (DescribeClusters' filter). */
    public static boolean tagged(ClusterView v, List<String> keys, List<String> values) {
        return tagged(v.record().tags(), keys, values);
    }

    /** Whether a resource with {@code tags} passes a TagKeys/TagValues filter. */
    public static boolean tagged(Map<String, String> tags, List<String> keys, List<String> values) {
        if (keys.isEmpty() && values.isEmpty()) {
            return true;
        }
        return tags.entrySet().stream()
                .anyMatch(t -> (keys.isEmpty() || keys.contains(t.getKey()))
                        && (values.isEmpty() || values.contains(t.getValue())));
    }

    /**
     * Cluster parameter groups: CreateClusterParameterGroup, DescribeClusterParameterGroups,
     * DescribeClusterParameters, ModifyClusterParameterGroup, ResetClusterParameterGroup,
     * DeleteClusterParameterGroup.
     */
    public ParameterGroups parameterGroups() {
        return state.parameters;
    }

    /** CreateHsmClientCertificate: a key pair and a self-signed client certificate; the PEM is shown. */
    public HsmStore.Certificate createHsmClientCertificate(
            Credential caller, String region, String identifier, Map<String, String> tags) {
        return state.hsm.createCertificate(caller, region, identifier, tags);
    }

    /** DescribeHsmClientCertificates. */
    public List<HsmStore.Certificate> describeHsmClientCertificates(
            Credential caller, String region, @Nullable String identifier) {
        return state.hsm.describeCertificates(caller, region, identifier);
    }

    /** DeleteHsmClientCertificate: refused while a cluster uses it. */
    public void deleteHsmClientCertificate(Credential caller, String region, String identifier) {
        state.hsm.deleteCertificate(caller, region, identifier);
    }

    /** CreateHsmConfiguration: the partition password is stored sealed and never shown again. */
    public HsmStore.Configuration createHsmConfiguration(
            Credential caller,
            String region,
            String identifier,
            String description,
            String address,
            String partition,
            String password,
            String serverCertificate,
            Map<String, String> tags) {
        return state.hsm.createConfiguration(
                caller, region, identifier, description, address, partition, password, serverCertificate, tags);
    }

    /** DescribeHsmConfigurations. */
    public List<HsmStore.Configuration> describeHsmConfigurations(
            Credential caller, String region, @Nullable String identifier) {
        return state.hsm.describeConfigurations(caller, region, identifier);
    }

    /** DeleteHsmConfiguration: refused while a cluster uses it. */
    public void deleteHsmConfiguration(Credential caller, String region, String identifier) {
        state.hsm.deleteConfiguration(caller, region, identifier);
    }

    /** PauseCluster: stops serving and drops the keys from memory. */
    public ClusterView pause(Credential caller, String region, String identifier) {
        return lifecycle.pause(caller, region, identifier);
    }

    /** ResumeCluster: loads the keys again through the KMS and serves. */
    public ClusterView resume(Credential caller, String region, String identifier) {
        return lifecycle.resume(caller, region, identifier);
    }

    /** DeleteCluster, taking the final snapshot first when one is asked for. */
    public ClusterView delete(Credential caller, String region, ClusterRequests.Delete q) {
        return lifecycle.delete(caller, region, q);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Snapshots (issue 6; docs/control/README.md "Snapshots", docs/format/snapshot.md)

    /** CreateClusterSnapshot. */
    public SnapshotView createSnapshot(
            Credential caller,
            String region,
            String clusterIdentifier,
            String snapshotIdentifier,
            @Nullable Integer r) {
        return snapshots.createSnapshot(caller, region, clusterIdentifier, snapshotIdentifier, r);
    }

    /** DescribeClusterSnapshots. */
    public List<SnapshotView> describeSnapshots(Credential caller, String region, ClusterRequests.DescribeSnapshots q) {
        return snapshots.describeSnapshots(caller, region, q);
    }

    /** DeleteClusterSnapshot. */
    public SnapshotView deleteSnapshot(
            Credential caller, String region, String snapshotIdentifier, @Nullable String clusterIdentifier) {
        return snapshots.deleteSnapshot(caller, region, snapshotIdentifier, clusterIdentifier);
    }

    /** CopyClusterSnapshot. */
    public SnapshotView copySnapshot(
            Credential caller,
            String region,
            String sourceIdentifier,
            @Nullable String sourceClusterIdentifier,
            String targetIdentifier,
            @Nullable Integer retention) {
        return snapshots.copySnapshot(
                caller, region, sourceIdentifier, sourceClusterIdentifier, targetIdentifier, retention);
    }

    /** ModifyClusterSnapshot. */
    public SnapshotView modifySnapshot(
            Credential caller, String region, String snapshotIdentifier, @Nullable Integer retention, boolean force) {
        return snapshots.modifySnapshot(caller, region, snapshotIdentifier, retention, force);
    }

    /**
     * Checks automated snapshots and retention for every cluster now: takes an automated snapshot of each running
     * cluster with AutomatedSnapshotRetentionPeriod above 0 whose interval has passed or whose change volume is
     * reached, then deletes automated snapshots past their cluster's retention and manual snapshots past theirs.
     * Returns how many automated snapshots were taken.
     */
    public int runSnapshotSchedule() {
        return schedule.run();
    }

    /**
     * Checks every running cluster's storage now, as the monitor does once a minute: a full disk is reported (event
     * 3530) or, once space is back, cleared (3531); a stopped store is reopened (3532). Returns how many clusters are
     * short of space.
     */
    public int checkStorage() {
        return monitor.checkStorage();
    }

    /**
     * Starts the cluster monitor ({@link ClusterMonitor}: storage, KMS lease and revocation, HSM) every {@code
     * interval}; the control plane does this at start (once a minute unless configured).
     */
    public void startMonitor(Duration interval) {
        monitor.start(interval);
    }

    /**
     * The encryption coverage of cluster {@code identifier}: its blocks by table, state and key version from the
     * files themselves, reconciled with the manifests, and its snapshots and their copies ({@code CoverageReport}),
     * read by a background job ({@link CoverageJobs}): a new one unless one runs, or, without {@code refresh}, one
     * was made already.
     */
    public CoverageJobs.Status coverage(Credential caller, String region, String identifier, boolean refresh) {
        return coverage.request(state.require(caller, region, identifier), refresh);
    }

    /**
     * GetClusterCredentials: a temporary password for database user {@code IAM:<dbUser>} of cluster {@code
     * identifier}, as {@code request} asks ({@link TemporaryCredentials} says what is refused).
     */
    public TemporaryCredentials.Issued clusterCredentials(
            Credential caller, String region, String identifier, TemporaryCredentials.Request request) {
        return temporary.issue(state.require(caller, region, identifier), request);
    }

    /** The temporary database credentials issued so far (the SQL endpoints check logins of {@code IAM:} users). */
    public TemporaryCredentials temporaryCredentials() {
        return temporary;
    }

    /**
     * The crypto-shredding report of cluster {@code identifier}, whether or not it still exists: what still holds
     * its keys or data in any region, which root key each depends on and its state now, and the verdict ({@link
     * ShredReport}).
     */
    public ShredReport shredReport(Credential caller, String region, String identifier) {
        return shredding.report(caller, region, identifier);
    }

    /**
     * Re-validates every running KMS cluster's key now, as the monitor does once a minute: a key taken away stops
     * its cluster, an unreachable KMS starts or continues its lease (events 3640 to 3644). Returns how many clusters
     * were stopped.
     */
    public int checkKms() {
        return monitor.checkKms();
    }

    /**
     * Checks the HSM of every running HSM cluster now, as the monitor does once a minute (events 1504, 1508 and
     * 1509 on changes); returns how many clusters have a problem.
     */
    public int checkHsms() {
        return monitor.run();
    }

    /**
     * RestoreFromClusterSnapshot: a new cluster with its own keys, filled with the snapshot's tables (see {@link
     * SnapshotRestores#restore}).
     */
    public ClusterView restore(Credential caller, String region, ClusterRequests.Restore q) {
        return restores.restore(caller, region, q);
    }

    /**
     * RestoreTableFromClusterSnapshot: copies one table of a snapshot into the cluster it came from (by identifier)
     * as a new table.
     */
    public TableRestoreStatus restoreTable(Credential caller, String region, ClusterRequests.RestoreTable q) {
        return restores.restoreTable(caller, region, q);
    }

    /** DescribeTableRestoreStatus. */
    public List<TableRestoreStatus> tableRestoreStatus(
            Credential caller, String region, @Nullable String clusterIdentifier, @Nullable String requestId) {
        return restores.tableRestoreStatus(caller, region, clusterIdentifier, requestId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Access for the rest of the process

    /** The running cluster {@code identifier} of {@code accountId} in {@code region}, if it is up. */
    public Optional<RunningCluster> running(String accountId, String region, String identifier) {
        return state.find(accountId, region, identifier).map(e -> e.running);
    }

    /** Every cluster's view, for status pages. */
    public List<ClusterView> all() {
        return state.byId.values().stream().map(e -> state.view(e, e.status)).toList();
    }

    @Override
    public void close() {
        state.closing = true;
        schedule.close();
        monitor.close();
        // Running jobs stop at their next step and resume at the next start.
        state.jobs.close();
        receiver.close();
        synchronized (state.lock) {
            for (ClusterEntry e : state.byId.values()) {
                state.closeRunning(e);
            }
        }
        state.events.close();
        kms.close();
    }

    /** The receiving side of snapshot copies from other installations, for the peer endpoint. */
    public PeerService snapshotCopyReceiver() {
        return receiver;
    }

    @Override
    public String toString() {
        return "ClusterManager[" + state.byId.size() + " clusters, vault " + state.vault.dir() + "]";
    }
}
