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
import io.strongroom.storage.SnapshotStore;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
    private static final Pattern SNAPSHOT_IDENTIFIER = Pattern.compile("[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)");
    private static final java.time.format.DateTimeFormatter AUTOMATED_NAME =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss", Locale.ROOT)
                    .withZone(java.time.ZoneOffset.UTC);

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
    private final Path snapshotsDir;
    private final SnapshotPolicy snapshotPolicy;
    private final SnapshotStore.Faults snapshotFaults;
    private final Map<String, SnapshotStore> snapshotStores = new ConcurrentHashMap<>();
    private final Map<String, SnapshotRecord> snapshots = new ConcurrentHashMap<>();
    private final List<TableRestoreStatus> tableRestores = new CopyOnWriteArrayList<>();
    private @Nullable ScheduledExecutorService scheduler;
    /** Set by close: a background rotation that fails then leaves the settling to the next start. */
    private volatile boolean closing;

    /** A cluster in memory: its record, status and, when up, its running store and keys. */
    private static final class Entry {
        volatile ClusterRecord rec;
        volatile ClusterStatus status;
        volatile @Nullable RunningCluster running;
        volatile @Nullable RestoreInfo restore;
        /** Key rotation progress while the status is rotating-keys. */
        volatile @Nullable String progress;

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
            io.strongroom.control.ClusterListener listener,
            SnapshotPolicy snapshotPolicy,
            SnapshotStore.Faults snapshotFaults) {
        this.listener = listener;
        this.snapshotsDir = dataDir.resolve("snapshots");
        this.snapshotPolicy = snapshotPolicy;
        this.snapshotFaults = snapshotFaults;
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
        return open(
                dataDir,
                kmsEndpoint,
                service,
                clock,
                random,
                endpointAddress,
                basePort,
                listener,
                SnapshotPolicy.DEFAULT,
                SnapshotStore.Faults.NONE);
    }

    /**
     * As above, with the automated snapshot policy and the snapshot store's fault injector (crash tests; production
     * passes {@link SnapshotStore.Faults#NONE}).
     */
    public static ClusterManager open(
            Path dataDir,
            java.net.URI kmsEndpoint,
            Credential service,
            InstantSource clock,
            SecureRandom random,
            String endpointAddress,
            int basePort,
            io.strongroom.control.ClusterListener listener,
            SnapshotPolicy policy,
            SnapshotStore.Faults snapshotFaults) {
        KmsAccess kms = new KmsAccess(kmsEndpoint, service);
        ClusterManager m;
        try {
            Files.createDirectories(dataDir.resolve("data"));
            m = new ClusterManager(
                    dataDir, kms, clock, random, endpointAddress, basePort, listener, policy, snapshotFaults);
        } catch (IOException | RuntimeException e) {
            kms.close();
            throw e instanceof IOException io
                    ? new StrongroomException(ErrorCode.IO_ERROR, "cannot open " + dataDir + ": " + io, io)
                    : (RuntimeException) e;
        }
        m.recover();
        if (!policy.checkEvery().isZero()) {
            ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "strongroom-snapshot-schedule");
                t.setDaemon(true);
                return t;
            });
            long every = policy.checkEvery().toMillis();
            s.scheduleWithFixedDelay(
                    () -> {
                        try {
                            m.runSnapshotSchedule();
                        } catch (RuntimeException e) {
                            // each failure has its event; the next run tries again
                        }
                    },
                    every,
                    every,
                    TimeUnit.MILLISECONDS);
            m.scheduler = s;
        }
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
        recoverSnapshots();
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
                    + " new cluster.");
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
        ClusterRecord before = e.rec;
        synchronized (lock) {
            begin(e, EnumSet.of(ClusterStatus.AVAILABLE), shown);
            if (newId != null
                    && !newId.equals(e.rec.identifier())
                    && find(caller.accountId(), region, newId).isPresent()) {
                e.status = ClusterStatus.AVAILABLE;
                throw new RedshiftApiException(
                        ErrorCode.ALREADY_EXISTS, "ClusterAlreadyExists", 400, "Cluster already exists");
            }
            if (newId != null && !newId.equals(e.rec.identifier())) {
                // The new name is taken under the lock that checked it, so no concurrent create or rename can
                // claim it in between.
                ClusterRecord renamed = e.rec.withIdentifier(newId);
                try {
                    registry.save(renamed);
                } catch (RuntimeException ex) {
                    e.status = ClusterStatus.AVAILABLE;
                    throw ex;
                }
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
        }
        try {
            ClusterRecord next = e.rec;
            if (q.masterUserPassword() != null) {
                next = next.withPasswordVerifier(PasswordVerifier.create(q.masterUserPassword(), random));
            }
            next = next.withRetention(automated, manual);
            if (!next.equals(e.rec)) {
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
            ClusterView response =
                    new ClusterView(e.rec, shown, endpointAddress, q.masterUserPassword() != null, null, e.restore);
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
            return new ClusterView(e.rec, ClusterStatus.RESIZING, endpointAddress, false, resizeType, e.restore);
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
        // Stop serving SQL first: a write committed to the old store after the copy's snapshot would be lost.
        listener.down(old.id());
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
            setRunning(e, run); // serve the old store again
            event(
                    old,
                    "REDSHIFT-EVENT-3500",
                    "ERROR",
                    "Resize of cluster '" + old.identifier() + "' failed: " + ex.getMessage()
                            + ". The cluster keeps its previous configuration.",
                    "management");
            throw ex instanceof StrongroomException s ? RedshiftApiException.from(s) : ex;
        }
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
    // RotateEncryptionKey

    /*
     * How a rotation runs (in the background; the response says rotating-keys at once):
     *  1. KMS GenerateDataKey under the cluster's root key with its frozen encryption context: the new CEK; a new
     *     random DEK wrapped by it. Both old and new wrapped keys are then stored in the vault (the new one as the
     *     pending entry) before the store writes anything under the new DEK.
     *  2. The store rotates online (storage KeyRotation): every block key rewrapped, metadata only; progress goes to
     *     ModifyStatus and events.
     *  3. Every snapshot of the cluster has its key envelope rewrapped under the new CEK; its DEK is unchanged.
     *  4. The pending entry becomes the only one; the old CEK is zeroed now, the old DEK once the store's last
     *     reader from before the switch closes.
     * A crash anywhere: the next start finds the pending entry and asks the store which DEK seals its committed
     * version (settleRotation): the new one completes steps 3-4, the old one abandons the rotation.
     */

    /** RotateEncryptionKey: starts a rotation of the cluster's CEK and DEK and answers rotating-keys. */
    public ClusterView rotateEncryptionKey(Credential caller, String region, String identifier) {
        String id = identifier.toLowerCase(Locale.ROOT);
        Optional<Entry> found = find(caller.accountId(), region, id);
        if (found.isEmpty()) {
            List<String> orphans = snapshots.values().stream()
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
        Entry e = found.get();
        if (!e.rec.encrypted()) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_STATE,
                    "UnsupportedOperation",
                    400,
                    "Cluster " + e.rec.identifier() + " is not encrypted: it has no encryption keys to rotate.");
        }
        synchronized (lock) {
            // A snapshot being taken recorded the current envelope; its image must be read under the same keys.
            // Snapshot creation saves its record under this lock, and refuses a cluster that is rotating keys.
            boolean snapshotting = snapshots.values().stream()
                    .anyMatch(s ->
                            s.sourceClusterId().equals(e.rec.id()) && s.status().equals("creating"));
            if (snapshotting) {
                throw RedshiftApiException.invalidState("A snapshot of cluster " + e.rec.identifier()
                        + " is being taken; rotate its keys once the snapshot is available.");
            }
            begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.ROTATING_KEYS);
            if (e.running == null) {
                e.status = ClusterStatus.AVAILABLE;
                throw RedshiftApiException.invalidState("Cluster " + e.rec.identifier() + " is not running.");
            }
            e.progress = "rotating-keys: starting";
        }
        ClusterView response = view(e, ClusterStatus.ROTATING_KEYS);
        Thread.ofPlatform().daemon().name("strongroom-rotate-" + e.rec.id()).start(() -> rotateKeys(e));
        return response;
    }

    private void rotateKeys(Entry e) {
        ClusterRecord r = e.rec;
        RunningCluster run = java.util.Objects.requireNonNull(e.running);
        long t0 = System.nanoTime();
        ClusterKeys.@Nullable Created fresh = null;
        boolean pendingStored = false;
        try {
            VaultEntry old = vault.get(r.id())
                    .orElseThrow(() -> RedshiftApiException.invalidState(
                            "The key vault has no entry for cluster " + r.identifier() + "."));
            int dekVersion = Math.max(run.store().newestKeyVersion(), old.dekVersion()) + 1;
            fresh = keys.rotate(old, r.region(), old.cekVersion() + 1, dekVersion, clock.instant());
            vault.putPending(fresh.entry());
            pendingStored = true;
            event(
                    r,
                    "REDSHIFT-EVENT-3620",
                    "INFO",
                    "Key rotation of cluster '" + r.identifier() + "' started: KMS key " + old.rootKeyArn()
                            + " generated cluster key v" + fresh.entry().cekVersion() + " with encryption context "
                            + old.context().pairs() + "; database key v" + dekVersion + ".",
                    "security",
                    "management");
            ClusterKeys.Unlocked next = fresh.keys();
            io.strongroom.crypto.DatabaseKey oldDek = java.util.Objects.requireNonNull(run.databaseKey());
            io.strongroom.crypto.ClusterKey oldCek = java.util.Objects.requireNonNull(run.clusterKey());
            int[] quartile = {0};
            run.store().rotateDatabaseKey(next.dek, new io.strongroom.storage.KeyRotation.Listener() {
                @Override
                public void progress(long rewrapped, long total) {
                    e.progress = "rotating-keys: " + rewrapped + " of " + total + " block keys rewrapped";
                    int q = total == 0 ? 4 : (int) (rewrapped * 4 / total);
                    if (q > quartile[0] && q < 4) {
                        quartile[0] = q;
                        event(
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
            vault.finishRotation(fresh.entry());
            oldCek.close();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            e.progress = null;
            e.status = ClusterStatus.AVAILABLE;
            event(
                    r,
                    "REDSHIFT-EVENT-3622",
                    "INFO",
                    "Key rotation of cluster '" + r.identifier() + "' completed in " + ms + " ms: cluster key v"
                            + fresh.entry().cekVersion() + ", database key v" + dekVersion + "; " + rewrapped
                            + " snapshot key envelopes rewrapped.",
                    "security",
                    "management");
        } catch (RuntimeException ex) {
            e.progress = null;
            event(
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
                return;
            }
            ClusterKeys.Created made = java.util.Objects.requireNonNull(fresh);
            boolean switched;
            boolean usable;
            try {
                switched = Store.committedKeyVersion(storesDir.resolve(r.storeDir()))
                        == made.entry().dekVersion();
                run.store().snapshot().close();
                usable = true;
            } catch (RuntimeException probe) {
                switched = true; // unknown: let the reboot flow read the store and decide
                usable = false;
            }
            if (closing) {
                // The control plane is stopping (which closed the store under us): the next start settles the
                // rotation from the pending vault entry and what the store committed.
                return;
            }
            if (!switched && usable) {
                // Nothing was committed under the new keys: abandon the rotation, keep serving.
                vault.abandonRotation(r.id());
                made.keys().close();
                e.status = ClusterStatus.AVAILABLE;
                return;
            }
            // Where the store stopped decides: the reboot flow completes or abandons the rotation.
            boolean present;
            synchronized (lock) {
                present = byId.containsKey(r.id()) && !closing;
                if (present) {
                    e.status = ClusterStatus.REBOOTING;
                }
            }
            if (present) {
                closeRunning(e);
                bringUp(e, false);
            }
        }
    }

    /**
     * After a crash during a rotation: the store's commit pointer says whether the rotation committed. If it did,
     * finish it (snapshot envelopes, then the vault) and return the new entry; if not, drop the pending entry and
     * return the old one.
     */
    private VaultEntry settleRotation(ClusterRecord r, Path dir, VaultEntry current, VaultEntry pending) {
        if (pending.dekVersion() == current.dekVersion() && pending.cekVersion() == current.cekVersion()) {
            vault.abandonRotation(r.id()); // finished; only the pending file was left
            return current;
        }
        int committed = Store.committedKeyVersion(dir);
        if (committed != pending.dekVersion()) {
            vault.abandonRotation(r.id());
            event(
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
        try (ClusterKeys.Unlocked old = keys.unlock(current, r.region());
                ClusterKeys.Unlocked next = keys.unlock(pending, r.region())) {
            int n = rewrapSnapshots(r, current, old.cek, pending, next.cek);
            vault.finishRotation(pending);
            event(
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
     * Rewraps the key envelope of every snapshot of cluster {@code r} under the new CEK: the snapshot's own DEK
     * (whatever its version) is unwrapped, with the old CEK when the envelope holds it or else through the KMS, and
     * wrapped under the new one. Envelopes already under the new CEK (a resumed rotation) and copies under
     * another region's root key are left as they are. Returns how many were rewrapped.
     */
    private int rewrapSnapshots(
            ClusterRecord r,
            VaultEntry oldEntry,
            io.strongroom.crypto.ClusterKey oldCek,
            VaultEntry newEntry,
            io.strongroom.crypto.ClusterKey newCek) {
        int n = 0;
        for (SnapshotRecord s : List.copyOf(snapshots.values())) {
            if (!s.sourceClusterId().equals(r.id()) || !s.encrypted() || s.envelope() == null) {
                continue;
            }
            VaultEntry se = VaultEntry.decode(s.envelopeBytes(), s.identifier());
            if (!se.rootKeyArn().equals(newEntry.rootKeyArn())
                    || (se.cekVersion() == newEntry.cekVersion()
                            && se.wrappedCek().equals(newEntry.wrappedCek()))) {
                continue;
            }
            io.strongroom.crypto.KeyInfo dekInfo = VaultEntry.dekInfo(se.clusterId(), se.dekVersion());
            io.strongroom.crypto.WrappedKey rewrapped;
            if (se.cekVersion() == oldEntry.cekVersion() && se.wrappedCek().equals(oldEntry.wrappedCek())) {
                try (io.strongroom.crypto.DatabaseKey dek =
                        oldCek.unwrapDatabaseKey(se.wrappedDek(), dekInfo, se.clusterId())) {
                    rewrapped = newCek.wrap(dek, se.clusterId());
                }
            } else {
                try (ClusterKeys.Unlocked k = keys.unlock(se, r.region())) {
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
                    se.createdAt());
            saveSnapshot(s.withEnvelope(java.util.Base64.getEncoder().encodeToString(ne.encode())));
            n++;
        }
        return n;
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
        } else if (q.finalClusterSnapshotIdentifier() != null) {
            throw RedshiftApiException.invalidCombination(
                    "FinalClusterSnapshotIdentifier cannot be given with SkipFinalClusterSnapshot.");
        }
        boolean finalSnapshot = !q.skipFinalClusterSnapshot();
        String requestedFinal = q.finalClusterSnapshotIdentifier();
        String finalId = requestedFinal != null && finalSnapshot ? snapshotIdentifier(requestedFinal) : null;
        int finalRetention = manualRetention(q.finalClusterSnapshotRetentionPeriod());
        SnapshotRecord pending = null;
        synchronized (lock) {
            if (finalId != null) {
                checkSnapshotFree(caller.accountId(), region, finalId);
            }
            begin(
                    e,
                    finalSnapshot
                            ? EnumSet.of(ClusterStatus.AVAILABLE)
                            : EnumSet.of(
                                    ClusterStatus.AVAILABLE,
                                    ClusterStatus.INACCESSIBLE_KEY,
                                    ClusterStatus.HARDWARE_FAILURE),
                    finalSnapshot ? ClusterStatus.FINAL_SNAPSHOT : ClusterStatus.DELETING);
            if (finalId != null) {
                pending = newSnapshotRecord(e, finalId, "manual", finalRetention);
                saveSnapshot(pending);
            }
        }
        ClusterView response = view(e, finalSnapshot ? ClusterStatus.FINAL_SNAPSHOT : ClusterStatus.DELETING);
        if (pending != null) {
            snapshotEvent(
                    pending,
                    "REDSHIFT-EVENT-2012",
                    "INFO",
                    "Final snapshot '" + pending.identifier() + "' of cluster '" + e.rec.identifier() + "' started.");
            try {
                takeSnapshot(e, pending);
            } catch (RuntimeException ex) {
                e.status = ClusterStatus.AVAILABLE;
                snapshotEvent(
                        pending,
                        "REDSHIFT-EVENT-3502",
                        "ERROR",
                        "Final snapshot of cluster '" + e.rec.identifier() + "' failed; the cluster was not deleted.");
                throw ex;
            }
            snapshotEvent(
                    pending,
                    "REDSHIFT-EVENT-3005",
                    "INFO",
                    "Final snapshot '" + pending.identifier() + "' of cluster '" + e.rec.identifier() + "' succeeded.");
            e.status = ClusterStatus.DELETING;
        }
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
        // Deleting a cluster deletes its automated snapshots; manual ones (and the final one) stay.
        for (SnapshotRecord s : List.copyOf(snapshots.values())) {
            if (s.sourceClusterId().equals(r.id()) && s.automated()) {
                removeSnapshot(s);
            }
        }
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
                        + " UTC.",
                "management");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Snapshots (issue 6; docs/control/README.md "Snapshots", docs/format/snapshot.md)

    private SnapshotStore snapshotStore(String region) {
        return snapshotStores.computeIfAbsent(
                region, r -> SnapshotStore.open(snapshotsDir.resolve(r).resolve("store"), snapshotFaults));
    }

    private Path snapshotRecordFile(SnapshotRecord s) {
        return snapshotsDir.resolve(s.region()).resolve("records").resolve(s.id() + ".json");
    }

    private void saveSnapshot(SnapshotRecord s) {
        try {
            Files.createDirectories(snapshotsDir.resolve(s.region()).resolve("records"));
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create snapshot records directory: " + e, e);
        }
        io.strongroom.control.keyvault.AtomicFile.write(snapshotRecordFile(s), s.toJson());
        snapshots.put(s.id(), s);
    }

    /**
     * Loads every region's snapshot records; a record still {@code creating} (a crash while creating or copying)
     * becomes {@code failed}; then each region's store deletes the images no {@code available} record names and
     * the blocks no remaining image lists.
     */
    private void recoverSnapshots() {
        if (!Files.isDirectory(snapshotsDir)) {
            return;
        }
        try (Stream<Path> regions = Files.list(snapshotsDir)) {
            for (Path regionDir : regions.filter(Files::isDirectory).toList()) {
                String region = regionDir.getFileName().toString();
                Path records = regionDir.resolve("records");
                Set<String> keep = new HashSet<>();
                if (Files.isDirectory(records)) {
                    io.strongroom.control.keyvault.AtomicFile.deleteStrays(records);
                    try (Stream<Path> s = Files.list(records)) {
                        for (Path p : s.sorted().toList()) {
                            SnapshotRecord r = SnapshotRecord.fromJson(Files.readAllBytes(p), p.toString());
                            if (r.status().equals("creating")) {
                                r = r.withStatus("failed");
                                saveSnapshot(r);
                                snapshotEvent(
                                        r,
                                        "REDSHIFT-EVENT-3503",
                                        "ERROR",
                                        "Snapshot '" + r.identifier() + "' of cluster '" + r.clusterIdentifier()
                                                + "' failed: the control plane stopped while it was being written."
                                                + " Delete it and take another.");
                            }
                            snapshots.put(r.id(), r);
                            if (r.available()) {
                                keep.add(r.id());
                            }
                        }
                    }
                }
                snapshotStore(region).recover(keep);
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read snapshots in " + snapshotsDir + ": " + e, e);
        }
    }

    public SnapshotView createSnapshot(
            Credential caller,
            String region,
            String clusterIdentifier,
            String snapshotIdentifier,
            @Nullable Integer r) {
        Entry e = require(caller, region, clusterIdentifier);
        String id = snapshotIdentifier(snapshotIdentifier);
        int retention = manualRetention(r);
        SnapshotRecord created;
        synchronized (lock) {
            checkSnapshotFree(caller.accountId(), region, id);
            begin(e, EnumSet.of(ClusterStatus.AVAILABLE), ClusterStatus.AVAILABLE);
            created = newSnapshotRecord(e, id, "manual", retention);
            saveSnapshot(created);
        }
        SnapshotRecord done = takeSnapshot(e, created);
        return new SnapshotView(done, "creating", null);
    }

    private void checkSnapshotFree(String accountId, String region, String identifier) {
        if (findSnapshot(accountId, region, identifier).isPresent()) {
            throw new RedshiftApiException(
                    ErrorCode.ALREADY_EXISTS,
                    "ClusterSnapshotAlreadyExists",
                    400,
                    "Cannot create the snapshot because a snapshot with the identifier " + identifier
                            + " already exists.");
        }
    }

    private SnapshotRecord newSnapshotRecord(Entry e, String identifier, String type, int retention) {
        ClusterRecord c = e.rec;
        String envelope = null;
        if (c.encrypted()) {
            VaultEntry v = vault.get(c.id())
                    .orElseThrow(() -> RedshiftApiException.invalidState(
                            "The key vault has no entry for cluster " + c.identifier() + "."));
            envelope = java.util.Base64.getEncoder().encodeToString(v.encode());
        }
        return new SnapshotRecord(
                "s-" + HexFormat.of().formatHex(randomBytes(10)),
                identifier,
                c.accountId(),
                c.region(),
                c.identifier(),
                c.id(),
                type,
                "creating",
                clock.instant(),
                c.createTime(),
                c.nodeType().wireName(),
                c.numberOfNodes(),
                c.dbName(),
                c.masterUsername(),
                c.passwordVerifier(),
                c.port(),
                c.encrypted(),
                c.kmsKeyArn(),
                envelope,
                retention,
                0,
                0,
                0,
                List.of());
    }

    /**
     * Writes the image of a cluster's committed version and marks the record available (the commit point). A
     * failure marks it failed, with an event; a crash leaves it {@code creating}, which the next start turns
     * into {@code failed} after deleting the half image.
     */
    private SnapshotRecord takeSnapshot(Entry e, SnapshotRecord s) {
        RunningCluster run = e.running;
        snapshotEvent(
                s,
                "REDSHIFT-EVENT-2009",
                "INFO",
                "Backup of cluster '" + s.clusterIdentifier() + "' started: " + s.type() + " snapshot '"
                        + s.identifier() + "'" + (s.encrypted() ? ", encrypted under KMS key " + s.kmsKeyArn() : "")
                        + ".");
        long t0 = System.nanoTime();
        try {
            if (run == null) {
                throw RedshiftApiException.invalidState("Cluster " + s.clusterIdentifier() + " is not running.");
            }
            SnapshotStore.ImageStats st;
            try (io.strongroom.storage.Snapshot snap = run.store().snapshot()) {
                st = snapshotStore(s.region()).write(s.id(), snap);
            }
            long elapsed = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
            SnapshotRecord done =
                    s.withStatus("available", st.totalBytes(), st.newBytes(), elapsed, st.excludedTables());
            saveSnapshot(done); // the commit point
            snapshotEvent(
                    done,
                    "REDSHIFT-EVENT-3004",
                    "INFO",
                    "Backup of cluster '" + s.clusterIdentifier() + "' completed: snapshot '" + s.identifier() + "', "
                            + st.tables() + " tables, " + st.blocks() + " blocks (" + st.newBlocks()
                            + " new), " + st.totalBytes() + " bytes (" + st.newBytes() + " new)."
                            + (st.excludedTables().isEmpty()
                                    ? ""
                                    : " Tables created BACKUP NO were left out: " + st.excludedTables() + "."));
            return done;
        } catch (RuntimeException ex) {
            try {
                saveSnapshot(s.withStatus("failed"));
                snapshotStore(s.region()).delete(s.id());
            } catch (RuntimeException suppressed) {
                ex.addSuppressed(suppressed);
            }
            snapshotEvent(
                    s,
                    "REDSHIFT-EVENT-3503",
                    "ERROR",
                    "Backup of cluster '" + s.clusterIdentifier() + "' failed: snapshot '" + s.identifier() + "': "
                            + ex.getMessage());
            throw ex instanceof StrongroomException se && !(ex instanceof RedshiftApiException)
                    ? RedshiftApiException.from(se)
                    : ex;
        }
    }

    public List<SnapshotView> describeSnapshots(Credential caller, String region, ClusterRequests.DescribeSnapshots q) {
        if (q.snapshotType() != null
                && !q.snapshotType().equals("manual")
                && !q.snapshotType().equals("automated")) {
            throw RedshiftApiException.invalidParameter("SnapshotType must be manual or automated.");
        }
        String cluster =
                q.clusterIdentifier() == null ? null : q.clusterIdentifier().toLowerCase(Locale.ROOT);
        if (q.snapshotIdentifier() != null) {
            SnapshotRecord s = requireSnapshot(caller, region, q.snapshotIdentifier(), cluster);
            return List.of(new SnapshotView(s, s.status(), null));
        }
        if (cluster != null
                && find(caller.accountId(), region, cluster).isEmpty()
                && snapshots.values().stream()
                        .noneMatch(s -> s.clusterIdentifier().equals(cluster))) {
            throw RedshiftApiException.clusterNotFound(cluster);
        }
        return snapshots.values().stream()
                .filter(s ->
                        s.accountId().equals(caller.accountId()) && s.region().equals(region))
                .filter(s -> cluster == null || s.clusterIdentifier().equals(cluster))
                .filter(s -> q.snapshotType() == null || s.type().equals(q.snapshotType()))
                .filter(s -> q.startTime() == null || !s.createTime().isBefore(q.startTime()))
                .filter(s -> q.endTime() == null || !s.createTime().isAfter(q.endTime()))
                .sorted(Comparator.comparing(SnapshotRecord::createTime).thenComparing(SnapshotRecord::identifier))
                .map(s -> new SnapshotView(s, s.status(), null))
                .toList();
    }

    public SnapshotView deleteSnapshot(
            Credential caller, String region, String snapshotIdentifier, @Nullable String clusterIdentifier) {
        SnapshotRecord s;
        synchronized (lock) {
            s = requireSnapshot(caller, region, snapshotIdentifier, clusterIdentifier);
            if (s.automated()) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "Snapshot " + s.identifier() + " is automated; only manual snapshots can be deleted."
                                + " Automated snapshots go when their retention period ends or their cluster is"
                                + " deleted; copy one (copy-cluster-snapshot) to keep it.");
            }
            if (s.status().equals("creating")) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "Snapshot " + s.identifier() + " is being created; delete it once it is available.");
            }
            removeSnapshot(s);
        }
        return new SnapshotView(s, "deleted", null);
    }

    /** Deletes a snapshot's record (the commit point), then its image and the blocks nothing else needs. */
    private void removeSnapshot(SnapshotRecord s) {
        io.strongroom.control.keyvault.AtomicFile.delete(snapshotRecordFile(s));
        snapshots.remove(s.id());
        snapshotStore(s.region()).delete(s.id());
        snapshotEvent(
                s,
                "REDSHIFT-EVENT-2011",
                "INFO",
                "Snapshot '" + s.identifier() + "' of cluster '" + s.clusterIdentifier() + "' was deleted.");
    }

    public SnapshotView copySnapshot(
            Credential caller,
            String region,
            String sourceIdentifier,
            @Nullable String sourceClusterIdentifier,
            String targetIdentifier,
            @Nullable Integer retention) {
        String target = snapshotIdentifier(targetIdentifier);
        int days = manualRetention(retention);
        SnapshotRecord copy;
        SnapshotRecord source;
        synchronized (lock) {
            source = requireSnapshot(caller, region, sourceIdentifier, sourceClusterIdentifier);
            if (!source.automated() || !source.available()) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "CopyClusterSnapshot copies an available automated snapshot; " + source.identifier() + " is a "
                                + source.status() + " " + source.type() + " snapshot.");
            }
            checkSnapshotFree(caller.accountId(), region, target);
            copy = source.copyAs("s-" + HexFormat.of().formatHex(randomBytes(10)), target, days, clock.instant());
            saveSnapshot(copy);
        }
        try {
            snapshotStore(region).copy(source.id(), copy.id());
        } catch (RuntimeException ex) {
            saveSnapshot(copy.withStatus("failed"));
            throw ex instanceof StrongroomException se ? RedshiftApiException.from(se) : ex;
        }
        SnapshotRecord done = copy.withStatus("available");
        saveSnapshot(done);
        snapshotEvent(
                done,
                "REDSHIFT-EVENT-3004",
                "INFO",
                "Snapshot '" + source.identifier() + "' was copied to manual snapshot '" + target + "'.");
        return new SnapshotView(done, "creating", null);
    }

    public SnapshotView modifySnapshot(
            Credential caller, String region, String snapshotIdentifier, @Nullable Integer retention, boolean force) {
        synchronized (lock) {
            SnapshotRecord s = requireSnapshot(caller, region, snapshotIdentifier, null);
            if (s.automated()) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "InvalidClusterSnapshotState",
                        400,
                        "Snapshot " + s.identifier() + " is automated: its retention is the cluster's"
                                + " AutomatedSnapshotRetentionPeriod. Copy it to a manual snapshot to keep it longer.");
            }
            int days = retention == null ? -1 : manualRetention(retention);
            if (days != -1
                    && !force
                    && s.createTime().plus(Duration.ofDays(days)).isBefore(clock.instant())) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_ARGUMENT,
                        "InvalidRetentionPeriodFault",
                        400,
                        "A retention of " + days + " days ends before now for snapshot " + s.identifier()
                                + "; pass Force (--force) to let it be deleted.");
            }
            SnapshotRecord next = s.withRetention(days);
            saveSnapshot(next);
            return new SnapshotView(next, next.status(), null);
        }
    }

    /**
     * Checks automated snapshots and retention for every cluster now: takes an automated snapshot of each running
     * cluster with AutomatedSnapshotRetentionPeriod above 0 whose interval has passed or whose change volume is
     * reached, then deletes automated snapshots past their cluster's retention and manual snapshots past theirs.
     * Returns how many automated snapshots were taken.
     */
    public int runSnapshotSchedule() {
        Instant now = clock.instant();
        int taken = 0;
        for (Entry e : List.copyOf(byId.values())) {
            ClusterRecord c = e.rec;
            if (c.automatedSnapshotRetentionPeriod() == 0 || e.running == null || e.status != ClusterStatus.AVAILABLE) {
                continue;
            }
            Optional<SnapshotRecord> last = snapshots.values().stream()
                    .filter(s -> s.sourceClusterId().equals(c.id()) && s.automated() && s.available())
                    .max(Comparator.comparing(SnapshotRecord::createTime));
            Instant since = last.map(SnapshotRecord::createTime).orElse(c.createTime());
            boolean due = !since.plus(snapshotPolicy.interval()).isAfter(now);
            if (!due && last.isPresent()) {
                RunningCluster run = e.running;
                if (run != null) {
                    try (io.strongroom.storage.Snapshot snap = run.store().snapshot()) {
                        due = snapshotStore(c.region())
                                        .bytesChangedSince(last.get().id(), snap)
                                >= snapshotPolicy.changeBytes();
                    } catch (RuntimeException ex) {
                        due = true;
                    }
                }
            }
            if (!due) {
                continue;
            }
            String id = "rs:" + c.identifier() + "-" + AUTOMATED_NAME.format(now);
            SnapshotRecord s;
            synchronized (lock) {
                if (e.status != ClusterStatus.AVAILABLE
                        || findSnapshot(c.accountId(), c.region(), id).isPresent()) {
                    continue;
                }
                s = newSnapshotRecord(e, id, "automated", -1);
                saveSnapshot(s);
            }
            try {
                takeSnapshot(e, s);
                taken++;
            } catch (RuntimeException ex) {
                // takeSnapshot recorded the failure and its event; the next run tries again
            }
        }
        for (SnapshotRecord s : List.copyOf(snapshots.values())) {
            Instant expiry = null;
            if (s.automated()) {
                Optional<Entry> c = Optional.ofNullable(byId.get(s.sourceClusterId()));
                int days = c.map(x -> x.rec.automatedSnapshotRetentionPeriod()).orElse(0);
                expiry = s.createTime().plus(Duration.ofDays(days));
            } else if (s.manualRetentionDays() != -1) {
                expiry = s.createTime().plus(Duration.ofDays(s.manualRetentionDays()));
            }
            if (expiry != null && !expiry.isAfter(now) && !s.status().equals("creating")) {
                synchronized (lock) {
                    if (snapshots.containsKey(s.id())) {
                        removeSnapshot(s);
                    }
                }
            }
        }
        return taken;
    }

    /**
     * RestoreFromClusterSnapshot: a new cluster with its own keys (a new CEK from the chosen KMS key with the new
     * cluster's encryption context, a new DEK), filled with the snapshot's tables. The snapshot's DEK is unwrapped
     * on the caller's authority (a temporary grant); its image is linked into a scratch store, read, and its rows
     * written into the new store under the new keys. As in CreateCluster, writing the cluster record is the commit
     * point; a crash before it leaves files and a vault entry the next start deletes.
     */
    public ClusterView restore(Credential caller, String region, ClusterRequests.Restore q) {
        String identifier = identifier(q.identifier(), "ClusterIdentifier");
        if (q.hsmRequested()) {
            throw RedshiftApiException.unsupported("HSM-protected clusters are not supported yet.");
        }
        SnapshotRecord s = requireSnapshot(caller, region, q.snapshotIdentifier(), null);
        if (!s.available()) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_STATE,
                    "InvalidClusterSnapshotState",
                    400,
                    "Snapshot " + s.identifier() + " is " + s.status() + "; only an available snapshot restores.");
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
        NodeType type = nodeType(q.nodeType() == null ? s.nodeType() : q.nodeType());
        int nodes = nodeCount(type, null, q.numberOfNodes() == null ? s.numberOfNodes() : q.numberOfNodes());
        int automated = retention(q.automatedSnapshotRetentionPeriod(), 1, 0, 35, "AutomatedSnapshotRetentionPeriod");
        int manual = manualRetention(q.manualSnapshotRetentionPeriod());
        String requestedKey = q.kmsKeyId() != null ? q.kmsKeyId() : s.encrypted() ? s.kmsKeyArn() : null;
        String keyArn = encrypted ? keys.resolveRootKey(caller, region, requestedKey) : null;

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
                    manual);
            entry = new Entry(rec, ClusterStatus.CREATING);
            byId.put(id, entry);
        }
        ClusterRecord rec = entry.rec;
        event(
                rec,
                "REDSHIFT-EVENT-2008",
                "INFO",
                "Restore of cluster '" + identifier + "' from snapshot '" + s.identifier() + "' started.",
                "management");
        Path storeRoot = storesDir.resolve(rec.storeDir());
        Path scratch = storesDir.resolve(id + "-restore");
        ClusterKeys.Created created = null;
        Store store = null;
        long t0 = System.nanoTime();
        try {
            StoreKeys storeKeys = StoreKeys.unencrypted();
            if (keyArn != null) {
                created = keys.create(caller, region, keyArn, id, rec.arn(), now);
                vault.put(created.entry());
                storeKeys = StoreKeys.of(created.keys().dek);
            }
            store = Store.create(storeRoot, id, new ClusterLayout(nodes, type.slicesPerNode()), storeKeys);
            try (ClusterKeys.Unlocked snapKeys = s.encrypted()
                            ? keys.unlockSnapshot(caller, region, VaultEntry.decode(s.envelopeBytes(), s.identifier()))
                            : null;
                    Store image = snapshotStore(region)
                            .restore(
                                    s.id(),
                                    scratch,
                                    snapKeys == null ? StoreKeys.unencrypted() : StoreKeys.of(snapKeys.dek))) {
                copyTables(image, store);
            } finally {
                deleteTree(scratch);
            }
            registry.save(rec); // the commit point
        } catch (RuntimeException ex) {
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
            event(
                    rec,
                    "REDSHIFT-EVENT-3501",
                    "ERROR",
                    "Restore of cluster '" + identifier + "' from snapshot '" + s.identifier() + "' failed: "
                            + ex.getMessage(),
                    "management");
            throw ex instanceof StrongroomException se && !(ex instanceof RedshiftApiException)
                    ? RedshiftApiException.from(se)
                    : ex;
        }
        long elapsedMs = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
        double mb = s.totalBytes() / (1024.0 * 1024.0);
        entry.restore = new RestoreInfo("completed", mb, elapsedMs / 1000, mb * 1000.0 / elapsedMs);
        setRunning(
                entry,
                created == null
                        ? new RunningCluster(store, null, null)
                        : new RunningCluster(store, created.keys().cek, created.keys().dek));
        entry.status = ClusterStatus.AVAILABLE;
        event(
                rec,
                "REDSHIFT-EVENT-3003",
                "INFO",
                "Cluster '" + identifier + "' was restored from snapshot '" + s.identifier() + "' of cluster '"
                        + s.clusterIdentifier() + "'. It is a new cluster with its own keys"
                        + (created == null
                                ? " and is not encrypted."
                                : ": its cluster key was generated by KMS key " + keyArn
                                        + " with encryption context "
                                        + created.entry().context().pairs()
                                        + (s.encrypted()
                                                ? " (the snapshot was encrypted under " + s.kmsKeyArn() + ")"
                                                : "")
                                        + "."),
                "management",
                "security");
        if (!s.excludedTables().isEmpty()) {
            event(
                    rec,
                    "REDSHIFT-EVENT-3606",
                    "INFO",
                    "Cluster '" + identifier + "' was restored without the tables created BACKUP NO on cluster '"
                            + s.clusterIdentifier() + "': " + s.excludedTables()
                            + ". Snapshots leave such tables out; recreate and reload them.",
                    "management");
        }
        return new ClusterView(rec, ClusterStatus.CREATING, endpointAddress, false, null, entry.restore);
    }

    /**
     * RestoreTableFromClusterSnapshot: copies one table of a snapshot into the cluster it came from (by identifier)
     * as a new table. Refused from an unencrypted snapshot into an encrypted cluster, as Redshift refuses it.
     */
    public TableRestoreStatus restoreTable(Credential caller, String region, ClusterRequests.RestoreTable q) {
        Entry e = require(caller, region, q.clusterIdentifier());
        SnapshotRecord s = requireSnapshot(caller, region, q.snapshotIdentifier(), null);
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
        Instant requested = clock.instant();
        Path scratch = storesDir.resolve(e.rec.id() + "-table-restore-" + requestId.substring(0, 8));
        double totalMb = 0;
        try (ClusterKeys.Unlocked snapKeys = s.encrypted()
                        ? keys.unlockSnapshot(caller, region, VaultEntry.decode(s.envelopeBytes(), s.identifier()))
                        : null;
                Store image = snapshotStore(region)
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
            deleteTree(scratch);
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
        event(
                e.rec,
                "REDSHIFT-EVENT-3003",
                "INFO",
                "Cluster '" + e.rec.identifier() + "': " + done.message(),
                "management");
        return done;
    }

    public List<TableRestoreStatus> tableRestoreStatus(
            Credential caller, String region, @Nullable String clusterIdentifier, @Nullable String requestId) {
        if (clusterIdentifier != null) {
            require(caller, region, clusterIdentifier);
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

    private SnapshotRecord requireSnapshot(
            Credential caller, String region, String identifier, @Nullable String clusterIdentifier) {
        return findSnapshot(caller.accountId(), region, identifier)
                .filter(s -> clusterIdentifier == null || s.clusterIdentifier().equalsIgnoreCase(clusterIdentifier))
                .orElseThrow(() -> new RedshiftApiException(
                        ErrorCode.NOT_FOUND, "ClusterSnapshotNotFound", 404, "Snapshot " + identifier + " not found."));
    }

    private Optional<SnapshotRecord> findSnapshot(String accountId, String region, String identifier) {
        return snapshots.values().stream()
                .filter(s -> s.accountId().equals(accountId)
                        && s.region().equals(region)
                        && s.identifier().equals(identifier))
                .findFirst();
    }

    private static String snapshotIdentifier(String raw) {
        if (!SNAPSHOT_IDENTIFIER.matcher(raw).matches()) {
            throw RedshiftApiException.invalidParameter("SnapshotIdentifier must have 1 to 255 letters, digits or"
                    + " hyphens, start with a letter, and not end with a hyphen or contain two consecutive hyphens.");
        }
        return raw;
    }

    private void snapshotEvent(SnapshotRecord s, String eventId, String severity, String message) {
        events.add(new ClusterEvent(
                s.accountId(),
                s.region(),
                s.identifier(),
                "cluster-snapshot",
                message,
                List.of("management"),
                severity,
                clock.instant(),
                eventId));
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
                Optional<VaultEntry> pending = vault.pending(r.id());
                if (pending.isPresent()) {
                    v = settleRotation(r, dir, v, pending.get());
                }
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
        closing = true;
        ScheduledExecutorService s = scheduler;
        if (s != null) {
            s.shutdownNow();
        }
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
        return new ClusterView(
                e.rec,
                status,
                endpointAddress,
                false,
                null,
                e.restore,
                status == ClusterStatus.ROTATING_KEYS ? e.progress : null);
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
