package io.strongroom.control.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterParameters;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.KmsAccess;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.keyvault.JsonFiles;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.snapshot.ClusterSnapshots;
import io.strongroom.control.snapshot.SnapshotRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * Makes the crypto-shredding report of a cluster identifier ({@link ShredReport}; docs/security.md
 * "Crypto-shredding").
 *
 * <p>How this works. The cluster may be gone, so it is found by what outlives it: its internal ids are gathered from
 * the cluster if it still exists (under any identifier, should it have been renamed), from snapshot records that
 * name the identifier in its region (copies in other regions carry the source region), from key vault entries whose
 * encryption context names the cluster's ARN, and from what earlier reports of it remembered. Then every record
 * holding one of those ids is an item: the cluster, its vault entry (and a pending one), its store directories,
 * every snapshot and cross-region copy, and clusters restored from its snapshots (while a restore job record links
 * them). Each KMS root key involved is asked for with DescribeKey, first as the caller (who usually owns the key),
 * then as the control plane's service principal (whose grant is retired once the cluster is deleted, so it may be
 * refused); NotFound is the only answer that makes an item unreadable.
 *
 * <p>What the report remembers: the root keys, internal ids and restored clusters it saw, in {@code
 * shredding/<account>.<region>.<identifier>.json} (ARNs and ids only, nothing secret), so that a report made after
 * the last item is gone can still say whether the keys are deleted. A report made only after everything was
 * deleted cannot name keys it never saw; it says so.
 *
 * <p>Alternatives rejected: recording lineage in the cluster and snapshot records (a format change for a report);
 * counting a key pending deletion as deleted (the deletion can be cancelled until its date).
 *
 * <p>Thread-safe: it reads live views of the control plane's state; the remembered file is written under this
 * object's lock.
 */
public final class ClusterShredding {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern KMS_KEY_ARN = Pattern.compile("arn:aws:kms:([a-z0-9-]+):(\\d{12}):key/.+");
    private static final Pattern SAFE_NAME = Pattern.compile("[a-z0-9-]{1,64}");

    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final KmsAccess kms;
    private final Path ledgerDir;

    public ClusterShredding(ControlState state, ClusterSnapshots snapshots, KmsAccess kms, Path ledgerDir) {
        this.state = state;
        this.snapshots = snapshots;
        this.kms = kms;
        this.ledgerDir = ledgerDir;
    }

    /** What an earlier report saw of one cluster identifier. */
    private record Remembered(Set<String> clusterIds, Set<String> restoredIds, Set<String> rootKeys) {}

