package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.BlockOrigins;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.ByteSink;
import io.strongroom.storage.format.ByteSource;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A region's snapshot store: a directory apart from every cluster's data, holding snapshot images and one pool of
 * blocks they share. Format and invariants: {@code docs/format/snapshot.md}.
 *
 * <p>How this works. An image is a frozen copy of one committed store version's metadata: the source store's
 * superblock, a commit pointer, a catalog without the {@code BACKUP NO} tables, the manifests of the other tables
 * (byte for byte), and a plaintext list of the blocks it needs. Blocks are not re-encrypted: they are copied, as
 * they are, into the pool under a name made of the source store id, table id, block id and a fingerprint of the
 * file, so a block that several snapshots need is stored once. Everything in an image stays sealed under the
 * source store's database key and bound to the source store id; the caller keeps that key's envelope (the wrapped
 * DEK and CEK) beside the image. Restoring links (or copies) an image's files and blocks into a new store
 * directory, which then opens as an ordinary store with the snapshot's database key; a restored cluster copies the
 * rows from there into its own store under its own keys.
 *
 * <p>Crash safety. An image is a snapshot only once its {@code COMPLETE} marker, written last and atomically,
 * exists; a pool block is deleted only when no marked image lists it. {@link #recover} deletes unmarked images
 * and then unlisted blocks. All writes hold one lock, so a collection never runs while an image is half written.
 *
 * <p>Alternatives rejected: re-encrypting blocks into the snapshot under a snapshot key (a full read and write of
 * every block on every snapshot, and incremental sharing would need content hashes of plaintext); reference
 * counts stored beside pool blocks (a second durable structure to keep consistent; the lists are the truth and a
 * collection recomputes from them).
 *
 * <p>Thread-safe.
 */
public final class SnapshotStore {
    /**
     * What writing an image found.
     *
     * @param tables tables in the image
     * @param excludedTables qualified names of the {@code BACKUP NO} tables left out
     * @param blocks blocks the image lists
     * @param newBlocks blocks this write added to the pool (the rest were shared)
     * @param totalBytes bytes of the blocks the image lists
     * @param newBytes bytes this write added to the pool
     */
    public record ImageStats(
            int tables, List<String> excludedTables, long blocks, long newBlocks, long totalBytes, long newBytes) {
        public ImageStats {
            excludedTables = List.copyOf(excludedTables);
        }
    }

    /** One block an image needs: where it came from and which pool file holds it. */
    record Ref(long tableId, long blockId, long fingerprint, long size) {}

    record Refs(String storeId, List<Ref> refs) {}

    static final String COMPLETE = "COMPLETE";
    /**
     * Prefix of the pin of a store that shares blocks ({@link #restoreShared}): an image with only a block list and
     * a marker, which keeps those blocks in the pool until {@link #unpin}. Recovery keeps pins; their owner unpins.
     */
    static final String PIN = "pin-";

    static final String BLOCKS = "BLOCKS";
    private static final byte[] BLOCKS_MAGIC = {'S', 'R', 'I', 'B'};
    private static final byte[] COMPLETE_MAGIC = {'S', 'R', 'I', 'C'};
    private static final int FORMAT_VERSION = 1;
    private static final long MAX_REFS = 64L * 1024 * 1024;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path root;
    final Path pool;
    final Path images;
    /** Told of every {@link SnapshotStep}; crash tests throw from it. */
    final FaultHook faults;

    final Object lock = new Object();

    private SnapshotStore(Path root, FaultHook faults) {
        this.root = root;
        this.pool = root.resolve("pool");
        this.images = root.resolve("images");
        this.faults = faults;
    }

    public static SnapshotStore open(Path root) {
        return open(root, FaultHook.NONE);
    }

    /** Opens (creating if needed) the snapshot store in {@code root}. Call {@link #recover} before use. */
    public static SnapshotStore open(Path root, FaultHook faults) {
        try {
            Files.createDirectories(root.resolve("pool"));
            Files.createDirectories(root.resolve("images"));
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create snapshot store " + root + ": " + e, e);
        }
        return new SnapshotStore(root, faults);
    }

    public Path root() {
        return root;
    }

    /**
     * Writes image {@code imageId} of the version {@code source} reads, leaving out {@code BACKUP NO} tables. Blocks
     * already in the pool are not copied again. A crash at any step leaves an unmarked image (deleted by {@link
     * #recover}) and pool blocks that {@link #recover} frees unless a marked image lists them.
     */
    public ImageStats write(String imageId, Snapshot source) {
        return write(imageId, source, n -> {});
    }

    /** As {@link #write(String, Snapshot)}, telling {@code progress} the bytes of each block as it is stored. */
    public ImageStats write(String imageId, Snapshot source, LongConsumer progress) {
        checkName(imageId, "image id");
        Store store = source.store();
        String storeId = store.storeId();
        checkName(storeId, "store id");
        StoreVersion v = source.version();
        synchronized (lock) {
            Path dir = images.resolve(imageId);
            if (Files.exists(dir.resolve(COMPLETE))) {
                throw new StrongroomException(ErrorCode.ALREADY_EXISTS, "snapshot image " + imageId + " exists");
            }
            DurableFiles.deleteTree(dir);
            StoreFiles src = store.files();
            StoreFiles img = new StoreFiles(dir, storeId);
            List<Catalog.Entry> kept = new ArrayList<>();
            List<String> excluded = new ArrayList<>();
            List<Ref> refs = new ArrayList<>();
            long newBlocks = 0;
            long newBytes = 0;
            long totalBytes = 0;
            try {
                Files.createDirectories(img.catalogDir());
                Files.createDirectories(img.tablesDir());
                Set<Path> poolDirs = new HashSet<>();
                for (Catalog.Entry e : v.catalog().tables()) {
                    if (!e.spec().backup()) {
                        excluded.add(e.spec().qualifiedName());
                        continue;
                    }
                    TableManifest tm = v.manifest(e.tableId());
                    long[] fingerprints = new long[tm.blocks().size()];
                    for (int i = 0; i < tm.blocks().size(); i++) {
                        BlockRef b = tm.blocks().get(i);
                        // A block this store shares with an older snapshot is read from that snapshot's pool file.
                        Path from = src.blockFile(e.tableId(), tm, i);
                        long size = Files.size(from);
                        Ref r = new Ref(e.tableId(), b.blockId(), fingerprint(from, size), size);
                        fingerprints[i] = r.fingerprint();
                        refs.add(r);
                        totalBytes += size;
                        Path to = poolFile(storeId, r);
                        if (!Files.exists(to)) {
                            Path parent = to.getParent();
                            if (parent != null && poolDirs.add(parent)) {
                                Files.createDirectories(parent);
                            }
                            Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
                            Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
                            DurableFiles.fsyncFile(tmp);
                            DurableFiles.rename(tmp, to);
                            newBlocks++;
                            newBytes += size;
                            faults.reached(SnapshotStep.POOL_BLOCK_WRITTEN, to);
                        }
                        progress.accept(size);
                    }
                    Catalog.Entry entry = e;
                    if (e.manifestVersion() != 0) {
                        Path m = img.manifestFile(e.tableId(), e.manifestVersion());
                        Files.createDirectories(img.tableDir(e.tableId()));
                        if (tm.origins().isEmpty() && !e.hasDeltas()) {
                            DurableFiles.writeNew(
                                    m,
                                    DurableFiles.read(
                                            src.manifestFile(e.tableId(), e.manifestVersion()),
                                            "manifest of " + e.spec()));
                        } else {
                            // Blocks shared with an older snapshot now have copies of this image's own in the pool:
                            // the image's manifest names those, not the files the older snapshot keeps. A manifest
                            // with deltas is folded into one file: an image holds whole manifests only.
                            TableManifest whole = tm.origins().isEmpty() ? tm : relocated(tm, storeId, fingerprints);
                            byte[] bytes = img.encodeManifest(whole, store.sealer());
                            DurableFiles.writeNew(m, bytes);
                            entry = new Catalog.Entry(
                                    e.tableId(),
                                    e.spec(),
                                    e.nextColumnId(),
                                    e.manifestVersion(),
                                    StoreFiles.sha256(bytes),
                                    e.liveRows());
                        }
                        DurableFiles.fsyncDirectory(img.tableDir(e.tableId()));
                    }
                    kept.add(entry);
                }
                for (Path d : poolDirs) {
                    DurableFiles.fsyncDirectory(d);
                    Path storeDir = d.getParent();
                    if (storeDir != null) {
                        DurableFiles.fsyncDirectory(storeDir);
                    }
                }
                DurableFiles.fsyncDirectory(pool);
                Catalog c = v.catalog();
                Catalog filtered = new Catalog(c.seq(), c.nextTableId(), c.nextBlockId(), kept);
                byte[] cat = img.encodeCatalog(filtered, store.sealer());
                DurableFiles.writeNew(img.catalogFile(c.seq()), cat);
                DurableFiles.writeNew(
                        dir.resolve(StoreFiles.POINTER),
                        img.encodePointer(new StoreFiles.Pointer(c.seq(), StoreFiles.sha256(cat)), store.sealer()));
                DurableFiles.writeNew(
                        dir.resolve(StoreFiles.SUPERBLOCK),
                        DurableFiles.read(src.root().resolve(StoreFiles.SUPERBLOCK), "superblock of " + storeId));
                byte[] list = encodeRefs(new Refs(storeId, refs));
                DurableFiles.writeNew(dir.resolve(BLOCKS), list);
                DurableFiles.fsyncDirectory(img.catalogDir());
                DurableFiles.fsyncDirectory(img.tablesDir());
                DurableFiles.fsyncDirectory(dir);
                DurableFiles.fsyncDirectory(images);
                faults.reached(SnapshotStep.IMAGE_FILES_WRITTEN, dir);
                mark(dir, list);
            } catch (IOException e) {
                throw new StrongroomException(
                        ErrorCode.IO_ERROR, "cannot write snapshot image " + imageId + ": " + e.getMessage(), e);
            }
            return new ImageStats(kept.size(), excluded, refs.size(), newBlocks, totalBytes, newBytes);
        }
    }

    /**
     * {@code m} with each shared block's location moved to this pool's copy of it, under {@code storeId} with the
     * fingerprint {@code fingerprints} gives (the names {@link #write} stores blocks under); origins stay.
     */
    private static TableManifest relocated(TableManifest m, String storeId, long[] fingerprints) {
        BlockOrigins.Builder b = BlockOrigins.builder(m.blocks().size());
        for (int i = 0; i < m.blocks().size(); i++) {
            BlockOrigins.Origin o = m.origins().of(i);
            if (o == null) {
                b.addOwn();
            } else {
                b.add(o, new BlockOrigins.Location(storeId, fingerprints[i]));
            }
        }
        return new TableManifest(
                m.tableId(), m.version(), m.sliceRows(), m.blocks(), m.keys(), m.deleted(), m.fills(), b.build());
    }

    /** Copies image {@code from} to a new image {@code to}; they share every block. */
    public void copy(String from, String to) {
        checkName(from, "image id");
        checkName(to, "image id");
        synchronized (lock) {
            Path src = images.resolve(from);
            Refs refs = readRefs(from);
            Path dst = images.resolve(to);
            if (Files.exists(dst.resolve(COMPLETE))) {
                throw new StrongroomException(ErrorCode.ALREADY_EXISTS, "snapshot image " + to + " exists");
            }
            DurableFiles.deleteTree(dst);
            copyImageFiles(src, dst, from);
            DurableFiles.fsyncTree(dst);
            DurableFiles.fsyncDirectory(images);
            faults.reached(SnapshotStep.IMAGE_FILES_WRITTEN, dst);
            mark(dst, encodeRefs(refs));
        }
    }

    /**
     * Copies image {@code from} into another snapshot store (another region's) as image {@code to}: its files and
     * every pool block it lists that {@code target} lacks, byte for byte (nothing is decrypted or re-encrypted), then
     * the marker, last. {@code progress} hears the bytes of blocks copied. A crash leaves an unmarked image in
     * {@code target}, which its {@link #recover} deletes, with the blocks no marked image lists.
     */
    public void copyInto(String from, SnapshotStore target, String to, LongConsumer progress) {
        checkName(from, "image id");
        checkName(to, "image id");
        if (target == this || target.root.equals(root)) {
            throw new IllegalArgumentException("copyInto copies to another snapshot store; use copy");
        }
        // Two stores, locked in one order, so copies in both directions at once cannot deadlock.
        SnapshotStore first = root.toString().compareTo(target.root.toString()) < 0 ? this : target;
        SnapshotStore second = first == this ? target : this;
        synchronized (first.lock) {
            synchronized (second.lock) {
                Path src = images.resolve(from);
                Refs refs = readRefs(from);
                Path dst = target.images.resolve(to);
                if (Files.exists(dst.resolve(COMPLETE))) {
                    throw new StrongroomException(ErrorCode.ALREADY_EXISTS, "snapshot image " + to + " exists");
                }
                DurableFiles.deleteTree(dst);
                try {
                    for (Ref r : refs.refs()) {
                        Path out = target.poolFile(refs.storeId(), r);
                        if (!Files.exists(out)) {
                            Files.createDirectories(Objects.requireNonNull(out.getParent()));
                            byte[] b = DurableFiles.read(poolFile(refs.storeId(), r), "pool block " + r.blockId());
                            DurableFiles.writeNew(out, b);
                        }
                        progress.accept(r.size());
                    }
                } catch (IOException e) {
                    throw new StrongroomException(
                            ErrorCode.IO_ERROR, "cannot copy snapshot image " + from + ": " + e.getMessage(), e);
                }
                copyImageFiles(src, dst, from);
                DurableFiles.fsyncTree(target.pool);
                DurableFiles.fsyncTree(dst);
                DurableFiles.fsyncDirectory(target.images);
                target.faults.reached(SnapshotStep.IMAGE_FILES_WRITTEN, dst);
                target.mark(dst, encodeRefs(refs));
            }
        }
    }

    /** Copies the files of the image in {@code src} but its marker into {@code dst}, each written durably. */
    static void copyImageFiles(Path src, Path dst, String imageId) {
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path rel = src.relativize(p);
                Path q = dst.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else if (!rel.toString().equals(COMPLETE)) {
                    DurableFiles.writeNew(q, DurableFiles.read(p, "snapshot image file " + p));
                }
            }
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot copy snapshot image " + imageId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes image {@code imageId}, then every pool block no other image lists. A crash after the marker is gone
     * leaves an unmarked image, which {@link #recover} deletes.
     */
    public void delete(String imageId) {
        checkName(imageId, "image id");
        synchronized (lock) {
            Path dir = images.resolve(imageId);
            if (!Files.exists(dir)) {
                return;
            }
            try {
                Files.deleteIfExists(dir.resolve(COMPLETE));
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot delete snapshot image " + imageId, e);
            }
            DurableFiles.fsyncDirectory(dir);
            faults.reached(SnapshotStep.IMAGE_UNMARKED, dir);
            DurableFiles.deleteTree(dir);
            faults.reached(SnapshotStep.IMAGE_REMOVED, dir);
            collect();
        }
    }

    /**
     * Brings the store to a clean state after a start or a crash: deletes every image that has no marker or is not
     * in {@code keep} (the images the caller's records name as snapshots), then every pool block no remaining image
     * lists. Returns the ids of the images deleted.
     */
    public List<String> recover(Set<String> keep) {
        synchronized (lock) {
            List<String> deleted = new ArrayList<>();
            for (String id : imageIds()) {
                Path dir = images.resolve(id);
                boolean pinned = id.startsWith(PIN) && Files.exists(dir.resolve(COMPLETE));
                if (!pinned && (!keep.contains(id) || !Files.exists(dir.resolve(COMPLETE)))) {
                    DurableFiles.deleteTree(dir);
                    deleted.add(id);
                }
            }
            collect();
            return deleted;
        }
    }

    /** Whether {@code imageId} is a whole snapshot (its marker exists). */
    public boolean isComplete(String imageId) {
        checkName(imageId, "image id");
        return Files.exists(images.resolve(imageId).resolve(COMPLETE));
    }

    /**
     * Links (or, across file systems, copies) image {@code imageId} into {@code target}, a new store directory, and
     * opens it with {@code keys}, the snapshot's database key. The store it returns is an ordinary store reading the
     * snapshot's version; its blocks are shared with the pool, never written. The caller closes it and deletes
     * {@code target}. A crash leaves {@code target} for the caller's recovery to delete; the pool is untouched.
     */
    public Store restore(String imageId, Path target, StoreKeys keys) {
        Refs refs;
        synchronized (lock) {
            refs = readRefs(imageId);
            Path src = images.resolve(imageId);
            DurableFiles.deleteTree(target);
            StoreFiles t = new StoreFiles(target, refs.storeId());
            try {
                Files.createDirectories(t.tablesDir());
                Files.createDirectories(t.tmpDir());
                try (Stream<Path> s = Files.walk(src)) {
                    for (Path p : s.toList()) {
                        String rel = src.relativize(p).toString();
                        if (rel.isEmpty() || rel.equals(COMPLETE) || rel.equals(BLOCKS)) {
                            continue;
                        }
                        Path q = target.resolve(rel);
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(q);
                        } else {
                            Files.copy(p, q);
                        }
                    }
                }
                for (Ref r : refs.refs()) {
                    Path link = t.blockFile(r.tableId(), r.blockId());
                    Path parent = link.getParent();
                    if (parent != null) {
                        Files.createDirectories(parent);
                    }
                    Path from = poolFile(refs.storeId(), r);
                    try {
                        Files.createLink(link, from);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(from, link);
                    }
                }
                // Blocks the image's source shared with an older snapshot are read in this pool (the image keeps its
                // own copies of them there, and its manifests name those).
                StoreFiles.writePool(target, pool);
            } catch (IOException e) {
                throw new StrongroomException(
                        ErrorCode.IO_ERROR,
                        "cannot restore snapshot image " + imageId + " into " + target + ": " + e.getMessage(),
                        e);
            }
            DurableFiles.fsyncTree(target);
            faults.reached(SnapshotStep.RESTORE_FILES_LINKED, target);
        }
        return Store.open(target, keys);
    }

    /**
     * The size of image {@code imageId}: how many blocks it lists and their bytes, for a restore's progress before it
     * starts.
     */
    public ImageSize size(String imageId) {
        checkName(imageId, "image id");
        Refs refs = readRefs(imageId);
        long bytes = 0;
        for (Ref r : refs.refs()) {
            bytes += r.size();
        }
        return new ImageSize(refs.refs().size(), bytes);
    }

    /** How many blocks an image lists, and their bytes. */
    public record ImageSize(long blocks, long bytes) {}

    /**
     * Builds a new store {@code newStoreId} in {@code target} from image {@code imageId} without copying or
     * re-encrypting any block: the new store reads the pool's block files where they are (its {@code POOL} file
     * names the pool) and holds their keys rewrapped from {@code imageKeys}, the snapshot's database key, to {@code
     * targetKeys}, its own ({@link SharedRestore}). A pin ({@code images/pin-<newStoreId>}, the image's block list)
     * keeps those blocks in the pool after the snapshot is deleted, until {@link #unpin}. Encryption is kept: both
     * keys are encrypted or both are not. {@code progress} hears blocks done. A crash leaves a {@code target} that
     * does not open as a store (its superblock comes last) and possibly the pin; the caller deletes the one and
     * unpins the other, or starts over. No pool block is written.
     */
    public Store restoreShared(
            String imageId,
            Path target,
            String newStoreId,
            StoreKeys imageKeys,
            StoreKeys targetKeys,
            LongConsumer progress) {
        checkName(imageId, "image id");
        checkName(newStoreId, "store id");
        Refs refs;
        synchronized (lock) {
            if (!isComplete(imageId)) {
                throw new StrongroomException(ErrorCode.NOT_FOUND, "snapshot image " + imageId + " is not complete");
            }
            refs = readRefs(imageId);
            // The pin first: from here the blocks stay in the pool whatever happens to the snapshot.
            Path pin = images.resolve(PIN + newStoreId);
            DurableFiles.deleteTree(pin);
            try {
                Files.createDirectories(pin);
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + pin + ": " + e, e);
            }
            byte[] list = encodeRefs(refs);
            DurableFiles.writeNew(pin.resolve(BLOCKS), list);
            DurableFiles.fsyncDirectory(pin);
            DurableFiles.fsyncDirectory(images);
            mark(pin, list);
        }
        new SharedRestore(images.resolve(imageId), refs.storeId(), refs.refs(), pool)
                .run(target, newStoreId, imageKeys, targetKeys, progress);
        faults.reached(SnapshotStep.RESTORE_FILES_LINKED, target);
        return Store.open(target, targetKeys);
    }

    /** The ids of the stores that pin blocks in this pool ({@link #restoreShared}). */
    public List<String> pinnedStores() {
        return imageIds().stream()
                .filter(id -> id.startsWith(PIN))
                .map(id -> id.substring(PIN.length()))
                .toList();
    }

    /**
     * Releases the blocks store {@code storeId} shared (when the store is deleted, or no longer reads them), then
     * frees those no image lists. A store that never pinned anything is not an error.
     */
    public void unpin(String storeId) {
        checkName(storeId, "store id");
        delete(PIN + storeId);
    }

    /**
     * Bytes of the blocks {@code current} reads (in tables that are backed up) that image {@code imageId} does not
     * list: how much changed since that snapshot.
     */
    public long bytesChangedSince(String imageId, Snapshot current) {
        Set<Long> have = new HashSet<>();
        Refs refs = readRefs(imageId);
        boolean sameStore = refs.storeId().equals(current.store().storeId());
        for (Ref r : refs.refs()) {
            have.add(r.tableId() * 1_000_003L ^ r.blockId());
        }
        long changed = 0;
        StoreVersion v = current.version();
        for (Catalog.Entry e : v.catalog().tables()) {
            if (!e.spec().backup()) {
                continue;
            }
            for (BlockRef b : v.manifest(e.tableId()).blocks()) {
                if (!sameStore || !have.contains(e.tableId() * 1_000_003L ^ b.blockId())) {
                    changed += b.storedBytes();
                }
            }
        }
        return changed;
    }

    /** Ids of the images on disk (marked or not), sorted. */
    public List<String> imageIds() {
        try (Stream<Path> s = Files.list(images)) {
            return s.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot list " + images + ": " + e, e);
        }
    }

    /** Number of block files in the pool. */
    public long poolBlockCount() {
        return poolFiles().size();
    }

    /** Bytes of the block files in the pool. */
    public long poolBytes() {
        long n = 0;
        for (Path p : poolFiles()) {
            try {
                n += Files.size(p);
            } catch (IOException e) {
                // a file removed concurrently counts as gone
            }
        }
        return n;
    }

    /** Blocks image {@code imageId} lists, and their bytes. */
    public long[] imageBlocks(String imageId) {
        Refs r = readRefs(imageId);
        return new long[] {
            r.refs().size(), r.refs().stream().mapToLong(Ref::size).sum()
        };
    }

    /** The pool files of the blocks image {@code imageId} lists, with the size the list records for each. */
    Map<Path, Long> imageBlockFiles(String imageId) {
        Refs r = readRefs(imageId);
        Map<Path, Long> out = new LinkedHashMap<>();
        r.refs().forEach(ref -> out.put(poolFile(r.storeId(), ref), ref.size()));
        return out;
    }

    // ---- internals ----

    private void collect() {
        Set<Path> referenced = new HashSet<>();
        for (String id : imageIds()) {
            if (Files.exists(images.resolve(id).resolve(COMPLETE))) {
                Refs r = readRefs(id); // a damaged list stops the collection: never free what it might name
                for (Ref ref : r.refs()) {
                    referenced.add(poolFile(r.storeId(), ref));
                }
            }
        }
        for (Path p : poolFiles()) {
            if (!referenced.contains(p)) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new StrongroomException(ErrorCode.IO_ERROR, "cannot free pool block " + p + ": " + e, e);
                }
                faults.reached(SnapshotStep.POOL_BLOCK_FREED, p);
            }
        }
    }

    private List<Path> poolFiles() {
        try (Stream<Path> s = Files.walk(pool)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot list " + pool + ": " + e, e);
        }
    }

    Path poolFile(String storeId, Ref r) {
        return StoreFiles.poolBlockFile(pool, storeId, r.tableId(), r.blockId(), r.fingerprint());
    }

    /**
     * A fingerprint of a block file: SHA-256 over its length, its first 64 and its last 32 bytes (header, the
     * envelope's nonce, and its tag or checksum). Block ids restart in a store rebuilt under the same id (a
     * resize), so the id alone does not name one content; the tag of a block sealed under a fresh random key does.
     */
    static long fingerprint(Path file, long size) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(64, size));
        ByteBuffer tail = ByteBuffer.allocate((int) Math.min(32, size));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (head.hasRemaining() && ch.read(head, head.position()) > 0) {}
            long at = size - tail.capacity();
            while (tail.hasRemaining() && ch.read(tail, at + tail.position()) > 0) {}
        }
        d.update(ByteBuffer.allocate(8).putLong(size).array());
        d.update(head.array());
        d.update(tail.array());
        return ByteBuffer.wrap(d.digest()).getLong();
    }

    void mark(Path dir, byte[] list) {
        ByteSink s = new ByteSink(64);
        s.bytes(COMPLETE_MAGIC).u16(FORMAT_VERSION).u16(0).bytes(StoreFiles.sha256(list));
        byte[] body = s.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        DurableFiles.replaceAtomically(
                dir.resolve(COMPLETE),
                new ByteSink(64).bytes(body).u32((int) crc.getValue()).toByteArray());
        faults.reached(SnapshotStep.IMAGE_COMPLETE, dir);
    }

    static byte[] encodeRefs(Refs r) {
        ByteSink s = new ByteSink(64 + r.refs().size() * 32);
        s.bytes(BLOCKS_MAGIC)
                .u16(FORMAT_VERSION)
                .u16(0)
                .utf(r.storeId())
                .u64(r.refs().size());
        for (Ref ref : r.refs()) {
            s.u64(ref.tableId()).u64(ref.blockId()).u64(ref.fingerprint()).u64(ref.size());
        }
        CRC32C crc = new CRC32C();
        crc.update(s.array(), 0, s.size());
        s.u32((int) crc.getValue());
        return s.toByteArray();
    }

    /** The block list of a marked image, checked against the digest its marker pins. */
    Refs readRefs(String imageId) {
        Path dir = images.resolve(imageId);
        if (!Files.exists(dir.resolve(COMPLETE))) {
            throw new StrongroomException(
                    ErrorCode.NOT_FOUND, "snapshot image " + imageId + " does not exist or is incomplete");
        }
        String place = "snapshot image " + imageId + " block list " + dir.resolve(BLOCKS);
        byte[] list = DurableFiles.read(dir.resolve(BLOCKS), place);
        byte[] marker = DurableFiles.read(dir.resolve(COMPLETE), "snapshot image " + imageId + " marker");
        ByteSource m = new ByteSource(marker, "snapshot image " + imageId + " marker");
        if (marker.length != 44 || !crcOk(marker)) {
            throw m.corrupt("damaged marker");
        }
        if (!Arrays.equals(m.bytes(4), COMPLETE_MAGIC) || m.u16() != FORMAT_VERSION || m.u16() != 0) {
            throw m.corrupt("not a version 1 marker");
        }
        if (!MessageDigest.isEqual(m.bytes(32), StoreFiles.sha256(list))) {
            throw m.corrupt("block list differs from the one the marker pins (digest mismatch)");
        }
        return decodeRefs(list, place);
    }

    /** A block list ({@code BLOCKS}) read from {@code place}, its checksum, magic, version and counts checked. */
    static Refs decodeRefs(byte[] list, String place) {
        ByteSource in = new ByteSource(list, place);
        if (list.length < 12 || !crcOk(list)) {
            throw in.corrupt("checksum mismatch");
        }
        if (!Arrays.equals(in.bytes(4), BLOCKS_MAGIC)) {
            throw in.corrupt("no SRIB magic");
        }
        int version = in.u16();
        if (version != FORMAT_VERSION) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT, place + " has format version " + version + "; this build reads 1");
        }
        if (in.u16() != 0) {
            throw in.corrupt("reserved bytes are not zero");
        }
        String storeId = in.utf();
        long n = in.u64();
        if (n < 0 || n > MAX_REFS || n * 32 > list.length) {
            throw in.corrupt("block count " + n + " out of range");
        }
        List<Ref> refs = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            refs.add(new Ref(in.u64(), in.u64(), in.u64(), in.u64()));
        }
        in.u32();
        in.expectEnd();
        return new Refs(storeId, refs);
    }

    private static boolean crcOk(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        return ByteBuffer.wrap(data).getInt(data.length - 4) == (int) crc.getValue();
    }

    static void checkName(String name, String what) {
        if (!NAME.matcher(name).matches()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    what + " '" + name + "' must be 1 to 128 letters, digits, dots, underscores or hyphens");
        }
    }

    @Override
    public String toString() {
        return "SnapshotStore[" + root + ", " + new TreeSet<>(imageIds()).size() + " images]";
    }
}
