package io.strongroom.control.snapshot;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterEvent;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterParameters;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterRequests;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.NodeType;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.RestoreInfo;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.cluster.StoreCopy;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.SnapshotStore;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * RestoreFromClusterSnapshot as a durable job: a new cluster with keys of its own (a new CEK from the chosen KMS key
 * with the new cluster's encryption context, a new DEK), holding the snapshot's tables.
 *
 * <p>How this works. The request checks its parameters, claims the identifier and port, records the job, makes the
 * new cluster's keys and vault entry and a temporary KMS grant (as the caller, who must be allowed to decrypt the
 * snapshot's envelope), records step {@code ready}, and starts the work; it answers when the work ends or after the
 * grace period, whichever is first. The work unwraps the snapshot's DEK through the temporary grant (as the service
 * principal), builds the new store, records step {@code store}, saves the cluster record (the commit point, step
 * {@code committed}), retires the temporary grant and brings the cluster up.
 *
 * <p>The store is built one of two ways. When the new cluster keeps the snapshot's layout and encryption (the usual
 * case, including a restore under another KMS key), it shares the snapshot's blocks ({@link
 * SnapshotStore#restoreShared}): the block files are hard links to the snapshot's, and only their keys are
 * rewrapped under the new DEK, so the restore costs time in proportion to the number of blocks, not to the data.
 * When the node layout changes, or an unencrypted snapshot is restored encrypted, every row is copied into a new
 * store under the new keys, which costs a read and write of the data.
 *
 * <p>Recovery (a restart found the job running): before {@code ready}, nothing the user relies on exists yet; the
 * job is rolled back (vault entry and its grant removed, temporary grant retired by name) with an event. From {@code
 * ready} on, it resumes: the store directory is deleted and built again (the keys come from the vault, the snapshot's
 * through the temporary grant, which outlives the restart), and a job at {@code committed} only retires the grant.
 *
 * <p>Alternatives rejected: unwrapping the snapshot's keys on the request thread and keeping them only in memory
 * (a restart could then only roll the restore back); re-encrypting every block for the new cluster (hours for a
 * terabyte, for no gain in isolation: each block key is rewrapped under the new DEK and bound to the new store).
 *
 * <p>Thread-safe: one instance per job, run on the job's thread after the request thread made it.
 */
public final class ClusterRestoreJob implements JobEngine.Work {
    static final String READY = "ready";
    static final String STORE = "store";
    static final String COMMITTED = "committed";

    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final ClusterEntry entry;
    private final SnapshotRecord snapshot;
    private final boolean shared;
    /** The new cluster's keys, from the request; null once handed to the running cluster or after a restart. */
    private ClusterKeys.@Nullable Unlocked ownKeys;

    private ClusterRestoreJob(
            ControlState state,
            ClusterSnapshots snapshots,
            ClusterEntry entry,
            SnapshotRecord snapshot,
            boolean shared,
            ClusterKeys.@Nullable Unlocked ownKeys) {
        this.state = state;
        this.snapshots = snapshots;
        this.entry = entry;
        this.snapshot = snapshot;
        this.shared = shared;
        this.ownKeys = ownKeys;
    }

