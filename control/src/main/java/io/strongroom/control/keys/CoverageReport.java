package io.strongroom.control.keys;

import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.snapshot.ClusterSnapshots;
import io.strongroom.control.snapshot.SnapshotRecord;
import io.strongroom.storage.EncryptionCoverage;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The encryption coverage of one cluster: every block of its store by table, state and DEK version, read from the
 * block files' own headers and reconciled with the manifests ({@link EncryptionCoverage.Block}); and every snapshot of it,
 * copies in other regions included, by what its pool block files say (encrypted, in the clear, unreadable) and the
 * keys its envelope names. It answers "is anything still unencrypted, or under the old key?" after a rotation or an
 * encryption change. Immutable; made by {@link #of}.
 *
 * @param protection {@code KMS}, {@code HSM} or {@code none}
 * @param rootKeyArn the KMS key (or, for an HSM cluster, the internal root key) over the CEK, or null
 * @param problems every disagreement found, in words (empty when the files and the records agree)
 */
public record CoverageReport(
        String cluster,
        String region,
        String protection,
        @Nullable String rootKeyArn,
        int cekVersion,
        int dekVersion,
        List<TableRow> tables,
        List<SnapshotRow> snapshots,
        List<String> problems) {
    /** One table's blocks in one state under one DEK version ({@code detail}: the first mismatch, if any). */
    public record TableRow(
            String table,
            String state,
            int keyVersion,
            long blocks,
            long bytes,
            @Nullable String detail) {}

    /**
     * One snapshot (or a copy of one in another region): its pool blocks by what their files say, and how many of
     * its manifests' entries were reconciled with their block files ({@code reconciliation}: why not, or null when
     * every table was read).
     */
    public record SnapshotRow(
            String identifier,
            String region,
            String status,
            boolean encrypted,
            @Nullable String rootKeyArn,
            int cekVersion,
            int dekVersion,
            long encryptedBlocks,
            long encryptedBytes,
            long clearBlocks,
            long clearBytes,
            long unreadableBlocks,
            long reconciledBlocks,
            @Nullable String reconciliation) {}

    /** Whether every block of the cluster and of its snapshots is encrypted, and nothing disagrees. */
    public boolean fullyEncrypted() {
        return problems.isEmpty()
                && tables.stream().allMatch(t -> t.state().equals("encrypted"))
                && snapshots.stream().allMatch(s -> s.clearBlocks() == 0 && s.unreadableBlocks() == 0);
    }

    /** The running cluster of {@code e}; refused when it is not running (its coverage is read from its open store). */
    static RunningCluster requireRunning(ClusterEntry e) {
        RunningCluster run = e.running;
        if (run == null) {
            throw RedshiftApiException.invalidState("Cluster " + e.rec.identifier() + " is not running ("
                    + e.status.wireName() + "); its coverage is read from its open store. Reboot it first.");
        }
        return run;
    }

    /**
     * Reads the report, as job {@code job}: its progress counts the tables and snapshots read of those to read, and
     * it stops between them when the control plane closes.
     */
    static CoverageReport of(ControlState state, ClusterSnapshots snapshots, ClusterEntry e, Job job) {
        RunningCluster run = requireRunning(e);
        List<String> problems = new ArrayList<>();
        Optional<VaultEntry> v;
        try {
            v = e.rec.encrypted() ? state.vault.get(e.rec.id()) : Optional.empty();
        } catch (StrongroomException ex) {
            v = Optional.empty();
            problems.add("the key vault entry cannot be read: " + ex.getMessage());
        }
        String protection = !e.rec.encrypted()
                ? "none"
                : v.map(x -> x.hsmProtected() ? "HSM" : "KMS").orElse("KMS");
        List<TableRow> tables = new ArrayList<>();
        List<SnapshotRecord> ofCluster = snapshots.records().stream()
                .filter(s -> s.sourceClusterId().equals(e.rec.id()) && s.available())
                .sorted(Comparator.comparing(SnapshotRecord::createTime))
                .toList();
        try (Snapshot snap = run.store().snapshot()) {
            job.total(snap.tables().size() + (long) ofCluster.size());
            for (TableSpec spec : snap.tables()) {
                job.checkpoint();
                Map<String, long[]> counts = new TreeMap<>();
                Map<String, String> details = new TreeMap<>();
                for (EncryptionCoverage.Block b :
                        snap.table(spec.qualifiedName()).coverage()) {
                    String key = b.state() + "\u0000" + b.manifestKeyVersion();
                    long[] c = counts.computeIfAbsent(key, k -> new long[2]);
                    c[0]++;
                    c[1] += b.storedBytes();
                    if (b.problem() != null) {
                        details.putIfAbsent(key, "block " + b.blockId() + " (slice " + b.slice() + "): " + b.problem());
                        problems.add(spec.qualifiedName() + " block " + b.blockId() + ": " + b.problem());
                    }
                }
                counts.forEach((k, c) -> {
                    String[] p = k.split("\u0000");
                    tables.add(new TableRow(
                            spec.qualifiedName(), p[0], Integer.parseInt(p[1]), c[0], c[1], details.get(k)));
                });
                job.advance(1);
            }
        }
        int dek = v.map(VaultEntry::dekVersion).orElse(0);
        if (e.rec.encrypted()) {
            for (TableRow t : tables) {
                if (t.state().equals("unencrypted")) {
                    problems.add(t.table() + " has " + t.blocks() + " blocks in the clear in an encrypted cluster");
                } else if (t.state().equals("encrypted") && t.keyVersion() != dek && dek > 0) {
                    problems.add(t.table() + " has " + t.blocks() + " blocks under database key v" + t.keyVersion()
                            + ", not the current v" + dek);
                }
            }
        }
        List<SnapshotRow> snaps = new ArrayList<>();
        for (SnapshotRecord s : ofCluster) {
            job.checkpoint();
            job.advance(1);
            VaultEntry env = s.envelope() == null ? null : VaultEntry.decode(s.envelopeBytes(), s.identifier());
            EncryptionCoverage.Image img;
            try {
                img = EncryptionCoverage.ofImage(snapshots.store(s.region()), s.id());
            } catch (StrongroomException ex) {
                problems.add("snapshot " + s.identifier() + " (" + s.region() + ") cannot be read: " + ex.getMessage());
                continue;
            }
            img.problems().forEach(p -> problems.add("snapshot " + s.identifier() + ": " + p));
            long reconciled = 0;
            String reconciliation = null;
            // The image's manifests are sealed under its DEK: opened (as a scratch store of links to the pool, under
            // the snapshot's own keys, through the grant the cluster or copy holds) and reconciled block by block.
            Path scratch = state.storesDir.resolve(e.rec.id() + "-coverage-" + job.id() + "-" + s.id());
            try {
                ControlState.deleteTree(scratch);
                try (ClusterKeys.Unlocked k = env != null && s.encrypted()
                                ? state.keys.unlockSnapshotAsService(env, s.region())
                                : null;
                        Store image = snapshots
                                .store(s.region())
                                .restore(s.id(), scratch, k == null ? StoreKeys.unencrypted() : StoreKeys.of(k.dek));
                        Snapshot isnap = image.snapshot()) {
                    for (TableSpec spec : isnap.tables()) {
                        for (EncryptionCoverage.Block b :
                                isnap.table(spec.qualifiedName()).coverage()) {
                            reconciled++;
                            if (b.problem() != null) {
                                problems.add("snapshot " + s.identifier() + " (" + s.region() + ") "
                                        + spec.qualifiedName() + " block " + b.blockId() + ": " + b.problem());
                            }
                        }
                    }
                }
            } catch (StrongroomException ex) {
                reconciliation =
                        "its manifests could not be opened to reconcile them with the files: " + ex.getMessage();
            } finally {
                ControlState.deleteTree(scratch);
            }
            if (s.encrypted() && img.clearBlocks() > 0) {
                problems.add("snapshot " + s.identifier() + " (" + s.region() + ") has " + img.clearBlocks()
                        + " blocks in the clear");
            }
            snaps.add(new SnapshotRow(
                    s.identifier(),
                    s.region(),
                    s.status(),
                    s.encrypted(),
                    env == null ? null : env.rootKeyArn(),
                    env == null ? 0 : env.cekVersion(),
                    env == null ? 0 : env.dekVersion(),
                    img.encryptedBlocks(),
                    img.encryptedBytes(),
                    img.clearBlocks(),
                    img.clearBytes(),
                    img.unreadableBlocks(),
                    reconciled,
                    reconciliation));
        }
        return new CoverageReport(
                e.rec.identifier(),
                e.rec.region(),
                protection,
                v.map(VaultEntry::rootKeyArn).orElse(null),
                v.map(VaultEntry::cekVersion).orElse(0),
                dek,
                List.copyOf(tables),
                List.copyOf(snaps),
                List.copyOf(problems));
    }
}
