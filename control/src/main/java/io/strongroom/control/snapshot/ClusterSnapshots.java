package io.strongroom.control.snapshot;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterEvent;
import io.strongroom.control.cluster.ClusterParameters;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterRequests;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.cluster.StoreCopy;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.keyvault.AtomicFile;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.SnapshotStore;
import io.strongroom.storage.TableSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Cluster snapshots (issue 6; docs/control/README.md "Snapshots", docs/format/snapshot.md): their durable records
 * ({@code snapshots/<region>/records/<id>.json}), their images in each region's {@link SnapshotStore}, taking an
 * image of a cluster, and the snapshot API operations (create, describe, delete, copy, modify).
 *
 * <p>Invariants: a record is saved {@code creating} before its image is written and {@code available} after (the
 * commit point), so an available record always names a whole image; deleting a record comes before deleting its
 * image. At start {@link #recover} turns records left {@code creating} into {@code failed} and deletes the images
 * no available record names. A snapshot's key envelope holds its DEK wrapped under its cluster's CEK (rewrapped
 * when the cluster's keys rotate); the DEK never changes.
 *
 * <p>Thread-safe: records are held in a concurrent map; choosing an identifier and saving its record happen under
 * the control plane's lock, so two requests never claim one identifier.
 */
public final class ClusterSnapshots {
    private final ControlState state;
    private final Path snapshotsDir;
    private final FaultHook faults;
    private final Map<String, SnapshotStore> stores = new ConcurrentHashMap<>();
    private final Map<String, SnapshotRecord> snapshotsById = new ConcurrentHashMap<>();
    /** The jobs writing snapshots, by snapshot id: their progress shows in the snapshot's fields. */
    private final Map<String, Job> writing = new ConcurrentHashMap<>();

    /**
     * @param faults the snapshot stores' fault hook, told of each SnapshotStep (crash tests; production passes
     *     {@link FaultHook#NONE})
     */
    public ClusterSnapshots(ControlState state, Path snapshotsDir, FaultHook faults) {
        this.state = state;
        this.snapshotsDir = snapshotsDir;
        this.faults = faults;
    }

    /** Told of every snapshot taken here once it is available (a cross-region copy starts from it). */
    private volatile Consumer<SnapshotRecord> onAvailable = s -> {};

    void onAvailable(Consumer<SnapshotRecord> listener) {
        onAvailable = listener;
    }

    /** Every snapshot record in memory, of every account and region: a live view. */
    public Collection<SnapshotRecord> records() {
        return snapshotsById.values();
    }

    /** The snapshot whose id (not identifier) is {@code id}, or null. */
    @Nullable
    public SnapshotRecord byId(@Nullable String id) {
        return id == null ? null : snapshotsById.get(id);
    }

    /** Whether a snapshot with id {@code id} (not its identifier) still has a record. */
    boolean contains(String id) {
        return snapshotsById.containsKey(id);
    }

    /** The regions that have a snapshot store on disk. */
    public Set<String> regions() {
        Set<String> out = new HashSet<>(stores.keySet());
        if (Files.isDirectory(snapshotsDir)) {
            try (Stream<Path> s = Files.list(snapshotsDir)) {
                s.filter(Files::isDirectory)
                        .forEach(p -> out.add(p.getFileName().toString()));
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot list " + snapshotsDir + ": " + e, e);
            }
        }
        return out;
    }

    /** The image store of {@code region}, opened on first use. */
    public SnapshotStore store(String region) {
        return stores.computeIfAbsent(
                region, r -> SnapshotStore.open(snapshotsDir.resolve(r).resolve("store"), faults));
    }

    private Path recordFile(SnapshotRecord s) {
        return snapshotsDir.resolve(s.region()).resolve("records").resolve(s.id() + ".json");
    }

    /** Writes {@code s}'s record atomically and makes it the one in memory. */
    public void save(SnapshotRecord s) {
        try {
            Files.createDirectories(snapshotsDir.resolve(s.region()).resolve("records"));
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create snapshot records directory: " + e, e);
        }
        AtomicFile.write(recordFile(s), s.toJson());
        snapshotsById.put(s.id(), s);
    }

    /**
     * Loads every region's snapshot records; a record still {@code creating} (a crash while creating or copying)
     * becomes {@code failed}; then each region's store deletes the images no {@code available} record names and
     * the blocks no remaining image lists.
     */
    public void recover() {
        if (!Files.isDirectory(snapshotsDir)) {
            return;
        }
        try (Stream<Path> regions = Files.list(snapshotsDir)) {
            for (Path regionDir : regions.filter(Files::isDirectory).toList()) {
                String region = regionDir.getFileName().toString();
                Path records = regionDir.resolve("records");
                Set<String> keep = new HashSet<>();
                if (Files.isDirectory(records)) {
                    AtomicFile.deleteStrays(records);
                    try (Stream<Path> s = Files.list(records)) {
                        for (Path p : s.sorted().toList()) {
                            SnapshotRecord r = SnapshotRecord.fromJson(Files.readAllBytes(p), p.toString());
                            if (r.status().equals("creating")) {
                                r = r.withStatus("failed");
                                save(r);
                                event(
                                        r,
                                        "REDSHIFT-EVENT-3503",
                                        "ERROR",
                                        "Snapshot '" + r.identifier() + "' of cluster '" + r.clusterIdentifier()
                                                + "' failed: the control plane stopped while it was being written."
                                                + " Delete it and take another.");
                            }
                            snapshotsById.put(r.id(), r);
                            if (r.available()) {
                                keep.add(r.id());
                            }
                        }
                    }
                }
                store(region).recover(keep);
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read snapshots in " + snapshotsDir + ": " + e, e);
        }
    }

    /** CreateClusterSnapshot: a manual snapshot, taken at once. */
    public SnapshotView createSnapshot(
            Credential caller,
            String region,
            String clusterIdentifier,
            String snapshotIdentifier,
            @Nullable Integer r) {
        ClusterEntry e = state.require(caller, region, clusterIdentifier);
        String id = ClusterParameters.snapshotIdentifier(snapshotIdentifier);
        int retention = ClusterParameters.manualRetention(r);
        SnapshotRecord created;
        Job job;
        Snapshot at;
        synchronized (state.lock) {
            checkFree(caller.accountId(), region, id);
            state.begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.AVAILABLE);
            at = pin(e);
            created = newRecord(e, id, "manual", retention);
            save(created);
            job = claim(e, created);
        }
        state.jobs.launch(job, new SnapshotWork(e, created, at));
        state.awaitGraceOrThrow(job);
        return view(Objects.requireNonNullElse(snapshotsById.get(created.id()), created), "creating");
    }

    /**
     * Takes automated snapshot {@code id} of {@code e} now and waits for it (up to a day); null when it is held back
     * because another operation holds the cluster, it is not available, or {@code id} exists. A job that holds the
     * cluster ({@code from}) may hand it over to the snapshot, which then holds it until it ends.
     */
    @Nullable
    public Job takeAutomated(ClusterEntry e, String id, @Nullable Job from) {
        SnapshotRecord s;
        Job job;
        Snapshot at;
        synchronized (state.lock) {
            boolean free = from != null ? e.job == from : e.status == ClusterStatus.AVAILABLE && e.job == null;
            if (!free
                    || e.running == null
                    || find(e.rec.accountId(), e.rec.region(), id).isPresent()) {
                return null;
            }
            at = pin(e);
            s = newRecord(e, id, "automated", -1);
            save(s);
            job = claim(e, s);
        }
        state.jobs.launch(job, new SnapshotWork(e, s, at));
        state.jobs.await(job, Duration.ofDays(1));
        return job;
    }

    /** The version of {@code e} a snapshot taken now holds; under the lock, after {@link ControlState#begin}. */
    public Snapshot pin(ClusterEntry e) {
        RunningCluster run = e.running;
        if (run == null) {
            throw RedshiftApiException.invalidState("Cluster " + e.rec.identifier() + " is not running.");
        }
        return run.store().snapshot();
    }

    /**
     * Records the job that writes snapshot {@code s} of {@code e} (saved {@code creating}) and holds the cluster for
     * it. Under the lock, after {@link ControlState#begin} found the cluster free. A restart does not resume it: the
     * version it pinned is gone, so {@link #recover} marks the snapshot failed, with an event.
     */
    Job claim(ClusterEntry e, SnapshotRecord s) {
        Job job = state.jobs.create(JobRecord.start(
                state.newJobId(),
                JobKind.CREATE_SNAPSHOT,
                s.accountId(),
                s.region(),
                s.identifier(),
                e.rec.id(),
                state.clock.instant(),
                Map.of("snapshotId", s.id())));
        e.job = job;
        writing.put(s.id(), job);
        return job;
    }

    /**
     * Writes a claimed snapshot from the version pinned when it was requested, with its progress in the snapshot's
     * fields, and lets the cluster go when it ends. Thread-safe: one per job.
     */
    final class SnapshotWork implements JobEngine.Work {
        private final ClusterEntry e;
        private final SnapshotRecord s;
        private final Snapshot at;

        SnapshotWork(ClusterEntry e, SnapshotRecord s, Snapshot at) {
            this.e = e;
            this.s = s;
            this.at = at;
        }

        @Override
        public String run(Job job) {
            try (at) {
                job.total(bytesOf(at));
                SnapshotRecord done = take(e, s, at, job::advance);
                return "Snapshot " + done.identifier() + " of cluster " + done.clusterIdentifier() + " is available.";
            } finally {
                writing.remove(s.id());
                state.release(e, job);
            }
        }

        @Override
        public String failed(Job job, RuntimeException cause) {
            // take recorded the failure, deleted the half image and wrote the event.
            return "Snapshot " + s.identifier() + " failed: " + cause.getMessage();
        }
    }

    /** Shows {@code job}'s progress in snapshot {@code snapshotId}'s fields until {@link #untrack}. */
    public void track(String snapshotId, Job job) {
        writing.put(snapshotId, job);
    }

    public void untrack(String snapshotId) {
        writing.remove(snapshotId);
    }

    /** The bytes of the blocks a snapshot of {@code at} stores: those of its tables that are backed up. */
    public static long bytesOf(Snapshot at) {
        long total = 0;
        for (TableSpec t : at.tables()) {
            if (t.backup()) {
                total += StoreCopy.bytesOf(at.table(t.qualifiedName()));
            }
        }
        return total;
    }

    /** What the API shows of snapshot {@code s} with status {@code status}: live progress while a job writes it. */
    SnapshotView view(SnapshotRecord s, String status) {
        Job job = writing.get(s.id());
        return new SnapshotView(s, status, s.sourceRegion(), job == null ? null : job.progress());
    }

    /** Answers ClusterSnapshotAlreadyExists if the caller has a snapshot {@code identifier}. Under the lock. */
    public void checkFree(String accountId, String region, String identifier) {
        if (find(accountId, region, identifier).isPresent()) {
            throw new RedshiftApiException(
                    ErrorCode.ALREADY_EXISTS,
                    "ClusterSnapshotAlreadyExists",
                    400,
                    "Cannot create the snapshot because a snapshot with the identifier " + identifier
                            + " already exists.");
        }
    }

    /** A {@code creating} record for a snapshot of {@code e}, holding the cluster's current key envelope. */
    public SnapshotRecord newRecord(ClusterEntry e, String identifier, String type, int retention) {
        ClusterRecord c = e.rec;
        String envelope = null;
        if (c.encrypted()) {
            VaultEntry v = state.vault
                    .get(c.id())
                    .orElseThrow(() -> RedshiftApiException.invalidState(
                            "The key vault has no entry for cluster " + c.identifier() + "."));
            envelope = Base64.getEncoder().encodeToString(v.encode());
        }
        return new SnapshotRecord(
                "s-" + HexFormat.of().formatHex(state.randomBytes(10)),
                identifier,
                c.accountId(),
                c.region(),
                c.identifier(),
                c.id(),
                type,
                "creating",
                state.clock.instant(),
                c.createTime(),
                c.nodeType().wireName(),
                c.numberOfNodes(),
                c.dbName(),
                c.masterUsername(),
                c.passwordVerifier(),
                c.port(),
                c.encrypted(),
                c.kmsKeyArn(),
                envelope,
                retention,
                0,
                0,
                0,
                List.of(),
                null);
    }

    /**
     * Writes the image of a cluster's committed version and marks the record available (the commit point). A
     * failure marks it failed, with an event; a crash leaves it {@code creating}, which the next start turns
     * into {@code failed} after deleting the half image.
     */
    public SnapshotRecord take(ClusterEntry e, SnapshotRecord s, Snapshot at, LongConsumer progress) {
        event(
                s,
                "REDSHIFT-EVENT-2009",
                "INFO",
                "Backup of cluster '" + s.clusterIdentifier() + "' started: " + s.type() + " snapshot '"
                        + s.identifier() + "'" + (s.encrypted() ? ", encrypted under KMS key " + s.kmsKeyArn() : "")
                        + ".");
        long t0 = System.nanoTime();
        try {
            SnapshotStore.ImageStats st = store(s.region()).write(s.id(), at, progress);
            long elapsed = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
            SnapshotRecord done =
                    s.withStatus("available", st.totalBytes(), st.newBytes(), elapsed, st.excludedTables());
            save(done); // the commit point
            try {
                onAvailable.accept(done);
            } catch (RuntimeException copyNotStarted) {
                event(
                        done,
                        "REDSHIFT-EVENT-3703",
                        "ERROR",
                        "The copy of snapshot '" + done.identifier() + "' to another region could not be started: "
                                + StrongroomException.forClient(String.valueOf(copyNotStarted.getMessage())));
            }
            event(
                    done,
                    "REDSHIFT-EVENT-3004",
                    "INFO",
                    "Backup of cluster '" + s.clusterIdentifier() + "' completed: snapshot '" + s.identifier() + "', "
                            + st.tables() + " tables, " + st.blocks() + " blocks (" + st.newBlocks()
                            + " new), " + st.totalBytes() + " bytes (" + st.newBytes() + " new)."
                            + (st.excludedTables().isEmpty()
                                    ? ""
                                    : " Tables created BACKUP NO were left out: " + st.excludedTables() + "."));
            return done;
        } catch (RuntimeException ex) {
            try {
                save(s.withStatus("failed"));
                store(s.region()).delete(s.id());
            } catch (RuntimeException suppressed) {
                ex.addSuppressed(suppressed);
            }
            event(
                    s,
                    "REDSHIFT-EVENT-3503",
                    "ERROR",
                    "Backup of cluster '" + s.clusterIdentifier() + "' failed: snapshot '" + s.identifier() + "': "
                            + ex.getMessage());
            throw ex instanceof StrongroomException se && !(ex instanceof RedshiftApiException)
                    ? RedshiftApiException.from(se)
                    : ex;
        }
    }

    /** DescribeClusterSnapshots. */
    public List<SnapshotView> describeSnapshots(Credential caller, String region, ClusterRequests.DescribeSnapshots q) {
        if (q.snapshotType() != null
                && !q.snapshotType().equals("manual")
                && !q.snapshotType().equals("automated")) {
            throw RedshiftApiException.invalidParameter("SnapshotType must be manual or automated.");
        }
        String cluster =
                q.clusterIdentifier() == null ? null : q.clusterIdentifier().toLowerCase(Locale.ROOT);
        if (q.snapshotIdentifier() != null) {
            SnapshotRecord s = require(caller, region, q.snapshotIdentifier(), cluster);
            return List.of(view(s, s.status()));
        }
        if (cluster != null
                && state.find(caller.accountId(), region, cluster).isEmpty()
                && snapshotsById.values().stream()
                        .noneMatch(s -> s.clusterIdentifier().equals(cluster))) {
            throw RedshiftApiException.clusterNotFound(cluster);
        }
        return snapshotsById.values().stream()
                .filter(s ->
                        s.accountId().equals(caller.accountId()) && s.region().equals(region))
                .filter(s -> cluster == null || s.clusterIdentifier().equals(cluster))
                .filter(s -> q.snapshotType() == null || s.type().equals(q.snapshotType()))
                .filter(s -> q.startTime() == null || !s.createTime().isBefore(q.startTime()))
                .filter(s -> q.endTime() == null || !s.createTime().isAfter(q.endTime()))
                .sorted(Comparator.comparing(SnapshotRecord::createTime).thenComparing(SnapshotRecord::identifier))
                .map(s -> view(s, s.status()))
                .toList();
    }

    /** DeleteClusterSnapshot: manual snapshots only. */
    public SnapshotView deleteSnapshot(
            Credential caller, String region, String snapshotIdentifier, @Nullable String clusterIdentifier) {
        SnapshotRecord s;
        synchronized (state.lock) {
            s = require(caller, region, snapshotIdentifier, clusterIdentifier);
            if (s.automated()) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "Snapshot " + s.identifier() + " is automated; only manual snapshots can be deleted."
                                + " Automated snapshots go when their retention period ends or their cluster is"
                                + " deleted; copy one (copy-cluster-snapshot) to keep it.");
            }
            if (s.status().equals("creating")) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "Snapshot " + s.identifier() + " is being created; delete it once it is available.");
            }
            checkNotInUse(s);
            AtomicFile.delete(
                    recordFile(s)); // the commit point: a restart deletes the image of a snapshot with no record
            snapshotsById.remove(s.id());
        }
        // Removing the image and freeing the blocks no other snapshot lists scans every image's block list: a job.
        SnapshotRecord deleted = s;
        Job job = state.jobs.start(
                JobRecord.start(
                        state.newJobId(),
                        JobKind.DELETE_SNAPSHOT,
                        s.accountId(),
                        s.region(),
                        s.identifier(),
                        "",
                        state.clock.instant(),
                        Map.of("snapshotId", s.id())),
                new JobEngine.Work() {
                    @Override
                    public String run(Job j) {
                        store(deleted.region()).delete(deleted.id());
                        deletedEvent(deleted);
                        return "Snapshot " + deleted.identifier() + " was deleted.";
                    }

                    @Override
                    public String failed(Job j, RuntimeException cause) {
                        return "Snapshot " + deleted.identifier() + " is deleted; freeing its blocks failed ("
                                + cause.getMessage() + "); the next start frees them.";
                    }
                });
        state.jobs.awaitGrace(job);
        return new SnapshotView(s, "deleted", null);
    }

    /** Whether a running job (a restore, a copy) reads snapshot {@code s}. */
    public boolean inUse(SnapshotRecord s) {
        return state.jobs.records().stream()
                .anyMatch(j -> !j.state().finished()
                        && j.kind() != JobKind.CREATE_SNAPSHOT
                        && s.id().equals(j.attribute("snapshotId")));
    }

    /** Refuses (InvalidClusterSnapshotState) while a running restore reads snapshot {@code s}. */
    void checkNotInUse(SnapshotRecord s) {
        for (JobRecord j : state.jobs.records()) {
            if (!j.state().finished()
                    && j.kind() != JobKind.CREATE_SNAPSHOT
                    && s.id().equals(j.attribute("snapshotId"))) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "Snapshot " + s.identifier() + " is being restored ("
                                + j.kind().description() + " of '" + j.subject() + "', job " + j.id()
                                + "); delete it once that has finished.");
            }
        }
    }

    /** Deletes a snapshot's record (the commit point), then its image and the blocks nothing else needs. */
    public void remove(SnapshotRecord s) {
        AtomicFile.delete(recordFile(s));
        snapshotsById.remove(s.id());
        store(s.region()).delete(s.id());
        deletedEvent(s);
    }

    private void deletedEvent(SnapshotRecord s) {
        event(
                s,
                "REDSHIFT-EVENT-2011",
                "INFO",
                "Snapshot '" + s.identifier() + "' of cluster '" + s.clusterIdentifier() + "' was deleted.");
    }

    /** CopyClusterSnapshot: an available automated snapshot into a manual one, in the same region. */
    public SnapshotView copySnapshot(
            Credential caller,
            String region,
            String sourceIdentifier,
            @Nullable String sourceClusterIdentifier,
            String targetIdentifier,
            @Nullable Integer retention) {
        String target = ClusterParameters.snapshotIdentifier(targetIdentifier);
        int days = ClusterParameters.manualRetention(retention);
        SnapshotRecord copy;
        SnapshotRecord source;
        synchronized (state.lock) {
            source = require(caller, region, sourceIdentifier, sourceClusterIdentifier);
            if (!source.automated() || !source.available()) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "CopyClusterSnapshot copies an available automated snapshot; " + source.identifier() + " is a "
                                + source.status() + " " + source.type() + " snapshot.");
            }
            checkFree(caller.accountId(), region, target);
            copy = source.copyAs(
                    "s-" + HexFormat.of().formatHex(state.randomBytes(10)), target, days, state.clock.instant());
            save(copy);
        }
        SnapshotRecord from = source;
        SnapshotRecord to = copy;
        // The copy shares every block; its metadata (manifests: some 150 bytes a block) is what is written.
        Job job = state.jobs.create(JobRecord.start(
                state.newJobId(),
                JobKind.COPY_SNAPSHOT,
                caller.accountId(),
                region,
                target,
                "",
                state.clock.instant(),
                Map.of("snapshotId", source.id(), "copyId", copy.id())));
        track(copy.id(), job);
        job.total(source.totalBytes());
        state.jobs.launch(job, new JobEngine.Work() {
            @Override
            public String run(Job j) {
                try {
                    store(region).copy(from.id(), to.id());
                    j.advance(from.totalBytes());
                    SnapshotRecord done = to.withStatus("available");
                    save(done);
                    event(
                            done,
                            "REDSHIFT-EVENT-3004",
                            "INFO",
                            "Snapshot '" + from.identifier() + "' was copied to manual snapshot '" + target + "'.");
                    return "Snapshot " + from.identifier() + " was copied to " + target + ".";
                } finally {
                    untrack(to.id());
                }
            }

            @Override
            public String failed(Job j, RuntimeException cause) {
                save(to.withStatus("failed"));
                event(
                        to,
                        "REDSHIFT-EVENT-3503",
                        "ERROR",
                        "Copy of snapshot '" + from.identifier() + "' to '" + target + "' failed: "
                                + cause.getMessage());
                return "Copy failed: " + cause.getMessage();
            }
        });
        state.awaitGraceOrThrow(job);
        return new SnapshotView(Objects.requireNonNullElse(snapshotsById.get(copy.id()), copy), "creating", null);
    }

    /** ModifyClusterSnapshot: a manual snapshot's retention. */
    public SnapshotView modifySnapshot(
            Credential caller, String region, String snapshotIdentifier, @Nullable Integer retention, boolean force) {
        synchronized (state.lock) {
            SnapshotRecord s = require(caller, region, snapshotIdentifier, null);
            if (s.automated()) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "Snapshot " + s.identifier() + " is automated: its retention is the cluster's"
                                + " AutomatedSnapshotRetentionPeriod. Copy it to a manual snapshot to keep it longer.");
            }
            int days = retention == null ? -1 : ClusterParameters.manualRetention(retention);
            if (days != -1
                    && !force
                    && s.createTime().plus(Duration.ofDays(days)).isBefore(state.clock.instant())) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_ARGUMENT,
                        "InvalidRetentionPeriodFault",
                        400,
                        "A retention of " + days + " days ends before now for snapshot " + s.identifier()
                                + "; pass Force (--force) to let it be deleted.");
            }
            SnapshotRecord next = s.withRetention(days);
            save(next);
            return new SnapshotView(next, next.status(), null);
        }
    }

    /** As {@link #require}, refusing (InvalidClusterSnapshotState) a snapshot that is not available to restore. */
    SnapshotRecord requireAvailable(Credential caller, String region, String identifier) {
        SnapshotRecord s = require(caller, region, identifier, null);
        if (!s.available()) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_STATE,
                    "InvalidClusterSnapshotState",
                    400,
                    "Snapshot " + s.identifier() + " is " + s.status() + "; only an available snapshot restores.");
        }
        return s;
    }

    /** The caller's snapshot {@code identifier} (of {@code clusterIdentifier}, when given), or ClusterSnapshotNotFound. */
    SnapshotRecord require(Credential caller, String region, String identifier, @Nullable String clusterIdentifier) {
        return find(caller.accountId(), region, identifier)
                .filter(s -> clusterIdentifier == null || s.clusterIdentifier().equalsIgnoreCase(clusterIdentifier))
                .orElseThrow(() -> new RedshiftApiException(
                        ErrorCode.NOT_FOUND, "ClusterSnapshotNotFound", 404, "Snapshot " + identifier + " not found."));
    }

    /** The snapshot {@code identifier} of {@code accountId} in {@code region}. */
    Optional<SnapshotRecord> find(String accountId, String region, String identifier) {
        return snapshotsById.values().stream()
                .filter(s -> s.accountId().equals(accountId)
                        && s.region().equals(region)
                        && s.identifier().equals(identifier))
                .findFirst();
    }

    /** Records an event whose source is snapshot {@code s}. */
    public void event(SnapshotRecord s, String eventId, String severity, String message) {
        state.events.add(new ClusterEvent(
                s.accountId(),
                s.region(),
                s.identifier(),
                "cluster-snapshot",
                message,
                List.of("management"),
                severity,
                state.clock.instant(),
                eventId));
    }
}
