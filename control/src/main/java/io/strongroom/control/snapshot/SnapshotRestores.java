package io.strongroom.control.snapshot;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterRequests;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.cluster.StoreCopy;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.jobs.JobState;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Restores from snapshots: RestoreFromClusterSnapshot (a new cluster from a whole snapshot) and
 * RestoreTableFromClusterSnapshot (one table into the cluster the snapshot came from), with the status of table
 * restores.
 *
 * <p>Invariants: a snapshot's image is only ever read; a restored cluster gets keys of its own, never the
 * snapshot's; a table restore never overwrites a table, and holds its cluster (as any operation does) until it ends.
 *
 * <p>A table restore is a job ({@link JobKind#RESTORE_TABLE}): the request checks, records it, makes a temporary
 * grant on the snapshot's key as the caller (step {@code ready}) and starts it; the work copies the table in one
 * transaction (step {@code copying}, then {@code committed}) and retires the grant. DescribeTableRestoreStatus reads
 * the job records, so the history survives restarts; a restart resumes a job from {@code ready} on, and rolls back
 * one that never got there.
 *
 * <p>Thread-safe: runs on API request threads and job threads; the cluster is claimed under the control plane's
 * lock.
 */
public final class SnapshotRestores {
    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private static final String COPYING = "copying";
    private static final String COMMITTED = ClusterRestoreJob.COMMITTED;

    public SnapshotRestores(ControlState state, ClusterSnapshots snapshots) {
        this.state = state;
        this.snapshots = snapshots;
    }

    /** RestoreFromClusterSnapshot: a new cluster with keys of its own, built by a job ({@link ClusterRestoreJob}). */
    public ClusterView restore(Credential caller, String region, ClusterRequests.Restore q) {
        return ClusterRestoreJob.request(state, snapshots, caller, region, q);
    }

    /** Resumes the restores a restart found running (after every other cluster is up). */
    public void resumeJobs() {
        ClusterRestoreJob.resume(state, snapshots);
        resumeTableRestores();
    }

    /**
     * RestoreTableFromClusterSnapshot: copies one table of a snapshot into the cluster it came from (by identifier)
     * as a new table. Refused from an unencrypted snapshot into an encrypted cluster, as Redshift refuses it.
     */
    public TableRestoreStatus restoreTable(Credential caller, String region, ClusterRequests.RestoreTable q) {
        ClusterEntry e = state.require(caller, region, q.clusterIdentifier());
        SnapshotRecord s = snapshots.requireAvailable(caller, region, q.snapshotIdentifier());
        if (s.encryptedWithHsm()) {
            throw RedshiftApiException.unsupported("Restoring a table from a snapshot of an HSM cluster is not"
                    + " supported yet: restores use KMS keys only.");
        }
        if (!s.clusterIdentifier().equals(e.rec.identifier())) {
            throw tableRestoreArgument("A table restores only into the cluster its snapshot was taken from ('"
                    + s.clusterIdentifier() + "'), not into '" + e.rec.identifier() + "'. Restore the snapshot into"
                    + " a new cluster instead.");
        }
        if (!s.encrypted() && e.rec.encrypted()) {
            throw tableRestoreArgument("Cannot restore a table from unencrypted snapshot '" + s.identifier()
                    + "' into encrypted cluster '" + e.rec.identifier() + "': a table is never restored from an"
                    + " unencrypted cluster into an encrypted one. Restore the whole snapshot into a new cluster"
                    + " (restore-from-cluster-snapshot, which can encrypt it with --kms-key-id) and copy the table"
                    + " from there.");
        }
        if (!q.sourceDatabaseName().equals(s.dbName())) {
            throw tableRestoreArgument("Snapshot " + s.identifier() + " holds database '" + s.dbName() + "', not '"
                    + q.sourceDatabaseName() + "'.");
        }
        if (q.targetDatabaseName() != null && !q.targetDatabaseName().equals(e.rec.dbName())) {
            throw tableRestoreArgument("Cluster " + e.rec.identifier() + " has database '" + e.rec.dbName() + "', not '"
                    + q.targetDatabaseName() + "'.");
        }
        String sourceSchema = q.sourceSchemaName() == null ? "public" : q.sourceSchemaName();
        String targetSchema = q.targetSchemaName() == null ? sourceSchema : q.targetSchemaName();
        String source = sourceSchema + "." + q.sourceTableName();
        String target = targetSchema + "." + q.newTableName();
        RunningCluster run = e.running;
        if (run == null || e.status != ClusterStatus.AVAILABLE) {
            throw RedshiftApiException.invalidState("Cluster " + e.rec.identifier() + " is not available.");
        }
        try (Snapshot now = run.store().snapshot()) {
            if (now.exists(target)) {
                throw tableRestoreArgument("Table " + target + " already exists in cluster " + e.rec.identifier()
                        + "; a table restore never overwrites a table. Choose another NewTableName.");
            }
        }
        if (s.excludedTables().contains(source)) {
            throw tableRestoreArgument(
                    "Table " + source + " was created BACKUP NO, so snapshot " + s.identifier() + " does not hold it.");
        }
        String requestId = UUID.randomUUID().toString();
        Map<String, String> attributes = new HashMap<>();
        attributes.put("snapshotId", s.id());
        attributes.put("requestId", requestId);
        attributes.put("clusterIdentifier", q.clusterIdentifier());
        attributes.put("snapshotIdentifier", q.snapshotIdentifier());
        attributes.put("sourceDatabaseName", q.sourceDatabaseName());
        attributes.put("sourceSchemaName", sourceSchema);
        attributes.put("sourceTableName", q.sourceTableName());
        attributes.put("targetDatabaseName", e.rec.dbName());
        attributes.put("targetSchemaName", targetSchema);
        attributes.put("newTableName", q.newTableName());
        attributes.put("schemaGiven", Boolean.toString(q.targetSchemaName() != null));
        if (s.encrypted()) {
            attributes.put(
                    "snapshotKeyArn",
                    VaultEntry.decode(s.envelopeBytes(), s.identifier()).rootKeyArn());
        }
        String jobId = state.newJobId();
        Job job;
        synchronized (state.lock) {
            // Holds the cluster like any operation: a resize or deletion must not swap the store it writes into.
            state.begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.AVAILABLE);
            job = state.jobs.create(JobRecord.start(
                    jobId,
                    JobKind.RESTORE_TABLE,
                    caller.accountId(),
                    region,
                    e.rec.identifier(),
                    e.rec.id(),
                    state.clock.instant(),
                    attributes));
            e.job = job;
        }
        try {
            Map<String, String> ready = new HashMap<>();
            if (s.encrypted()) {
                ready.put(
                        "snapshotGrantId",
                        state.keys.grantSnapshotDecrypt(
                                caller,
                                region,
                                VaultEntry.decode(s.envelopeBytes(), s.identifier()),
                                ClusterRestoreJob.grantName(jobId)));
            }
            job.step(ClusterRestoreJob.READY, ready);
        } catch (RuntimeException ex) {
            ClusterRestoreJob.retireSnapshotGrant(state, job.record());
            state.release(e, job);
            state.jobs.refused(job, "refused: " + ex.getMessage());
            throw ex instanceof StrongroomException se && !(ex instanceof RedshiftApiException)
                    ? RedshiftApiException.from(se)
                    : ex;
        }
        state.jobs.launch(job, new TableRestoreWork(e, s));
        state.jobs.awaitGrace(job);
        return status(job.record());
    }

    /**
     * Copies the table a table restore names from the snapshot's image (linked into a scratch store and opened with
     * the snapshot's DEK, unwrapped through the job's temporary grant) into the running cluster, in one transaction:
     * a restart before its commit leaves nothing, and the job copies again. Thread-safe: one per job.
     */
    private final class TableRestoreWork implements JobEngine.Work {
        private final ClusterEntry e;
        private final SnapshotRecord s;

        TableRestoreWork(ClusterEntry e, SnapshotRecord s) {
            this.e = e;
            this.s = s;
        }

        @Override
        public String run(Job job) {
            try {
                String done = copy(job);
                ClusterRestoreJob.retireSnapshotGrant(state, job.record());
                return done;
            } finally {
                state.release(e, job);
            }
        }

        private String copy(Job job) {
            JobRecord r = job.record();
            String source = r.attribute("sourceSchemaName") + "." + r.attribute("sourceTableName");
            String targetSchema = Objects.requireNonNull(r.attribute("targetSchemaName"));
            String newName = Objects.requireNonNull(r.attribute("newTableName"));
            String target = targetSchema + "." + newName;
            String done = "Table " + source + " of snapshot " + s.identifier() + " was restored as " + target + ".";
            {
                if (r.step().equals(COMMITTED)) {
                    return done;
                }
                RunningCluster run = e.running;
                if (run == null) {
                    throw RedshiftApiException.invalidState("Cluster " + e.rec.identifier() + " is not running.");
                }
                String ours = r.attribute("tableId");
                try (Snapshot now = run.store().snapshot()) {
                    if (ours != null && now.exists(target)) {
                        // Table ids are never reused: the table is ours only if it has the id the copy gave it.
                        if (now.table(target).tableId() == Long.parseLong(ours)) {
                            job.step(COMMITTED);
                            return done + " (its commit was found after a restart)";
                        }
                        throw tableRestoreArgument("Table " + target + " was created in cluster " + e.rec.identifier()
                                + " while this table restore was stopped; it is not overwritten. Choose another"
                                + " NewTableName and restore again.");
                    }
                }
                Path scratch = state.storesDir.resolve(e.rec.id() + "-table-restore-" + job.id());
                ControlState.deleteTree(scratch);
                try (ClusterKeys.Unlocked snapKeys = s.encrypted()
                                ? state.keys.unlockSnapshotAsService(
                                        VaultEntry.decode(s.envelopeBytes(), s.identifier()), s.region())
                                : null;
                        Store image = snapshots
                                .store(s.region())
                                .restore(
                                        s.id(),
                                        scratch,
                                        snapKeys == null ? StoreKeys.unencrypted() : StoreKeys.of(snapKeys.dek));
                        Snapshot snap = image.snapshot()) {
                    if (!snap.exists(source)) {
                        throw tableRestoreArgument("Snapshot " + s.identifier() + " has no table " + source
                                + " in database " + s.dbName() + ".");
                    }
                    TableReader reader = snap.table(source);
                    TableSpec spec = reader.spec();
                    TableSpec renamed = new TableSpec(
                            targetSchema,
                            newName,
                            spec.columns(),
                            spec.distStyle(),
                            spec.distKey(),
                            spec.sortKey(),
                            spec.backup());
                    job.total(StoreCopy.bytesOf(reader));
                    try (Transaction tx = run.store().begin()) {
                        tx.createTable(renamed);
                        // The new table's id, recorded before the copy commits: a resume tells its own commit apart
                        // from a table of the same name made by someone else.
                        job.step(
                                COPYING,
                                Map.of(
                                        "tableId",
                                        Long.toString(tx.reader(renamed.qualifiedName())
                                                .tableId())));
                        StoreCopy.copyRows(reader, tx, renamed.qualifiedName(), job::advance, job::checkpoint);
                        tx.commit();
                    }
                } finally {
                    ControlState.deleteTree(scratch);
                }
                job.step(
                        COMMITTED,
                        Map.of("totalBytes", Long.toString(job.progress().totalBytes())));
                state.event(
                        e.rec,
                        "REDSHIFT-EVENT-3003",
                        "INFO",
                        "Cluster '" + e.rec.identifier() + "': " + done,
                        "management");
                return done;
            }
        }

        @Override
        public String failed(Job job, RuntimeException cause) {
            ClusterRestoreJob.retireSnapshotGrant(state, job.record());
            state.event(
                    e.rec,
                    "REDSHIFT-EVENT-3501",
                    "ERROR",
                    "Cluster '" + e.rec.identifier() + "': table restore "
                            + job.record().attribute("requestId") + " from snapshot '" + s.identifier() + "' failed: "
                            + cause.getMessage(),
                    "management");
            return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        }
    }

    /** Resumes or rolls back the table restores a restart found running, once every cluster is up. */
    void resumeTableRestores() {
        for (JobRecord r : state.jobs.unfinished()) {
            if (r.kind() != JobKind.RESTORE_TABLE) {
                continue;
            }
            Job job = state.jobs.reopen(r);
            ClusterEntry e = state.byId.get(r.clusterId());
            SnapshotRecord s = snapshots.byId(r.attribute("snapshotId"));
            if (r.step().equals("accepted") || e == null || s == null || e.running == null) {
                ClusterRestoreJob.retireSnapshotGrant(state, r);
                String why = e == null
                        ? "its cluster is gone"
                        : s == null
                                ? "its snapshot is gone"
                                : e.running == null
                                        ? "its cluster is not serving"
                                        : "the control plane stopped before it began";
                state.jobs.rolledBack(job, "Stopped by a restart and rolled back: " + why + ". Run it again.");
                continue;
            }
            e.job = job;
            state.jobs.launch(job, new TableRestoreWork(e, s));
        }
    }

    /** What DescribeTableRestoreStatus shows of a table restore job. */
    private TableRestoreStatus status(JobRecord r) {
        String status = switch (r.state()) {
            case RUNNING -> r.step().equals(COPYING) ? "IN_PROGRESS" : "PENDING";
            case SUCCEEDED -> "SUCCEEDED";
            case FAILED, ROLLED_BACK -> "FAILED";
        };
        double progress = 0;
        double total = 0;
        Optional<Job> live = state.jobs.running(r.id());
        if (live.isPresent()) {
            Job.Progress p = live.get().progress();
            progress = p.doneMegaBytes();
            total = p.totalMegaBytes();
        } else if (r.attribute("totalBytes") != null) {
            total = Long.parseLong(r.attributes().get("totalBytes")) / (1024.0 * 1024.0);
            progress = r.state() == JobState.SUCCEEDED ? total : 0;
        }
        ClusterRequests.RestoreTable q = new ClusterRequests.RestoreTable(
                attr(r, "clusterIdentifier"),
                attr(r, "snapshotIdentifier"),
                attr(r, "sourceDatabaseName"),
                attr(r, "sourceSchemaName"),
                attr(r, "sourceTableName"),
                attr(r, "targetDatabaseName"),
                Boolean.parseBoolean(r.attribute("schemaGiven")) ? attr(r, "targetSchemaName") : null,
                attr(r, "newTableName"));
        return new TableRestoreStatus(
                attr(r, "requestId"),
                status,
                r.message(),
                r.createdAt(),
                progress,
                total,
                r.accountId(),
                r.region(),
                q);
    }

    private static String attr(JobRecord r, String name) {
        String v = r.attribute(name);
        if (v == null) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "job record " + r.id() + " lacks " + name);
        }
        return v;
    }

    /**
     * DescribeTableRestoreStatus: the caller's table restores in {@code region}, running and finished (kept with the
     * job records for {@code JobEngine.HISTORY}, across restarts), oldest first.
     */
    public List<TableRestoreStatus> tableRestoreStatus(
            Credential caller, String region, @Nullable String clusterIdentifier, @Nullable String requestId) {
        if (clusterIdentifier != null) {
            state.require(caller, region, clusterIdentifier);
        }
        List<TableRestoreStatus> out = state.jobs.records().stream()
                .filter(r -> r.kind() == JobKind.RESTORE_TABLE)
                .filter(r ->
                        r.accountId().equals(caller.accountId()) && r.region().equals(region))
                .filter(r -> clusterIdentifier == null || r.subject().equalsIgnoreCase(clusterIdentifier))
                .filter(r -> requestId == null || requestId.equals(r.attribute("requestId")))
                .sorted(Comparator.comparing(JobRecord::createdAt).thenComparing(JobRecord::id))
                .map(this::status)
                .toList();
        if (requestId != null && out.isEmpty()) {
            throw new RedshiftApiException(
                    ErrorCode.NOT_FOUND,
                    "TableRestoreNotFoundFault",
                    400,
                    "Table restore request " + requestId + " does not exist.");
        }
        return out;
    }

    private static RedshiftApiException tableRestoreArgument(String message) {
        return new RedshiftApiException(ErrorCode.INVALID_ARGUMENT, "InvalidTableRestoreArgument", 400, message);
    }
}
