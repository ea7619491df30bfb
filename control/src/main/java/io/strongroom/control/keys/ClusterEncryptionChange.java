package io.strongroom.control.keys;

import io.strongroom.aws.Credential;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.DataTransferInfo;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.jobs.JobState;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.snapshot.ClusterSnapshots;
import io.strongroom.control.snapshot.SnapshotSchedule;
import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.storage.EncryptionChange;
import io.strongroom.storage.KeyRotation;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableSpec;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * ModifyCluster {@code --encrypted} on an unencrypted cluster, and {@code --no-encrypted} on an encrypted one: the
 * cluster's store changes its encryption in place while it serves (storage {@link EncryptionChange}).
 *
 * <p>How this works. The request checks the KMS key as CreateCluster does (refused before anything changes), records
 * a job ({@link JobKind#CHANGE_ENCRYPTION}) and holds the cluster ({@code modifying}; resizes, snapshots and key
 * changes are refused, automated snapshots held back, until the snapshot that marks the end is taken). Encrypting: the keys are made as at create (a CEK from the KMS
 * key with the cluster's frozen encryption context, through a grant; a new DEK), stored in the vault (step {@code
 * keyed}), then the store switches its metadata to the DEK (step {@code switched}) and the record says encrypted; new
 * data is encrypted from there, within the request. Decrypting: new data is written in the clear from the request on.
 * Then the job re-seals the blocks written before, in the background, with its progress as the cluster's
 * DataTransferProgress and events at start, every 25% and completion. A decryption ends by writing the metadata in
 * the clear; then the record says unencrypted, the grant is retired and the vault entry removed. On ra3 reads and
 * writes go on throughout; on dc2 and ds2 the store refuses writes until the pass ends, with a message that says so.
 * When the pass completes an automated snapshot is taken at once; its completion is the event that says the change
 * is complete. BACKUP NO tables are kept (the change is in place, not a backup and restore).
 *
 * <p>Recovery: before the clusters come up, the store on disk says whether a switch committed ({@link
 * Store#committedKeyVersion}), and the record is brought in line with it ({@link #reconcile}). Then ({@link
 * #resumeJobs}) an encryption that never switched is undone (grant retired, vault entry removed); any other change
 * resumes its pass from what the store committed; a decryption that switched only retires its grant and entry.
 *
 * <p>Thread-safe: {@link #start} runs on a request thread, the pass on the job's thread; one operation per cluster
 * at a time through {@link ControlState#begin}.
 */
public final class ClusterEncryptionChange {
    private final ControlState state;
    private final ClusterSnapshots snapshots;

    public ClusterEncryptionChange(ControlState state, ClusterSnapshots snapshots) {
        this.state = state;
        this.snapshots = snapshots;
    }

    /**
     * Starts encrypting ({@code encrypt}, under KMS key {@code kmsKeyId} or the default key) or decrypting {@code e};
     * answers once the switch is made and the grace period has passed. Also resumes a pass a failure left unfinished
     * (a cluster already encrypted whose store still holds blocks in the clear, and the reverse).
     */
    public ClusterView start(
            Credential caller, String region, ClusterEntry e, boolean encrypt, @Nullable String kmsKeyId) {
        boolean switched = e.rec.encrypted() == encrypt;
        String keyArn = encrypt && !switched ? state.keys.resolveRootKey(caller, region, kmsKeyId) : null;
        synchronized (state.lock) {
            state.begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.MODIFYING);
        }
        ClusterRecord r = e.rec;
        RunningCluster run = e.running;
        Job job;
        try {
            if (run == null) {
                throw RedshiftApiException.invalidState("Cluster " + r.identifier() + " is not running; reboot it.");
            }
            if (switched && run.store().toReseal(encrypt).blocks() == 0) {
                throw RedshiftApiException.invalidParameter("Cluster " + r.identifier() + " is "
                        + (encrypt ? "encrypted" : "unencrypted") + " already. To move an encrypted cluster to another"
                        + " KMS key, pass --kms-key-id alone.");
            }
            Map<String, String> attrs = new HashMap<>();
            attrs.put("direction", encrypt ? "encrypt" : "decrypt");
            if (keyArn != null) {
                attrs.put("keyArn", keyArn);
                attrs.put("grantName", "redshift-" + r.id());
            }
            job = state.jobs.create(JobRecord.start(
                    state.newJobId(),
                    JobKind.CHANGE_ENCRYPTION,
                    r.accountId(),
                    r.region(),
                    r.identifier(),
                    r.id(),
                    state.clock.instant(),
                    attrs));
        } catch (RuntimeException ex) {
            e.status = ClusterStatus.AVAILABLE;
            throw ex;
        }
        try {
            if (encrypt && !switched) {
                switchToEncryption(caller, e, run, job, Objects.requireNonNull(keyArn));
            } else if (!encrypt && !switched) {
                run.store().beginDecryption();
            }
        } catch (RuntimeException ex) {
            synchronized (state.lock) {
                e.status = e.running != null ? ClusterStatus.AVAILABLE : e.status;
            }
            state.jobs.refused(job, "refused: " + ex.getMessage());
            throw ex instanceof StrongroomException se && !(ex instanceof RedshiftApiException)
                    ? RedshiftApiException.from(se)
                    : ex;
        }
        launch(e, job, encrypt, false);
        state.awaitGraceOrThrow(job);
        return state.view(e, ClusterStatus.MODIFYING);
    }

    /** The keys, the vault entry and the store's switch; on failure before the switch, nothing is left. */
    private void switchToEncryption(Credential caller, ClusterEntry e, RunningCluster run, Job job, String keyArn) {
        ClusterRecord r = e.rec;
        ClusterKeys.Created created = state.keys.create(caller, r.region(), keyArn, r.id(), r.arn(), r.createTime());
        try {
            state.vault.put(created.entry());
            job.step("keyed", Map.of("grantId", created.entry().grantId()));
            run.store().beginEncryption(created.keys().dek);
        } catch (RuntimeException ex) {
            created.keys().close();
            Path dir = state.storesDir.resolve(r.storeDir());
            boolean committed;
            try {
                committed = Store.committedKeyVersion(dir) > 0;
            } catch (RuntimeException unreadable) {
                committed = true; // unknown: keep the keys (the next start settles it)
            }
            if (!committed) {
                state.keys.retireGrant(r.region(), keyArn, created.entry().grantId());
                state.vault.delete(r.id());
            }
            throw ex;
        }
        job.step("switched");
        ClusterRecord next = r.withKmsKeyArn(keyArn);
        state.registry.save(next);
        e.rec = next;
        e.running = run.withKeys(created.keys().cek, created.keys().dek);
    }

    private void launch(ClusterEntry e, Job job, boolean encrypt, boolean resumed) {
        synchronized (state.lock) {
            e.status = ClusterStatus.MODIFYING;
            e.job = job;
            e.transfer = null;
        }
        RunningCluster run = Objects.requireNonNull(e.running);
        if (!e.rec.nodeType().wireName().startsWith("ra3")) {
            run.store()
                    .setReadOnly("Cluster " + e.rec.identifier() + " is read-only while it is "
                            + (encrypt ? "encrypted" : "decrypted") + " ("
                            + e.rec.nodeType().wireName()
                            + " nodes take writes again when the change completes; ra3 nodes stay writable"
                            + " throughout). describe-clusters shows its DataTransferProgress.");
        }
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3630",
                "INFO",
                (resumed ? "Resumed after a restart: " : "")
                        + (encrypt ? "Encryption" : "Decryption") + " of cluster '" + e.rec.identifier()
                        + "' started (job " + job.id() + ")"
                        + (encrypt ? " under KMS key " + e.rec.kmsKeyArn() + "; new data is encrypted from now on" : "")
                        + ". Blocks written before are re-sealed in the background.",
                "security",
                "management");
        state.jobs.launch(job, new Pass(e, encrypt));
    }

    /** The background pass, then the end of the change. Thread-safe: one per job. */
    private final class Pass implements JobEngine.Work {
        private final ClusterEntry e;
        private final boolean encrypt;

        Pass(ClusterEntry e, boolean encrypt) {
            this.e = e;
            this.encrypt = encrypt;
        }

        @Override
        public String run(Job job) {
            RunningCluster run = Objects.requireNonNull(e.running);
            Store store = run.store();
            int[] quarter = {0};
            long[] reported = {0};
            store.resealBlocks(
                    encrypt,
                    (done, total, blocks) -> {
                        job.total(total);
                        job.advance(done - reported[0]);
                        reported[0] = done;
                        int q = total == 0 ? 4 : (int) (done * 4 / total);
                        while (quarter[0] < Math.min(q, 3)) {
                            quarter[0]++;
                            state.event(
                                    e.rec,
                                    "REDSHIFT-EVENT-3631",
                                    "INFO",
                                    (encrypt ? "Encryption" : "Decryption") + " of cluster '" + e.rec.identifier()
                                            + "' is " + quarter[0] * 25 + "% done (" + blocks + " blocks, "
                                            + megabytes(done) + " of " + megabytes(total) + " MB).",
                                    "management");
                        }
                    },
                    job::checkpoint);
            if (!encrypt) {
                DatabaseKey dek = run.databaseKey();
                ClusterKey cek = run.clusterKey();
                store.finishDecryption(new KeyRotation.Listener() {
                    @Override
                    public void progress(long rewrapped, long total) {}

                    @Override
                    public void olderKeysReleased() {
                        if (dek != null) {
                            dek.close();
                        }
                        if (cek != null) {
                            cek.close();
                        }
                    }
                });
                job.step("switched");
                e.running = new RunningCluster(store, null, null);
                forgetKeys(e);
            }
            store.setReadOnly(null);
            Job.Progress p = job.progress();
            e.transfer = DataTransferInfo.of("SUCCEEDED", p);
            try {
                completed(e, encrypt, p, job);
            } finally {
                synchronized (state.lock) {
                    e.status = ClusterStatus.AVAILABLE;
                }
                state.release(e, job);
            }
            return "Cluster " + e.rec.identifier() + " is " + (encrypt ? "encrypted" : "unencrypted") + ".";
        }

        @Override
        public String failed(Job job, RuntimeException cause) {
            RunningCluster run = e.running;
            if (run != null) {
                run.store().setReadOnly(null);
            }
            Job.Progress p = job.progress();
            e.transfer = DataTransferInfo.of("FAILED", p);
            synchronized (state.lock) {
                e.status = e.running != null ? ClusterStatus.AVAILABLE : e.status;
            }
            state.release(e, job);
            String what = (encrypt ? "Encryption" : "Decryption") + " of cluster '" + e.rec.identifier()
                    + "' stopped: " + StrongroomException.forClient(String.valueOf(cause.getMessage()))
                    + ". What it re-sealed is kept; run modify-cluster " + (encrypt ? "--encrypted" : "--no-encrypted")
                    + " again to finish it (reboot the cluster first if it is not serving).";
            state.event(e.rec, "REDSHIFT-EVENT-3633", "ERROR", what, "security", "management");
            return what;
        }
    }

    /** The end of a change: the event, then the snapshot whose completion says it is complete. */
    private void completed(ClusterEntry e, boolean encrypt, Job.Progress p, Job job) {
        List<String> noBackup = List.of();
        RunningCluster run = e.running;
        if (run != null) {
            try (Snapshot snap = run.store().snapshot()) {
                noBackup = snap.tables().stream()
                        .filter(t -> !t.backup())
                        .map(TableSpec::qualifiedName)
                        .toList();
            }
        }
        String what = (encrypt ? "Encryption" : "Decryption") + " of cluster '" + e.rec.identifier() + "' re-sealed "
                + megabytes(p.doneBytes()) + " MB in " + p.elapsed().toSeconds() + " s; every block is "
                + (encrypt ? "encrypted under KMS key " + e.rec.kmsKeyArn() : "in the clear")
                + (noBackup.isEmpty()
                        ? ""
                        : ". BACKUP NO tables were changed in place and kept: " + String.join(", ", noBackup));
        state.event(e.rec, "REDSHIFT-EVENT-3632", "INFO", what + ".", "security", "management");
        // The snapshot takes the cluster over from the change, so it is available only once both are done.
        Job snap = snapshots.takeAutomated(
                e,
                "rs:" + e.rec.identifier() + "-" + SnapshotSchedule.AUTOMATED_NAME.format(state.clock.instant()),
                job);
        String taken = snap != null && snap.record().state() == JobState.SUCCEEDED
                ? snap.record().subject()
                : null;
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3634",
                taken != null ? "INFO" : "WARNING",
                (encrypt ? "Encryption" : "Decryption") + " of cluster '" + e.rec.identifier() + "' is complete"
                        + (taken != null
                                ? ": snapshot " + taken + " holds it"
                                : "; the snapshot that should follow it could not be taken now (take one with"
                                        + " create-cluster-snapshot)")
                        + ". Snapshots taken before keep the encryption they had.",
                "security",
                "management");
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
    }

    /** After a decryption switched: the record says unencrypted, the grant is retired and the vault entry removed. */
    private void forgetKeys(ClusterEntry e) {
        ClusterRecord r = e.rec;
        Optional<VaultEntry> v = state.vault.get(r.id());
        if (r.encrypted()) {
            ClusterRecord next = r.withKmsKeyArn(null);
            state.registry.save(next);
            e.rec = next;
        }
        if (v.isPresent()) {
            if (!state.keys.retireGrant(
                    r.region(), v.get().rootKeyArn(), v.get().grantId())) {
                state.event(
                        e.rec,
                        "REDSHIFT-EVENT-3605",
                        "ERROR",
                        "Grant " + v.get().grantId() + " on KMS key " + v.get().rootKeyArn() + " of decrypted cluster '"
                                + r.identifier() + "' could not be retired; revoke it with kms revoke-grant.",
                        "security");
            }
            state.vault.delete(r.id());
        }
    }

    /**
     * At start, before the clusters come up: the record of each cluster whose encryption was changing says what its
     * store committed, so the reboot flow opens it with the right keys.
     */
    public static void reconcile(ControlState state) {
        for (JobRecord j : state.jobs.unfinished()) {
            ClusterEntry e = state.byId.get(j.clusterId());
            if (j.kind() != JobKind.CHANGE_ENCRYPTION || e == null) {
                continue;
            }
            boolean keyed;
            try {
                keyed = Store.committedKeyVersion(state.storesDir.resolve(e.rec.storeDir())) > 0;
            } catch (RuntimeException unreadable) {
                continue; // the reboot flow reports the store
            }
            String keyArn = j.attribute("keyArn");
            ClusterRecord next = e.rec;
            if (keyed && !e.rec.encrypted() && keyArn != null) {
                next = e.rec.withKmsKeyArn(keyArn);
            } else if (!keyed && e.rec.encrypted() && "decrypt".equals(j.attribute("direction"))) {
                next = e.rec.withKmsKeyArn(null);
            }
            if (next != e.rec) {
                state.registry.save(next);
                e.rec = next;
            }
        }
    }

    /** After the clusters are up: undoes, finishes or resumes each change a restart found running. */
    public void resumeJobs() {
        for (JobRecord j : state.jobs.unfinished()) {
            if (j.kind() != JobKind.CHANGE_ENCRYPTION) {
                continue;
            }
            Job job = state.jobs.reopen(j);
            ClusterEntry e = state.byId.get(j.clusterId());
            boolean encrypt = "encrypt".equals(j.attribute("direction"));
            String keyArn = j.attribute("keyArn");
            if (e == null) {
                state.jobs.rolledBack(job, "The cluster was deleted.");
                continue;
            }
            if (encrypt && !e.rec.encrypted()) {
                // The switch never committed: nothing was sealed under the new keys.
                String grant = j.attribute("grantId");
                if (keyArn != null) {
                    if (grant != null) {
                        state.keys.retireGrant(e.rec.region(), keyArn, grant);
                    } else {
                        state.keys.retireGrantsNamed(
                                e.rec.region(), keyArn, Objects.requireNonNull(j.attribute("grantName")));
                    }
                }
                state.vault.delete(e.rec.id());
                state.jobs.rolledBack(job, "Stopped by a restart before the store was encrypted; nothing changed.");
                state.event(
                        e.rec,
                        "REDSHIFT-EVENT-3633",
                        "WARNING",
                        "Encryption of cluster '" + e.rec.identifier() + "' was stopped by a restart before it took"
                                + " effect; the cluster is unencrypted. Run modify-cluster --encrypted again.",
                        "security",
                        "management");
                continue;
            }
            if (!encrypt && !e.rec.encrypted()) {
                forgetKeys(e); // the decryption switched before the restart
                state.jobs.settle(job, JobState.SUCCEEDED, "Completed at start: the store was decrypted.");
                state.event(
                        e.rec,
                        "REDSHIFT-EVENT-3634",
                        "INFO",
                        "Decryption of cluster '" + e.rec.identifier() + "' is complete (finished at start).",
                        "security",
                        "management");
                continue;
            }
            RunningCluster run = e.running;
            if (run == null || e.status != ClusterStatus.AVAILABLE) {
                state.jobs.rolledBack(
                        job,
                        "The cluster did not come up; reboot it, then run modify-cluster "
                                + (encrypt ? "--encrypted" : "--no-encrypted") + " to finish the change.");
                continue;
            }
            try {
                if (!encrypt) {
                    run.store().beginDecryption();
                }
            } catch (RuntimeException ex) {
                state.jobs.rolledBack(job, "Could not resume: " + ex.getMessage());
                continue;
            }
            launch(e, job, encrypt, true);
        }
    }
}
