package io.strongroom.control.keys;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterStatus;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.snapshot.ClusterSnapshots;
import io.strongroom.control.snapshot.SnapshotRecord;
import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.WrappedKey;
import io.strongroom.storage.KeyRotation.Listener;
import io.strongroom.storage.Store;
import java.nio.file.Path;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * RotateEncryptionKey: rotates an encrypted cluster's CEK and DEK online, and settles a rotation a crash or a failure
 * interrupted.
 *
 * <p>How a rotation runs (in the background; the response says rotating-keys at once):
 *
 * <ol>
 *   <li>KMS GenerateDataKey under the cluster's root key with its frozen encryption context: the new CEK; a new
 *       random DEK wrapped by it. Both old and new wrapped keys are then stored in the vault (the new one as the
 *       pending entry) before the store writes anything under the new DEK.
 *   <li>The store rotates online (storage KeyRotation): every block key rewrapped, metadata only; progress goes to
 *       ModifyStatus and events.
 *   <li>Every snapshot of the cluster has its key envelope rewrapped under the new CEK; its DEK is unchanged.
 *   <li>The pending entry becomes the only one; the old CEK is zeroed now, the old DEK once the store's last reader
 *       from before the switch closes.
 * </ol>
 *
 * A crash anywhere: the next start finds the pending entry and asks the store which DEK seals its committed version
 * ({@link #settle}, run by the reboot flow): the new one completes steps 3-4, the old one abandons the rotation.
 *
 * <p>Invariants: the pending vault entry is stored before the store writes anything under the new DEK, so the keys
 * the store's committed version needs are always in the vault; a snapshot is never being taken while its cluster
 * rotates (both are started under the control plane's lock, and each refuses the other).
 *
 * <p>Thread-safe: {@link #begin} runs on an API request thread, {@link #rotate} on the rotation's own thread and
 * {@link #settle} in the reboot flow; one operation per cluster at a time through {@link ControlState#begin}.
 */
public final class ClusterKeyRotation {
    private final ControlState state;
    private final ClusterSnapshots snapshots;

    public ClusterKeyRotation(ControlState state, ClusterSnapshots snapshots) {
        this.state = state;
        this.snapshots = snapshots;
    }

    /**
     * RotateEncryptionKey's checks and its status change: moves the cluster to rotating-keys and returns it. The
     * caller answers at once and then runs {@link #rotate} on a thread of its own.
     */
    public ClusterEntry begin(Credential caller, String region, String identifier) {
        String id = identifier.toLowerCase(Locale.ROOT);
        Optional<ClusterEntry> found = state.find(caller.accountId(), region, id);
        if (found.isEmpty()) {
            List<String> orphans = snapshots.records().stream()
                    .filter(s -> s.accountId().equals(caller.accountId())
                            && s.region().equals(region)
                            && s.clusterIdentifier().equals(id))
                    .map(SnapshotRecord::identifier)
                    .sorted()
                    .toList();
            if (!orphans.isEmpty()) {
                throw new RedshiftApiException(
                        ErrorCode.NOT_FOUND,
                        "ClusterNotFound",
                        404,
                        "Cluster " + identifier + " not found: it was deleted, so the keys of its snapshots " + orphans
                                + " cannot be rotated (a snapshot's keys rotate with its source cluster). Restore a"
                                + " snapshot to a new cluster and rotate that cluster's keys instead.");
            }
            throw RedshiftApiException.clusterNotFound(identifier);
        }
        ClusterEntry e = found.get();
        if (!e.rec.encrypted()) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_STATE,
                    "UnsupportedOperation",
                    400,
                    "Cluster " + e.rec.identifier() + " is not encrypted: it has no encryption keys to rotate.");
        }
        synchronized (state.lock) {
            // A snapshot being taken recorded the current envelope; its image must be read under the same keys.
            // Snapshot creation saves its record under this lock, and refuses a cluster that is rotating keys.
            boolean snapshotting = snapshots.records().stream()
                    .anyMatch(s ->
                            s.sourceClusterId().equals(e.rec.id()) && s.status().equals("creating"));
            if (snapshotting) {
                throw RedshiftApiException.invalidState("A snapshot of cluster " + e.rec.identifier()
                        + " is being taken; rotate its keys once the snapshot is available.");
            }
            state.begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.ROTATING_KEYS);
            if (e.running == null) {
                e.status = ClusterStatus.AVAILABLE;
                throw RedshiftApiException.invalidState("Cluster " + e.rec.identifier() + " is not running.");
            }
            e.progress = "rotating-keys: starting";
        }
        return e;
    }

    /**
     * Runs the rotation of a cluster {@link #begin} moved to rotating-keys (steps 1 to 4 above), on the calling
     * thread. Returns true when it failed after storing the pending keys and the cluster, now rebooting, must go
     * through the reboot flow ({@code ClusterLifecycle.bringUp}), which settles the rotation from what the store
     * committed; the caller runs it, as the reboot flow in turn depends on this class to settle.
     */
    public boolean rotate(ClusterEntry e) {
        ClusterRecord r = e.rec;
        RunningCluster run = Objects.requireNonNull(e.running);
        long t0 = System.nanoTime();
        ClusterKeys.@Nullable Created fresh = null;
        boolean pendingStored = false;
        try {
            VaultEntry old = state.vault
                    .get(r.id())
                    .orElseThrow(() -> RedshiftApiException.invalidState(
                            "The key vault has no entry for cluster " + r.identifier() + "."));
            int dekVersion = Math.max(run.store().newestKeyVersion(), old.dekVersion()) + 1;
            fresh = state.keys.rotate(old, r.region(), old.cekVersion() + 1, dekVersion, state.clock.instant());
            state.vault.putPending(fresh.entry());
            pendingStored = true;
            state.event(
                    r,
                    "REDSHIFT-EVENT-3620",
                    "INFO",
                    "Key rotation of cluster '" + r.identifier() + "' started: "
                            + (old.hsmProtected()
                                    ? "the HSM created cluster key v"
                                            + fresh.entry().cekVersion() + " (HSM key "
                                            + fresh.entry().hsmCekUid() + ")"
                                    : "KMS key " + old.rootKeyArn() + " generated cluster key v"
                                            + fresh.entry().cekVersion() + " with encryption context "
                                            + old.context().pairs())
                            + "; database key v" + dekVersion + ".",
                    "security",
                    "management");
            ClusterKeys.Unlocked next = fresh.keys();
            DatabaseKey oldDek = Objects.requireNonNull(run.databaseKey());
            ClusterKey oldCek = Objects.requireNonNull(run.clusterKey());
            int[] quartile = {0};
            run.store().rotateDatabaseKey(next.dek, new Listener() {
                @Override
                public void progress(long rewrapped, long total) {
                    e.progress = "rotating-keys: " + rewrapped + " of " + total + " block keys rewrapped";
                    int q = total == 0 ? 4 : (int) (rewrapped * 4 / total);
                    if (q > quartile[0] && q < 4) {
                        quartile[0] = q;
                        state.event(
                                r,
                                "REDSHIFT-EVENT-3621",
                                "INFO",
                                "Key rotation of cluster '" + r.identifier() + "': " + rewrapped + " of " + total
                                        + " block keys rewrapped.",
                                "security");
                    }
                }

                @Override
                public void olderKeysReleased() {
                    oldDek.close();
                }
            });
            e.running = run.withKeys(next.cek, next.dek);
            e.progress = "rotating-keys: rewrapping snapshot keys";
            int rewrapped = rewrapSnapshots(r, old, oldCek, fresh.entry(), next.cek);
            state.vault.finishRotation(fresh.entry());
            oldCek.close();
            retireOldHsmKey(r, old);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            e.progress = null;
            e.status = ClusterStatus.AVAILABLE;
            state.event(
                    r,
                    "REDSHIFT-EVENT-3622",
                    "INFO",
                    "Key rotation of cluster '" + r.identifier() + "' completed in " + ms + " ms: cluster key v"
                            + fresh.entry().cekVersion() + ", database key v" + dekVersion + "; " + rewrapped
                            + " snapshot key envelopes rewrapped.",
                    "security",
                    "management");
            return false;
        } catch (RuntimeException ex) {
            e.progress = null;
            state.event(
                    r,
                    "REDSHIFT-EVENT-3623",
                    "ERROR",
                    "Key rotation of cluster '" + r.identifier() + "' failed: " + ex.getMessage()
                            + (pendingStored ? " The cluster reboots to complete or roll back the rotation." : ""),
                    "security",
                    "management");
            if (!pendingStored) {
                if (fresh != null) {
                    fresh.keys().close();
                }
                e.status = ClusterStatus.AVAILABLE;
                return false;
            }
            ClusterKeys.Created made = Objects.requireNonNull(fresh);
            boolean switched;
            boolean usable;
            try {
                switched = Store.committedKeyVersion(state.storesDir.resolve(r.storeDir()))
                        == made.entry().dekVersion();
                run.store().snapshot().close();
                usable = true;
            } catch (RuntimeException probe) {
                switched = true; // unknown: let the reboot flow read the store and decide
                usable = false;
            }
            if (state.closing) {
                // The control plane is stopping (which closed the store under us): the next start settles the
                // rotation from the pending vault entry and what the store committed.
                return false;
            }
            if (!switched && usable) {
                // Nothing was committed under the new keys: abandon the rotation, keep serving.
                state.vault.abandonRotation(r.id());
                made.keys().close();
                e.status = ClusterStatus.AVAILABLE;
                return false;
            }
            // Where the store stopped decides: the reboot flow completes or abandons the rotation.
            boolean present;
            synchronized (state.lock) {
                present = state.byId.containsKey(r.id()) && !state.closing;
                if (present) {
                    e.status = ClusterStatus.REBOOTING;
                }
            }
            return present;
        }
    }

    /**
     * After a crash during a rotation: the store's commit pointer says whether the rotation committed. If it did,
     * finish it (snapshot envelopes, then the vault) and return the new entry; if not, drop the pending entry and
     * return the old one.
     */
    public VaultEntry settle(ClusterRecord r, Path dir, VaultEntry current, VaultEntry pending) {
        if (pending.dekVersion() == current.dekVersion() && pending.cekVersion() == current.cekVersion()) {
            state.vault.abandonRotation(r.id()); // finished; only the pending file was left
            return current;
        }
        int committed = Store.committedKeyVersion(dir);
        if (committed != pending.dekVersion()) {
            state.vault.abandonRotation(r.id());
            state.event(
                    r,
                    "REDSHIFT-EVENT-3623",
                    "WARNING",
                    "Key rotation of cluster '" + r.identifier() + "' was interrupted before it switched keys and was"
                            + " rolled back; the cluster keeps database key v" + current.dekVersion()
                            + ". Rotate again if needed.",
                    "security",
                    "management");
            return current;
        }
        try (ClusterKeys.Unlocked old = state.keys.unlock(current, r.region());
                ClusterKeys.Unlocked next = state.keys.unlock(pending, r.region())) {
            int n = rewrapSnapshots(r, current, old.cek, pending, next.cek);
            state.vault.finishRotation(pending);
            retireOldHsmKey(r, current);
            state.event(
                    r,
                    "REDSHIFT-EVENT-3622",
                    "INFO",
                    "Key rotation of cluster '" + r.identifier() + "' was interrupted after it switched keys and"
                            + " was completed at restart: database key v" + pending.dekVersion() + "; " + n
                            + " snapshot key envelopes rewrapped.",
                    "security",
                    "management");
        }
        return pending;
    }

    /**
     * After a rotation of an HSM cluster: the old CEK is no longer named by the vault or by any snapshot envelope,
     * so it is revoked and destroyed in the HSM; an event says when that failed.
     */
    private void retireOldHsmKey(ClusterRecord r, VaultEntry old) {
        if (old.hsmProtected() && !state.keys.retireHsmKey(old)) {
            state.event(
                    r,
                    "REDSHIFT-EVENT-3605",
                    "WARNING",
                    "The previous HSM key " + old.hsmCekUid() + " of cluster '" + r.identifier() + "' could not be"
                            + " revoked and destroyed after the key rotation; nothing uses it any more, destroy it in"
                            + " the HSM.",
                    "security");
        }
    }

    /**
     * Rewraps the key envelope of every snapshot of cluster {@code r} under the new CEK: the snapshot's own DEK
     * (whatever its version) is unwrapped, with the old CEK when the envelope holds it or else through the KMS, and
     * wrapped under the new one. Envelopes already under the new CEK (a resumed rotation) and copies under
     * another region's root key are left as they are. Returns how many were rewrapped.
     */
    private int rewrapSnapshots(
            ClusterRecord r, VaultEntry oldEntry, ClusterKey oldCek, VaultEntry newEntry, ClusterKey newCek) {
        int n = 0;
        for (SnapshotRecord s : List.copyOf(snapshots.records())) {
            // A copy in another region is under that region's key, not the cluster's: rotation leaves it.
            if (!s.sourceClusterId().equals(r.id())
                    || !s.encrypted()
                    || s.envelope() == null
                    || s.sourceRegion() != null) {
                continue;
            }
            VaultEntry se = VaultEntry.decode(s.envelopeBytes(), s.identifier());
            if (!se.rootKeyArn().equals(newEntry.rootKeyArn())
                    || (se.cekVersion() == newEntry.cekVersion()
                            && se.wrappedCek().equals(newEntry.wrappedCek()))) {
                continue;
            }
            KeyInfo dekInfo = VaultEntry.dekInfo(se.clusterId(), se.dekVersion());
            WrappedKey rewrapped;
            if (se.cekVersion() == oldEntry.cekVersion() && se.wrappedCek().equals(oldEntry.wrappedCek())) {
                try (DatabaseKey dek = oldCek.unwrapDatabaseKey(se.wrappedDek(), dekInfo, se.clusterId())) {
                    rewrapped = newCek.wrap(dek, se.clusterId());
                }
            } else {
                try (ClusterKeys.Unlocked k = state.keys.unlock(se, r.region())) {
                    rewrapped = newCek.wrap(k.dek, se.clusterId());
                }
            }
            VaultEntry ne = new VaultEntry(
                    se.clusterId(),
                    se.rootKeyArn(),
                    se.grantId(),
                    se.context(),
                    newEntry.cekVersion(),
                    newEntry.wrappedCek(),
                    se.dekVersion(),
                    rewrapped,
                    se.createdAt(),
                    newEntry.protection());
            snapshots.save(s.withEnvelope(Base64.getEncoder().encodeToString(ne.encode())));
            n++;
        }
        return n;
    }
}