    /** The report for {@code identifier} of the caller's account in {@code region}. */
    public ShredReport report(Credential caller, String region, String identifier) {
        String id = ClusterParameters.identifier(identifier, "ClusterIdentifier");
        String account = caller.accountId();
        String clusterArn = "arn:aws:redshift:" + region + ":" + account + ":cluster:" + id;
        Remembered before = remembered(account, region, id);
        List<String> problems = new ArrayList<>();

        // The cluster's internal ids.
        Set<String> ids = new TreeSet<>(before.clusterIds());
        state.find(account, region, id).ifPresent(e -> ids.add(e.rec.id()));
        for (SnapshotRecord s : snapshots.records()) {
            String origin = s.sourceRegion() == null ? s.region() : s.sourceRegion();
            if (s.accountId().equals(account) && s.clusterIdentifier().equals(id) && origin.equals(region)) {
                ids.add(s.sourceClusterId());
            }
        }
        Map<String, VaultEntry> vault = new LinkedHashMap<>();
        Map<String, VaultEntry> pending = new LinkedHashMap<>();
        for (String vid : state.vault.clusterIds()) {
            try {
                Optional<VaultEntry> v = state.vault.get(vid);
                if (v.isPresent()
                        && (ids.contains(vid)
                                || clusterArn.equals(v.get().context().pairs().get(ClusterKeys.ARN_CONTEXT)))) {
                    ids.add(vid);
                    vault.put(vid, v.get());
                    state.vault.pending(vid).ifPresent(p -> pending.put(vid, p));
                }
            } catch (StrongroomException | IllegalArgumentException ex) {
                problems.add("The key vault entry " + vid + " cannot be read (" + ex.getMessage() + "), so this"
                        + " report cannot tell whether it belongs to this cluster and does not count it: restore it"
                        + " from a backup of the key vault, or remove it, and run the report again.");
            }
        }

        // Clusters restored from its snapshots, while a restore job record names one of them.
        Set<String> restoredIds = new TreeSet<>(before.restoredIds());
        for (JobRecord j : state.jobs.records()) {
            SnapshotRecord from =
                    j.kind() == JobKind.RESTORE_CLUSTER ? snapshots.byId(j.attribute("snapshotId")) : null;
            if (from != null && ids.contains(from.sourceClusterId()) && !ids.contains(j.clusterId())) {
                restoredIds.add(j.clusterId());
            }
        }

        Map<String, ShredReport.RootKey> keys = new LinkedHashMap<>();
        List<ShredReport.Item> items = new ArrayList<>();
        List<String> actions = new ArrayList<>();
        KeyLookup lookup = new KeyLookup(caller, keys);

        for (ClusterEntry e : sortedEntries()) {
            boolean own = ids.contains(e.rec.id());
            if (!own && !restoredIds.contains(e.rec.id())) {
                continue;
            }
            VaultEntry v = own ? vault.get(e.rec.id()) : null;
            String protection = !e.rec.encrypted() ? "none" : v != null && v.hsmProtected() ? "HSM" : "KMS";
            String keyArn = v != null ? v.rootKeyArn() : e.rec.kmsKeyArn();
            ShredReport.Item item;
            if (e.running != null) {
                item = new ShredReport.Item(
                        own ? ShredReport.Kind.CLUSTER : ShredReport.Kind.RESTORED_CLUSTER,
                        e.rec.identifier(),
                        e.rec.region(),
                        e.status.wireName(),
                        protection,
                        keyArn,
                        true,
                        "running: its keys are in the cluster's memory");
            } else {
                item = item(
                        own ? ShredReport.Kind.CLUSTER : ShredReport.Kind.RESTORED_CLUSTER,
                        e.rec.identifier(),
                        e.rec.region(),
                        e.status.wireName(),
                        protection,
                        keyArn,
                        lookup);
            }
            items.add(item);
            if (item.readable()) {
                actions.add("delete cluster " + e.rec.identifier() + " in " + e.rec.region()
                        + (own ? "" : " (restored from a snapshot of " + id + ", with keys of its own)")
                        + ": aws redshift delete-cluster --cluster-identifier " + e.rec.identifier()
                        + " --skip-final-cluster-snapshot --region " + e.rec.region());
            }
        }
        boolean clusterExists = items.stream().anyMatch(i -> i.kind() == ShredReport.Kind.CLUSTER);
        String leftover = clusterExists
                ? "it goes when the cluster is deleted"
                : "left by an interrupted deletion: restart the control plane, which finishes it";
        vault.forEach((vid, v) -> addKeyItem(
                items, actions, ShredReport.Kind.KEY_VAULT_ENTRY, vid, region, v, lookup, leftover, clusterExists));
        pending.forEach((vid, v) -> addKeyItem(
                items,
                actions,
                ShredReport.Kind.PENDING_KEY_VAULT_ENTRY,
                vid,
                region,
                v,
                lookup,
                leftover,
                clusterExists));
        for (String dir : storeDirs(ids)) {
            String owner = dir.substring(0, dir.lastIndexOf("-g"));
            VaultEntry v = vault.get(owner);
            ShredReport.Item item = v == null
                    ? new ShredReport.Item(
                            ShredReport.Kind.STORE,
                            dir,
                            region,
                            "on disk",
                            "unknown",
                            null,
                            true,
                            "its key vault entry is gone, so the root key it depends on is not known here")
                    : item(ShredReport.Kind.STORE, dir, region, "on disk", protectionOf(v), v.rootKeyArn(), lookup);
            items.add(item);
            if (item.readable() && !clusterExists) {
                actions.add("store directory " + dir + " is " + leftover);
            }
        }
        for (SnapshotRecord s : snapshots.records().stream()
                .filter(s -> ids.contains(s.sourceClusterId()))
                .sorted(Comparator.comparing(SnapshotRecord::createTime)
                        .thenComparing(SnapshotRecord::region)
                        .thenComparing(SnapshotRecord::identifier))
                .toList()) {
            addSnapshot(items, actions, s, lookup);
        }

        // Keys remembered from earlier reports, asked again; then remember what this one saw.
        before.rootKeys().forEach(lookup::describe);
        remember(account, region, id, clusterArn, ids, restoredIds, keys.keySet());

        boolean known =
                !ids.isEmpty() || !restoredIds.isEmpty() || !keys.isEmpty() || deletedEvent(account, region, id);
        if (!known) {
            throw new RedshiftApiException(
                    ErrorCode.NOT_FOUND,
                    "ClusterNotFound",
                    404,
                    "Nothing of a cluster " + id + " is known in " + region + ": no cluster, snapshot, copy, key vault"
                            + " entry, deletion event or earlier shredding report names it. Check the identifier and"
                            + " the region (the cluster's own, not a copy's).");
        }
        boolean shredded = items.stream().noneMatch(ShredReport.Item::readable);
        List<String> notes = notes(id, shredded, items, keys.values(), problems);
        if (!shredded) {
            for (ShredReport.RootKey k : keys.values()) {
                boolean needed =
                        items.stream().anyMatch(i -> i.readable() && k.keyArn().equals(i.rootKeyArn()));
                if (needed && k.state().equals("PendingDeletion") && k.deletionDate() != null) {
                    actions.add("root key " + k.keyArn() + " is pending deletion until " + k.deletionDate()
                            + ": what depends on it stays readable until then (the deletion can still be cancelled);"
                            + " run this report again after that date");
                } else if (needed && !k.deleted() && !"AWS".equals(k.keyManager())) {
                    actions.add("or, if root key " + k.keyArn() + " protects nothing else, schedule its deletion: "
                            + k.scheduleDeletionCommand());
                }
            }
        }
        return new ShredReport(
                id,
                account,
                region,
                clusterArn,
                state.clock.instant(),
                shredded,
                items,
                List.copyOf(keys.values()),
                actions,
                notes);
    }

