package io.strongroom.storage;

import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.storage.format.Bindings;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * One rotation of a store's database key (DEK): every block key is rewrapped under the new DEK; no block file is
 * touched, since a block is encrypted under its own block key and its associated data does not name the DEK.
 *
 * <p>How this works, in four steps:
 *
 * <ol>
 *   <li><b>Record.</b> The superblock is replaced atomically to name the new version as the newest the store has
 *       used ({@link CommitStep#ROTATION_KEY_VERSION_RECORDED}), before anything is written under it: an envelope
 *       naming a version above the superblock's is damage, not a key we lack.
 *   <li><b>Rewrap, online.</b> Outside the commit lock, for the committed version at that moment, every block key
 *       not yet under the new DEK is unwrapped (with whichever older DEK wraps it) and wrapped under the new one
 *       with the new version in its associated data, in parallel; a new manifest per table is written (sealed
 *       under the new DEK, {@link CommitStep#ROTATION_MANIFEST_WRITTEN}) at a manifest version reserved so that
 *       commits running meanwhile skip it. Reads and commits go on; commits still write under the old DEK.
 *   <li><b>Switch.</b> Under the commit lock, tables whose manifest a commit changed meanwhile are rewrapped again
 *       (only blocks not already rewrapped need a DEK operation), then a new catalog and the commit pointer are
 *       written sealed under the new DEK: the pointer's rename is the commit point. Commits wait only for this.
 *   <li><b>Retire.</b> The store keeps the old DEK in its key ring until no snapshot or transaction from before
 *       the switch is open, then drops it and tells the {@link Listener}, whose owner may then zero it.
 * </ol>
 *
 * <p>What a crash leaves: before the pointer switch the committed version is the old one, sealed under the old
 * DEK, and the rotation's manifests are garbage the next open deletes; from the switch on, the committed version
 * is sealed under the new DEK and every block key it lists is wrapped under it. Either opens with the key ring
 * {old, new}; {@link Store#committedKeyVersion} tells the caller which one it got, without a key. At no moment is
 * a committed block key wrapped under a DEK the ring lacks.
 *
 * <p>Transactions that began before the switch and wrote blocks under the old DEK have those keys rewrapped when
 * they commit ({@link #rewrapStale}); a rotation's rewrap does not count as a conflicting change to a table.
 *
 * <p>Alternatives rejected: rewriting blocks (the whole point of per-block keys is not to); one big switch
 * under the lock (commits would pause for the whole rewrap, proportional to the data); a separate key-mapping
 * file beside the manifests (one more artefact to keep consistent, for no saving: manifests are rewritten
 * anyway when their keys change).
 *
 * <p>Not thread-safe by itself: the store runs one rotation at a time.
 */
public final class KeyRotation {
    private static final int CHUNK = 16 * 1024;

    /**
     * Threads that rewrap: half the cores (at least one), so queries keep the other half; rotation is background
     * work and its speed matters less than the queries' (issue 7: throughput during rotation at least 90%).
     */
    static final int PARALLELISM = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    private static final java.util.concurrent.ForkJoinPool POOL = new java.util.concurrent.ForkJoinPool(
            PARALLELISM,
            pool -> {
                java.util.concurrent.ForkJoinWorkerThread t =
                        java.util.concurrent.ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setDaemon(true);
                t.setName("strongroom-key-rotation-" + t.getPoolIndex());
                return t;
            },
            null,
            false);

    /** Hears a rotation's progress and the moment its older keys are no longer needed. */
    public interface Listener {
        Listener NONE = (rewrapped, total) -> {};

        /** The new key switched in; commits waited {@code pausedNanos} for it (the time under the commit lock). */
        default void switched(long pausedNanos) {}

        /** Block keys rewrapped so far of those to rewrap; called from the rotating thread. */
        void progress(long rewrapped, long total);

        /**
         * No open snapshot or transaction needs a key older than the new one any more; the store dropped them
         * from its key ring. Called once, from whichever thread closed the last reader (possibly the rotating
         * thread itself, at the end of the rotation).
         */
        default void olderKeysReleased() {}
    }

    private final Store store;
    private final DatabaseKey next;
    private final Listener listener;

    KeyRotation(Store store, DatabaseKey next, Listener listener) {
        this.store = store;
        this.next = next;
        this.listener = listener;
    }

    /** A table's rewrapped manifest, written but not yet committed. */
    private record Prepared(long baseVersion, TableManifest manifest, byte[] digest) {}

    long run() {
        StoreFiles.Superblock sb = store.superblock();
        Sealer old = store.sealer();
        if (!sb.encrypted()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE,
                    "store " + sb.storeId() + " is not encrypted: it has no database key to rotate");
        }
        if (!next.info().keyId().equals(sb.databaseKeyId())) {
            throw new IllegalArgumentException("the new database key must keep the id " + sb.databaseKeyId());
        }
        if (next.version() <= sb.newestKeyVersion()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE,
                    "database key version " + next.version() + " is not newer than version " + sb.newestKeyVersion()
                            + ", which store " + sb.storeId() + " has already used; rotate to version "
                            + (sb.newestKeyVersion() + 1));
        }
        List<DatabaseKey> ringKeys = new ArrayList<>();
        for (int v = 1; v <= sb.newestKeyVersion(); v++) {
            DatabaseKey k = old.keys().find(v);
            if (k != null) {
                ringKeys.add(k);
            }
        }
        ringKeys.add(next);
        Sealer ring = new Sealer(StoreKeys.of(ringKeys), next.version());
        Sealer newOnly = new Sealer(StoreKeys.of(next), next.version());

        // 1. Record the new version as the newest before anything is sealed under it.
        store.recordSuperblock(new StoreFiles.Superblock(
                sb.storeId(), sb.layout(), sb.encrypted(), sb.databaseKeyId(), next.version()));
        store.faults()
                .reached(CommitStep.ROTATION_KEY_VERSION_RECORDED, store.root().resolve(StoreFiles.SUPERBLOCK));

        // 2. Rewrap the committed version at this moment, outside the commit lock.
        // Reserve the next manifest version of every table under the commit lock, so commits meanwhile skip it.
        StoreVersion seen;
        store.commitLock().lock();
        try {
            seen = store.current();
            for (Catalog.Entry e : seen.catalog().tables()) {
                store.reservedManifestVersions().put(e.tableId(), e.manifestVersion() + 1);
            }
        } finally {
            store.commitLock().unlock();
        }
        long total = 0;
        for (TableManifest m : seen.manifests().values()) {
            total += m.blocks().size();
        }
        long[] done = {0};
        long totalBlocks = total;
        listener.progress(0, totalBlocks);
        Map<Long, Prepared> prepared = new HashMap<>();
        List<Path> written = new ArrayList<>();
        try {
            for (Catalog.Entry e : seen.catalog().tables()) {
                TableManifest m = seen.manifest(e.tableId());
                List<BlockRef> rewrapped = rewrapAll(ring, e.tableId(), m.blocks(), null, n -> {
                    done[0] += n;
                    listener.progress(done[0], totalBlocks);
                });
                long version = m.version() + 1;
                TableManifest nm = m.withVersionAndBlocks(version, rewrapped);
                Path file = store.files().manifestFile(e.tableId(), version);
                written.add(file);
                byte[] digest = writeManifest(ring, nm);
                prepared.put(e.tableId(), new Prepared(m.version(), nm, digest));
                store.faults().reached(CommitStep.ROTATION_MANIFEST_WRITTEN, file);
            }
        } catch (RuntimeException e) {
            store.reservedManifestVersions().clear();
            store.discard(written);
            throw e;
        }

        // 3. Switch under the commit lock: catch up with commits made meanwhile, then commit sealed under the new DEK.
        long seq;
        store.commitLock().lock();
        long locked = System.nanoTime();
        try {
            store.checkUsable();
            StoreVersion cur = store.current();
            try {
                seq = switchTo(cur, ring, newOnly, prepared, written);
            } catch (RuntimeException | Error e) {
                store.failStop(
                        e.getClass().getSimpleName() + " at the switch of key rotation to version " + next.version());
                throw e;
            } finally {
                store.reservedManifestVersions().clear();
            }
        } finally {
            store.commitLock().unlock();
        }
        listener.switched(System.nanoTime() - locked);
        // 4. Retire the older keys as soon as no reader needs them (maybe right now).
        store.collectGarbageNow();
        return seq;
    }

    private long switchTo(
            StoreVersion cur, Sealer ring, Sealer newOnly, Map<Long, Prepared> prepared, List<Path> written) {
        StoreFiles files = store.files();
        long seq = cur.seq() + 1;
        List<Catalog.Entry> entries = new ArrayList<>();
        Map<Long, TableManifest> manifests = new LinkedHashMap<>();
        Set<Path> dirsToSync = new HashSet<>();
        List<Path> unused = new ArrayList<>();
        for (Catalog.Entry e : cur.catalog().tables()) {
            TableManifest m = cur.manifest(e.tableId());
            Prepared p = prepared.get(e.tableId());
            TableManifest nm;
            byte[] digest;
            if (p != null && p.baseVersion() == m.version()) {
                nm = p.manifest();
                digest = p.digest();
            } else {
                // Changed (or created) by a commit during the rewrap: reuse what was rewrapped, wrap the rest.
                if (p != null) {
                    unused.add(files.manifestFile(e.tableId(), p.manifest().version()));
                }
                long version =
                        Math.max(m.version(), p == null ? 0 : p.manifest().version()) + 1;
                List<BlockRef> blocks =
                        rewrapAll(ring, e.tableId(), m.blocks(), p == null ? null : p.manifest(), n -> {});
                nm = m.withVersionAndBlocks(version, blocks);
                Path file = files.manifestFile(e.tableId(), version);
                written.add(file);
                digest = writeManifest(ring, nm);
                store.faults().reached(CommitStep.ROTATION_MANIFEST_WRITTEN, file);
            }
            dirsToSync.add(files.tableDir(e.tableId()));
            entries.add(new Catalog.Entry(e.tableId(), e.spec(), e.nextColumnId(), nm.version(), digest, e.liveRows()));
            manifests.put(e.tableId(), nm);
        }
        prepared.forEach((tableId, p) -> {
            if (!manifests.containsKey(tableId)) {
                unused.add(files.manifestFile(tableId, p.manifest().version()));
            }
        });
        Catalog catalog = new Catalog(seq, store.nextTableIdValue(), store.nextBlockIdValue(), entries);
        Committer.writeCatalogAndSwitch(files, ring, store.faults(), catalog, dirsToSync);
        StoreVersion nextVersion = new StoreVersion(catalog, manifests);
        List<Path> obsolete = new ArrayList<>();
        obsolete.add(files.catalogFile(cur.seq()));
        for (Catalog.Entry e : cur.catalog().tables()) {
            if (e.manifestVersion() > 0) {
                obsolete.add(files.manifestFile(e.tableId(), e.manifestVersion()));
            }
        }
        store.discard(unused);
        store.switchRotated(nextVersion, ring, newOnly, obsolete, listener);
        return seq;
    }

    /** Writes {@code m} sealed under the ring's current key as a new file; returns the file's SHA-256. */
    private byte[] writeManifest(Sealer ring, TableManifest m) {
        StoreFiles files = store.files();
        byte[] bytes = files.encodeManifest(m, ring);
        Path dir = files.tableDir(m.tableId());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
        }
        Path file = files.manifestFile(m.tableId(), m.version());
        DurableFiles.writeNew(file, bytes);
        return StoreFiles.sha256(bytes);
    }

    /**
     * {@code blocks} with every block key under {@link #next}: taken from {@code already} when it holds the same
     * block rewrapped, otherwise unwrapped with the ring and wrapped anew. Runs chunks in parallel; {@code done}
     * hears each finished chunk's size.
     */
    private List<BlockRef> rewrapAll(
            Sealer ring,
            long tableId,
            List<BlockRef> blocks,
            @Nullable TableManifest already,
            java.util.function.LongConsumer done) {
        Map<Long, BlockRef> reuse = new HashMap<>();
        if (already != null) {
            already.blocks().forEach(b -> reuse.put(b.blockId(), b));
        }
        BlockRef[] out = new BlockRef[blocks.size()];
        String storeId = store.storeId();
        for (int start = 0; start < out.length; start += CHUNK) {
            int from = start;
            int to = Math.min(out.length, start + CHUNK);
            java.util.function.IntConsumer one = i -> {
                BlockRef b = blocks.get(i);
                BlockRef r = reuse.get(b.blockId());
                out[i] = r != null && r.dekVersion() == next.version() ? r : rewrap(ring, next, storeId, tableId, b);
            };
            if (PARALLELISM == 1 || to - from < 256) {
                for (int i = from; i < to; i++) {
                    one.accept(i);
                }
            } else {
                try {
                    POOL.submit(() -> IntStream.range(from, to).parallel().forEach(one))
                            .get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StrongroomException(ErrorCode.INTERNAL, "key rotation interrupted", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException re
                            ? re
                            : new StrongroomException(ErrorCode.INTERNAL, "key rotation failed: " + e.getCause(), e);
                }
            }
            done.accept(to - from);
        }
        return List.of(out);
    }

    /** {@code b} with its block key wrapped under {@code to} (itself when it already is). */
    static BlockRef rewrap(Sealer ring, DatabaseKey to, String storeId, long tableId, BlockRef b) {
        if (b.dekVersion() == to.version()) {
            return b;
        }
        AssociatedData from = Bindings.blockKey(storeId, tableId, b.columnId(), b.slice(), b.blockId(), b.dekVersion());
        byte[] wrapped;
        try {
            wrapped = ring.rewrapBlockKey(
                    b.wrappedKey(),
                    b.dekVersion(),
                    from,
                    to,
                    Bindings.blockKey(storeId, tableId, b.columnId(), b.slice(), b.blockId(), to.version()),
                    "the block keys of table " + tableId);
        } catch (StrongroomException e) {
            // The place is named only on failure: building it for every block would cost more than the crypto.
            throw new StrongroomException(e.code(), e.getMessage() + " (" + b + ")", e);
        }
        return b.withWrappedKey(wrapped, to.version());
    }

    /**
     * Before a commit (under the commit lock): blocks a transaction wrote under an older DEK than the store's
     * current one (it began before a rotation's switch) get their keys rewrapped under the current DEK.
     */
    static void rewrapStale(Store store, Sealer sealer, Map<Long, Transaction.TableChange> changes) {
        if (!sealer.encrypted()) {
            return;
        }
        DatabaseKey cur = sealer.keys().current();
        for (Transaction.TableChange c : changes.values()) {
            synchronized (c.added) {
                for (int i = 0; i < c.added.size(); i++) {
                    BlockRef b = c.added.get(i);
                    if (b.dekVersion() != cur.version()) {
                        c.added.set(i, rewrap(sealer, cur, store.storeId(), c.tableId, b));
                    }
                }
            }
        }
    }
}