    /** RestoreFromClusterSnapshot: checks, records and starts the job; answers {@code creating}. */
    static ClusterView request(
            ControlState state,
            ClusterSnapshots snapshots,
            Credential caller,
            String region,
            ClusterRequests.Restore q) {
        String identifier = ClusterParameters.identifier(q.identifier(), "ClusterIdentifier");
        SnapshotRecord s = snapshots.requireAvailable(caller, region, q.snapshotIdentifier());
        if (q.hsmRequested() || s.encryptedWithHsm()) {
            throw RedshiftApiException.unsupported(
                    "Restoring " + (s.encryptedWithHsm() ? "a snapshot of an HSM cluster" : "into an HSM cluster")
                            + " is not supported yet: restores use KMS keys only. Snapshots of HSM clusters are kept and"
                            + " rotate with their cluster; query the cluster itself.");
        }
        if (s.encrypted() && Boolean.FALSE.equals(q.encrypted())) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "InvalidRestore",
                    406,
                    "Snapshot " + s.identifier() + " is encrypted and restores only into an encrypted cluster;"
                            + " leave out --no-encrypted, or name another KMS key with --kms-key-id.");
        }
        boolean encrypted = s.encrypted() || Boolean.TRUE.equals(q.encrypted()) || q.kmsKeyId() != null;
        NodeType type = ClusterParameters.nodeType(q.nodeType() == null ? s.nodeType() : q.nodeType());
        int nodes = ClusterParameters.nodeCount(
                type, null, q.numberOfNodes() == null ? s.numberOfNodes() : q.numberOfNodes());
        int automated = ClusterParameters.retention(
                q.automatedSnapshotRetentionPeriod(), 1, 0, 35, "AutomatedSnapshotRetentionPeriod");
        int manual = ClusterParameters.manualRetention(q.manualSnapshotRetentionPeriod());
        String requestedKey = q.kmsKeyId() != null ? q.kmsKeyId() : s.encrypted() ? s.kmsKeyArn() : null;
        String keyArn = encrypted ? state.keys.resolveRootKey(caller, region, requestedKey) : null;
        NodeType snapshotType = ClusterParameters.nodeType(s.nodeType());
        boolean shared = encrypted == s.encrypted()
                && nodes == s.numberOfNodes()
                && type.slicesPerNode() == snapshotType.slicesPerNode();

        Instant now = state.clock.instant();
        String id = "c-" + HexFormat.of().formatHex(state.randomBytes(10));
        String jobId = state.newJobId();
        ClusterEntry entry;
        Job job;
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
                    s.masterUsername(),
                    s.passwordVerifier(),
                    s.dbName(),
                    port,
                    now,
                    encrypted,
                    keyArn,
                    id + "-g1",
                    UUID.randomUUID().toString(),
                    false,
                    Map.of(),
                    automated,
                    manual,
                    ClusterRecord.DEFAULT_PARAMETER_GROUP);
            Map<String, String> attributes = new HashMap<>();
            // Without the password verifier: job records are kept for weeks; a resume takes it from the snapshot.
            attributes.put(
                    "cluster",
                    new String(rec.withPasswordVerifier("from-snapshot").toJson(), StandardCharsets.UTF_8));
            attributes.put("snapshotId", s.id());
            attributes.put("mode", shared ? "shared" : "copy");
            if (s.encrypted()) {
                attributes.put(
                        "snapshotKeyArn",
                        VaultEntry.decode(s.envelopeBytes(), s.identifier()).rootKeyArn());
            }
            job = state.jobs.create(JobRecord.start(
                    jobId, JobKind.RESTORE_CLUSTER, caller.accountId(), region, identifier, id, now, attributes));
            entry = new ClusterEntry(rec, ClusterStatus.CREATING);
            entry.job = job;
            state.byId.put(id, entry);
        }
        job.total(s.totalBytes());
        ClusterRecord rec = entry.rec;
        state.event(
                rec,
                "REDSHIFT-EVENT-2008",
                "INFO",
                "Restore of cluster '" + identifier + "' from snapshot '" + s.identifier() + "' started ("
                        + (shared
                                ? "sharing the snapshot's blocks; only their keys are rewrapped"
                                : "copying every row, since the node layout or the encryption changes")
                        + ", job " + jobId + ").",
                "management");
        ClusterKeys.Created created = null;
        String grantName = grantName(jobId);
        try {
            if (keyArn != null) {
                created = state.keys.create(caller, region, keyArn, id, rec.arn(), now);
                state.vault.put(created.entry());
            }
            Map<String, String> ready = new HashMap<>();
            if (s.encrypted()) {
                VaultEntry envelope = VaultEntry.decode(s.envelopeBytes(), s.identifier());
                ready.put("snapshotGrantId", state.keys.grantSnapshotDecrypt(caller, region, envelope, grantName));
            }
            job.step(READY, ready);
        } catch (RuntimeException ex) {
            if (created != null) {
                created.keys().close();
            }
            try {
                rollBack(state, snapshots, job.record(), rec);
            } catch (RuntimeException undo) {
                ex.addSuppressed(undo);
            }
            state.jobs.refused(job, "refused: " + ex.getMessage());
            failedEvent(state, rec, s, ex);
            throw ex instanceof StrongroomException se && !(ex instanceof RedshiftApiException)
                    ? RedshiftApiException.from(se)
                    : ex;
        }
        state.jobs.launch(
                job,
                new ClusterRestoreJob(state, snapshots, entry, s, shared, created == null ? null : created.keys()));
        state.awaitGraceOrThrow(job);
        return new ClusterView(
                rec,
                ClusterStatus.CREATING,
                state.endpointAddress,
                false,
                null,
                state.view(entry, entry.status).restore());
    }

    /** Whether the restore of {@code job} reached its commit point: its cluster record exists. */
    static boolean committed(ControlState state, JobRecord job) {
        return job.step().equals(COMMITTED) || state.registry.exists(job.clusterId());
    }

    static String grantName(String jobId) {
        return "redshift-restore-" + jobId;
    }

    @Override
    public String run(Job job) {
        ClusterRecord rec = entry.rec;
        if (committed(state, job.record())) {
            // Committed before a restart: the cluster came up with the others; only the grant is left.
            retireSnapshotGrant(job);
            state.release(entry, job);
            return "Cluster " + rec.identifier() + " was restored from snapshot " + snapshot.identifier() + ".";
        }
        long t0 = System.nanoTime();
        Path storeRoot = state.storesDir.resolve(rec.storeDir());
        Path scratch = state.storesDir.resolve(rec.id() + "-restore");
        ClusterKeys.Unlocked own = ownKeys;
        ownKeys = null;
        Store store = null;
        try {
            if (own == null && rec.encrypted()) {
                own = state.keys.unlock(
                        state.vault
                                .get(rec.id())
                                .orElseThrow(() -> new StrongroomException(
                                        ErrorCode.INTEGRITY_FAILURE,
                                        "the key vault has no entry for cluster " + rec.identifier()
                                                + " being restored")),
                        rec.region());
            }
            StoreKeys ownStoreKeys = own == null ? StoreKeys.unencrypted() : StoreKeys.of(own.dek);
            ControlState.deleteTree(storeRoot);
            ControlState.deleteTree(scratch);
            SnapshotStore images = snapshots.store(snapshot.region());
            try (ClusterKeys.Unlocked snapKeys = snapshot.encrypted()
                    ? state.keys.unlockSnapshotAsService(
                            VaultEntry.decode(snapshot.envelopeBytes(), snapshot.identifier()), snapshot.region())
                    : null) {
                StoreKeys snapStoreKeys = snapKeys == null ? StoreKeys.unencrypted() : StoreKeys.of(snapKeys.dek);
                if (shared) {
                    SnapshotStore.ImageSize size = images.size(snapshot.id());
                    job.total(size.bytes());
                    long bytesPerBlock = size.blocks() == 0 ? 0 : size.bytes() / size.blocks();
                    store = images.restoreShared(snapshot.id(), storeRoot, rec.id(), snapStoreKeys, ownStoreKeys, n -> {
                        job.advance(n * bytesPerBlock);
                        job.checkpoint();
                    });
                } else {
                    store = Store.create(
                            storeRoot,
                            rec.id(),
                            new ClusterLayout(
                                    rec.numberOfNodes(), rec.nodeType().slicesPerNode()),
                            ownStoreKeys);
                    try (Store image = images.restore(snapshot.id(), scratch, snapStoreKeys)) {
                        StoreCopy.copyTables(image, store, job::advance, job::checkpoint);
                    } finally {
                        ControlState.deleteTree(scratch);
                    }
                }
            }
            job.checkpoint();
            job.step(STORE);
            state.registry.save(rec); // the commit point
            job.passed("record-saved"); // a crash here: the record exists, the job says store (see committed())
            job.step(COMMITTED);
        } catch (RuntimeException | Error ex) {
            // Also on an Error (a crash test's simulated crash): a real crash closes the store and forgets the keys.
            if (store != null) {
                store.close();
            }
            if (own != null) {
                own.close();
            }
            throw ex;
        }
        retireSnapshotGrant(job);
        long elapsedMs = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
        double mb = snapshot.totalBytes() / (1024.0 * 1024.0);
        entry.restore = new RestoreInfo("completed", mb, mb, elapsedMs / 1000, mb * 1000.0 / elapsedMs, 0);
        state.setRunning(
                entry,
                own == null ? new RunningCluster(store, null, null) : new RunningCluster(store, own.cek, own.dek));
        entry.status = ClusterStatus.AVAILABLE;
        state.release(entry, job);
        completedEvents();
        return "Cluster " + rec.identifier() + " was restored from snapshot " + snapshot.identifier() + " in "
                + elapsedMs + " ms" + (shared ? ", sharing its blocks." : ", copying its rows.");
    }

    private void completedEvents() {
        ClusterRecord rec = entry.rec;
        SnapshotRecord s = snapshot;
        String keyArn = rec.kmsKeyArn();
        Optional<VaultEntry> v = rec.encrypted() ? state.vault.get(rec.id()) : Optional.empty();
        state.event(
                rec,
                "REDSHIFT-EVENT-3003",
                "INFO",
                "Cluster '" + rec.identifier() + "' was restored from snapshot '" + s.identifier() + "' of cluster '"
                        + s.clusterIdentifier() + "'. It is a new cluster with its own keys"
                        + (v.isEmpty()
                                ? " and is not encrypted."
                                : ": its cluster key was generated by KMS key " + keyArn
                                        + " with encryption context "
                                        + v.get().context().pairs()
                                        + (s.encrypted()
                                                ? " (the snapshot was encrypted under " + s.kmsKeyArn() + ")"
                                                : "")
                                        + "."),
                "management",
                "security");
        if (!s.excludedTables().isEmpty()) {
            state.event(
                    rec,
                    "REDSHIFT-EVENT-3606",
                    "INFO",
                    "Cluster '" + rec.identifier() + "' was restored without the tables created BACKUP NO on cluster '"
                            + s.clusterIdentifier() + "': " + s.excludedTables()
                            + ". Snapshots leave such tables out; recreate and reload them.",
                    "management");
        }
    }

    @Override
    public String failed(Job job, RuntimeException cause) {
        if (committed(state, job.record())) {
            // Past the commit point the cluster exists: it is not undone; a reboot brings it up if it is not.
            state.release(entry, job);
            retireSnapshotGrant(state, job.record());
            return "Restored, but the restore's last steps failed: " + cause.getMessage()
                    + ". Reboot the cluster if it is not available.";
        }
        rollBack(state, snapshots, job.record(), entry.rec);
        state.release(entry, job);
        failedEvent(state, entry.rec, snapshot, cause);
        return "Restore failed and was undone: " + cause.getMessage();
    }

    /**
     * Undoes a restore: the running cluster (if it came up), its store and scratch directories, its record, its vault
     * entry and grant, the temporary grant on the snapshot's key, and its place in memory.
     */
    private static void rollBack(ControlState state, JobRecord job, ClusterRecord rec) {
        ClusterEntry e = state.byId.get(rec.id());
        if (e != null) {
            state.closeRunning(e);
        }
        ControlState.deleteTree(state.storesDir.resolve(rec.storeDir()));
        ControlState.deleteTree(state.storesDir.resolve(rec.id() + "-restore"));
        state.registry.delete(rec.id());
        try {
            state.vault.get(rec.id()).ifPresent(v -> state.keys.retireGrant(rec.region(), v.rootKeyArn(), v.grantId()));
        } catch (StrongroomException damaged) {
            // A damaged entry of a cluster being undone has nothing worth keeping.
        }
        state.vault.delete(rec.id());
        retireSnapshotGrant(state, job);
        state.byId.remove(rec.id());
    }

    /** Also releases the pool blocks the restore pinned. */
    private static void rollBack(ControlState state, ClusterSnapshots snapshots, JobRecord job, ClusterRecord rec) {
        rollBack(state, job, rec);
        snapshots.store(rec.region()).unpin(rec.id());
    }

    private void retireSnapshotGrant(Job job) {
        retireSnapshotGrant(state, job.record());
    }

    /**
     * Retires the temporary grant a restore job (of a cluster or a table) made on its snapshot's key: by the id its
     * record holds, or, when the process stopped before the id was recorded, by its name.
     */
    static void retireSnapshotGrant(ControlState state, JobRecord job) {
        String keyArn = job.attribute("snapshotKeyArn");
        String grantId = job.attribute("snapshotGrantId");
        if (keyArn == null) {
            return; // an unencrypted snapshot needs no grant
        }
        boolean retired = grantId != null
                ? state.keys.retireGrant(job.region(), keyArn, grantId)
                // The grant may have been made without its id being recorded: find it by its name.
                : state.keys.retireGrantsNamed(job.region(), keyArn, grantName(job.id())) >= 0;
        if (!retired) {
            state.events.add(new ClusterEvent(
                    job.accountId(),
                    job.region(),
                    job.subject(),
                    "cluster",
                    "The temporary grant " + grantName(job.id()) + (grantId == null ? "" : " (" + grantId + ")")
                            + " on KMS key " + keyArn + " that a restore of '" + job.subject() + "' made could not"
                            + " be retired; revoke it with kms revoke-grant.",
                    List.of("security"),
                    "ERROR",
                    state.clock.instant(),
                    "REDSHIFT-EVENT-3605"));
        }
    }

    private static void failedEvent(ControlState state, ClusterRecord rec, SnapshotRecord s, RuntimeException ex) {
        state.event(
                rec,
                "REDSHIFT-EVENT-3501",
                "ERROR",
                "Restore of cluster '" + rec.identifier() + "' from snapshot '" + s.identifier() + "' failed: "
                        + ex.getMessage() + ". Nothing was kept; run the restore again once the cause is fixed.",
                "management");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Recovery at start

    /**
     * Before the clusters are recovered: puts each restore a restart found running back in memory (status {@code
     * creating}, its identifier and port claimed) and returns their ids, whose vault entries and store directories
     * recovery must leave alone. Restores that never reached {@code ready} are rolled back here, with an event.
     */
    public static Set<String> prepareRecovery(
            ControlState state, ClusterSnapshots snapshots, List<JobRecord> unfinished) {
        Set<String> pending = new HashSet<>();
        for (JobRecord r : unfinished) {
            if (r.kind() != JobKind.RESTORE_CLUSTER) {
                continue;
            }
            Job job = state.jobs.reopen(r);
            if (committed(state, r)) {
                // Its record exists: the cluster comes up with the others, and the job only retires its grant.
                pending.add(r.clusterId());
                continue;
            }
            SnapshotRecord s = snapshots.byId(r.attribute("snapshotId"));
            ClusterRecord planned = ClusterRecord.fromJson(
                    r.attributes().getOrDefault("cluster", "").getBytes(StandardCharsets.UTF_8), "job " + r.id());
            ClusterRecord rec = s == null ? planned : planned.withPasswordVerifier(s.passwordVerifier());
            if (r.step().equals("accepted") || s == null) {
                rollBack(state, snapshots, r, rec);
                String why = s == null
                        ? "its snapshot is gone"
                        : "the control plane stopped before the restore's keys were made";
                state.jobs.rolledBack(job, "rolled back at start: " + why);
                state.event(
                        rec,
                        "REDSHIFT-EVENT-3501",
                        "ERROR",
                        "Restore of cluster '" + rec.identifier() + "' was rolled back: " + why
                                + ". Nothing was kept; run the restore again.",
                        "management");
                continue;
            }
            ClusterEntry e = new ClusterEntry(rec, ClusterStatus.CREATING);
            e.job = job;
            state.byId.put(rec.id(), e);
            pending.add(rec.id());
        }
        return pending;
    }

    /** After the clusters are recovered: resumes each restore {@link #prepareRecovery} kept. */
    static void resume(ControlState state, ClusterSnapshots snapshots) {
        for (JobRecord r : state.jobs.records()) {
            if (r.kind() != JobKind.RESTORE_CLUSTER || r.state().finished()) {
                continue;
            }
            Optional<Job> job = state.jobs.running(r.id());
            if (job.isEmpty()) {
                continue;
            }
            if (committed(state, r)) {
                state.jobs.launch(job.get(), new JobEngine.Work() {
                    @Override
                    public String run(Job j) {
                        retireSnapshotGrant(state, j.record());
                        return "Cluster " + r.subject() + " was restored (committed before a restart).";
                    }

                    @Override
                    public String failed(Job j, RuntimeException cause) {
                        return "Cluster " + r.subject() + " was restored; retiring its temporary grant failed: "
                                + cause.getMessage();
                    }
                });
                continue;
            }
            ClusterEntry e = state.byId.get(r.clusterId());
            SnapshotRecord s = snapshots.byId(r.attribute("snapshotId"));
            if (e == null || s == null) {
                continue;
            }
            {
                state.event(
                        e.rec,
                        "REDSHIFT-EVENT-2008",
                        "INFO",
                        "Restore of cluster '" + e.rec.identifier() + "' from snapshot '" + s.identifier()
                                + "' resumed after a restart (job " + r.id() + ").",
                        "management");
            }
            state.jobs.launch(
                    job.get(),
                    new ClusterRestoreJob(state, snapshots, e, s, "shared".equals(r.attribute("mode")), null));
        }
    }
}