    private List<ClusterEntry> sortedEntries() {
        return state.byId.values().stream()
                .sorted(Comparator.comparing((ClusterEntry e) -> e.rec.createTime())
                        .thenComparing(e -> e.rec.id()))
                .toList();
    }

    private static String protectionOf(VaultEntry v) {
        return v.hsmProtected() ? "HSM" : "KMS";
    }

    /** An item that is encrypted (or not) under {@code keyArn}: readable unless the KMS says the key is gone. */
    private static ShredReport.Item item(
            ShredReport.Kind kind,
            String name,
            String region,
            String status,
            String protection,
            @Nullable String keyArn,
            KeyLookup lookup) {
        boolean readable;
        String reason;
        if (protection.equals("none")) {
            readable = true;
            reason = "not encrypted: readable by whoever has its files";
        } else if (protection.equals("HSM")) {
            readable = true;
            reason = "HSM-protected: reported by the item only (the HSM key's state is not asked), readable while it"
                    + " exists";
        } else if (keyArn == null) {
            readable = true;
            reason = "its root key is not known";
        } else {
            ShredReport.RootKey k = lookup.describe(keyArn);
            readable = !k.deleted();
            reason = k.deleted()
                    ? "depends only on root key " + keyArn + ", which the KMS says is deleted"
                    : "root key " + keyArn + " is " + k.state()
                            + (k.deletionDate() != null ? " (until " + k.deletionDate() + ")" : "")
                            + (k.detail() != null ? ": " + k.detail() : "");
        }
        return new ShredReport.Item(kind, name, region, status, protection, keyArn, readable, reason);
    }

    private static void addKeyItem(
            List<ShredReport.Item> items,
            List<String> actions,
            ShredReport.Kind kind,
            String clusterId,
            String region,
            VaultEntry v,
            KeyLookup lookup,
            String leftover,
            boolean clusterExists) {
        ShredReport.Item item = item(kind, clusterId, region, "stored", protectionOf(v), v.rootKeyArn(), lookup);
        items.add(item);
        if (item.readable() && !clusterExists) {
            actions.add(kind.wireName() + " " + clusterId + " is " + leftover);
        }
    }

    private void addSnapshot(List<ShredReport.Item> items, List<String> actions, SnapshotRecord s, KeyLookup lookup) {
        String protection;
        String keyArn = null;
        if (!s.encrypted() || s.envelope() == null) {
            protection = "none";
        } else {
            VaultEntry env = VaultEntry.decode(s.envelopeBytes(), "snapshot " + s.identifier());
            protection = protectionOf(env);
            keyArn = env.rootKeyArn();
        }
        ShredReport.Kind kind = s.sourceRegion() == null ? ShredReport.Kind.SNAPSHOT : ShredReport.Kind.SNAPSHOT_COPY;
        ShredReport.Item item =
                item(kind, s.identifier(), s.region(), s.type() + ", " + s.status(), protection, keyArn, lookup);
        items.add(item);
        if (!item.readable()) {
            return;
        }
        String what =
                (kind == ShredReport.Kind.SNAPSHOT_COPY ? "copy " : "snapshot ") + s.identifier() + " in " + s.region();
        if (s.automated()) {
            actions.add(what + " is automated and cannot be deleted by hand: it goes when its retention period ends"
                    + (kind == ShredReport.Kind.SNAPSHOT ? " or its cluster is deleted" : "")
                    + (keyArn != null ? ", or when root key " + keyArn + " is deleted" : ""));
        } else {
            actions.add("delete " + what + ": aws redshift delete-cluster-snapshot --snapshot-identifier "
                    + s.identifier() + " --snapshot-cluster-identifier " + s.clusterIdentifier() + " --region "
                    + s.region());
        }
    }

