package io.strongroom.control.lifecycle;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterParameters;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterRequests;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.HsmCatalog;
import io.strongroom.control.cluster.NodeType;
import io.strongroom.control.cluster.PasswordVerifier;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.keys.ClusterEncryptionChange;
import io.strongroom.control.keys.ClusterKeyRotation;
import io.strongroom.control.keyvault.AtomicFile;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.snapshot.ClusterRestoreJob;
import io.strongroom.control.snapshot.ClusterSnapshots;
import io.strongroom.control.snapshot.SnapshotRecord;
import io.strongroom.hsm.client.KmipException;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.SnapshotStore;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The cluster lifecycle: CreateCluster, RebootCluster, DeleteCluster, the reboot flow that brings a cluster up
 * (at every start, after a reboot and after a failed key rotation), and the recovery at start.
 *
 * <p>Invariants: the cluster record is each operation's commit point. A creation makes the keys, the vault entry
 * and the store first and writes the record last; a deletion marks the record {@code deleting} first and deletes
 * it last. So a crash leaves either unreferenced files (which {@link #recover} deletes) or a record {@link
 * #recover} finishes deleting.
 *
 * <p>Thread-safe: runs on API request threads (and the rotation thread, for the reboot flow); one operation per
 * cluster at a time through {@link ControlState#begin}.
 */
final class ClusterLifecycle {
    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final ClusterKeyRotation rotation;

    ClusterLifecycle(ControlState state, ClusterSnapshots snapshots, ClusterKeyRotation rotation) {
        this.state = state;
        this.snapshots = snapshots;
        this.rotation = rotation;
    }

    /**
     * Deletes what unfinished creations and resizes left (vault entries without a record, with their grants
     * retired; store directories no record names), recovers the snapshots, finishes interrupted deletions and
     * brings every other cluster up through the reboot flow. Runs once, at open, before any request.
     */
    void recover() {
        snapshots.recover();
        // Restores that were running resume once the rest is up; their keys and ids are not orphans.
        Set<String> pending = ClusterRestoreJob.prepareRecovery(state, snapshots, state.jobs.unfinished());
        List<ClusterRecord> records = state.registry.loadAll();
        Set<String> ids = new HashSet<>();
        Set<String> dirs = new HashSet<>();
        for (ClusterRecord r : records) {
            ids.add(r.id());
            dirs.add(r.storeDir());
            state.byId.put(
                    r.id(), new ClusterEntry(r, r.deleting() ? ClusterStatus.DELETING : ClusterStatus.REBOOTING));
        }
        for (String id : state.vault.clusterIds()) {
            if (!ids.contains(id) && !pending.contains(id)) {
                // A creation that crashed before its commit point: retire its grant, drop its entry.
                try {
                    state.vault.get(id).ifPresent(e -> {
                        if (e.hsmProtected()) {
                            state.keys.retireHsmKey(e);
                        } else {
                            state.keys.retireGrant(regionOf(e.rootKeyArn()), e.rootKeyArn(), e.grantId());
                        }
                    });
                } catch (StrongroomException e) {
                    // A damaged orphan has nothing worth keeping.
                }
                state.vault.delete(id);
            }
        }
        for (HsmStore.Binding b : state.hsm.store().bindings()) {
            if (!ids.contains(b.clusterId()) && !pending.contains(b.clusterId())) {
                // A creation that never reached its record: a key it made in the HSM goes too.
                state.keys.destroyStrayHsmKeys(b.clusterId(), ClusterKeys.hsmKeyName(b.clusterId(), 1), null);
                state.hsm.store().removeBinding(b.clusterId());
            }
        }
        try (Stream<Path> s = Files.list(state.storesDir)) {
            for (Path p : s.toList()) {
                if (!dirs.contains(p.getFileName().toString())) {
                    ControlState.deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot list " + state.storesDir + ": " + e, e);
        }
        // Pins of stores no cluster has (a restore that never committed, a deletion cut short) free their blocks.
        Set<String> regions = new HashSet<>();
        records.forEach(r -> regions.add(r.region()));
        state.byId.values().forEach(e -> regions.add(e.rec.region()));
        regions.addAll(snapshots.regions());
        for (String region : regions) {
            SnapshotStore pool = snapshots.store(region);
            for (String storeId : pool.pinnedStores()) {
                if (!ids.contains(storeId) && !pending.contains(storeId)) {
                    pool.unpin(storeId);
                }
            }
        }
        // A store whose encryption was changing: its record says what the store committed before it opens.
        ClusterEncryptionChange.reconcile(state);
        for (ClusterEntry e : state.byId.values()) {
            if (e.job != null) {
                continue; // a restore still running: its job brings it up
            }
            if (e.rec.deleting()) {
                finishDelete(e);
            } else if (paused(e.rec)) {
                e.status = ClusterStatus.PAUSED; // stays down, keys not loaded, until ResumeCluster
            } else {
                bringUp(e, true);
            }
        }
    }

    private static String regionOf(String keyArn) {
        String[] p = keyArn.split(":", 6);
        return p.length > 3 ? p[3] : "us-east-1";
    }

    /** CreateCluster. */
    ClusterView create(Credential caller, String region, ClusterRequests.Create q) {
        String identifier = ClusterParameters.identifier(q.identifier(), "ClusterIdentifier");
        NodeType type = ClusterParameters.nodeType(q.nodeType());
        int nodes = ClusterParameters.nodeCount(type, q.clusterType(), q.numberOfNodes());
        String user = ClusterParameters.masterUsername(q.masterUsername());
        if (q.masterUserPassword() == null) {
            throw RedshiftApiException.missing("MasterUserPassword");
        }
        ClusterParameters.checkPassword(q.masterUserPassword());
        String db = ClusterParameters.dbName(q.dbName());
        HsmCatalog.@Nullable Pair hsm = null;
        ClusterRequests.Hsm hq = q.hsm();
        if (hq != null) {
            if (!type.allowsHsm()) {
                throw RedshiftApiException.invalidParameter("HSM encryption is not offered on " + type.wireName()
                        + " nodes (dc2 and ra3 clusters use KMS). Choose a ds2 node type (ds2.xlarge, ds2.8xlarge) for"
                        + " an HSM cluster, or KMS encryption (--encrypted, --kms-key-id).");
            }
            if (Boolean.FALSE.equals(q.encrypted())) {
                throw RedshiftApiException.invalidCombination(
                        "An HSM cluster is encrypted: drop Encrypted=false or the HSM members.");
            }
            if (q.kmsKeyId() != null) {
                throw RedshiftApiException.invalidCombination("A cluster's key is either in KMS (KmsKeyId) or in an HSM"
                        + " (HsmClientCertificateIdentifier, HsmConfigurationIdentifier), not both.");
            }
            hsm = state.hsm.resolve(caller, region, hq);
        }
        boolean encrypted = q.encrypted() == null || q.encrypted();
        if (!encrypted && q.kmsKeyId() != null) {
            throw RedshiftApiException.invalidCombination("KmsKeyId requires Encrypted=true.");
        }
        if (q.port() != null && (q.port() < 1150 || q.port() > 65535)) {
            throw RedshiftApiException.invalidParameter("Port must be between 1150 and 65535.");
        }
        int automated = ClusterParameters.retention(
                q.automatedSnapshotRetentionPeriod(), 1, 0, 35, "AutomatedSnapshotRetentionPeriod");
        int manual = ClusterParameters.manualRetention(q.manualSnapshotRetentionPeriod());
        String parameterGroup = q.parameterGroupName() == null
                ? ClusterRecord.DEFAULT_PARAMETER_GROUP
                : state.parameters.require(caller, region, q.parameterGroupName());

        // Resolve the root key before reserving anything: a refused key creates nothing.
        String keyArn = hsm != null
                ? state.keys.internalRootArn(region)
                : encrypted ? state.keys.resolveRootKey(caller, region, q.kmsKeyId()) : null;

        Instant now = state.clock.instant();
        String id = "c-" + HexFormat.of().formatHex(state.randomBytes(10));
        ClusterEntry entry;
        synchronized (state.lock) {
            if (state.find(caller.accountId(), region, identifier).isPresent()) {
                throw RedshiftApiException.clusterAlreadyExists();
            }
            int port = state.allocatePort(q.port());
            ClusterRecord rec = new ClusterRecord(
                    id,
                    identifier,
                    caller.accountId(),
                    region,
                    type,
                    nodes,
                    user,
                    PasswordVerifier.create(user, q.masterUserPassword(), state.random),
                    db,
                    port,
                    now,
                    encrypted,
                    keyArn,
                    id + "-g1",
                    UUID.randomUUID().toString(),
                    false,
                    q.tags(),
                    automated,
                    manual,
                    parameterGroup);
            entry = new ClusterEntry(rec, ClusterStatus.CREATING);
            state.byId.put(id, entry);
        }
        ClusterRecord rec = entry.rec;
        ClusterView response = state.view(entry, ClusterStatus.CREATING);
        Path storeRoot = state.storesDir.resolve(rec.storeDir());
        ClusterKeys.Created created = null;
        Store store = null;
        try {
            StoreKeys storeKeys = StoreKeys.unencrypted();
            if (hsm != null) {
                state.hsm
                        .store()
                        .put(new HsmStore.Binding(
                                id,
                                rec.accountId(),
                                region,
                                hsm.certificate().identifier(),
                                hsm.configuration().identifier(),
                                "active"));
                try {
                    created = state.keys.createHsm(hsm, id, rec.arn(), now);
                } catch (StrongroomException ex) {
                    if (!(ex.getCause() instanceof KmipException)) {
                        throw ex;
                    }
                    return incompatibleHsm(entry, hsm, ex, response);
                }
                state.vault.put(created.entry());
                storeKeys = StoreKeys.of(created.keys().dek);
            } else if (keyArn != null) {
                created = state.keys.create(caller, region, keyArn, id, rec.arn(), now);
                state.vault.put(created.entry());
                storeKeys = StoreKeys.of(created.keys().dek);
            }
            store = Store.create(storeRoot, id, new ClusterLayout(nodes, type.slicesPerNode()), storeKeys);
            state.registry.save(rec); // the commit point
        } catch (RuntimeException e) {
            if (store != null) {
                store.close();
            }
            if (created != null) {
                created.keys().close();
                if (created.entry().hsmProtected()) {
                    state.keys.retireHsmKey(created.entry());
                } else {
                    state.keys.retireGrant(
                            region,
                            created.entry().rootKeyArn(),
                            created.entry().grantId());
                }
                state.vault.delete(id);
            }
            state.hsm.store().removeBinding(id);
            ControlState.deleteTree(storeRoot);
            state.byId.remove(id);
            throw e instanceof StrongroomException s ? RedshiftApiException.from(s) : e;
        }
        state.setRunning(
                entry,
                created == null
                        ? new RunningCluster(store, null, null)
                        : new RunningCluster(store, created.keys().cek, created.keys().dek));
        entry.status = ClusterStatus.AVAILABLE;
        state.event(
                rec,
                "REDSHIFT-EVENT-2000",
                "INFO",
                "Amazon Redshift cluster '" + identifier + "' has been created at " + now
                        + " UTC and is ready for use.",
                "management");
        if (created != null && hsm != null) {
            state.event(
                    rec,
                    "REDSHIFT-EVENT-3600",
                    "INFO",
                    "Cluster '" + identifier + "' is encrypted: its cluster key was created inside HSM partition "
                            + hsm.configuration().partition() + " at "
                            + hsm.configuration().address()
                            + " (HSM configuration " + hsm.configuration().identifier() + ") as key "
                            + created.entry().hsmCekUid() + "; the HSM encrypted its database key, sealed again under"
                            + " the internal root key " + keyArn + ".",
                    "security");
            if (!created.hsmKeySensitive()) {
                state.event(
                        rec,
                        "REDSHIFT-EVENT-1510",
                        "WARNING",
                        "The HSM of configuration " + hsm.configuration().identifier() + " refused the Sensitive"
                                + " attribute for the key of cluster '" + identifier + "' and made it without: it"
                                + " does not promise that the key cannot be exported. Check its key policy.",
                        "security");
            }
        } else if (created != null) {
            VaultEntry v = created.entry();
            state.event(
                    rec,
                    "REDSHIFT-EVENT-3600",
                    "INFO",
                    "Cluster '" + identifier + "' is encrypted: its cluster key"
                            + " was generated by KMS key " + keyArn + " with encryption context "
                            + v.context().pairs()
                            + ", and the cluster holds grant " + v.grantId() + " on that key.",
                    "security");
        } else {
            state.event(
                    rec,
                    "REDSHIFT-EVENT-3604",
                    "INFO",
                    "Cluster '" + identifier + "' was created unencrypted"
                            + " (Encrypted=false); its data is protected by checksums only.",
                    "security");
        }
        return response;
    }

    /**
     * CreateCluster when the HSM could not be used: the cluster is kept, in {@code incompatible-hsm}, with its record
     * and binding but no keys and no store (nothing usable); the user deletes it and tries again once the HSM, the
     * registration or the configuration is fixed. Event 1504 says why.
     */
    private ClusterView incompatibleHsm(
            ClusterEntry entry, HsmCatalog.Pair hsm, StrongroomException cause, ClusterView response) {
        ClusterRecord rec = entry.rec;
        state.hsm.store().put(state.hsm.store().binding(rec.id()).orElseThrow().withStatus(INCOMPATIBLE_HSM));
        state.registry.save(rec);
        entry.status = ClusterStatus.INCOMPATIBLE_HSM;
        state.event(
                rec,
                "REDSHIFT-EVENT-1504",
                "ERROR",
                "Unable to connect to HSM for cluster '" + rec.identifier() + "' (HSM configuration "
                        + hsm.configuration().identifier() + ", "
                        + hsm.configuration().address() + ", partition "
                        + hsm.configuration().partition() + "): " + cause.getMessage() + ". The cluster holds no"
                        + " keys and no data; delete it and create it again once this is fixed.",
                "configuration",
                "security");
        return response;
    }

    static final String INCOMPATIBLE_HSM = "incompatible-hsm";

    /** RebootCluster: also the way out of a failure status once its cause is fixed. */
    ClusterView reboot(Credential caller, String region, String identifier) {
        ClusterEntry e = state.require(caller, region, identifier);
        synchronized (state.lock) {
            state.begin(
                    e,
                    EnumSet.of(ClusterStatus.AVAILABLE, ClusterStatus.INACCESSIBLE_KEY, ClusterStatus.HARDWARE_FAILURE),
                    ClusterStatus.REBOOTING);
        }
        ClusterView response = state.view(e, ClusterStatus.REBOOTING);
        state.closeRunning(e);
        bringUp(e, false);
        return response;
    }

    /**
     * PauseCluster: the SQL endpoint stops, the store is closed and the CEK and DEK are zeroed; a marker file keeps
     * the cluster paused across restarts (it is written before anything stops).
     */
    ClusterView pause(Credential caller, String region, String identifier) {
        ClusterEntry e = state.require(caller, region, identifier);
        synchronized (state.lock) {
            state.begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.PAUSED);
        }
        try {
            AtomicFile.write(pausedMarker(e.rec), new byte[0]);
        } catch (RuntimeException ex) {
            e.status = ClusterStatus.AVAILABLE;
            throw ex;
        }
        state.closeRunning(e);
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3010",
                "INFO",
                "Cluster '" + e.rec.identifier() + "' was paused: it does not serve SQL and its keys were dropped from"
                        + " memory. ResumeCluster loads them again through the KMS.",
                "management",
                "security");
        return state.view(e, ClusterStatus.PAUSED);
    }

    /** ResumeCluster: the reboot flow (keys through the KMS), then the marker goes. */
    ClusterView resume(Credential caller, String region, String identifier) {
        ClusterEntry e = state.require(caller, region, identifier);
        synchronized (state.lock) {
            state.begin(e, EnumSet.of(ClusterStatus.PAUSED), ClusterStatus.REBOOTING);
        }
        bringUp(e, false);
        if (e.status == ClusterStatus.AVAILABLE) {
            AtomicFile.delete(pausedMarker(e.rec));
            state.event(
                    e.rec,
                    "REDSHIFT-EVENT-3011",
                    "INFO",
                    "Cluster '" + e.rec.identifier() + "' was resumed.",
                    "management");
        } else {
            // Keys or store not usable: it stays down with that status; a reboot tries again once fixed.
            AtomicFile.delete(pausedMarker(e.rec));
        }
        return state.view(e, e.status);
    }

    private Path pausedMarker(ClusterRecord r) {
        Path dir = state.storesDir.resolveSibling("paused");
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + ex, ex);
        }
        return dir.resolve(r.id());
    }

    /** Whether {@code r} was paused (its marker exists). */
    boolean paused(ClusterRecord r) {
        return Files.exists(pausedMarker(r));
    }

    /** DeleteCluster, with its final snapshot when one is asked for. */
    ClusterView delete(Credential caller, String region, ClusterRequests.Delete q) {
        ClusterEntry e = state.require(caller, region, q.identifier());
        if (!q.skipFinalClusterSnapshot()) {
            if (q.finalClusterSnapshotIdentifier() == null) {
                throw RedshiftApiException.invalidCombination("FinalClusterSnapshotIdentifier is required unless"
                        + " SkipFinalClusterSnapshot is specified.");
            }
        } else if (q.finalClusterSnapshotIdentifier() != null) {
            throw RedshiftApiException.invalidCombination(
                    "FinalClusterSnapshotIdentifier cannot be given with SkipFinalClusterSnapshot.");
        }
        boolean finalSnapshot = !q.skipFinalClusterSnapshot();
        String requestedFinal = q.finalClusterSnapshotIdentifier();
        String finalId =
                requestedFinal != null && finalSnapshot ? ClusterParameters.snapshotIdentifier(requestedFinal) : null;
        int finalRetention = ClusterParameters.manualRetention(q.finalClusterSnapshotRetentionPeriod());
        SnapshotRecord pending = null;
        Snapshot at = null;
        Job job;
        synchronized (state.lock) {
            if (finalId != null) {
                snapshots.checkFree(caller.accountId(), region, finalId);
            }
            state.begin(
                    e,
                    finalSnapshot
                            ? EnumSet.of(ClusterStatus.AVAILABLE)
                            : EnumSet.of(
                                    ClusterStatus.AVAILABLE,
                                    ClusterStatus.PAUSED,
                                    ClusterStatus.INACCESSIBLE_KEY,
                                    ClusterStatus.INCOMPATIBLE_HSM,
                                    ClusterStatus.HARDWARE_FAILURE),
                    finalSnapshot ? ClusterStatus.FINAL_SNAPSHOT : ClusterStatus.DELETING);
            try {
                if (finalId != null) {
                    at = snapshots.pin(e);
                    pending = snapshots.newRecord(e, finalId, "manual", finalRetention);
                    snapshots.save(pending);
                }
                job = state.jobs.create(JobRecord.start(
                        state.newJobId(),
                        JobKind.DELETE_CLUSTER,
                        e.rec.accountId(),
                        e.rec.region(),
                        e.rec.identifier(),
                        e.rec.id(),
                        state.clock.instant(),
                        pending == null ? Map.of() : Map.of("finalSnapshotId", pending.id())));
            } catch (RuntimeException ex) {
                if (at != null) {
                    at.close();
                }
                e.status = ClusterStatus.AVAILABLE;
                throw ex;
            }
            e.job = job;
            if (pending != null) {
                snapshots.track(pending.id(), job);
            }
        }
        ClusterView response = state.view(e, finalSnapshot ? ClusterStatus.FINAL_SNAPSHOT : ClusterStatus.DELETING);
        state.jobs.launch(job, new DeleteWork(e, pending, at));
        state.awaitGraceOrThrow(job);
        return response;
    }

    /**
     * DeleteCluster's job: the final snapshot (from the version pinned at the request), then the record marked
     * {@code deleting} (the commit point: from there a restart finishes the deletion), then {@link #finishDelete}.
     * A failed final snapshot leaves the cluster available. Thread-safe: one per job.
     */
    private final class DeleteWork implements JobEngine.Work {
        private final ClusterEntry e;
        private final @Nullable SnapshotRecord pending;
        private final @Nullable Snapshot at;

        DeleteWork(ClusterEntry e, @Nullable SnapshotRecord pending, @Nullable Snapshot at) {
            this.e = e;
            this.pending = pending;
            this.at = at;
        }

        @Override
        public String run(Job job) {
            SnapshotRecord p = pending;
            Snapshot pinned = at;
            if (p != null && pinned != null) {
                snapshots.event(
                        p,
                        "REDSHIFT-EVENT-2012",
                        "INFO",
                        "Final snapshot '" + p.identifier() + "' of cluster '" + e.rec.identifier() + "' started.");
                try (pinned) {
                    job.total(ClusterSnapshots.bytesOf(pinned));
                    snapshots.take(e, p, pinned, job::advance);
                } catch (RuntimeException ex) {
                    e.status = ClusterStatus.AVAILABLE;
                    state.release(e, job);
                    snapshots.event(
                            p,
                            "REDSHIFT-EVENT-3502",
                            "ERROR",
                            "Final snapshot of cluster '" + e.rec.identifier()
                                    + "' failed; the cluster was not deleted.");
                    throw ex;
                } finally {
                    snapshots.untrack(p.id());
                }
                snapshots.event(
                        p,
                        "REDSHIFT-EVENT-3005",
                        "INFO",
                        "Final snapshot '" + p.identifier() + "' of cluster '" + e.rec.identifier() + "' succeeded.");
                e.status = ClusterStatus.DELETING;
            }
            ClusterRecord marked = e.rec.withDeleting();
            state.registry.save(marked);
            e.rec = marked;
            job.step("marked");
            finishDelete(e);
            state.release(e, job);
            return "Cluster " + marked.identifier() + " was deleted.";
        }

        @Override
        public String failed(Job job, RuntimeException cause) {
            state.release(e, job);
            return "Deletion of cluster " + e.rec.identifier() + " failed: " + cause.getMessage();
        }
    }

    /**
     * Deletes a cluster marked {@code deleting}: store, grant, vault entry, record, in that order; a crash at any
     * step leaves the record, and the next start runs this again.
     */
    private void finishDelete(ClusterEntry e) {
        ClusterRecord r = e.rec;
        state.closeRunning(e);
        // Deleting a cluster deletes its automated snapshots; manual ones (and the final one) stay.
        for (SnapshotRecord s : List.copyOf(snapshots.records())) {
            // One a restore still reads stays until the retention run after that restore ends.
            // Copies in another region stay for their own retention.
            if (s.sourceClusterId().equals(r.id())
                    && s.automated()
                    && s.sourceRegion() == null
                    && !snapshots.inUse(s)) {
                snapshots.remove(s);
            }
        }
        ControlState.deleteTree(state.storesDir.resolve(r.storeDir()));
        AtomicFile.delete(pausedMarker(r));
        snapshots.store(r.region()).unpin(r.id()); // blocks a restore shared with a snapshot
        if (r.encrypted()) {
            Optional<VaultEntry> v;
            try {
                v = state.vault.get(r.id());
            } catch (StrongroomException ex) {
                v = Optional.empty();
            }
            if (v.isPresent() && v.get().hsmProtected()) {
                retireHsmKeyOfDeleted(r, v.get());
            } else if (v.isPresent()
                    && !state.keys.retireGrant(
                            r.region(), v.get().rootKeyArn(), v.get().grantId())) {
                state.event(
                        r,
                        "REDSHIFT-EVENT-3605",
                        "ERROR",
                        "Grant " + v.get().grantId() + " on KMS key "
                                + v.get().rootKeyArn() + " of deleted cluster '" + r.identifier()
                                + "' could not be retired;"
                                + " revoke it with kms revoke-grant.",
                        "security");
            }
            state.vault.delete(r.id());
        }
        state.hsm.store().removeBinding(r.id());
        state.registry.delete(r.id());
        state.byId.remove(r.id());
        state.event(
                r,
                "REDSHIFT-EVENT-2001",
                "INFO",
                "Amazon Redshift cluster '" + r.identifier() + "' has been deleted" + " at " + state.clock.instant()
                        + " UTC.",
                "management");
    }

    /**
     * The HSM key of a deleted cluster: destroyed in the HSM unless a snapshot kept after the deletion still needs
     * it (its envelope names the key); an event says which, and says so when the HSM could not be reached.
     */
    private void retireHsmKeyOfDeleted(ClusterRecord r, VaultEntry v) {
        String uid = v.hsmCekUid();
        boolean needed = snapshots.records().stream()
                .anyMatch(s -> s.sourceClusterId().equals(r.id())
                        && s.envelope() != null
                        && VaultEntry.decode(s.envelopeBytes(), s.identifier()).hsmProtected()
                        && VaultEntry.decode(s.envelopeBytes(), s.identifier())
                                .hsmCekUid()
                                .equals(uid));
        if (needed) {
            state.event(
                    r,
                    "REDSHIFT-EVENT-3606",
                    "INFO",
                    "HSM key " + uid + " of deleted cluster '" + r.identifier() + "' stays in its HSM partition:"
                            + " snapshots of the cluster are encrypted under it.",
                    "security");
        } else if (!state.keys.retireHsmKey(v)) {
            state.event(
                    r,
                    "REDSHIFT-EVENT-3605",
                    "ERROR",
                    "HSM key " + uid + " of deleted cluster '" + r.identifier() + "' could not be revoked and"
                            + " destroyed (the HSM was not reachable or refused); destroy it in the HSM.",
                    "security");
        } else {
            state.event(
                    r,
                    "REDSHIFT-EVENT-3606",
                    "INFO",
                    "HSM key " + uid + " of deleted cluster '" + r.identifier() + "' was revoked and destroyed.",
                    "security");
        }
    }

    /**
     * Brings a cluster up: unwrap its keys through the KMS (Decrypt with the stored context, then the DEK under the
     * CEK) and open its store. On failure the cluster stays down with a status and an event naming the cause.
     * Runs at every start, after a reboot, and after a key rotation that failed once its pending keys were stored;
     * a pending vault entry is settled first ({@link ClusterKeyRotation#settle}).
     */
    void bringUp(ClusterEntry e, boolean atStart) {
        ClusterRecord r = e.rec;
        ClusterKeys.Unlocked k = null;
        Optional<HsmStore.Binding> hsm = state.hsm.store().binding(r.id());
        if (hsm.isPresent() && hsm.get().status().equals(INCOMPATIBLE_HSM)) {
            e.status = ClusterStatus.INCOMPATIBLE_HSM; // nothing usable was created: delete it and create it again
            return;
        }
        try {
            Path dir = state.storesDir.resolve(r.storeDir());
            if (!r.encrypted()) {
                state.setRunning(e, new RunningCluster(Store.open(dir, StoreKeys.unencrypted()), null, null));
            } else {
                VaultEntry v = state.vault
                        .get(r.id())
                        .orElseThrow(() -> new StrongroomException(
                                ErrorCode.INTEGRITY_FAILURE,
                                "the key vault has no entry for cluster " + r.identifier() + " (" + r.id()
                                        + "); restore " + state.vault.dir() + " from a backup"));
                Optional<VaultEntry> pending = state.vault.pending(r.id());
                if (pending.isPresent()) {
                    v = rotation.settle(r, dir, v, pending.get());
                }
                k = state.keys.unlock(v, r.region());
                Store store = Store.open(dir, StoreKeys.of(k.dek));
                state.setRunning(e, new RunningCluster(store, k.cek, k.dek));
                k = null;
                state.event(
                        r,
                        "REDSHIFT-EVENT-3601",
                        "INFO",
                        v.hsmProtected()
                                ? "Cluster '" + r.identifier() + "' loaded its keys: HSM key " + v.hsmCekUid()
                                        + " (HSM configuration "
                                        + hsm.map(HsmStore.Binding::configurationId)
                                                .orElse("?")
                                        + ") decrypted its database key, after the internal root key "
                                        + v.rootKeyArn() + " opened it with encryption context "
                                        + v.context().pairs() + "."
                                : "Cluster '" + r.identifier() + "' loaded its keys: KMS key "
                                        + v.rootKeyArn() + " decrypted its cluster key with encryption context "
                                        + v.context().pairs()
                                        + ".",
                        "security");
            }
            e.status = ClusterStatus.AVAILABLE;
            state.event(
                    r,
                    "REDSHIFT-EVENT-3000",
                    "INFO",
                    "Cluster '" + r.identifier() + "' " + (atStart ? "started with the control plane" : "rebooted")
                            + " at " + state.clock.instant() + " UTC.",
                    atStart ? new String[] {"management", "monitoring"} : new String[] {"management"});
        } catch (RuntimeException unexpected) {
            StrongroomException ex = unexpected instanceof StrongroomException se
                    ? se
                    : new StrongroomException(
                            ErrorCode.INTERNAL,
                            unexpected.getClass().getSimpleName() + ": " + unexpected.getMessage(),
                            unexpected);
            if (k != null) {
                k.close();
            }
            boolean keyProblem = ex.code() == ErrorCode.ACCESS_DENIED
                    || ex.code() == ErrorCode.KEY_UNAVAILABLE
                    || ex.code() == ErrorCode.WRONG_KEY;
            e.status = keyProblem ? ClusterStatus.INACCESSIBLE_KEY : ClusterStatus.HARDWARE_FAILURE;
            String what = keyProblem
                    ? "could not load its encryption keys: " + ex.getMessage() + ". Fix the key, grant or KMS, then"
                            + " reboot the cluster."
                    : "could not open its storage: " + ex.getMessage() + ".";
            if (hsm.isPresent() && ex.getCause() instanceof KmipException kmip) {
                HsmStore.Binding b = hsm.get();
                state.event(
                        r,
                        kmip.kind() == KmipException.Kind.KEY_NOT_FOUND ? "REDSHIFT-EVENT-1506" : "REDSHIFT-EVENT-1504",
                        "ERROR",
                        (kmip.kind() == KmipException.Kind.KEY_NOT_FOUND
                                        ? "The HSM partition of HSM configuration " + b.configurationId()
                                                + " does not hold the key of cluster '" + r.identifier()
                                                + "': replicate the key to that partition or switch back to the"
                                                + " configuration that has it (modify-cluster), then reboot. "
                                        : "Unable to connect to HSM for cluster '" + r.identifier()
                                                + "' (HSM configuration " + b.configurationId() + "). ")
                                + ex.getMessage(),
                        "configuration",
                        "security");
            }
            state.event(
                    r,
                    keyProblem ? "REDSHIFT-EVENT-3602" : "REDSHIFT-EVENT-3603",
                    "ERROR",
                    "Cluster '" + r.identifier() + "' is not serving: it " + what,
                    keyProblem ? new String[] {"security", "monitoring"} : new String[] {"monitoring"});
        }
    }
}
