package io.strongroom.control.lifecycle;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterParameters;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterRequests;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.DataTransferInfo;
import io.strongroom.control.cluster.HsmCatalog;
import io.strongroom.control.cluster.NodeType;
import io.strongroom.control.cluster.PasswordVerifier;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.ResizeProgress;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.cluster.StoreCopy;
import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.keys.ClusterEncryptionChange;
import io.strongroom.control.keys.RootKeyChange;
import io.strongroom.control.snapshot.ClusterSnapshots;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableSpec;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;

/**
 * ModifyCluster and ResizeCluster: renames, master password and retention changes, and moving a cluster into a
 * store of another layout (node type and count).
 *
 * <p>Invariants: a rename claims the new identifier under the control plane's lock, in the same critical section
 * that checked it was free; a resize never changes the old store, and the record's switch to the new store
 * directory is its commit point.
 *
 * <p>Thread-safe: runs on API request threads; one operation per cluster at a time through {@link
 * ControlState#begin}.
 */
final class ClusterModification {
    private final ControlState state;

    private final ClusterSnapshots snapshots;
    private final ClusterEncryptionChange encryption;

    ClusterModification(ControlState state, ClusterSnapshots snapshots) {
        this.state = state;
        this.snapshots = snapshots;
        this.encryption = new ClusterEncryptionChange(state, snapshots);
    }

    /** Encryption changes: started by {@link #modify}, resumed at start. */
    ClusterEncryptionChange encryption() {
        return encryption;
    }

