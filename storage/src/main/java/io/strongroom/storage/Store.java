package io.strongroom.storage;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * commit writes new manifests and a new catalog, fsyncs them and their directories, then switches {@code
 * CURRENT} by an atomic rename and fsyncs the root. Nothing is overwritten in place, so a crash at any step
 * leaves either the old or the new version whole (see {@link CommitStep}); open deletes whatever no committed
 * version references. Readers hold a {@link Snapshot} of an in-memory version, so they never block on writers;
 * block files a newer version no longer needs are deleted only when no open snapshot can still read them.
 *
 * <p>Alternatives rejected: a write-ahead log (one more format and a replay path, where immutable files and one
 * pointer give the same atomicity); a central block-key registry (rotation would rewrite a hot shared
 * structure; per-manifest wrapped keys rewrite only metadata).
 *
 * <p>After any failure inside commit the store stops accepting work ("fail-stop") and must be reopened, as a
 * process restart would; this avoids guessing what an fsync error left behind. Thread-safe.
 */
public final class Store implements AutoCloseable {
    private final StoreFiles files;
    private final StoreFiles.Superblock superblock;
    private final Sealer sealer;
    private final FaultInjector faults;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ReentrantLock commitLock = new ReentrantLock();
    private final AtomicLong nextBlockId;
    private final AtomicLong nextTableId;
    private final AtomicLong nextSpillId = new AtomicLong(1);
    private final java.security.SecureRandom spillRandom = new java.security.SecureRandom();
    private final Object gcLock = new Object();
    private final TreeMap<Long, Integer> openSnapshots = new TreeMap<>();
    private final List<PendingDelete> pendingDeletes = new ArrayList<>();
    private volatile StoreVersion current;
    private volatile @Nullable String failure;
    private volatile boolean closed;

    private record PendingDelete(long obsoleteFromSeq, Path file) {}

