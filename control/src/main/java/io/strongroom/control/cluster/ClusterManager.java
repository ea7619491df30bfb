package io.strongroom.control.cluster;

import io.strongroom.control.NodeType;
import io.strongroom.control.keyvault.KeyVault;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.kms.Credential;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Runs every cluster operation and owns the clusters' state: durable records ({@code clusters/}), the key vault
 * ({@code keyvault/}), the stores ({@code data/<id>-g<n>/}) and events.
 *
 * <p>How this works. Operations run synchronously inside the API request, so a client's first poll after an
 * operation already sees its outcome (the AWS CLI waiters poll at once, then every 60 s). An operation first moves
 * the cluster to its transitional status under one lock (any other operation on that cluster then answers
 * InvalidClusterState), does its work outside the lock, and ends in {@code available} or in a failure status
 * with an event naming the cause. Responses show the transitional status, as the real service does.
 *
 * <p>Durability: each operation has one commit point, the write of the cluster record. CreateCluster makes the
 * keys, the vault entry and the store first and writes the record last, so a crash before it leaves only
 * unreferenced files, which the next start deletes (retiring the orphaned grant). A resize builds the new store in
 * a new directory and switches the record to it. DeleteCluster marks the record {@code deleting} first, so a
 * restart finishes it. Every start brings each cluster up through the reboot flow.
 *
 * <p>Alternatives rejected: background state machines with timers (waiters would wait a full minute per
 * transitional state, and crash recovery would need a journal of steps); one file for all clusters (every
 * operation would rewrite every cluster's record).
 *
 * <p>Thread-safe.
 */
public final class ClusterManager implements AutoCloseable {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)");
    private static final Pattern USERNAME = Pattern.compile("[a-z][a-z0-9_$]{0,127}");
    private static final Pattern DB_NAME = Pattern.compile("[a-z_][a-z0-9_$]{0,63}");
    private static final Set<String> RESERVED_USERS = Set.of("rdsadmin", "postgres", "public", "user", "admin!");
    private static final EnumSet<ClusterStatus> FAILED =
            EnumSet.of(ClusterStatus.INACCESSIBLE_KEY, ClusterStatus.HARDWARE_FAILURE);

    private final ClusterRegistry registry;
    private final KeyVault vault;
    private final Path storesDir;
    private final EventLog events;
    private final ClusterKeys keys;
    private final KmsAccess kms;
    private final InstantSource clock;
    private final SecureRandom random;
    private final String endpointAddress;
    private final int basePort;
    private final Object lock = new Object();
    private final Map<String, Entry> byId = new ConcurrentHashMap<>();
    private final io.strongroom.control.ClusterListener listener;

    /** A cluster in memory: its record, status and, when up, its running store and keys. */
    private static final class Entry {
        volatile ClusterRecord rec;
        volatile ClusterStatus status;
        volatile @Nullable RunningCluster running;

        Entry(ClusterRecord rec, ClusterStatus status) {
            this.rec = rec;
            this.status = status;
        }
    }

    private ClusterManager(
            Path dataDir,
            KmsAccess kms,
            InstantSource clock,
            SecureRandom random,
            String endpointAddress,
            int basePort,
            io.strongroom.control.ClusterListener listener) {
        this.listener = listener;
        this.registry = new ClusterRegistry(dataDir.resolve("clusters"));
        this.vault = KeyVault.open(dataDir.resolve("keyvault"));
        this.storesDir = dataDir.resolve("data");
        this.events = EventLog.open(dataDir.resolve("events").resolve("events.jsonl"), clock.instant());
        this.kms = kms;
        this.keys = new ClusterKeys(kms, random);
        this.clock = clock;
        this.random = random;
        this.endpointAddress = endpointAddress;
        this.basePort = basePort;
    }

    /**
     * Opens the control plane's state in {@code dataDir}, deletes what unfinished creations and resizes left,
     * finishes interrupted deletions and brings every other cluster up through the reboot flow.
     *
     * @param service the credential of the control plane's service principal (grantee of every cluster grant)
     */
    public static ClusterManager open(
            Path dataDir,
            java.net.URI kmsEndpoint,
            Credential service,
            InstantSource clock,
            SecureRandom random,
            String endpointAddress,
            int basePort,
            io.strongroom.control.ClusterListener listener) {
        KmsAccess kms = new KmsAccess(kmsEndpoint, service);
        ClusterManager m;
        try {
            Files.createDirectories(dataDir.resolve("data"));
            m = new ClusterManager(dataDir, kms, clock, random, endpointAddress, basePort, listener);
        } catch (IOException | RuntimeException e) {
            kms.close();
            throw e instanceof IOException io
                    ? new StrongroomException(ErrorCode.IO_ERROR, "cannot open " + dataDir + ": " + io, io)
                    : (RuntimeException) e;
        }
        m.recover();
        return m;
    }

    private void recover() {
        List<ClusterRecord> records = registry.loadAll();
        Set<String> ids = new HashSet<>();
        Set<String> dirs = new HashSet<>();
        for (ClusterRecord r : records) {
            ids.add(r.id());
            dirs.add(r.storeDir());
            byId.put(r.id(), new Entry(r, r.deleting() ? ClusterStatus.DELETING : ClusterStatus.REBOOTING));
        }
        for (String id : vault.clusterIds()) {
            if (!ids.contains(id)) {
                // A creation that crashed before its commit point: retire its grant, drop its entry.
                try {
                    vault.get(id)
                            .ifPresent(e -> keys.retireGrant(regionOf(e.rootKeyArn()), e.rootKeyArn(), e.grantId()));
                } catch (StrongroomException e) {
                    // A damaged orphan has nothing worth keeping.
                }
                vault.delete(id);
            }
        }
        try (Stream<Path> s = Files.list(storesDir)) {
            for (Path p : s.toList()) {
                if (!dirs.contains(p.getFileName().toString())) {
                    deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot list " + storesDir + ": " + e, e);
        }
        for (Entry e : byId.values()) {
            if (e.rec.deleting()) {
                finishDelete(e);
            } else {
                bringUp(e, true);
            }
        }
    }

    private static String regionOf(String keyArn) {
        String[] p = keyArn.split(":", 6);
        return p.length > 3 ? p[3] : "us-east-1";
    }

    // ---------------------------------------------------------------------------------------------------------
    // CreateCluster

    public ClusterView create(Credential caller, String region, ClusterRequests.Create q) {
        String identifier = identifier(q.identifier(), "ClusterIdentifier");
        NodeType type = nodeType(q.nodeType());
        int nodes = nodeCount(type, q.clusterType(), q.numberOfNodes());
        String user = q.masterUsername().toLowerCase(Locale.ROOT);
        if (!USERNAME.matcher(user).matches() || RESERVED_USERS.contains(user)) {
            throw RedshiftApiException.invalidParameter("MasterUsername must have 1 to 128 letters, digits,"
                    + " underscores or dollar signs, start with a letter, and not be a reserved word.");
        }
        if (q.masterUserPassword() == null) {
            throw RedshiftApiException.missing("MasterUserPassword");
        }
        checkPassword(q.masterUserPassword());
        String db = q.dbName() == null ? "dev" : q.dbName().toLowerCase(Locale.ROOT);
        if (!DB_NAME.matcher(db).matches()) {
            throw RedshiftApiException.invalidParameter(
                    "DBName must have 1 to 64 letters, digits, underscores or dollar signs and start with a letter.");
        }
        if (q.hsmRequested()) {
            throw RedshiftApiException.unsupported(
                    "HSM-protected clusters are not supported yet; use KMS encryption (--encrypted, --kms-key-id).");
        }
        boolean encrypted = q.encrypted() == null || q.encrypted();
        if (!encrypted && q.kmsKeyId() != null) {
            throw RedshiftApiException.invalidCombination("KmsKeyId requires Encrypted=true.");
        }
        if (q.port() != null && (q.port() < 1150 || q.port() > 65535)) {
            throw RedshiftApiException.invalidParameter("Port must be between 1150 and 65535.");
        }
        int automated = retention(q.automatedSnapshotRetentionPeriod(), 1, 0, 35, "AutomatedSnapshotRetentionPeriod");
        int manual = manualRetention(q.manualSnapshotRetentionPeriod());

        // Resolve the root key before reserving anything: a refused key creates nothing.
        String keyArn = encrypted ? keys.resolveRootKey(caller, region, q.kmsKeyId()) : null;

        Instant now = clock.instant();
        String id = "c-" + HexFormat.of().formatHex(randomBytes(10));
        Entry entry;
        synchronized (lock) {
            if (find(caller.accountId(), region, identifier).isPresent()) {
                throw new RedshiftApiException(
                        ErrorCode.ALREADY_EXISTS, "ClusterAlreadyExists", 400, "Cluster already exists");
            }
            int port = allocatePort(q.port());
            ClusterRecord rec = new ClusterRecord(
                    id,
                    identifier,
                    caller.accountId(),
                    region,
                    type,
                    nodes,
                    user,
                    PasswordVerifier.create(q.masterUserPassword(), random),
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
                    manual);
            entry = new Entry(rec, ClusterStatus.CREATING);
            byId.put(id, entry);
        }
        ClusterRecord rec = entry.rec;
        ClusterView response = view(entry, ClusterStatus.CREATING);
        Path storeRoot = storesDir.resolve(rec.storeDir());
        ClusterKeys.Created created = null;
        Store store = null;
        try {
            StoreKeys storeKeys = StoreKeys.unencrypted();
            if (keyArn != null) {
                created = keys.create(caller, region, keyArn, id, rec.arn(), now);
                vault.put(created.entry());
                storeKeys = StoreKeys.of(created.keys().dek);
            }
            store = Store.create(storeRoot, id, new ClusterLayout(nodes, type.slicesPerNode()), storeKeys);
            registry.save(rec); // the commit point
        } catch (RuntimeException e) {
            if (store != null) {
                store.close();
            }
            if (created != null) {
                created.keys().close();
                keys.retireGrant(
                        region, created.entry().rootKeyArn(), created.entry().grantId());
                vault.delete(id);
            }
            deleteTree(storeRoot);
            byId.remove(id);
            throw e instanceof StrongroomException s ? RedshiftApiException.from(s) : e;
        }
        setRunning(
                entry,
                created == null
                        ? new RunningCluster(store, null, null)
                        : new RunningCluster(store, created.keys().cek, created.keys().dek));
        entry.status = ClusterStatus.AVAILABLE;
        event(
                rec,
                "REDSHIFT-EVENT-2000",
                "INFO",
                "Amazon Redshift cluster '" + identifier + "' has been created at " + now
                        + " UTC and is ready for use.",
                "management");
        if (created != null) {
            VaultEntry v = created.entry();
            event(
                    rec,
                    "REDSHIFT-EVENT-3600",
                    "INFO",
                    "Cluster '" + identifier + "' is encrypted: its cluster key"
                            + " was generated by KMS key " + keyArn + " with encryption context "
                            + v.context().pairs()
                            + ", and the cluster holds grant " + v.grantId() + " on that key.",
                    "security");
        } else {
            event(
                    rec,
                    "REDSHIFT-EVENT-3604",
                    "INFO",
                    "Cluster '" + identifier + "' was created unencrypted"
                            + " (Encrypted=false); its data is protected by checksums only.",
                    "security");
        }
        return response;
    }

    // ---------------------------------------------------------------------------------------------------------
    // DescribeClusters, DescribeEvents

    /** The caller's clusters in {@code region} (all, or the one named), oldest first. */
    public List<ClusterView> describe(Credential caller, String region, @Nullable String identifier) {
        if (identifier != null) {
            Entry e = require(caller, region, identifier);
            return List.of(view(e, e.status));
        }
        return byId.values().stream()
                .filter(e -> e.rec.accountId().equals(caller.accountId())
                        && e.rec.region().equals(region))
                .sorted(Comparator.comparing((Entry e) -> e.rec.createTime()).thenComparing(e -> e.rec.identifier()))
                .map(e -> view(e, e.status))
                .toList();
    }

    /**
     * Events of the caller in {@code region}. The window is [StartTime, EndTime]; with Duration (minutes) and no
     * StartTime it is the last Duration minutes before EndTime (or now); with nothing, the last hour.
     */
    public List<ClusterEvent> events(Credential caller, String region, ClusterRequests.Events q) {
        Instant now = clock.instant();
        Instant end = q.endTime() == null ? now : q.endTime();
        Instant start;
        if (q.startTime() != null) {
            start = q.startTime();
            if (q.endTime() == null && q.durationMinutes() != null) {
                end = start.plus(Duration.ofMinutes(q.durationMinutes()));
            }
        } else {
            start = end.minus(Duration.ofMinutes(q.durationMinutes() == null ? 60 : q.durationMinutes()));
        }
        if (q.sourceType() != null
                && !List.of(
                                "cluster",
                                "cluster-parameter-group",
                                "cluster-security-group",
                                "cluster-snapshot",
                                "scheduled-action")
                        .contains(q.sourceType())) {
            throw RedshiftApiException.invalidParameter("SourceType " + q.sourceType() + " is not valid.");
        }
        String source =
                q.sourceIdentifier() == null ? null : q.sourceIdentifier().toLowerCase(Locale.ROOT);
        return events.query(caller.accountId(), region, source, q.sourceType(), start, end);
    }

    // ---------------------------------------------------------------------------------------------------------
    // ModifyCluster, ResizeCluster

    public ClusterView modify(Credential caller, String region, ClusterRequests.Modify q) {
        Entry e = require(caller, region, q.identifier());
        if (q.encrypted() != null && q.encrypted() != e.rec.encrypted()
                || q.kmsKeyId() != null && !q.kmsKeyId().equals(e.rec.kmsKeyArn())) {
            throw RedshiftApiException.unsupported("Changing a cluster's encryption (Encrypted, KmsKeyId) migrates it"
                    + " to a new store, which is not supported yet. To use another key, restore a snapshot into a"
                    + " new cluster once snapshots exist (issue 6).");
        }
        if (q.hsmRequested()) {
            throw RedshiftApiException.unsupported("HSM-protected clusters are not supported yet.");
        }
        String newId = q.newIdentifier() == null ? null : identifier(q.newIdentifier(), "NewClusterIdentifier");
        boolean layoutChange = q.nodeType() != null || q.numberOfNodes() != null || q.clusterType() != null;
        NodeType type = q.nodeType() == null ? e.rec.nodeType() : nodeType(q.nodeType());
        int nodes = layoutChange
                ? nodeCount(
                        type, q.clusterType(), q.numberOfNodes() == null ? e.rec.numberOfNodes() : q.numberOfNodes())
                : e.rec.numberOfNodes();
        if (q.masterUserPassword() != null) {
            checkPassword(q.masterUserPassword());
        }
        int automated = retention(
                q.automatedSnapshotRetentionPeriod(),
                e.rec.automatedSnapshotRetentionPeriod(),
                0,
                35,
                "AutomatedSnapshotRetentionPeriod");
        int manual = q.manualSnapshotRetentionPeriod() == null
                ? e.rec.manualSnapshotRetentionPeriod()
                : manualRetention(q.manualSnapshotRetentionPeriod());
        ClusterStatus shown = newId != null
                ? ClusterStatus.RENAMING
                : layoutChange ? ClusterStatus.RESIZING : ClusterStatus.MODIFYING;
        synchronized (lock) {
            begin(e, EnumSet.of(ClusterStatus.AVAILABLE), shown);
            if (newId != null
                    && !newId.equals(e.rec.identifier())
                    && find(caller.accountId(), region, newId).isPresent()) {
                e.status = ClusterStatus.AVAILABLE;
                throw new RedshiftApiException(
                        ErrorCode.ALREADY_EXISTS, "ClusterAlreadyExists", 400, "Cluster already exists");
            }
        }
        try {
            ClusterRecord before = e.rec;
            ClusterRecord next = before;
            if (q.masterUserPassword() != null) {
                next = next.withPasswordVerifier(PasswordVerifier.create(q.masterUserPassword(), random));
            }
            next = next.withRetention(automated, manual);
            if (!next.equals(before)) {
                registry.save(next);
                e.rec = next;
            }
            if (q.masterUserPassword() != null) {
                event(
                        next,
                        "REDSHIFT-EVENT-4000",
                        "INFO",
                        "Master credentials for cluster '" + next.identifier() + "' were updated.",
                        "security",
                        "management");
            }
            if (layoutChange && (type != next.nodeType() || nodes != next.numberOfNodes())) {
                resizeNow(e, type, nodes, "ClassicResize");
            }
            if (newId != null && !newId.equals(e.rec.identifier())) {
                ClusterRecord renamed = e.rec.withIdentifier(newId);
                registry.save(renamed);
                e.rec = renamed;
                event(
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
            ClusterView response = new ClusterView(e.rec, shown, endpointAddress, q.masterUserPassword() != null, null);
            return response;
        } finally {
            e.status = e.running != null ? ClusterStatus.AVAILABLE : e.status;
        }
    }

    public ClusterView resize(Credential caller, String region, ClusterRequests.Resize q) {
        Entry e = require(caller, region, q.identifier());
        NodeType type = q.nodeType() == null ? e.rec.nodeType() : nodeType(q.nodeType());
        int nodes =
                nodeCount(type, q.clusterType(), q.numberOfNodes() == null ? e.rec.numberOfNodes() : q.numberOfNodes());
        String resizeType = q.classic() ? "ClassicResize" : "ElasticResize";
        synchronized (lock) {
            begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.RESIZING);
        }
        try {
            resizeNow(e, type, nodes, resizeType);
            return new ClusterView(e.rec, ClusterStatus.RESIZING, endpointAddress, false, resizeType);
        } finally {
            e.status = ClusterStatus.AVAILABLE;
        }
    }

    /**
     * Moves the cluster's tables into a new store laid out as {@code nodes x slicesPerNode}: rows are spread over
     * the new slices by each table's distribution style. The same DEK protects the new store. The record's switch
     * to the new directory is the commit point; a crash before it leaves the old store in use and the new
     * directory unreferenced (deleted at the next start).
     */
    private void resizeNow(Entry e, NodeType type, int nodes, String resizeType) {
        ClusterRecord old = e.rec;
        RunningCluster run = e.running;
        if (run == null) {
            throw RedshiftApiException.invalidState("Cluster " + old.identifier() + " is not running.");
        }
        event(
                old,
                "REDSHIFT-EVENT-2006",
                "INFO",
                "Resize of cluster '" + old.identifier() + "' from "
                        + old.numberOfNodes() + " x " + old.nodeType() + " to " + nodes + " x " + type + " ("
                        + resizeType
                        + ") started.",
                "management");
        String newDir = nextStoreDir(old);
        Path target = storesDir.resolve(newDir);
        deleteTree(target);
        Store fresh = null;
        try {
            StoreKeys k = run.databaseKey() == null ? StoreKeys.unencrypted() : StoreKeys.of(run.databaseKey());
            fresh = Store.create(target, old.id(), new ClusterLayout(nodes, type.slicesPerNode()), k);
            copyTables(run.store(), fresh);
            ClusterRecord next = old.withLayout(type, nodes, newDir);
            registry.save(next); // the commit point
            e.rec = next;
        } catch (RuntimeException ex) {
            if (fresh != null) {
                fresh.close();
            }
            deleteTree(target);
            event(
                    old,
                    "REDSHIFT-EVENT-3500",
                    "ERROR",
                    "Resize of cluster '" + old.identifier() + "' failed: " + ex.getMessage()
                            + ". The cluster keeps its previous configuration.",
                    "management");
            throw ex instanceof StrongroomException s ? RedshiftApiException.from(s) : ex;
        }
        listener.down(e.rec.id());
        setRunning(e, run.withStore(fresh));
        deleteTree(storesDir.resolve(old.storeDir()));
        event(
                e.rec,
                "REDSHIFT-EVENT-3002",
                "INFO",
                "Resize of cluster '" + old.identifier() + "' completed: " + nodes + " x " + type + ", "
                        + nodes * type.slicesPerNode() + " slices.",
                "management");
    }

    private static void copyTables(Store from, Store to) {
        try (Snapshot snap = from.snapshot();
                Transaction tx = to.begin()) {
            for (TableSpec spec : snap.tables()) {
                tx.createTable(spec);
                TableReader r = snap.table(spec.qualifiedName());
                for (TableReader.SliceScan scan :
                        r.scan(ScanSpec.all(spec.columns().size()))) {
                    while (scan.hasNext()) {
                        tx.append(spec.qualifiedName(), scan.next());
                    }
                }
            }
            tx.commit();
        }
    }

    private static String nextStoreDir(ClusterRecord r) {
        String d = r.storeDir();
        int g = d.lastIndexOf("-g");
        int gen = g < 0 ? 1 : Integer.parseInt(d.substring(g + 2));
        return r.id() + "-g" + (gen + 1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // RebootCluster, DeleteCluster

    public ClusterView reboot(Credential caller, String region, String identifier) {
        Entry e = require(caller, region, identifier);
        synchronized (lock) {
            begin(
                    e,
                    EnumSet.of(ClusterStatus.AVAILABLE, ClusterStatus.INACCESSIBLE_KEY, ClusterStatus.HARDWARE_FAILURE),
                    ClusterStatus.REBOOTING);
        }
        ClusterView response = view(e, ClusterStatus.REBOOTING);
        closeRunning(e);
        bringUp(e, false);
        return response;
    }

    public ClusterView delete(Credential caller, String region, ClusterRequests.Delete q) {
        Entry e = require(caller, region, q.identifier());
        if (!q.skipFinalClusterSnapshot()) {
            if (q.finalClusterSnapshotIdentifier() == null) {
                throw RedshiftApiException.invalidCombination("FinalClusterSnapshotIdentifier is required unless"
                        + " SkipFinalClusterSnapshot is specified.");
            }
            throw RedshiftApiException.unsupported("Final cluster snapshots arrive with snapshots (issue 6). Delete"
                    + " with SkipFinalClusterSnapshot (--skip-final-cluster-snapshot); the cluster's data is then"
                    + " deleted for good.");
        }
        synchronized (lock) {
            begin(
                    e,
                    EnumSet.of(ClusterStatus.AVAILABLE, ClusterStatus.INACCESSIBLE_KEY, ClusterStatus.HARDWARE_FAILURE),
                    ClusterStatus.DELETING);
        }
        ClusterView response = view(e, ClusterStatus.DELETING);
        ClusterRecord marked = e.rec.withDeleting();
        registry.save(marked);
        e.rec = marked;
        finishDelete(e);
        return response;
    }

    /**
     * Deletes a cluster marked {@code deleting}: store, grant, vault entry, record, in that order; a crash at any
     * step leaves the record, and the next start runs this again.
     */
    private void finishDelete(Entry e) {
        ClusterRecord r = e.rec;
        closeRunning(e);
        deleteTree(storesDir.resolve(r.storeDir()));
        if (r.encrypted()) {
            Optional<VaultEntry> v;
            try {
                v = vault.get(r.id());
            } catch (StrongroomException ex) {
                v = Optional.empty();
            }
            if (v.isPresent()
                    && !keys.retireGrant(
                            r.region(), v.get().rootKeyArn(), v.get().grantId())) {
                event(
                        r,
                        "REDSHIFT-EVENT-3605",
                        "ERROR",
                        "Grant " + v.get().grantId() + " on KMS key "
                                + v.get().rootKeyArn() + " of deleted cluster '" + r.identifier()
                                + "' could not be retired;"
                                + " revoke it with kms revoke-grant.",
                        "security");
            }
            vault.delete(r.id());
        }
        registry.delete(r.id());
        byId.remove(r.id());
        event(
                r,
                "REDSHIFT-EVENT-2001",
                "INFO",
                "Amazon Redshift cluster '" + r.identifier() + "' has been deleted" + " at " + clock.instant()
                        + " UTC. A final snapshot was not saved.",
                "management");
    }

    // ---------------------------------------------------------------------------------------------------------
    // The reboot flow

    /**
     * Brings a cluster up: unwrap its keys through the KMS (Decrypt with the stored context, then the DEK under the
     * CEK) and open its store. On failure the cluster stays down with a status and an event naming the cause.
     */
    private void bringUp(Entry e, boolean atStart) {
        ClusterRecord r = e.rec;
        ClusterKeys.Unlocked k = null;
        try {
            Path dir = storesDir.resolve(r.storeDir());
            if (!r.encrypted()) {
                setRunning(e, new RunningCluster(Store.open(dir, StoreKeys.unencrypted()), null, null));
            } else {
                VaultEntry v = vault.get(r.id())
                        .orElseThrow(() -> new StrongroomException(
                                ErrorCode.INTEGRITY_FAILURE,
                                "the key vault has no entry for cluster " + r.identifier() + " (" + r.id()
                                        + "); restore " + vault.dir() + " from a backup"));
                k = keys.unlock(v, r.region());
                Store store = Store.open(dir, StoreKeys.of(k.dek));
                setRunning(e, new RunningCluster(store, k.cek, k.dek));
                k = null;
                event(
                        r,
                        "REDSHIFT-EVENT-3601",
                        "INFO",
                        "Cluster '" + r.identifier() + "' loaded its keys: KMS key "
                                + v.rootKeyArn() + " decrypted its cluster key with encryption context "
                                + v.context().pairs()
                                + ".",
                        "security");
            }
            e.status = ClusterStatus.AVAILABLE;
            event(
                    r,
                    "REDSHIFT-EVENT-3000",
                    "INFO",
                    "Cluster '" + r.identifier() + "' " + (atStart ? "started with the control plane" : "rebooted")
                            + " at " + clock.instant() + " UTC.",
                    atStart ? new String[] {"management", "monitoring"} : new String[] {"management"});
        } catch (StrongroomException ex) {
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
            event(
                    r,
                    keyProblem ? "REDSHIFT-EVENT-3602" : "REDSHIFT-EVENT-3603",
                    "ERROR",
                    "Cluster '" + r.identifier() + "' is not serving: it " + what,
                    keyProblem ? new String[] {"security", "monitoring"} : new String[] {"monitoring"});
        }
    }

    private void closeRunning(Entry e) {
        RunningCluster run = e.running;
        e.running = null;
        if (run != null) {
            try {
                listener.down(e.rec.id());
            } finally {
                run.close();
            }
        }
    }

    /** Records that {@code e} is up with {@code run} and tells the listener. */
    private void setRunning(Entry e, RunningCluster run) {
        e.running = run;
        try {
            listener.up(e.rec.id(), () -> view(e, e.status), run);
        } catch (RuntimeException ex) {
            event(
                    e.rec,
                    "REDSHIFT-EVENT-3604",
                    "ERROR",
                    "Cluster '" + e.rec.identifier() + "' is up but its SQL endpoint did not start: " + ex.getMessage(),
                    "monitoring");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Access for the rest of the process

    /** The running cluster {@code identifier} of {@code accountId} in {@code region}, if it is up. */
    public Optional<RunningCluster> running(String accountId, String region, String identifier) {
        return find(accountId, region, identifier).map(e -> e.running);
    }

    /** Every cluster's view, for status pages. */
    public List<ClusterView> all() {
        return byId.values().stream().map(e -> view(e, e.status)).toList();
    }

    @Override
    public void close() {
        synchronized (lock) {
            for (Entry e : byId.values()) {
                closeRunning(e);
            }
        }
        events.close();
        kms.close();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    private void begin(Entry e, Set<ClusterStatus> allowed, ClusterStatus next) {
        if (!byId.containsKey(e.rec.id())) {
            throw RedshiftApiException.clusterNotFound(e.rec.identifier());
        }
        if (!allowed.contains(e.status)) {
            throw RedshiftApiException.invalidState("There is an operation running on the Cluster "
                    + e.rec.identifier() + " (status " + e.status.wireName() + "). Please try again later."
                    + (FAILED.contains(e.status) ? " Reboot the cluster once the cause in its events is fixed." : ""));
        }
        e.status = next;
    }

    private Entry require(Credential caller, String region, String identifier) {
        return find(caller.accountId(), region, identifier.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> RedshiftApiException.clusterNotFound(identifier));
    }

    private Optional<Entry> find(String accountId, String region, String identifier) {
        String id = identifier.toLowerCase(Locale.ROOT);
        return byId.values().stream()
                .filter(e -> e.rec.accountId().equals(accountId)
                        && e.rec.region().equals(region)
                        && e.rec.identifier().equals(id))
                .findFirst();
    }

    private ClusterView view(Entry e, ClusterStatus status) {
        return new ClusterView(e.rec, status, endpointAddress, false, null);
    }

    private void event(ClusterRecord r, String eventId, String severity, String message, String... categories) {
        events.add(new ClusterEvent(
                r.accountId(),
                r.region(),
                r.identifier(),
                "cluster",
                message,
                List.of(categories),
                severity,
                clock.instant(),
                eventId));
    }

    private int allocatePort(@Nullable Integer requested) {
        Set<Integer> used = new HashSet<>();
        byId.values().forEach(e -> used.add(e.rec.port()));
        if (requested != null) {
            if (used.contains(requested)) {
                throw RedshiftApiException.invalidParameter(
                        "Port " + requested + " is used by another cluster of this control plane; choose another.");
            }
            return requested;
        }
        for (int p = basePort; p < Math.min(65536, basePort + 1000); p++) {
            if (!used.contains(p) && bindable(p)) {
                return p;
            }
        }
        throw new RedshiftApiException(
                ErrorCode.INVALID_STATE, "InsufficientClusterCapacity", 400, "No free port for a new cluster.");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String identifier(String raw, String parameter) {
        String id = raw.toLowerCase(Locale.ROOT);
        if (!IDENTIFIER.matcher(id).matches()) {
            throw RedshiftApiException.invalidParameter(parameter + " must have 1 to 63 lowercase letters, digits"
                    + " or hyphens, start with a letter, and not end with a hyphen or contain two consecutive"
                    + " hyphens.");
        }
        return id;
    }

    private static NodeType nodeType(String raw) {
        return NodeType.of(raw)
                .orElseThrow(() -> RedshiftApiException.invalidParameter("Invalid node type: " + raw + ". Supported:"
                        + " ra3.xlplus, ra3.4xlarge, ra3.16xlarge, dc2.large, dc2.8xlarge, ds2.xlarge, ds2.8xlarge."));
    }

    private static int nodeCount(NodeType type, @Nullable String clusterType, @Nullable Integer requested) {
        if (clusterType != null && !clusterType.equals("single-node") && !clusterType.equals("multi-node")) {
            throw RedshiftApiException.invalidParameter("ClusterType must be single-node or multi-node.");
        }
        int nodes;
        if ("single-node".equals(clusterType)) {
            if (requested != null && requested != 1) {
                throw RedshiftApiException.invalidCombination(
                        "A single-node cluster has 1 node; NumberOfNodes " + requested + " needs multi-node.");
            }
            nodes = 1;
        } else if ("multi-node".equals(clusterType)) {
            if (requested == null || requested < 2) {
                throw RedshiftApiException.invalidParameter("A multi-node cluster needs NumberOfNodes of 2 or more.");
            }
            nodes = requested;
        } else {
            nodes = requested == null ? 1 : requested;
        }
        if (nodes < 1) {
            throw RedshiftApiException.invalidParameter("NumberOfNodes must be at least 1.");
        }
        if (nodes == 1 && !type.allowsSingleNode()) {
            throw RedshiftApiException.invalidCombination("Node type " + type
                    + " does not support single-node clusters; use " + type.minMultiNodes() + " or more nodes.");
        }
        if (nodes > type.maxNodes()) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "NumberOfNodesPerClusterLimitExceeded",
                    400,
                    "Node type " + type + " allows at most " + type.maxNodes() + " nodes per cluster.");
        }
        return nodes;
    }

    /** Checks a master password without ever putting it in a message. */
    private static void checkPassword(String p) {
        boolean upper = false;
        boolean lower = false;
        boolean digit = false;
        boolean bad = p.length() < 8 || p.length() > 64;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= c >= '0' && c <= '9';
            bad |= c < 33 || c > 126 || "'\"\\/@".indexOf(c) >= 0;
        }
        if (bad || !upper || !lower || !digit) {
            throw RedshiftApiException.invalidParameter("MasterUserPassword must have 8 to 64 printable ASCII"
                    + " characters with at least one uppercase letter, one lowercase letter and one digit, and no"
                    + " space, ' \" \\ / or @.");
        }
    }

    private static int retention(@Nullable Integer v, int dflt, int min, int max, String name) {
        if (v == null) {
            return dflt;
        }
        if (v < min || v > max) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "InvalidRetentionPeriodFault",
                    400,
                    name + " must be between " + min + " and " + max + ".");
        }
        return v;
    }

    private static int manualRetention(@Nullable Integer v) {
        if (v == null) {
            return -1;
        }
        if (v != -1 && (v < 1 || v > 3653)) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "InvalidRetentionPeriodFault",
                    400,
                    "ManualSnapshotRetentionPeriod must be -1 or between 1 and 3653.");
        }
        return v;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot delete " + root + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "ClusterManager[" + byId.size() + " clusters, vault " + vault.dir() + "]";
    }
}
