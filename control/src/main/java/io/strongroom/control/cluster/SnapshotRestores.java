package io.strongroom.control.cluster;

import io.strongroom.control.NodeType;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.kms.Credential;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * Restores from snapshots: RestoreFromClusterSnapshot (a new cluster from a whole snapshot) and
 * RestoreTableFromClusterSnapshot (one table into the cluster the snapshot came from), with the status of table
 * restores.
 *
 * <p>Invariants: a snapshot's image is only ever read, through a scratch store linked from it and deleted after;
 * a restored cluster gets keys of its own, never the snapshot's; a table restore never overwrites a table.
 *
 * <p>Thread-safe: runs on API request threads. A new cluster's identifier and port are claimed under the control
 * plane's lock; table restore statuses are kept in a copy-on-write list, in memory only (a restart forgets them).
 */
final class SnapshotRestores {
    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final List<TableRestoreStatus> tableRestores = new CopyOnWriteArrayList<>();

    SnapshotRestores(ControlState state, ClusterSnapshots snapshots) {
        this.state = state;
        this.snapshots = snapshots;
    }

    /** RestoreFromClusterSnapshot: a new cluster with keys of its own, built by a job ({@link ClusterRestoreJob}). */
    ClusterView restore(Credential caller, String region, ClusterRequests.Restore q) {
        return ClusterRestoreJob.request(state, snapshots, caller, region, q);
    }

    /** Resumes the restores a restart found running (after every other cluster is up). */
    void resumeJobs() {
        ClusterRestoreJob.resume(state, snapshots);
    }

    /**
     * RestoreTableFromClusterSnapshot: copies one table of a snapshot into the cluster it came from (by identifier)
     * as a new table. Refused from an unencrypted snapshot into an encrypted cluster, as Redshift refuses it.
     */
    TableRestoreStatus restoreTable(Credential caller, String region, ClusterRequests.RestoreTable q) {
        ClusterEntry e = state.require(caller, region, q.clusterIdentifier());
        SnapshotRecord s = snapshots.require(caller, region, q.snapshotIdentifier(), null);
        if (!s.available()) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_STATE,
                    "InvalidClusterSnapshotState",
                    400,
                    "Snapshot " + s.identifier() + " is " + s.status() + "; only an available snapshot restores.");
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
        try (io.strongroom.storage.Snapshot now = run.store().snapshot()) {
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
        Instant requested = state.clock.instant();
        Path scratch = state.storesDir.resolve(e.rec.id() + "-table-restore-" + requestId.substring(0, 8));
        double totalMb = 0;
        try (ClusterKeys.Unlocked snapKeys = s.encrypted()
                        ? state.keys.unlockSnapshot(
                                caller, region, VaultEntry.decode(s.envelopeBytes(), s.identifier()))
                        : null;
                Store image = snapshots
                        .store(region)
                        .restore(
                                s.id(),
                                scratch,
                                snapKeys == null ? StoreKeys.unencrypted() : StoreKeys.of(snapKeys.dek));
                io.strongroom.storage.Snapshot snap = image.snapshot()) {
            if (!snap.exists(source)) {
                throw tableRestoreArgument(
                        "Snapshot " + s.identifier() + " has no table " + source + " in database " + s.dbName() + ".");
            }
            TableReader r = snap.table(source);
            TableSpec spec = r.spec();
            TableSpec renamed = new TableSpec(
                    targetSchema,
                    q.newTableName(),
                    spec.columns(),
                    spec.distStyle(),
                    spec.distKey(),
                    spec.sortKey(),
                    spec.backup());
            try (Transaction tx = run.store().begin()) {
                tx.createTable(renamed);
                for (TableReader.SliceScan scan :
                        r.scan(ScanSpec.all(spec.columns().size()))) {
                    while (scan.hasNext()) {
                        tx.append(renamed.qualifiedName(), scan.next());
                    }
                }
                tx.commit();
            }
            totalMb = r.blocks().stream().mapToLong(b -> b.storedBytes()).sum() / (1024.0 * 1024.0);
        } catch (StrongroomException ex) {
            if (ex instanceof RedshiftApiException) {
                throw ex;
            }
            TableRestoreStatus failed = new TableRestoreStatus(
                    requestId, "FAILED", ex.getMessage(), requested, 0, 0, caller.accountId(), region, q);
            tableRestores.add(failed);
            return failed;
        } finally {
            ControlState.deleteTree(scratch);
        }
        TableRestoreStatus done = new TableRestoreStatus(
                requestId,
                "SUCCEEDED",
                "Table " + source + " of snapshot " + s.identifier() + " was restored as " + target + ".",
                requested,
                totalMb,
                totalMb,
                caller.accountId(),
                region,
                q);
        tableRestores.add(done);
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3003",
                "INFO",
                "Cluster '" + e.rec.identifier() + "': " + done.message(),
                "management");
        return done;
    }

    /** DescribeTableRestoreStatus: the caller's table restores in {@code region} since the control plane started. */
    List<TableRestoreStatus> tableRestoreStatus(
            Credential caller, String region, @Nullable String clusterIdentifier, @Nullable String requestId) {
        if (clusterIdentifier != null) {
            state.require(caller, region, clusterIdentifier);
        }
        List<TableRestoreStatus> out = tableRestores.stream()
                .filter(t ->
                        t.accountId().equals(caller.accountId()) && t.region().equals(region))
                .filter(t -> clusterIdentifier == null
                        || t.request().clusterIdentifier().equalsIgnoreCase(clusterIdentifier))
                .filter(t -> requestId == null || t.requestId().equals(requestId))
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