    private Store(
            StoreFiles files,
            StoreFiles.Superblock sb,
            Sealer sealer,
            FaultInjector faults,
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
     * it is encrypted, for good: encryption is changed by migrating to a new store.
     */
    public static Store create(Path root, String storeId, ClusterLayout layout, StoreKeys keys) {
        return create(root, storeId, layout, keys, FaultInjector.NONE);
    }

    public static Store create(Path root, String storeId, ClusterLayout layout, StoreKeys keys, FaultInjector faults) {
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
        return open(root, keys, FaultInjector.NONE);
    }

    /**
     * Opens the store in {@code root}: checks the keys against the superblock, reads and verifies the committed
     * version, and deletes what no committed version references (the leftovers of a crash).
     */
    public static Store open(Path root, StoreKeys keys, FaultInjector faults) {
        StoreFiles.Superblock sb = StoreFiles.readSuperblock(root);
        if (sb.encrypted() && !keys.encrypted()) {
            throw new StrongroomException(
                    ErrorCode.WRONG_KEY, "store " + sb.storeId() + " is encrypted; open it with its database key");
        }
        if (!sb.encrypted() && keys.encrypted()) {
            throw new StrongroomException(
                    ErrorCode.WRONG_KEY, "store " + sb.storeId() + " is not encrypted, but a database key was offered");
        }
        if (sb.encrypted() && !java.util.Objects.equals(sb.databaseKeyId(), keys.keyId())) {
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
        } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE, "store " + root + " is already open: " + e.getMessage(), e);
        }
        try {
            if (keys.encrypted() && keys.current().version() > sb.newestKeyVersion()) {
                throw new StrongroomException(
                        ErrorCode.INVALID_STATE,
                        "database key version " + keys.current().version() + " is newer than any store " + sb.storeId()
                                + " has used (" + sb.newestKeyVersion() + "); rotation must record it first");
            }
            Sealer sealer = new Sealer(keys, sb.newestKeyVersion());
            StoreFiles.Pointer p = f.readPointer(sealer);
            Catalog cat = f.readCatalog(p.seq(), p.catalogDigest(), sealer);
            Map<Long, TableManifest> manifests = new HashMap<>();
            for (Catalog.Entry e : cat.tables()) {
                TableManifest m = e.manifestVersion() == 0
                        ? TableManifest.empty(e.tableId(), sb.layout().sliceCount())
                        : f.readManifest(
                                e.tableId(),
                                e.manifestVersion(),
                                e.manifestDigest(),
                                sealer,
                                e.spec().qualifiedName());
                m.checkInvariants(
                        e.spec().columns().stream().mapToInt(Column::id).toArray(),
                        "manifest of table " + e.spec().qualifiedName());
                manifests.put(e.tableId(), m);
            }
            StoreVersion v = new StoreVersion(cat, manifests);
            long[] maxIds = removeUnreferenced(f, v);
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

    /** Deletes files no committed version references; returns the highest block and table ids seen on disk. */
    private static long[] removeUnreferenced(StoreFiles f, StoreVersion v) {
        long maxBlock = 0;
        long maxTable = 0;
        Set<Path> keep = new HashSet<>();
        keep.add(f.catalogFile(v.seq()));
        Map<Long, Catalog.Entry> live = new HashMap<>();
        for (Catalog.Entry e : v.catalog().tables()) {
            live.put(e.tableId(), e);
            keep.add(f.manifestFile(e.tableId(), e.manifestVersion()));
            v.manifest(e.tableId()).blocks().forEach(b -> keep.add(f.blockFile(e.tableId(), b.blockId())));
        }
        try {
            deleteAllExcept(f.catalogDir(), keep);
            deleteAllExcept(f.tmpDir(), keep);
            Files.deleteIfExists(f.root().resolve(StoreFiles.POINTER + ".tmp"));
            try (Stream<Path> dirs = Files.list(f.tablesDir())) {
                for (Path dir : dirs.toList()) {
                    long id;
                    try {
                        id = Long.parseLong(dir.getFileName().toString());
                    } catch (NumberFormatException e) {
                        continue;
                    }
                    maxTable = Math.max(maxTable, id);
                    try (Stream<Path> s = Files.list(dir)) {
                        for (Path p : s.toList()) {
                            maxBlock = Math.max(
                                    maxBlock,
                                    StoreFiles.parseHex(p.getFileName().toString(), ".blk"));
                        }
                    }
                    deleteAllExcept(dir, keep);
                    if (!live.containsKey(id)) {
                        Files.deleteIfExists(dir);
                    }
                }
            }
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot clean up store " + f.root() + ": " + e.getMessage(), e);
        }
        return new long[] {maxBlock, maxTable};
    }

    private static void deleteAllExcept(Path dir, Set<Path> keep) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (!keep.contains(p) && Files.isRegularFile(p)) {
                    Files.delete(p);
                }
            }
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

    /** A new temporary file in {@code tmp/}, sealed like the store's other files; close deletes it. */
    public SpillFile newSpillFile() {
        checkUsable();
        long id = nextSpillId.getAndIncrement();
        return new SpillFile(files.spillFile(id), storeId(), id, encrypted(), spillRandom);
    }

    /** Starts a write transaction over the committed version. */
    public Transaction begin() {
        checkUsable();
        return new Transaction(this, current);
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

    Sealer sealer() {
        return sealer;
    }

    FaultInjector faults() {
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
            StoreVersion cur = current;
            Committer.checkConflicts(base, cur, changes);
            try {
                StoreVersion next =
                        Committer.write(files, sealer, faults, cur, changes, nextTableId.get(), nextBlockId.get());
                List<Path> obsolete = Committer.obsoleteFiles(files, cur, next);
                current = next;
                synchronized (gcLock) {
                    for (Path p : obsolete) {
                        pendingDeletes.add(new PendingDelete(next.seq(), p));
                    }
                }
                collectGarbage();
                return next;
            } catch (RuntimeException | Error e) {
                failure = e.getClass().getSimpleName() + " at commit of version " + (cur.seq() + 1);
                releaseLock();
                throw e;
            }
        } finally {
            commitLock.unlock();
        }
    }

    /** Deletes obsolete files that no open snapshot can read any more. */
    private void collectGarbage() {
        List<Path> doomed = new ArrayList<>();
        synchronized (gcLock) {
            long oldestOpen = openSnapshots.isEmpty() ? Long.MAX_VALUE : openSnapshots.firstKey();
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
}