    /** ModifyCluster. */
    ClusterView modify(Credential caller, String region, ClusterRequests.Modify q) {
        ClusterEntry e = state.require(caller, region, q.identifier());
        Boolean wanted = q.encrypted();
        boolean inHsm = state.hsm.store().binding(e.rec.id()).isPresent();
        if (inHsm && (wanted != null || q.kmsKeyId() != null)) {
            throw RedshiftApiException.unsupported("Cluster " + e.rec.identifier() + " keeps its key in an HSM;"
                    + " moving it to KMS encryption or decrypting it is not supported yet.");
        }
        ClusterRequests.Hsm hq = q.hsm();
        if (hq != null) {
            if (!inHsm) {
                throw RedshiftApiException.unsupported("Cluster " + e.rec.identifier() + " does not keep its key in"
                        + " an HSM, and moving a cluster into an HSM is not supported yet; create a ds2 cluster with"
                        + " --hsm-client-certificate-identifier and --hsm-configuration-identifier.");
            }
            if (q.newIdentifier() != null
                    || q.nodeType() != null
                    || q.numberOfNodes() != null
                    || q.clusterType() != null
                    || q.masterUserPassword() != null) {
                throw RedshiftApiException.invalidCombination("Change a cluster's HSM in a request of its own (no new"
                        + " identifier, node type or count, or password with it).");
            }
            return switchHsm(caller, region, e, hq);
        }
        if (q.kmsKeyId() != null && !e.rec.encrypted() && !Boolean.TRUE.equals(wanted)) {
            throw RedshiftApiException.invalidParameter("Cluster " + e.rec.identifier() + " is not encrypted. To"
                    + " encrypt it under a KMS key, pass --encrypted with --kms-key-id.");
        }
        if (Boolean.FALSE.equals(wanted) && q.kmsKeyId() != null) {
            throw RedshiftApiException.invalidCombination("--no-encrypted decrypts the cluster; it takes no KMS key.");
        }
        RunningCluster running = e.running;
        boolean unfinished = wanted != null
                && wanted == e.rec.encrypted()
                && running != null
                && running.store().toReseal(wanted).blocks() > 0;
        if (wanted != null && (wanted != e.rec.encrypted() || unfinished)) {
            if (q.newIdentifier() != null
                    || q.nodeType() != null
                    || q.numberOfNodes() != null
                    || q.clusterType() != null
                    || q.masterUserPassword() != null) {
                throw RedshiftApiException.invalidCombination(
                        "Change a cluster's encryption in a request of its own (no new identifier, node type or"
                                + " count, or password with it).");
            }
            return encryption.start(caller, region, e, wanted, q.kmsKeyId());
        }
        String newId = q.newIdentifier() == null
                ? null
                : ClusterParameters.identifier(q.newIdentifier(), "NewClusterIdentifier");
        boolean layoutChange = q.nodeType() != null || q.numberOfNodes() != null || q.clusterType() != null;
        NodeType type = q.nodeType() == null ? e.rec.nodeType() : ClusterParameters.nodeType(q.nodeType());
        int nodes = layoutChange
                ? ClusterParameters.nodeCount(
                        type, q.clusterType(), q.numberOfNodes() == null ? e.rec.numberOfNodes() : q.numberOfNodes())
                : e.rec.numberOfNodes();
        if (q.masterUserPassword() != null) {
            ClusterParameters.checkPassword(q.masterUserPassword());
        }
        int automated = ClusterParameters.retention(
                q.automatedSnapshotRetentionPeriod(),
                e.rec.automatedSnapshotRetentionPeriod(),
                0,
                35,
                "AutomatedSnapshotRetentionPeriod");
        int manual = q.manualSnapshotRetentionPeriod() == null
                ? e.rec.manualSnapshotRetentionPeriod()
                : ClusterParameters.manualRetention(q.manualSnapshotRetentionPeriod());
        String parameterGroup = q.parameterGroupName() == null
                ? e.rec.parameterGroupName()
                : state.parameters.require(caller, region, q.parameterGroupName());
        // Another root key for an encrypted cluster: refused before anything changes, with CreateCluster's errors.
        String keyArn = q.kmsKeyId() == null ? null : state.keys.resolveRootKey(caller, region, q.kmsKeyId());
        String newKeyArn = keyArn != null && !keyArn.equals(e.rec.kmsKeyArn()) ? keyArn : null;
        if (newKeyArn != null && (layoutChange || newId != null)) {
            throw RedshiftApiException.invalidCombination(
                    "Change the KMS key and the identifier, node type or count in separate requests.");
        }
        ClusterStatus shown = newId != null
                ? ClusterStatus.RENAMING
                : layoutChange ? ClusterStatus.RESIZING : ClusterStatus.MODIFYING;
        ClusterRecord before = e.rec;
        boolean resizing = false;
        synchronized (state.lock) {
            state.begin(e, EnumSet.of(ClusterStatus.AVAILABLE), shown);
            if (newId != null
                    && !newId.equals(e.rec.identifier())
                    && state.find(caller.accountId(), region, newId).isPresent()) {
                e.status = ClusterStatus.AVAILABLE;
                throw RedshiftApiException.clusterAlreadyExists();
            }
            if (newId != null && !newId.equals(e.rec.identifier())) {
                // The new name is taken under the lock that checked it, so no concurrent create or rename can
                // claim it in between.
                ClusterRecord renamed = e.rec.withIdentifier(newId);
                try {
                    state.registry.save(renamed);
                } catch (RuntimeException ex) {
                    e.status = ClusterStatus.AVAILABLE;
                    throw ex;
                }
                e.rec = renamed;
                state.event(
                        renamed,
                        "REDSHIFT-EVENT-2013",
                        "INFO",
                        "Cluster '" + before.identifier()
                                + "' has been renamed to '" + newId
                                + "'. Its encryption context keeps the original ARN "
                                + before.arn() + ".",
                        "management",
                        "configuration");
            }
        }
        try {
            if (newKeyArn != null) {
                // First: if the key change is refused, nothing else in the request has been applied.
                RootKeyChange.change(state, caller, e, newKeyArn);
            }
            ClusterRecord next = e.rec;
            if (q.masterUserPassword() != null) {
                next = next.withPasswordVerifier(
                        PasswordVerifier.create(e.rec.masterUsername(), q.masterUserPassword(), state.random));
            }
            next = next.withRetention(automated, manual).withParameterGroup(parameterGroup);
            if (!next.equals(e.rec)) {
                state.registry.save(next);
                e.rec = next;
            }
            if (q.masterUserPassword() != null) {
                state.event(
                        next,
                        "REDSHIFT-EVENT-4000",
                        "INFO",
                        "Master credentials for cluster '" + next.identifier() + "' were updated.",
                        "security",
                        "management");
            }
            ClusterView response = new ClusterView(
                    e.rec,
                    shown,
                    state.endpointAddress,
                    q.masterUserPassword() != null,
                    null,
                    e.restore,
                    null,
                    null,
                    null,
                    null,
                    state.hsmStatus.apply(e.rec.id()),
                    state.parameterStatus(e));
            if (layoutChange && (type != next.nodeType() || nodes != next.numberOfNodes())) {
                resizing = true; // from here the job owns the status, even if it fails within the grace period
                startResize(e, type, nodes, "ClassicResize");
            }
            return response;
        } finally {
            if (!resizing) {
                e.status = e.running != null ? ClusterStatus.AVAILABLE : e.status;
            }
        }
    }

