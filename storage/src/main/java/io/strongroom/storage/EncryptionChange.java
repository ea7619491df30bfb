package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.storage.format.BlockCodec;
import io.strongroom.storage.format.BlockOrigins;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.ManifestEntry;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import io.strongroom.storage.format.WrappedBlockKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Encrypting an unencrypted store, or decrypting an encrypted one, in place and online: reads and writes go on
 * throughout, and every reader handles a store whose blocks are partly in the clear and partly encrypted.
 *
 * <p>How this works. A manifest entry says how its block is sealed: under a block key wrapped by DEK version
 * {@code v >= 1}, or in the clear ({@code v = 0}, no key). In an encrypted store the manifest is authenticated under
 * the DEK, so an entry in the clear cannot be forged or a block downgraded.
 *
 * <ol>
 *   <li><b>Encrypt, switch</b> ({@link #beginEncryption}, under the commit lock, metadata only): the superblock is
 *       replaced to name the database key ({@link CommitStep#ENCRYPTION_KEY_RECORDED}); every manifest (entries
 *       unchanged: the blocks are still in the clear), a catalog and the commit pointer are written sealed under
 *       the DEK; the pointer's rename is the commit point. From then on new blocks are encrypted at once.
 *   <li><b>Decrypt, start</b> ({@link #beginDecryption}, in memory): new blocks are written in the clear; the
 *       metadata stays under the DEK until the end.
 *   <li><b>Re-seal, in the background</b> ({@link #reseal}): table by table, in chunks, each block on the wrong side
 *       is opened (its payload: compressed, encoded values, which are not decoded), sealed again as a new block
 *       (a new id, so no file is overwritten and no cache entry goes stale) and committed: the table's committed
 *       manifest gets the new entries in place of the old ones still there (a commit meanwhile may have appended
 *       rows or marked some deleted; delete vectors count rows, not blocks, so they stay right). The old files are
 *       deleted once no reader of an older version is open. A crash loses at most the chunk in flight: the next
 *       pass starts from what is committed.
 *   <li><b>Decrypt, switch</b> ({@link #finishDecryption}, under the commit lock): blocks commits added meanwhile
 *       are re-sealed, then every manifest, a catalog and the pointer are written in the clear (the commit point),
 *       then the superblock says unencrypted ({@link CommitStep#DECRYPTION_RECORDED}). The DEK stays in memory
 *       until no reader of an older version is open ({@link Store#retireKeysAfter}).
 * </ol>
 *
 * <p>What a crash leaves: a superblock that names a database key while the commit pointer is in the clear is
 * either an encryption whose switch did not commit or a decryption whose switch did; both mean the store is
 * unencrypted, and open writes the superblock to say so ({@link #settleSuperblock}). A transaction that began before
 * a switch and commits after it keeps its blocks as they were sealed; the next pass re-seals them (decryption
 * refuses such a commit after its switch, since the store then has no key: {@link #checkBlocksFit}). A
 * transaction that removes blocks (TRUNCATE, DROP COLUMN) and began before a re-seal commit of its table retries.
 *
 * <p>Alternatives rejected: a second store built beside the first and switched to at the end (twice the disk,
 * and writes made during the copy would need a catch-up under a lock; here new data is written in its final form
 * at once); re-encoding the rows (the payload moves as it is, so the pass costs about a read, a seal and a write).
 *
 * <p>Stateless; the store runs one encryption change, key rotation or re-seal pass at a time.
 */
public final class EncryptionChange {
    /** Blocks re-sealed per commit at least. */
    static final int MIN_BLOCKS_PER_COMMIT = 128;
    /** A table's re-seal takes at most about this many commits, so its manifest is rewritten a bounded number of times. */
    static final int COMMITS_PER_TABLE = 64;

    /** A block file read for re-sealing, per thread; kept while at most this large. */
    private static final int MAX_BUFFER = 8 * 1024 * 1024;

    private static final ThreadLocal<byte[]> READ_BUFFER = ThreadLocal.withInitial(() -> new byte[0]);

    private EncryptionChange() {}

    /** Hears a re-seal pass's progress. */
    public interface Listener {
        Listener NONE = (done, total, blocks) -> {};

        /**
         * Stored bytes re-sealed so far of {@code totalBytes} still in the wrong form when the pass began (plus
         * what commits added meanwhile); {@code blocks} re-sealed so far. Called after each commit of the pass.
         */
        void progress(long doneBytes, long totalBytes, long blocks);
    }

    /** What is left to re-seal toward one form: blocks and their stored bytes, and the tables that hold them. */
    public record Remaining(long blocks, long bytes, int tables) {}

    static Remaining remaining(StoreVersion v, boolean encrypt) {
        long blocks = 0;
        long bytes = 0;
        int tables = 0;
        for (Catalog.Entry e : v.catalog().tables()) {
            TableManifest m = v.manifest(e.tableId());
            long before = blocks;
            for (int i = 0; i < m.blocks().size(); i++) {
                if (wrongSide(m, i, encrypt)) {
                    blocks++;
                    bytes += m.blocks().get(i).storedBytes();
                }
            }
            tables += blocks > before ? 1 : 0;
        }
        return new Remaining(blocks, bytes, tables);
    }

    private static boolean wrongSide(TableManifest m, int i, boolean encrypt) {
        return (m.keys().dekVersion(i) == 0) == encrypt;
    }

    // ---- encrypt: the switch ----

    static void beginEncryption(Store store, DatabaseKey dek) {
        ReentrantLock lock = store.commitLock();
        lock.lock();
        try {
            store.checkUsable();
            StoreFiles.Superblock sb = store.superblock();
            if (sb.encrypted()) {
                throw new StrongroomException(
                        ErrorCode.INVALID_STATE, "store " + sb.storeId() + " is encrypted already");
            }
            Sealer next = new Sealer(StoreKeys.of(dek), dek.version());
            StoreVersion cur = store.current();
            try {
                // The superblock names the key before anything is sealed under it; until the pointer switch below
                // the store is still unencrypted (settleSuperblock).
                store.recordSuperblock(new StoreFiles.Superblock(
                        sb.storeId(), sb.layout(), true, dek.info().keyId(), dek.version()));
                store.faults().reached(CommitStep.ENCRYPTION_KEY_RECORDED, null);
                StoreVersion nv = rewriteMetadata(store, cur, next);
                store.switchRewritten(nv, next, Committer.obsoleteFiles(store.files(), cur, nv), false);
            } catch (RuntimeException | Error e) {
                store.failStop(e.getClass().getSimpleName() + " while switching to encryption");
                throw e;
            }
        } finally {
            lock.unlock();
        }
        store.collectGarbageNow();
    }

    // ---- decrypt ----

    static void beginDecryption(Store store) {
        ReentrantLock lock = store.commitLock();
        lock.lock();
        try {
            store.checkUsable();
            StoreFiles.Superblock sb = store.superblock();
            Sealer s = store.sealer();
            if (!sb.encrypted() || !s.encrypted()) {
                throw new StrongroomException(ErrorCode.INVALID_STATE, "store " + sb.storeId() + " is not encrypted");
            }
            store.useSealer(Sealer.decrypting(s.keys(), sb.newestKeyVersion()));
        } finally {
            lock.unlock();
        }
    }

    /**
     * The last step of a decryption: what commits left encrypted is re-sealed, then the metadata is written in the
     * clear. {@code released} hears when no reader needs the database keys any more (then they may be zeroed).
     */
    static void finishDecryption(Store store, KeyRotation.Listener released) {
        ReentrantLock lock = store.commitLock();
        lock.lock();
        long switchSeq;
        Sealer ring;
        try {
            store.checkUsable();
            StoreFiles.Superblock sb = store.superblock();
            Sealer s = store.sealer();
            if (!sb.encrypted() || s.sealsBlocks()) {
                throw new StrongroomException(
                        ErrorCode.INVALID_STATE, "store " + sb.storeId() + " is not being decrypted");
            }
            try {
                // Commits since the last pass wrote in the clear; only transactions that began before the
                // decryption started can have added encrypted blocks. Few, so they are done under the lock.
                for (Catalog.Entry e : store.current().catalog().tables()) {
                    List<Resealed> out = resealChunk(store, store.current(), e.tableId(), false, Integer.MAX_VALUE);
                    if (!out.isEmpty()) {
                        commitLocked(store, e.tableId(), out);
                    }
                }
                ring = Sealer.decrypted(s.keys(), sb.newestKeyVersion());
                StoreVersion cur = store.current();
                StoreVersion nv = rewriteMetadata(store, cur, ring);
                store.switchRewritten(nv, ring, Committer.obsoleteFiles(store.files(), cur, nv), false);
                store.recordSuperblock(new StoreFiles.Superblock(sb.storeId(), sb.layout(), false, null, 0));
                store.faults().reached(CommitStep.DECRYPTION_RECORDED, null);
                switchSeq = nv.seq();
            } catch (RuntimeException | Error e) {
                store.failStop(e.getClass().getSimpleName() + " while switching to no encryption");
                throw e;
            }
        } finally {
            lock.unlock();
        }
        store.retireKeysAfter(switchSeq, ring, released);
    }

    /**
     * At open: a superblock that names a database key over a commit pointer in the clear is an encryption that did
     * not commit or a decryption that did; the store is unencrypted, and the superblock is replaced to say so. The
     * pointer must prove it is in the clear first (an unencrypted envelope whose checksum holds): a damaged key
     * version field in an encrypted pointer is an integrity failure, never a reason to call the store unencrypted.
     */
    static StoreFiles.Superblock settleSuperblock(Path root, StoreFiles.Superblock sb) {
        if (!sb.encrypted() || Store.committedKeyVersion(root) != 0) {
            return sb;
        }
        String place = "commit pointer " + root.resolve(StoreFiles.POINTER);
        try {
            new StoreFiles(root, sb.storeId()).readPointer(new Sealer(StoreKeys.unencrypted(), 0));
        } catch (StrongroomException e) {
            throw Sealer.integrity(
                    place, "names database key version 0 but is not a valid unencrypted pointer (" + e.code() + ")", e);
        }
        StoreFiles.Superblock plain = new StoreFiles.Superblock(sb.storeId(), sb.layout(), false, null, 0);
        DurableFiles.replaceAtomically(root.resolve(StoreFiles.SUPERBLOCK), StoreFiles.encodeSuperblock(plain));
        return plain;
    }

    /**
     * At commit: a store whose metadata is in the clear cannot list encrypted blocks (it has no key to read them
     * after a restart). Only a transaction that began before a decryption and wrote encrypted blocks can try.
     */
    static void checkBlocksFit(Sealer sealer, Map<Long, Transaction.TableChange> changes) {
        if (sealer.encrypted()) {
            return;
        }
        for (Transaction.TableChange c : changes.values()) {
            synchronized (c.added) {
                for (ManifestEntry e : c.added) {
                    if (e.dekVersion() != 0) {
                        throw new StrongroomException(
                                ErrorCode.CONFLICT,
                                "table " + c.spec.qualifiedName() + " was decrypted while this transaction wrote"
                                        + " encrypted blocks into it; retry (serialization failure)");
                    }
                }
            }
        }
    }

    // ---- the re-seal pass ----

    /**
     * Re-seals every block not yet in the form {@code encrypt} asks for, committing in chunks, until a pass over
     * the committed version finds none. {@code checkpoint} runs between chunks (it throws to stop the pass, which
     * keeps what it committed). Returns the blocks re-sealed.
     */
    static long reseal(Store store, boolean encrypt, Listener listener, Runnable checkpoint) {
        Sealer s = store.sealer();
        if (s.sealsBlocks() != encrypt || encrypt && !s.encrypted()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE,
                    "store " + store.storeId() + " is not being " + (encrypt ? "encrypted" : "decrypted"));
        }
        Remaining start = remaining(store.current(), encrypt);
        long total = start.bytes();
        listener.progress(0, total, 0);
        // Blocks are re-sealed on a worker thread at the lowest CPU priority, so queries keep their cores; commits
        // (which take the commit lock) stay on the calling thread, so a starved worker never holds the lock.
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(
                    () -> {
                        BackgroundPriority.lowerCurrentThread();
                        r.run();
                    },
                    "reseal-" + store.storeId());
            t.setDaemon(true);
            return t;
        });
        try {
            return resealAll(store, encrypt, listener, checkpoint, worker, total);
        } finally {
            worker.shutdownNow();
        }
    }

    private static long resealAll(
            Store store,
            boolean encrypt,
            Listener listener,
            Runnable checkpoint,
            ExecutorService worker,
            long totalAtStart) {
        long total = totalAtStart;
        long doneBytes = 0;
        long blocks = 0;
        boolean found = true;
        while (found) {
            found = false;
            for (Catalog.Entry e : store.current().catalog().tables()) {
                while (true) {
                    checkpoint.run();
                    List<Resealed> out;
                    try (Snapshot snap = store.snapshot()) {
                        if (!snap.version().manifests().containsKey(e.tableId())) {
                            break;
                        }
                        TableManifest m = snap.version().manifest(e.tableId());
                        int todo = 0;
                        for (int i = 0; i < m.blocks().size(); i++) {
                            todo += wrongSide(m, i, encrypt) ? 1 : 0;
                        }
                        if (todo == 0) {
                            break;
                        }
                        int chunk = Math.max(MIN_BLOCKS_PER_COMMIT, todo / COMMITS_PER_TABLE + 1);
                        StoreVersion v = snap.version();
                        out = onWorker(worker, () -> resealChunk(store, v, e.tableId(), encrypt, chunk));
                        commit(store, e.tableId(), out);
                    }
                    found = true;
                    blocks += out.size();
                    for (Resealed r : out) {
                        doneBytes += r.old().storedBytes();
                    }
                    total = Math.max(total, doneBytes);
                    listener.progress(doneBytes, total, blocks);
                }
            }
        }
        return blocks;
    }

    private static <T> T onWorker(ExecutorService worker, Callable<T> task) {
        try {
            return worker.submit(task).get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new StrongroomException(ErrorCode.INTERNAL, "re-seal worker failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrongroomException(ErrorCode.INTERNAL, "interrupted while re-sealing blocks", e);
        }
    }

    /** A block sealed again: the entry it replaces, its new entry, its new file. */
    private record Resealed(BlockRef old, ManifestEntry entry, Path file) {}

    /** Re-seals the first {@code max} blocks of table {@code tableId} in {@code v} on the wrong side (new files). */
    private static List<Resealed> resealChunk(Store store, StoreVersion v, long tableId, boolean encrypt, int max) {
        List<Resealed> out = new ArrayList<>();
        TableManifest m = v.manifests().get(tableId);
        if (m == null) {
            return out;
        }
        StoreFiles files = store.files();
        String storeId = store.storeId();
        Sealer sealer = store.sealer();
        byte[] buffer = READ_BUFFER.get();
        int[] length = {0};
        try {
            for (int i = 0; i < m.blocks().size() && out.size() < max; i++) {
                if (!wrongSide(m, i, encrypt)) {
                    continue;
                }
                BlockRef b = m.blocks().get(i);
                Path src = files.blockFile(tableId, m, i);
                String place = "block " + b.blockId() + " of table " + tableId + " (" + src + ")";
                byte[] bytes = DurableFiles.readInto(src, buffer, length, place);
                if (bytes != buffer && bytes.length <= MAX_BUFFER) {
                    buffer = bytes;
                    READ_BUFFER.set(buffer);
                }
                BlockCodec.Payload p = BlockCodec.open(
                        bytes, length[0], m.entry(i), storeId, tableId, m.sealedBy(i, storeId), sealer, place);
                long id = store.newBlockId();
                BlockRef next = new BlockRef(
                        id, b.columnId(), b.slice(), b.rowStart(), b.rowCount(), b.nullCount(), 0, b.zone());
                BlockCodec.Written w =
                        BlockCodec.seal(p.bytes(), p.length(), p.version(), next, storeId, tableId, encrypt, sealer);
                Path dst = files.blockFile(tableId, id);
                DurableFiles.writeNew(dst, w.file(), w.length());
                out.add(new Resealed(b, w.entry(), dst));
                store.faults().reached(CommitStep.BLOCK_WRITTEN, dst);
            }
        } catch (RuntimeException | Error e) {
            store.discard(out.stream().map(Resealed::file).toList());
            throw e;
        }
        return out;
    }

    private static void commit(Store store, long tableId, List<Resealed> out) {
        ReentrantLock lock = store.commitLock();
        lock.lock();
        try {
            store.checkUsable();
            try {
                commitLocked(store, tableId, out);
            } catch (RuntimeException | Error e) {
                store.failStop(e.getClass().getSimpleName() + " at a re-seal commit of table " + tableId);
                throw e;
            }
        } finally {
            lock.unlock();
        }
        store.collectGarbageNow();
    }

    /**
     * Puts the re-sealed blocks in place of those the committed manifest of {@code tableId} still lists, and commits
     * (under the commit lock). Blocks a commit removed meanwhile are discarded.
     */
    private static void commitLocked(Store store, long tableId, List<Resealed> out) {
        StoreVersion cur = store.current();
        StoreFiles files = store.files();
        Catalog.@Nullable Entry entry = null;
        for (Catalog.Entry e : cur.catalog().tables()) {
            if (e.tableId() == tableId) {
                entry = e;
            }
        }
        Map<Long, Resealed> byOld = new HashMap<>();
        out.forEach(r -> byOld.put(r.old().blockId(), r));
        Set<Long> used = new HashSet<>();
        if (entry != null) {
            TableManifest m = cur.manifest(tableId);
            int n = m.blocks().size();
            List<BlockRef> blocks = new ArrayList<>(n);
            WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(n);
            BlockOrigins.Builder origins = BlockOrigins.builder(m.origins().isEmpty() ? 0 : n);
            for (int i = 0; i < n; i++) {
                BlockRef b = m.blocks().get(i);
                Resealed r = byOld.get(b.blockId());
                if (r != null && r.old().equals(b)) {
                    blocks.add(r.entry().ref());
                    keys.add(r.entry());
                    origins.addOwn();
                    used.add(b.blockId());
                } else {
                    blocks.add(b);
                    keys.add(m.keys(), i);
                    origins.add(m.origins(), i);
                }
            }
            if (!used.isEmpty()) {
                long version = Math.max(
                                entry.manifestVersion(),
                                store.reservedManifestVersions().getOrDefault(tableId, 0L))
                        + 1;
                TableManifest nm = new TableManifest(
                        tableId, version, m.sliceRows(), blocks, keys.build(), m.deleted(), m.fills(), origins.build());
                nm.checkInvariants(
                        entry.spec().columns().stream().mapToInt(Column::id).toArray(),
                        "re-sealed manifest of " + entry.spec().qualifiedName());
                byte[] bytes = files.encodeManifest(nm, store.sealer());
                Path file = files.manifestFile(tableId, version);
                DurableFiles.writeNew(file, bytes);
                store.faults().reached(CommitStep.MANIFEST_WRITTEN, file);
                List<Catalog.Entry> entries = new ArrayList<>();
                for (Catalog.Entry e : cur.catalog().tables()) {
                    entries.add(
                            e.tableId() == tableId
                                    ? new Catalog.Entry(
                                            tableId,
                                            e.spec(),
                                            e.nextColumnId(),
                                            version,
                                            StoreFiles.sha256(bytes),
                                            e.liveRows())
                                    : e);
                }
                Catalog catalog =
                        new Catalog(cur.seq() + 1, store.nextTableIdValue(), store.nextBlockIdValue(), entries);
                Set<Path> dirs = new HashSet<>();
                dirs.add(files.tableDir(tableId));
                dirs.add(files.tablesDir());
                Committer.writeCatalogAndSwitch(files, store.sealer(), store.faults(), catalog, dirs);
                Map<Long, TableManifest> manifests = new HashMap<>(cur.manifests());
                manifests.put(tableId, nm);
                // The other tables keep their delta chains (and the catalogs holding them).
                StoreVersion next = new StoreVersion(catalog, manifests, cur.deltaHoldersWithout(tableId));
                store.switchRewritten(next, store.sealer(), Committer.obsoleteFiles(files, cur, next), true);
            }
        }
        List<Path> unused = new ArrayList<>();
        for (Resealed r : out) {
            if (!used.contains(r.old().blockId())) {
                unused.add(r.file());
            }
        }
        store.discard(unused);
    }

    /**
     * Writes every manifest of {@code cur} again (same entries) under {@code sealer}, then a catalog and the commit
     * pointer: the commit point of a switch of the metadata's encryption. Runs under the commit lock.
     */
    private static StoreVersion rewriteMetadata(Store store, StoreVersion cur, Sealer sealer) {
        StoreFiles files = store.files();
        List<Catalog.Entry> entries = new ArrayList<>();
        Map<Long, TableManifest> manifests = new HashMap<>(cur.manifests());
        Set<Path> dirs = new HashSet<>();
        for (Catalog.Entry e : cur.catalog().tables()) {
            if (e.manifestVersion() == 0) {
                entries.add(e); // no manifest file yet: nothing to seal
                continue;
            }
            TableManifest m = cur.manifest(e.tableId());
            long version = Math.max(
                            e.manifestVersion(),
                            store.reservedManifestVersions().getOrDefault(e.tableId(), 0L))
                    + 1;
            TableManifest nm = m.withVersionAndKeys(version, m.keys());
            byte[] bytes = files.encodeManifest(nm, sealer);
            Path file = files.manifestFile(e.tableId(), version);
            DurableFiles.writeNew(file, bytes);
            store.faults().reached(CommitStep.MANIFEST_WRITTEN, file);
            dirs.add(files.tableDir(e.tableId()));
            entries.add(new Catalog.Entry(
                    e.tableId(), e.spec(), e.nextColumnId(), version, StoreFiles.sha256(bytes), e.liveRows()));
            manifests.put(e.tableId(), nm);
        }
        Catalog catalog = new Catalog(cur.seq() + 1, store.nextTableIdValue(), store.nextBlockIdValue(), entries);
        dirs.add(files.tablesDir());
        Committer.writeCatalogAndSwitch(files, sealer, store.faults(), catalog, dirs);
        return new StoreVersion(catalog, manifests);
    }
}
