package io.strongroom.control.keys;

import io.strongroom.aws.Credential;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.jobs.JobState;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DatabaseKey;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * ModifyCluster {@code --kms-key-id} on an encrypted cluster: the cluster moves to another KMS root key without a
 * data pass. A new CEK from the new key (same frozen encryption context) wraps the cluster's unchanged DEK, so no
 * block and no block key changes; the cluster keeps serving throughout.
 *
 * <p>How this works. The request records a job ({@link JobKind#CHANGE_ROOT_KEY}; it is metadata only, so it runs
 * on the request thread), makes the grant on the new key as the caller (step {@code granted}, its id recorded),
 * writes the new vault entry (the commit point: step {@code switched}), gives the running cluster the new CEK,
 * saves the record under the new key ARN and retires the grant on the old key. Snapshots taken before keep their
 * envelopes under the old key, which must stay usable to restore them (as after a snapshot copy under another key);
 * later rotations leave them as they are.
 *
 * <p>Recovery (a restart found the job running): the vault says which key is in force. If it is the new one, the
 * record is brought in line and the old grant retired; if not, the grant on the new key (by its recorded id, or by
 * its name) is retired. Either way an event says so.
 *
 * <p>Thread-safe: runs on the request thread while the cluster is {@code modifying}, and at start.
 */
public final class RootKeyChange {
    private RootKeyChange() {}

    /** Moves running cluster {@code e} (held {@code modifying} by the caller) to {@code newKeyArn}. */
    public static void change(ControlState state, Credential caller, ClusterEntry e, String newKeyArn) {
        ClusterRecord r = e.rec;
        RunningCluster run = e.running;
        if (run == null || run.databaseKey() == null || run.clusterKey() == null) {
            throw RedshiftApiException.invalidState("Cluster " + r.identifier() + " is not running; reboot it first.");
        }
        VaultEntry current = state.vault
                .get(r.id())
                .orElseThrow(() -> RedshiftApiException.invalidState(
                        "The key vault has no entry for cluster " + r.identifier() + "."));
        String jobId = state.newJobId();
        String grantName = "redshift-" + r.id() + "-" + jobId;
        Job job = state.jobs.create(JobRecord.start(
                jobId,
                JobKind.CHANGE_ROOT_KEY,
                r.accountId(),
                r.region(),
                r.identifier(),
                r.id(),
                state.clock.instant(),
                Map.of(
                        "oldKeyArn",
                        current.rootKeyArn(),
                        "oldGrantId",
                        current.grantId(),
                        "newKeyArn",
                        newKeyArn,
                        "grantName",
                        grantName)));
        ClusterKeys.Moved moved;
        try {
            moved = state.keys.changeRootKey(
                    caller,
                    r.region(),
                    current,
                    newKeyArn,
                    Objects.requireNonNull(run.databaseKey()),
                    grantName,
                    state.clock.instant());
        } catch (RuntimeException ex) {
            state.jobs.refused(job, "refused: " + ex.getMessage());
            throw ex;
        }
        try {
            job.step("granted", Map.of("newGrantId", moved.entry().grantId()));
            state.vault.put(moved.entry()); // the commit point
            job.step("switched");
        } catch (RuntimeException ex) {
            moved.cek().close();
            boolean inForce;
            try {
                inForce = newKeyInForce(state, r.id(), newKeyArn);
            } catch (RuntimeException unreadable) {
                inForce = true; // unknown: undo nothing (retiring the new grant could lock the cluster out)
            }
            if (!inForce) {
                state.keys.retireGrant(r.region(), newKeyArn, moved.entry().grantId());
                state.jobs.refused(job, "failed and undone: " + ex.getMessage());
            }
            throw ex instanceof StrongroomException se && !(ex instanceof RedshiftApiException)
                    ? RedshiftApiException.from(se)
                    : ex;
        }
        useNewClusterKey(e, run, moved.cek());
        finish(state, job.record(), e);
        state.jobs.settle(
                job, JobState.SUCCEEDED, "Cluster " + r.identifier() + " is under KMS key " + newKeyArn + ".");
    }

    /** After the switch: the record under the new ARN, the old grant retired, the event. */
    private static void finish(ControlState state, JobRecord job, ClusterEntry e) {
        String oldKeyArn = Objects.requireNonNull(job.attribute("oldKeyArn"));
        String newKeyArn = Objects.requireNonNull(job.attribute("newKeyArn"));
        if (!newKeyArn.equals(e.rec.kmsKeyArn())) {
            ClusterRecord next = e.rec.withKmsKeyArn(newKeyArn);
            state.registry.save(next);
            e.rec = next;
        }
        String oldGrant = Objects.requireNonNull(job.attribute("oldGrantId"));
        boolean retired = state.keys.retireGrant(e.rec.region(), oldKeyArn, oldGrant);
        Optional<VaultEntry> v = state.vault.get(e.rec.id());
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3624",
                "INFO",
                "Cluster '" + e.rec.identifier() + "' moved from KMS key " + oldKeyArn + " to " + newKeyArn
                        + ": cluster key v" + v.map(VaultEntry::cekVersion).orElse(0)
                        + " generated by the new key with encryption context "
                        + v.map(x -> x.context().pairs().toString()).orElse("?")
                        + " wraps the unchanged database key; no data was rewritten. Grant "
                        + v.map(VaultEntry::grantId).orElse("?") + " on the new key; grant " + oldGrant
                        + " on the old key "
                        + (retired ? "retired" : "could not be retired (revoke it with kms" + " revoke-grant)")
                        + ". Snapshots taken before stay under the old key.",
                "security",
                "management");
    }

    /** Whether the vault holds {@code newKeyArn} for the cluster; throws when the vault cannot be read. */
    private static boolean newKeyInForce(ControlState state, String clusterId, String newKeyArn) {
        return state.vault
                .get(clusterId)
                .map(v -> v.rootKeyArn().equals(newKeyArn))
                .orElse(false);
    }

    /**
     * At start, after the clusters are up: settles each root key change a restart found running, by what the vault
     * holds.
     */
    public static void settle(ControlState state, List<JobRecord> unfinished) {
        for (JobRecord r : unfinished) {
            if (r.kind() != JobKind.CHANGE_ROOT_KEY) {
                continue;
            }
            Job job = state.jobs.reopen(r);
            ClusterEntry e = state.byId.get(r.clusterId());
            String newKeyArn = Objects.requireNonNull(r.attribute("newKeyArn"));
            boolean inForce;
            try {
                inForce = e != null && newKeyInForce(state, r.clusterId(), newKeyArn);
            } catch (RuntimeException unreadable) {
                // Unknown which key is in force: nothing is undone; the job stays open for the next start. (The
                // vault is read only for a cluster that exists.)
                ClusterEntry known = Objects.requireNonNull(e);
                state.event(
                        known.rec,
                        "REDSHIFT-EVENT-3626",
                        "ERROR",
                        "The change of cluster '" + known.rec.identifier() + "' to KMS key " + newKeyArn
                                + " could not be settled: the key vault could not be read ("
                                + StrongroomException.forClient(String.valueOf(unreadable.getMessage()))
                                + "). Both grants are kept; it is settled again at the next start.",
                        "security",
                        "management");
                continue;
            }
            if (inForce && e != null) {
                finish(state, r, e);
                state.jobs.settle(job, JobState.SUCCEEDED, "Completed at start: the new key was in force.");
                continue;
            }
            String grantId = r.attribute("newGrantId");
            boolean retired = grantId != null
                    ? state.keys.retireGrant(r.region(), newKeyArn, grantId)
                    : state.keys.retireGrantsNamed(
                                    r.region(), newKeyArn, Objects.requireNonNull(r.attribute("grantName")))
                            >= 0;
            state.jobs.settle(
                    job,
                    JobState.ROLLED_BACK,
                    "Stopped by a restart before the new key was in force; the cluster keeps its key.");
            if (e != null) {
                state.event(
                        e.rec,
                        "REDSHIFT-EVENT-3625",
                        "WARNING",
                        "The change of cluster '" + e.rec.identifier() + "' to KMS key " + newKeyArn
                                + " was stopped by a restart before it took effect; the cluster keeps KMS key "
                                + r.attribute("oldKeyArn") + ". Run modify-cluster --kms-key-id again."
                                + (retired
                                        ? ""
                                        : " The grant on the new key could not be retired: revoke it with"
                                                + " kms revoke-grant."),
                        "security",
                        "management");
            }
        }
    }

    /** Gives the running cluster {@code next} as its CEK (same store, same DEK) and zeroes the CEK it replaces. */
    private static void useNewClusterKey(ClusterEntry e, RunningCluster run, ClusterKey next) {
        ClusterKey old = Objects.requireNonNull(run.clusterKey());
        DatabaseKey dek = Objects.requireNonNull(run.databaseKey());
        e.running = run.withKeys(next, dek);
        old.close();
    }
}