    /**
     * ModifyCluster to another HSM certificate or configuration: only connectivity is checked (TLS with the new
     * pinned server certificate and client certificate, KMIP 1.4, an authenticated Locate), as Redshift does; whether
     * the new partition holds the cluster key shows at the next reboot, which fails with an event when it does not.
     * The running cluster keeps using the connection details it started with until then.
     */
    private ClusterView switchHsm(Credential caller, String region, ClusterEntry e, ClusterRequests.Hsm hq) {
        HsmStore.Binding was = state.hsm.store().binding(e.rec.id()).orElseThrow();
        // The member not given stays as it is.
        HsmCatalog.Pair p = state.hsm.resolve(
                caller,
                region,
                new ClusterRequests.Hsm(
                        hq.certificateId() == null ? was.certificateId() : hq.certificateId(),
                        hq.configurationId() == null ? was.configurationId() : hq.configurationId()));
        ClusterStatus before;
        synchronized (state.lock) {
            before = e.status;
            // From inaccessible-encryption-credentials too: the way back from a partition that lacks the key.
            state.begin(
                    e, EnumSet.of(ClusterStatus.AVAILABLE, ClusterStatus.INACCESSIBLE_KEY), ClusterStatus.MODIFYING);
            state.hsm.store().put(was.withStatus("applying"));
        }
        try {
            state.keys.checkHsm(p);
        } catch (StrongroomException ex) {
            state.hsm.store().put(was);
            e.status = before;
            state.event(
                    e.rec,
                    "REDSHIFT-EVENT-1504",
                    "ERROR",
                    "Unable to connect to HSM of HSM configuration "
                            + p.configuration().identifier() + " ("
                            + p.configuration().address() + ") for cluster '" + e.rec.identifier() + "': "
                            + ex.getMessage() + ". The cluster keeps HSM configuration " + was.configurationId() + ".",
                    "configuration",
                    "security");
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "InvalidParameterValue",
                    400,
                    "Unable to connect to the HSM of configuration "
                            + p.configuration().identifier() + ": "
                            + StrongroomException.forClient(String.valueOf(ex.getMessage()))
                            + ". The cluster is unchanged.");
        }
        HsmStore.Binding now = new HsmStore.Binding(
                e.rec.id(),
                e.rec.accountId(),
                e.rec.region(),
                p.certificate().identifier(),
                p.configuration().identifier(),
                "active");
        state.hsm.store().put(now);
        e.status = before;
        state.event(
                e.rec,
                "REDSHIFT-EVENT-1507",
                "INFO",
                "Cluster '" + e.rec.identifier() + "' now uses HSM configuration " + now.configurationId() + " and"
                        + " client certificate " + now.certificateId() + " (was " + was.configurationId() + ", "
                        + was.certificateId() + "); connectivity was checked. The partition must hold the cluster's"
                        + " key for the next reboot to succeed.",
                "configuration",
                "security");
        return state.view(e, before);
    }

    /** ResizeCluster (classic or elastic; both run the same way here). */
    ClusterView resize(Credential caller, String region, ClusterRequests.Resize q) {
        ClusterEntry e = state.require(caller, region, q.identifier());
        NodeType type = q.nodeType() == null ? e.rec.nodeType() : ClusterParameters.nodeType(q.nodeType());
        int nodes = ClusterParameters.nodeCount(
                type, q.clusterType(), q.numberOfNodes() == null ? e.rec.numberOfNodes() : q.numberOfNodes());
        String resizeType = q.classic() ? "ClassicResize" : "ElasticResize";
        synchronized (state.lock) {
            state.begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.RESIZING);
        }
        ClusterView response =
                new ClusterView(e.rec, ClusterStatus.RESIZING, state.endpointAddress, false, resizeType, e.restore);
        startResize(e, type, nodes, resizeType);
        return response;
    }

    /**
     * Records and starts the resize job of {@code e}, which the caller moved to {@code resizing}; waits the grace
     * period. The job's progress is the cluster's DataTransferProgress; it moves the cluster back to {@code
     * available} when it ends.
     */
    private void startResize(ClusterEntry e, NodeType type, int nodes, String resizeType) {
        Job job;
        try {
            job = state.jobs.create(JobRecord.start(
                    state.newJobId(),
                    JobKind.RESIZE_CLUSTER,
                    e.rec.accountId(),
                    e.rec.region(),
                    e.rec.identifier(),
                    e.rec.id(),
                    state.clock.instant(),
                    Map.of(
                            "nodeType",
                            type.wireName(),
                            "numberOfNodes",
                            Integer.toString(nodes),
                            "resizeType",
                            resizeType)));
        } catch (RuntimeException ex) {
            e.status = ClusterStatus.AVAILABLE;
            throw ex;
        }
        e.job = job;
        e.transfer = null;
        state.jobs.launch(job, new ResizeWork(e, type, nodes, resizeType));
        state.awaitGraceOrThrow(job);
    }

    /**
     * Resumes the resizes a restart found running: recovery deleted the half-built store and the cluster came up on
     * its old one, so the copy starts again (or, if the record had switched already, the job only ends).
     */
    void resumeResizes() {
        for (JobRecord r : state.jobs.unfinished()) {
            if (r.kind() != JobKind.RESIZE_CLUSTER) {
                continue;
            }
            Job job = state.jobs.reopen(r);
            ClusterEntry e = state.byId.get(r.clusterId());
            NodeType type = NodeType.of(String.valueOf(r.attribute("nodeType"))).orElse(null);
            int nodes = Integer.parseInt(r.attributes().getOrDefault("numberOfNodes", "0"));
            if (e == null || type == null || e.running == null || e.status != ClusterStatus.AVAILABLE) {
                state.jobs.rolledBack(job, "Rolled back at start: the cluster is gone or not serving.");
                continue;
            }
            synchronized (state.lock) {
                e.status = ClusterStatus.RESIZING;
                e.job = job;
            }
            state.event(
                    e.rec,
                    "REDSHIFT-EVENT-2006",
                    "INFO",
                    "Resize of cluster '" + e.rec.identifier() + "' resumed after a restart (job " + r.id() + ").",
                    "management");
            state.jobs.launch(
                    job, new ResizeWork(e, type, nodes, r.attributes().getOrDefault("resizeType", "ClassicResize")));
        }
    }

    /** DescribeResize: the cluster's last resize, or ResizeNotFound when it never had one. */
    ResizeProgress describeResize(Credential caller, String region, String identifier) {
        ClusterEntry e = state.require(caller, region, identifier);
        JobRecord last = state.jobs.records().stream()
                .filter(r -> r.kind() == JobKind.RESIZE_CLUSTER && r.clusterId().equals(e.rec.id()))
                .max(Comparator.comparing(JobRecord::createdAt))
                .orElseThrow(() -> new RedshiftApiException(
                        ErrorCode.NOT_FOUND,
                        "ResizeNotFound",
                        404,
                        "Cluster " + e.rec.identifier() + " has not been resized; DescribeResize describes the last"
                                + " resize of a cluster."));
        int nodes = Integer.parseInt(last.attributes().getOrDefault("numberOfNodes", "0"));
        String status = switch (last.state()) {
            case RUNNING -> "IN_PROGRESS";
            case SUCCEEDED -> "SUCCEEDED";
            case FAILED, ROLLED_BACK -> "FAILED";
        };
        double total;
        double done;
        double rate;
        long elapsed;
        long eta;
        Optional<Job> live = state.jobs.running(last.id());
        if (live.isPresent()) {
            Job.Progress p = live.get().progress();
            total = p.totalMegaBytes();
            done = p.doneMegaBytes();
            rate = p.rateMegaBytesPerSecond();
            elapsed = p.elapsed().toSeconds();
            eta = p.etaSeconds();
        } else {
            total = Long.parseLong(last.attributes().getOrDefault("totalBytes", "0")) / (1024.0 * 1024.0);
            long millis = Long.parseLong(last.attributes().getOrDefault("elapsedMillis", "0"));
            done = status.equals("SUCCEEDED") ? total : 0;
            rate = millis == 0 ? 0 : done * 1000.0 / millis;
            elapsed = millis / 1000;
            eta = 0;
        }
        return new ResizeProgress(
                last.attributes().getOrDefault("nodeType", e.rec.nodeType().wireName()),
                nodes,
                nodes == 1 ? "single-node" : "multi-node",
                status,
                last.attributes().getOrDefault("resizeType", "ClassicResize"),
                total,
                done,
                rate,
                elapsed,
                eta,
                last.message(),
                e.rec.encrypted() ? "KMS" : "NONE");
    }

    /** A resize job: {@link #resizeNow}, then the cluster back to available. Thread-safe: one per job. */
    private final class ResizeWork implements JobEngine.Work {
        private final ClusterEntry e;
        private final NodeType type;
        private final int nodes;
        private final String resizeType;

        ResizeWork(ClusterEntry e, NodeType type, int nodes, String resizeType) {
            this.e = e;
            this.type = type;
            this.nodes = nodes;
            this.resizeType = resizeType;
        }

        @Override
        public String run(Job job) {
            try {
                if (e.rec.nodeType() != type || e.rec.numberOfNodes() != nodes) {
                    resizeNow(e, type, nodes, resizeType, job);
                } else {
                    // Switched before a restart stopped the job: only the pin of a restored store may be left.
                    snapshots.store(e.rec.region()).unpin(e.rec.id());
                }
                Job.Progress p = job.progress();
                job.step(
                        "done",
                        Map.of(
                                "totalBytes", Long.toString(p.totalBytes()),
                                "elapsedMillis", Long.toString(p.elapsed().toMillis())));
                e.transfer = DataTransferInfo.of("SUCCEEDED", p);
                return "Cluster " + e.rec.identifier() + " is now " + nodes + " x " + type + ".";
            } finally {
                e.status = e.running != null ? ClusterStatus.AVAILABLE : e.status;
                state.release(e, job);
            }
        }

        @Override
        public String failed(Job job, RuntimeException cause) {
            Job.Progress p = job.progress();
            e.transfer = DataTransferInfo.of("FAILED", p);
            return "Resize failed; the cluster keeps its previous configuration: " + cause.getMessage();
        }
    }

    /**
     * Moves the cluster's tables into a new store laid out as {@code nodes x slicesPerNode}: rows are spread over
     * the new slices by each table's distribution style. The same DEK protects the new store. The record's switch
     * to the new directory is the commit point; a crash before it leaves the old store in use and the new
     * directory unreferenced (deleted at the next start).
     */
    private void resizeNow(ClusterEntry e, NodeType type, int nodes, String resizeType, Job job) {
        ClusterRecord old = e.rec;
        RunningCluster run = e.running;
        if (run == null) {
            throw RedshiftApiException.invalidState("Cluster " + old.identifier() + " is not running.");
        }
        state.event(
                old,
                "REDSHIFT-EVENT-2006",
                "INFO",
                "Resize of cluster '" + old.identifier() + "' from "
                        + old.numberOfNodes() + " x " + old.nodeType() + " to " + nodes + " x " + type + " ("
                        + resizeType
                        + ") started.",
                "management");
        String newDir = nextStoreDir(old);
        Path target = state.storesDir.resolve(newDir);
        ControlState.deleteTree(target);
        Store fresh = null;
        // Stop serving SQL first: a write committed to the old store after the copy's snapshot would be lost.
        state.listener.down(old.id());
        try {
            StoreKeys k = run.databaseKey() == null ? StoreKeys.unencrypted() : StoreKeys.of(run.databaseKey());
            fresh = Store.create(target, old.id(), new ClusterLayout(nodes, type.slicesPerNode()), k);
            try (Snapshot snap = run.store().snapshot()) {
                job.total(ClusterSnapshots.bytesOf(snap) + nonBackupBytes(snap));
            }
            StoreCopy.copyTables(run.store(), fresh, job::advance, job::checkpoint);
            ClusterRecord next = old.withLayout(type, nodes, newDir);
            state.registry.save(next); // the commit point
            e.rec = next;
        } catch (RuntimeException ex) {
            if (fresh != null) {
                fresh.close();
            }
            ControlState.deleteTree(target);
            state.setRunning(e, run); // serve the old store again
            if (ex instanceof JobEngine.Stopped) {
                throw ex; // the control plane is closing: the next start resizes again
            }
            state.event(
                    old,
                    "REDSHIFT-EVENT-3500",
                    "ERROR",
                    "Resize of cluster '" + old.identifier() + "' failed: " + ex.getMessage()
                            + ". The cluster keeps its previous configuration.",
                    "management");
            throw ex instanceof StrongroomException s ? RedshiftApiException.from(s) : ex;
        }
        state.setRunning(e, run.withStore(fresh));
        ControlState.deleteTree(state.storesDir.resolve(old.storeDir()));
        // The new store holds every block itself: blocks a restore shared with a snapshot are no longer needed.
        snapshots.store(old.region()).unpin(old.id());
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3002",
                "INFO",
                "Resize of cluster '" + old.identifier() + "' completed: " + nodes + " x " + type + ", "
                        + nodes * type.slicesPerNode() + " slices.",
                "management");
    }

    /** The bytes of the blocks of {@code at}'s BACKUP NO tables (a resize moves those too). */
    private static long nonBackupBytes(Snapshot at) {
        long total = 0;
        for (TableSpec t : at.tables()) {
            if (!t.backup()) {
                total += StoreCopy.bytesOf(at.table(t.qualifiedName()));
            }
        }
        return total;
    }

    private static String nextStoreDir(ClusterRecord r) {
        String d = r.storeDir();
        int g = d.lastIndexOf("-g");
        int gen = g < 0 ? 1 : Integer.parseInt(d.substring(g + 2));
        return r.id() + "-g" + (gen + 1);
    }
}