    /** The store directories ({@code <id>-g<n>}) of {@code ids} still on disk, sorted. */
    private List<String> storeDirs(Set<String> ids) {
        if (ids.isEmpty() || !Files.isDirectory(state.storesDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(state.storesDir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.contains("-g") && ids.contains(n.substring(0, n.lastIndexOf("-g"))))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot list " + state.storesDir + ": " + e, e);
        }
    }

    /** Whether the event log still has an event of a cluster with this identifier (it was deleted, say). */
    private boolean deletedEvent(String account, String region, String id) {
        return !state.events
                .query(account, region, id, "cluster", Instant.EPOCH, state.clock.instant())
                .isEmpty();
    }

    private static List<String> notes(
            String id,
            boolean shredded,
            List<ShredReport.Item> items,
            Collection<ShredReport.RootKey> keys,
            List<String> problems) {
        List<String> notes = new ArrayList<>(problems);
        notes.add("Deleted files are unreadable because the keys that wrapped them are gone, not because their bytes"
                + " were overwritten: a copy made outside Strongroom (a disk image, a backup of the key vault or of a"
                + " snapshot store) stays readable for as long as its root key exists.");
        List<ShredReport.RootKey> alive =
                keys.stream().filter(k -> !k.deleted()).toList();
        if (shredded && items.isEmpty() && keys.isEmpty()) {
            notes.add("Nothing of cluster " + id + " remains here, and no report saw its root keys before it went:"
                    + " check in the KMS that the keys it used are deleted, or schedule their deletion, for copies"
                    + " outside this installation.");
        }
        for (ShredReport.RootKey k : alive) {
            if ("AWS".equals(k.keyManager())) {
                notes.add("Root key " + k.keyArn() + " is an AWS managed key (aws/redshift): it cannot be deleted;"
                        + " only deleting every item that depends on it shreds them.");
            } else if (shredded) {
                notes.add("Nothing here depends on root key " + k.keyArn() + " any more, but it is " + k.state()
                        + (k.deletionDate() != null ? " until " + k.deletionDate() : "")
                        + ": as the last step, if it protects nothing else, schedule its deletion so that copies"
                        + " outside this installation cannot be opened either: " + k.scheduleDeletionCommand());
            }
        }
        if (items.stream().anyMatch(i -> i.protection().equals("HSM"))) {
            notes.add("HSM-protected items are reported by the item only: the state of the key in the HSM is not"
                    + " asked, so each counts as readable while it exists.");
        }
        if (keys.stream().anyMatch(k -> k.state().equals(ShredReport.RootKey.UNKNOWN))) {
            notes.add("The state of some root keys could not be learnt (see their detail): what depends on them counts"
                    + " as readable. Allow kms:DescribeKey on them to the caller, or check them in the KMS.");
        }
        notes.add("Clusters restored from its snapshots hold the data under keys of their own; they are listed while"
                + " a snapshot of the cluster or the restore's job record (kept 30 days) links them, and when an"
                + " earlier report saw them.");
        return notes;
    }

    /** Root key states for one report, each key asked once. */
    private final class KeyLookup {
        private final Credential caller;
        private final Map<String, ShredReport.RootKey> seen;

        KeyLookup(Credential caller, Map<String, ShredReport.RootKey> seen) {
            this.caller = caller;
            this.seen = seen;
        }

        ShredReport.RootKey describe(String keyArn) {
            ShredReport.RootKey known = seen.get(keyArn);
            if (known != null) {
                return known;
            }
            ShredReport.RootKey k = ask(keyArn);
            seen.put(keyArn, k);
            return k;
        }

        private ShredReport.RootKey ask(String keyArn) {
            Matcher m = KMS_KEY_ARN.matcher(keyArn);
            if (!m.matches()) {
                return new ShredReport.RootKey(
                        keyArn, "", ShredReport.RootKey.UNKNOWN, null, null, "not a KMS key ARN the report can ask");
            }
            String keyRegion = m.group(1);
            String refusedAsCaller;
            try {
                return state(keyArn, keyRegion, kms.asCaller(caller, keyRegion));
            } catch (KmsException e) {
                if (notFound(e)) {
                    return deleted(keyArn, keyRegion);
                }
                refusedAsCaller = code(e);
            } catch (SdkException e) {
                return new ShredReport.RootKey(
                        keyArn,
                        keyRegion,
                        ShredReport.RootKey.UNKNOWN,
                        null,
                        null,
                        "the KMS did not answer (" + e.getMessage() + "); run the report again once it is reachable");
            }
            try {
                return state(keyArn, keyRegion, kms.asService(keyRegion));
            } catch (KmsException e) {
                if (notFound(e)) {
                    return deleted(keyArn, keyRegion);
                }
                return new ShredReport.RootKey(
                        keyArn,
                        keyRegion,
                        ShredReport.RootKey.UNKNOWN,
                        null,
                        null,
                        "DescribeKey was refused to the caller (" + refusedAsCaller + ") and to the control plane's"
                                + " service principal (" + code(e) + ")");
            } catch (SdkException e) {
                return new ShredReport.RootKey(
                        keyArn,
                        keyRegion,
                        ShredReport.RootKey.UNKNOWN,
                        null,
                        null,
                        "the KMS did not answer (" + e.getMessage() + ")");
            }
        }

        private ShredReport.RootKey state(String keyArn, String keyRegion, KmsClient client) {
            KeyMetadata md = client.describeKey(r -> r.keyId(keyArn)).keyMetadata();
            return new ShredReport.RootKey(
                    keyArn, keyRegion, md.keyStateAsString(), md.deletionDate(), md.keyManagerAsString(), null);
        }

        private static ShredReport.RootKey deleted(String keyArn, String keyRegion) {
            return new ShredReport.RootKey(
                    keyArn, keyRegion, ShredReport.RootKey.DELETED, null, null, "the KMS answered NotFound");
        }

        private static boolean notFound(KmsException e) {
            return code(e).equals("NotFoundException");
        }

        private static String code(KmsException e) {
            return e.awsErrorDetails() == null
                    ? "no error code"
                    : e.awsErrorDetails().errorCode();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // What earlier reports saw

    private @Nullable Path ledgerFile(String account, String region, String id) {
        return SAFE_NAME.matcher(account).matches() && SAFE_NAME.matcher(region).matches()
                ? ledgerDir.resolve(account + "." + region + "." + id + ".json")
                : null;
    }

    private Remembered remembered(String account, String region, String id) {
        Path f = ledgerFile(account, region, id);
        if (f == null || !Files.exists(f)) {
            return new Remembered(Set.of(), Set.of(), Set.of());
        }
        JsonNode n = JsonFiles.readObject(f);
        return new Remembered(strings(n, "clusterIds"), strings(n, "restoredClusterIds"), strings(n, "rootKeys"));
    }

    private static Set<String> strings(JsonNode n, String field) {
        Set<String> out = new TreeSet<>();
        n.path(field).forEach(x -> out.add(x.asText()));
        return out;
    }

    private synchronized void remember(
            String account,
            String region,
            String id,
            String clusterArn,
            Set<String> ids,
            Set<String> restoredIds,
            Set<String> keyArns) {
        Path f = ledgerFile(account, region, id);
        if (f == null || (ids.isEmpty() && restoredIds.isEmpty() && keyArns.isEmpty())) {
            return;
        }
        Remembered before = remembered(account, region, id);
        Map<String, Set<String>> next = new HashMap<>();
        next.put("clusterIds", union(before.clusterIds(), ids));
        next.put("restoredClusterIds", union(before.restoredIds(), restoredIds));
        next.put("rootKeys", union(before.rootKeys(), keyArns));
        if (next.get("clusterIds").equals(before.clusterIds())
                && next.get("restoredClusterIds").equals(before.restoredIds())
                && next.get("rootKeys").equals(before.rootKeys())) {
            return;
        }
        ObjectNode n = JSON.createObjectNode().put("formatVersion", 1).put("clusterArn", clusterArn);
        for (Map.Entry<String, Set<String>> field : next.entrySet()) {
            ArrayNode list = n.putArray(field.getKey());
            field.getValue().forEach(list::add);
        }
        String name = f.getFileName().toString();
        JsonFiles.write(ledgerDir, name.substring(0, name.length() - ".json".length()), n);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        return out;
    }
}
