package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A cluster's block store on disk: opened by one process at a time, read by many snapshots at once, written by
 * transactions that commit one at a time.
 *
 * <p>How this works. Every committed version is a catalog file named by its sequence number; the file {@code
 * CURRENT} names the current catalog and pins its digest; the catalog names and pins each table's manifest;
 * manifests list blocks with their wrapped keys. A transaction writes its blocks as new files while it runs;
 * commit writes new manifests (or, for a table it only appended to, a manifest delta, {@code
 * ManifestDelta}) and a new catalog, fsyncs them and their directories, then switches {@code
 * CURRENT} by an atomic rename and fsyncs the root. Nothing is overwritten in place, so a crash at any step
 * leaves either the old or the new version whole (see {@link CommitStep}); open deletes whatever no committed
 * version references. Readers hold a {@link Snapshot} of an in-memory version, so they never block on writers;
 * block files a newer version no longer needs are deleted only when no open snapshot or transaction can still
 * read them.
 *
 * <p>Alternatives rejected: a write-ahead log (one more format and a replay path, where immutable files and one
 * pointer give the same atomicity); a central block-key registry (rotation would rewrite a hot shared
 * structure; per-manifest wrapped keys rewrite only metadata).
 *
 * <p>A commit that fails before its commit point (the pointer on disk still names the current version) leaves the
 * store open: the files it wrote are removed and the caller gets the error ({@link ErrorCode#DISK_FULL} on a full
 * disk, when {@link #diskFullSince} is set until a write succeeds again). After a failure at or past the commit
 * point the store stops accepting work ("fail-stop") and must be reopened, as a process restart would; this avoids
 * guessing what an fsync error left behind. Thread-safe.
 */
public final class Store implements AutoCloseable {
    private final StoreFiles files;
    private volatile StoreFiles.Superblock superblock;
    private volatile Sealer sealer;
    private final FaultHook faults;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ReentrantLock commitLock = new ReentrantLock();
    private final AtomicLong nextBlockId;
    private final AtomicLong nextTableId;
    private final AtomicLong nextSpillId = new AtomicLong(1);
    private final SecureRandom spillRandom = new SecureRandom();
    private final Object gcLock = new Object();
    private final TreeMap<Long, Integer> openSnapshots = new TreeMap<>();
    private final List<PendingDelete> pendingDeletes = new ArrayList<>();
    /** Base versions of open transactions (guarded by gcLock): they may still need an older database key. */
    private final TreeMap<Long, Integer> openTransactions = new TreeMap<>();
    /** Manifest versions a running key rotation has written but not committed, by table. */
    private final Map<Long, Long> reservedManifestVersions = new ConcurrentHashMap<>();
    /** Manifest versions key rotations made, by table: rotated version to the version it rewrapped. */
    private final Map<Long, Map<Long, Long>> rewraps = new ConcurrentHashMap<>();
    /** Of those, the versions an encryption change made by re-sealing blocks under new ids, by table. */
    private final Map<Long, Set<Long>> moves = new ConcurrentHashMap<>();
    /** Why commits that change data are refused for now (an encryption change on a read-only node type), or null. */
    private volatile @Nullable String readOnly;
    /** The most deltas a table's manifest gets before a commit folds them into a new base (tests lower it). */
    private volatile int maxManifestDeltas = Committer.DEFAULT_MAX_DELTAS;

    private final Object rotationLock = new Object();
    private final long cacheOwner = BlockCache.newOwner();
    /** Set after a rotation's switch while an older key may still be needed (guarded by gcLock). */
    private @Nullable KeyRetirement retirement;

    private volatile StoreVersion current;
    private volatile @Nullable String failure;
    private volatile @Nullable Instant diskFullSince;
    private volatile boolean closed;

    private record PendingDelete(long obsoleteFromSeq, Path file) {}

    /** The older keys become unneeded once nothing reads a version before {@code switchSeq}. */
    private record KeyRetirement(long switchSeq, Sealer newOnly, List<KeyRotation.Listener> listeners) {}

    private Store(
            StoreFiles files,
            StoreFiles.Superblock sb,
            Sealer sealer,
            FaultHook faults,
            FileChannel lockChannel,
            FileLock lock,
            StoreVersion v,
            long nextBlock,
            long nextTable) {
        this.files = files;
        this.superblock = sb;
        this.sealer = sealer;
        this.faults = faults;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.current = v;
        this.nextBlockId = new AtomicLong(nextBlock);
        this.nextTableId = new AtomicLong(nextTable);
    }

    /**
     * Creates a new, empty store in {@code root}, which must not exist or be empty. {@code keys} decides whether
     * it is encrypted; {@link #beginEncryption} and {@link #beginDecryption} change that in place.
     */
    public static Store create(Path root, String storeId, ClusterLayout layout, StoreKeys keys) {
        return create(root, storeId, layout, keys, FaultHook.NONE);
    }

    public static Store create(Path root, String storeId, ClusterLayout layout, StoreKeys keys, FaultHook faults) {
        try {
            Files.createDirectories(root);
            try (Stream<Path> s = Files.list(root)) {
                if (s.findAny().isPresent()) {
                    throw new StrongroomException(
                            ErrorCode.ALREADY_EXISTS,
                            "cannot create a store in " + root + ": the directory is not empty");
                }
            }
            StoreFiles f = new StoreFiles(root, storeId);
            Files.createDirectories(f.catalogDir());
            Files.createDirectories(f.tablesDir());
            Files.createDirectories(f.tmpDir());
            int keyVersion = keys.encrypted() ? keys.current().version() : 0;
            Sealer sealer = new Sealer(keys, keyVersion);
            Catalog empty = Catalog.empty();
            byte[] cat = f.encodeCatalog(empty, sealer);
            DurableFiles.writeNew(f.catalogFile(0), cat);
            DurableFiles.fsyncDirectory(f.catalogDir());
            DurableFiles.replaceAtomically(
                    root.resolve(StoreFiles.POINTER),
                    f.encodePointer(new StoreFiles.Pointer(0, StoreFiles.sha256(cat)), sealer));
            // The superblock comes last: a directory without one is not a store, so a crash above leaves nothing that
            // opens.
            DurableFiles.replaceAtomically(
                    root.resolve(StoreFiles.SUPERBLOCK),
                    StoreFiles.encodeSuperblock(
                            new StoreFiles.Superblock(storeId, layout, keys.encrypted(), keys.keyId(), keyVersion)));
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot create store in " + root + ": " + e.getMessage(), e);
        }
        return open(root, keys, faults);
    }

    public static Store open(Path root, StoreKeys keys) {
        return open(root, keys, FaultHook.NONE);
    }

    /**
     * Opens the store in {@code root}: checks the keys against the superblock, reads and verifies the committed
     * version, and deletes what no committed version references (the leftovers of a crash).
     */
    public static Store open(Path root, StoreKeys keys, FaultHook faults) {
        StoreFiles.Superblock sb = EncryptionChange.settleSuperblock(root, StoreFiles.readSuperblock(root));
        if (sb.encrypted() && !keys.encrypted()) {
            throw new StrongroomException(
                    ErrorCode.WRONG_KEY, "store " + sb.storeId() + " is encrypted; open it with its database key");
        }
        if (!sb.encrypted() && keys.encrypted()) {
            throw new StrongroomException(
                    ErrorCode.WRONG_KEY, "store " + sb.storeId() + " is not encrypted, but a database key was offered");
        }
        if (sb.encrypted() && !Objects.equals(sb.databaseKeyId(), keys.keyId())) {
            throw new StrongroomException(
                    ErrorCode.WRONG_KEY,
                    "store " + sb.storeId() + " is encrypted under database key " + sb.databaseKeyId() + ", not "
                            + keys.keyId());
        }
        StoreFiles f = new StoreFiles(root, sb.storeId());
        FileChannel ch;
        FileLock lock;
        try {
            ch = FileChannel.open(root.resolve(StoreFiles.LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                throw new StrongroomException(ErrorCode.INVALID_STATE, "store " + root + " is open in another process");
            }
        } catch (IOException | OverlappingFileLockException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE, "store " + root + " is already open: " + e.getMessage(), e);
        }
        try {
            // Everything the committed version references is under the DEK version that seals CURRENT or older
            // (a rotation commits only once every block key is rewrapped). Versions above it in the ring belong to
            // a rotation that did not commit: they are left out, so writes go on under the committed version and
            // never mix a key the caller may be about to discard into the committed state.
            StoreKeys usable = keys;
            if (keys.encrypted()) {
                int committed = committedKeyVersion(root);
                if (committed < 1 || committed > sb.newestKeyVersion()) {
                    throw Sealer.integrity(
                            "commit pointer " + root.resolve(StoreFiles.POINTER),
                            "names database key version " + committed + ", which this store never used (newest is "
                                    + sb.newestKeyVersion() + ")",
                            null);
                }
                usable = keys.upTo(committed);
                if (usable.find(committed) == null) {
                    throw new StoreKeys.KeyVersionNotProvided("store " + sb.storeId()
                            + " is committed under database key version " + committed + ", which was not provided"
                            + " (have " + keys + ")");
                }
            }
            Sealer sealer = new Sealer(usable, sb.newestKeyVersion());
            StoreFiles.Pointer p = f.readPointer(sealer);
            Catalog cat = f.readCatalog(p.seq(), p.catalogDigest(), sealer);
            StoreVersion v = StoreVersion.read(f, cat, sealer, sb.layout().sliceCount());
            long[] maxIds = UnreferencedFiles.remove(f, v);
            return new Store(
                    f,
                    sb,
                    sealer,
                    faults,
                    ch,
                    lock,
                    v,
                    Math.max(cat.nextBlockId(), maxIds[0] + 1),
                    Math.max(cat.nextTableId(), maxIds[1] + 1));
        } catch (RuntimeException e) {
            try {
                lock.release();
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    public String storeId() {
        return superblock.storeId();
    }

    public ClusterLayout layout() {
        return superblock.layout();
    }

    public boolean encrypted() {
        return superblock.encrypted();
    }

    public Path root() {
        return files.root();
    }

    /** The sequence number of the committed version. */
    public long version() {
        return current.seq();
    }

    /** A consistent read view of the committed version; close it to let old blocks be freed. */
    public Snapshot snapshot() {
        checkUsable();
        synchronized (gcLock) {
            StoreVersion v = current;
            openSnapshots.merge(v.seq(), 1, Integer::sum);
            return new Snapshot(this, v);
        }
    }

    /** How many spill files this store has made since it opened (what queries sent to disk, for monitoring). */
    public long spillFilesCreated() {
        return nextSpillId.get() - 1;
    }

    /** A new temporary file in {@code tmp/}, sealed like the store's other files; close deletes it. */
    public SpillFile newSpillFile() {
        checkUsable();
        long id = nextSpillId.getAndIncrement();
        return new SpillFile(files.spillFile(id), storeId(), id, encrypted(), spillRandom);
    }

    /** Starts a write transaction over the committed version. */
    public Transaction begin() {
        checkUsable();
        synchronized (gcLock) {
            StoreVersion v = current;
            openTransactions.merge(v.seq(), 1, Integer::sum);
            return new Transaction(this, v);
        }
    }

    void endTransaction(long baseSeq) {
        synchronized (gcLock) {
            openTransactions.computeIfPresent(baseSeq, (k, n) -> n == 1 ? null : n - 1);
        }
        collectGarbage();
    }

    /** The newest database key version this store has used (0 when unencrypted), from its superblock. */
    public int newestKeyVersion() {
        return superblock.newestKeyVersion();
    }

    /** The database key version new blocks and metadata are written under (0 when unencrypted). */
    public int currentKeyVersion() {
        Sealer s = sealer;
        return s.encrypted() ? s.keys().current().version() : 0;
    }

    /**
     * Rotates the store's database key to {@code next}, online and metadata-only: every block key is rewrapped
     * under {@code next}; no block file is rewritten. Reads never wait; commits wait only for the final switch.
     * {@link KeyRotation} says how, and what a crash at each step leaves. The caller keeps owning both keys;
     * {@code listener} hears progress and when the older keys are no longer needed (then they may be closed).
     *
     * @return the committed version sealed under {@code next}
     */
    public long rotateDatabaseKey(DatabaseKey next, KeyRotation.Listener listener) {
        synchronized (rotationLock) {
            checkUsable();
            return new KeyRotation(this, next, listener).run();
        }
    }

    /**
     * Encrypts this unencrypted store in place, online. This call is the switch (metadata only: every manifest, a
     * catalog and the pointer sealed under {@code dek}); new blocks are encrypted from its return, and {@link
     * #resealBlocks} then encrypts the blocks written before. {@link EncryptionChange} says how, and what a crash
     * leaves. The caller keeps owning {@code dek}.
     */
    public void beginEncryption(DatabaseKey dek) {
        synchronized (rotationLock) {
            EncryptionChange.beginEncryption(this, dek);
        }
    }

    /** Starts decrypting this encrypted store: new blocks are written in the clear from now on (in memory only). */
    public void beginDecryption() {
        synchronized (rotationLock) {
            EncryptionChange.beginDecryption(this);
        }
    }

    /**
     * Re-seals, in the background of reads and writes, every block not in the form the change under way asks for
     * (encrypted after {@link #beginEncryption}, in the clear after {@link #beginDecryption}); returns the blocks
     * re-sealed. {@code checkpoint} runs between chunks and may throw to stop; what was committed stays.
     */
    public long resealBlocks(boolean encrypt, EncryptionChange.Listener listener, Runnable checkpoint) {
        synchronized (rotationLock) {
            return EncryptionChange.reseal(this, encrypt, listener, checkpoint);
        }
    }

    /**
     * Ends a decryption: the metadata is written in the clear (the commit point) and the superblock forgets the
     * key. {@code released} hears when no reader needs the database keys any more.
     */
    public void finishDecryption(KeyRotation.Listener released) {
        synchronized (rotationLock) {
            EncryptionChange.finishDecryption(this, released);
        }
    }

    /** The blocks of the committed version not yet encrypted ({@code encrypt}) or not yet in the clear. */
    public EncryptionChange.Remaining toReseal(boolean encrypt) {
        return EncryptionChange.remaining(current, encrypt);
    }

    /** Whether new blocks are written encrypted (false in an unencrypted store and while decrypting). */
    public boolean sealsNewBlocks() {
        return sealer.sealsBlocks();
    }

    /**
     * The database key version that seals the committed version of the store in {@code root}, read without any
     * key from the commit pointer's envelope header (0 when unencrypted). After a crash during a key rotation this
     * says whether the rotation reached its commit point: the new version, or still the old one.
     */
    public static int committedKeyVersion(Path root) {
        return StoreFiles.readSuperblock(root).encrypted() ? StoreFiles.pointerKeyVersion(root) : 0;
    }

    // ---- package-private services for KeyRotation ----

    StoreFiles.Superblock superblock() {
        return superblock;
    }

    void recordSuperblock(StoreFiles.Superblock sb) {
        DurableFiles.replaceAtomically(files.root().resolve(StoreFiles.SUPERBLOCK), StoreFiles.encodeSuperblock(sb));
        superblock = sb;
    }

    StoreVersion current() {
        return current;
    }

    Map<Long, Long> reservedManifestVersions() {
        return reservedManifestVersions;
    }

    ReentrantLock commitLock() {
        return commitLock;
    }

    long nextTableIdValue() {
        return nextTableId.get();
    }

    long nextBlockIdValue() {
        return nextBlockId.get();
    }

    /**
     * Installs the rotated version (called under the commit lock, after its pointer switch): readers of new
     * snapshots see rewrapped keys, writers seal under {@code ring}'s current key; the older keys stay in the ring
     * until no snapshot or transaction from before the switch is open.
     */
    void switchRotated(StoreVersion next, Sealer ring, Sealer newOnly, List<Path> obsolete, KeyRotation.Listener l) {
        switchRewritten(next, ring, obsolete, false);
        synchronized (gcLock) {
            // A rotation whose predecessor's older keys are still needed keeps them in its ring and takes over
            // the predecessor's listeners: all of them hear when the last old reader closes.
            List<KeyRotation.Listener> ls = new ArrayList<>();
            KeyRetirement prev = retirement;
            if (prev != null) {
                ls.addAll(prev.listeners());
            }
            ls.add(l);
            retirement = new KeyRetirement(next.seq(), newOnly, ls);
        }
    }

    /**
     * Installs a version that rewrote tables without changing their rows (a rotation's rewrap, an encryption
     * change's metadata switch or re-sealed blocks), called under the commit lock after its pointer switch: commits
     * of transactions that began before it do not conflict with it ({@link #unchangedSince}); {@code obsolete} files
     * go once no reader of an older version is open.
     *
     * @param blocksMoved whether blocks got new ids (then a transaction that removes blocks conflicts with it)
     */
    void switchRewritten(StoreVersion next, Sealer s, List<Path> obsolete, boolean blocksMoved) {
        StoreVersion old = current;
        for (var e : next.catalog().tables()) {
            Catalog.@Nullable Entry was = old.catalog().tables().stream()
                    .filter(o -> o.tableId() == e.tableId())
                    .findFirst()
                    .orElse(null);
            if (was != null && was.manifestVersion() != e.manifestVersion()) {
                rewraps.computeIfAbsent(e.tableId(), k -> new ConcurrentHashMap<>())
                        .put(e.manifestVersion(), was.manifestVersion());
                if (blocksMoved) {
                    moves.computeIfAbsent(e.tableId(), k -> ConcurrentHashMap.newKeySet())
                            .add(e.manifestVersion());
                }
            }
        }
        sealer = s;
        current = next;
        Committer.cutSuperseded(files, old, next);
        synchronized (gcLock) {
            for (Path p : obsolete) {
                pendingDeletes.add(new PendingDelete(next.seq(), p));
            }
        }
    }

    /**
     * After a decryption's switch: writes go in the clear at once, and {@code ring} (which still opens encrypted
     * blocks) stays until no reader of a version before {@code switchSeq} is open; then {@code l} hears that the
     * database keys are no longer needed.
     */
    void retireKeysAfter(long switchSeq, Sealer ring, KeyRotation.Listener l) {
        synchronized (gcLock) {
            sealer = ring;
            retirement = new KeyRetirement(switchSeq, new Sealer(StoreKeys.unencrypted(), 0), List.of(l));
        }
        collectGarbage();
    }

    /** Sets the sealer new writes use (an encryption change's mode), under the commit lock. */
    void useSealer(Sealer s) {
        sealer = s;
    }

    /** Sets how many deltas a table's manifest may have before a commit folds them (0: every commit writes a base). */
    void maxManifestDeltas(int n) {
        maxManifestDeltas = n;
    }

    /** Refuses commits that change data with {@code why} (null: accept them again). */
    public void setReadOnly(@Nullable String why) {
        readOnly = why;
    }

    /** Why commits that change data are refused, or null. */
    public @Nullable String readOnlyReason() {
        return readOnly;
    }

    void failStop(String what) {
        failure = what;
        releaseLock();
    }

    /** Files a rotation wrote and will not commit: deleted as soon as no one could read them (no one can). */
    void discard(List<Path> files) {
        synchronized (gcLock) {
            for (Path p : files) {
                pendingDeletes.add(new PendingDelete(0, p));
            }
        }
    }

    void collectGarbageNow() {
        collectGarbage();
    }

    /**
     * Whether table {@code tableId} at manifest version {@code now} holds the rows it held at {@code was}: the same
     * version, or one reached from it only by rewrites that kept the rows (key rotations, encryption changes). One
     * that re-sealed blocks under new ids does not count for a transaction that removes blocks by id.
     */
    private boolean unchangedSince(long tableId, long was, long now, boolean removesBlocks) {
        Map<Long, Long> m = rewraps.getOrDefault(tableId, Map.of());
        Set<Long> moved = moves.getOrDefault(tableId, Set.of());
        long v = now;
        while (v != was) {
            Long prev = m.get(v);
            if (prev == null || removesBlocks && moved.contains(v)) {
                return false;
            }
            v = prev;
        }
        return true;
    }

    void release(Snapshot s) {
        synchronized (gcLock) {
            openSnapshots.computeIfPresent(s.version().seq(), (k, n) -> n == 1 ? null : n - 1);
        }
        collectGarbage();
    }

    // ---- package-private services for Transaction, Snapshot and TableReader ----

    StoreFiles files() {
        return files;
    }

    /** This open store's key in the shared {@link BlockCache}. */
    long cacheOwner() {
        return cacheOwner;
    }

    Sealer sealer() {
        return sealer;
    }

    FaultHook faults() {
        return faults;
    }

    long newBlockId() {
        return nextBlockId.getAndIncrement();
    }

    long newTableId() {
        return nextTableId.getAndIncrement();
    }

    void checkUsable() {
        if (closed) {
            throw new StrongroomException(ErrorCode.INVALID_STATE, "store " + storeId() + " is closed");
        }
        String f = failure;
        if (f != null) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE,
                    "store " + storeId() + " stopped after a failed commit (" + f + "); reopen it");
        }
    }

    /**
     * Commits a transaction's changes on top of the current version. Called by {@link Transaction#commit}. Fails
     * with {@link ErrorCode#CONFLICT} when a table it changed was changed by another commit since it began.
     */
    StoreVersion commit(StoreVersion base, Map<Long, Transaction.TableChange> changes) {
        commitLock.lock();
        try {
            checkUsable();
            String ro = readOnly;
            if (ro != null && !changes.isEmpty()) {
                throw new StrongroomException(ErrorCode.READ_ONLY, ro);
            }
            StoreVersion cur = current;
            Committer.checkConflicts(base, cur, changes, this::unchangedSince);
            EncryptionChange.checkBlocksFit(sealer, changes);
            try {
                KeyRotation.rewrapStale(this, sealer, changes);
                StoreVersion next = Committer.write(
                        files,
                        sealer,
                        faults,
                        cur,
                        changes,
                        nextTableId.get(),
                        nextBlockId.get(),
                        reservedManifestVersions,
                        maxManifestDeltas);
                List<Path> obsolete = Committer.obsoleteFiles(files, cur, next);
                current = next;
                diskFullSince = null;
                Committer.cutSuperseded(files, cur, next);
                synchronized (gcLock) {
                    for (Path p : obsolete) {
                        pendingDeletes.add(new PendingDelete(next.seq(), p));
                    }
                }
                collectGarbage();
                return next;
            } catch (StrongroomException e) {
                if (!pointerStillNames(cur)) {
                    failure = e.getClass().getSimpleName() + " at commit of version " + (cur.seq() + 1);
                    releaseLock();
                    throw e;
                }
                // The commit pointer still names the current version: nothing was committed, and the files this
                // attempt wrote are referenced by nothing. Remove them (a full disk gets its space back) and stay
                // open: reads go on, and the next commit tries again.
                Committer.discardAttempt(files, cur, changes, reservedManifestVersions);
                if (e.code() == ErrorCode.DISK_FULL) {
                    noteDiskFull();
                }
                throw new CommitNotMadeException(e);
            } catch (RuntimeException | Error e) {
                failure = e.getClass().getSimpleName() + " at commit of version " + (cur.seq() + 1);
                releaseLock();
                throw e;
            }
        } finally {
            commitLock.unlock();
        }
    }

    /** Whether the commit pointer on disk still names {@code cur} (false when it cannot be read either). */
    private boolean pointerStillNames(StoreVersion cur) {
        try {
            return files.readPointer(sealer).seq() == cur.seq();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Why this store stopped (a failure at or past a commit point; reopen it), or null while it works. */
    public @Nullable String failure() {
        return failure;
    }

    /** Since when writes fail because the disk is full, or null. */
    public @Nullable Instant diskFullSince() {
        return diskFullSince;
    }

    /** Records that a write failed on a full disk (commits, and block writes of transactions). */
    void noteDiskFull() {
        if (diskFullSince == null) {
            diskFullSince = Instant.now();
        }
    }

    /**
     * After a full disk: whether a write of {@code probeBytes} succeeds now (a temporary file in the store's
     * {@code tmp/}, written, synced and deleted). True clears {@link #diskFullSince}; a successful commit also does.
     */
    public boolean probeWritable(int probeBytes) {
        Path probe = files.tmpDir().resolve("space-probe-" + System.nanoTime());
        try {
            Files.createDirectories(probe.getParent());
            DurableFiles.writeNew(probe, new byte[probeBytes]);
            diskFullSince = null;
            return true;
        } catch (IOException | StrongroomException e) {
            return false;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // tmp/ is emptied when the store opens
            }
        }
    }

    /** Deletes obsolete files that no open snapshot or transaction can read any more. */
    private void collectGarbage() {
        List<Path> doomed = new ArrayList<>();
        List<KeyRotation.Listener> retired = List.of();
        synchronized (gcLock) {
            long oldestSnapshot = openSnapshots.isEmpty() ? Long.MAX_VALUE : openSnapshots.firstKey();
            long oldestTx = openTransactions.isEmpty() ? Long.MAX_VALUE : openTransactions.firstKey();
            // An open transaction reads the version it began on (tables it has not written, and the blocks under
            // its own writes), so it holds that version's blocks as a snapshot does.
            long oldestOpen = Math.min(oldestSnapshot, oldestTx);
            KeyRetirement r = retirement;
            if (r != null) {
                if (oldestOpen >= r.switchSeq()) {
                    sealer = r.newOnly();
                    retirement = null;
                    retired = r.listeners();
                }
            }
            pendingDeletes.removeIf(d -> {
                if (oldestOpen >= d.obsoleteFromSeq()) {
                    doomed.add(d.file());
                    return true;
                }
                return false;
            });
        }
        for (Path p : doomed) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // Left for the next open to remove: an unreferenced file is garbage, not a hazard.
            }
        }
        for (KeyRotation.Listener l : retired) {
            l.olderKeysReleased();
        }
    }

    private void releaseLock() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // The process is giving the store up; the OS drops the lock with the descriptor.
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        BlockCache.shared().dropOwner(cacheOwner);
        if (failure == null) {
            collectGarbage();
            releaseLock();
        }
    }

    @Override
    public String toString() {
        return "Store[" + storeId() + ", " + (encrypted() ? "encrypted" : "unencrypted") + ", version " + version()
                + "]";
    }

    /**
     * A commit that failed before its commit point: nothing was committed and the store stays open. Same code and
     * message as the failure it wraps (its cause), so protocol layers answer it as that failure; the transaction that
     * tried discards the blocks it wrote.
     */
    static final class CommitNotMadeException extends StrongroomException {
        private static final long serialVersionUID = 1L;

        CommitNotMadeException(StrongroomException cause) {
            super(cause.code(), String.valueOf(cause.getMessage()), cause);
        }
    }
}
