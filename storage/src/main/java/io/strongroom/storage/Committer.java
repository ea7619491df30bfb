package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.ColumnFill;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.FileHeader;
import io.strongroom.storage.format.ManifestDelta;
import io.strongroom.storage.format.ManifestEntry;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The durable sequence of a commit, step by step (see {@link CommitStep} for what a crash after each step
 * leaves). Runs under the store's commit lock. Stateless.
 */
final class Committer {
    private Committer() {}

    /**
     * Knows which manifest versions key rotations and encryption changes made from which, rewriting no rows. An encryption change that moved blocks (re-sealed them under new block ids) is not looked through
     * for a transaction that removes blocks: it named the old ids, so it must retry.
     */
    interface RewrapHistory {
        RewrapHistory NONE = (tableId, was, now, removesBlocks) -> was == now;

        /** Whether version {@code now} of the table holds the rows version {@code was} held. */
        boolean unchangedSince(long tableId, long was, long now, boolean removesBlocks);
    }

    static void checkConflicts(
            StoreVersion base, StoreVersion cur, Map<Long, Transaction.TableChange> changes, RewrapHistory history) {
        if (base.seq() == cur.seq()) {
            return;
        }
        for (Transaction.TableChange c : changes.values()) {
            if (c.created) {
                if (cur.find(c.spec.qualifiedName()) != null && !c.dropped) {
                    throw new StrongroomException(
                            ErrorCode.CONFLICT,
                            "table " + c.spec.qualifiedName() + " was created by a concurrent transaction; retry");
                }
                continue;
            }
            Catalog.@Nullable Entry was = base.catalog().tables().stream()
                    .filter(e -> e.tableId() == c.tableId)
                    .findFirst()
                    .orElse(null);
            Catalog.@Nullable Entry now = cur.catalog().tables().stream()
                    .filter(e -> e.tableId() == c.tableId)
                    .findFirst()
                    .orElse(null);
            if (was == null
                    || now == null
                    // A rotation rewraps block keys only; the rows a transaction saw are unchanged by it.
                    || !history.unchangedSince(
                            c.tableId, was.manifestVersion(), now.manifestVersion(), !c.removedBlocks.isEmpty())
                    || !was.spec().equals(now.spec())) {
                throw new StrongroomException(
                        ErrorCode.CONFLICT,
                        "table " + c.spec.qualifiedName()
                                + " was changed by a concurrent transaction; retry (serialization failure)");
            }
        }
        // A name this transaction gave a table (CREATE, ALTER TABLE RENAME TO) may have been taken meanwhile by a
        // concurrent commit that created or renamed another table.
        Map<String, Long> owner = new HashMap<>();
        for (Catalog.Entry e : cur.catalog().tables()) {
            Transaction.TableChange c = changes.get(e.tableId());
            if (c == null) {
                owner.put(e.spec().qualifiedName().toLowerCase(Locale.ROOT), e.tableId());
            }
        }
        for (Transaction.TableChange c : changes.values()) {
            if (c.dropped) {
                continue;
            }
            Long other = owner.putIfAbsent(c.spec.qualifiedName().toLowerCase(Locale.ROOT), c.tableId);
            if (other != null && other.longValue() != c.tableId) {
                throw new StrongroomException(
                        ErrorCode.CONFLICT,
                        "relation " + c.spec.qualifiedName()
                                + " was created or renamed by a concurrent transaction; retry (serialization failure)");
            }
        }
    }

    /**
     * When a table's deltas are folded into a new base: when a commit would make more than {@code maxDeltas}, or
     * when the deltas' bytes would pass {@link #FOLD_MIN_BYTES} plus {@link #FOLD_BYTES_PER_BLOCK} per block of the
     * table (about a third of the base's size, an entry taking some 100 bytes). A delta held in a catalog file counts
     * what that file keeps once cut back to its deltas ({@link #HELD_OVERHEAD_BYTES}), so the bound also caps the
     * disk space a chain keeps alive. The byte bound keeps a fold's cost
     * in proportion to the bytes the deltas wrote (each byte of change is rewritten a bounded number of times); the
     * count bound keeps open's replay short for a big table that takes many tiny commits.
     */
    static final int DEFAULT_MAX_DELTAS = 4096;

    static final long FOLD_MIN_BYTES = 64 * 1024;
    static final long FOLD_BYTES_PER_BLOCK = 32;

    /**
     * What a held delta costs on disk besides its bytes, at most: a catalog file cut back to one delta keeps the file
     * header, the held length and count, and the delta's table, previous seq, digest length, digest and length.
     */
    static final long HELD_OVERHEAD_BYTES = FileHeader.BYTES + 4 + 4 + 8 + 8 + 1 + 32 + 4;

    static StoreVersion write(
            StoreFiles files,
            Sealer sealer,
            FaultHook faults,
            StoreVersion cur,
            Map<Long, Transaction.TableChange> changes,
            long nextTableId,
            long nextBlockId,
            Map<Long, Long> reservedManifestVersions,
            int maxDeltas) {
        long seq = cur.seq() + 1;
        Map<Long, Catalog.Entry> entries = new LinkedHashMap<>();
        cur.catalog().tables().forEach(e -> entries.put(e.tableId(), e));
        Map<Long, TableManifest> manifests = new HashMap<>(cur.manifests());
        Map<Long, long[]> holders = new HashMap<>(cur.deltaHolders());
        List<ManifestDelta.Held> held = new ArrayList<>();
        Set<Path> dirsToSync = new LinkedHashSet<>();
        for (Transaction.TableChange c : changes.values()) {
            if (c.dropped) {
                entries.remove(c.tableId);
                manifests.remove(c.tableId);
                holders.remove(c.tableId);
                continue;
            }
            Catalog.@Nullable Entry old = entries.get(c.tableId);
            if (old == null) {
                // A new table's directory (made by this commit or by the transaction's block writes) is made durable
                // in tables/ here; a committed table's was when the commit that created it did so.
                dirsToSync.add(files.tablesDir());
            }
            long version = nextManifestVersion(old, c.tableId, reservedManifestVersions);
            TableManifest base = manifests.getOrDefault(c.tableId, TableManifest.empty(c.tableId, c.sliceRows.length));
            int[] columnIds = c.spec.columns().stream().mapToInt(Column::id).toArray();
            String place = "new manifest of " + c.spec.qualifiedName();
            boolean appends = onlyAppends(c, base) && (old == null || sameColumns(old.spec(), c.spec));
            TableManifest m;
            if (appends) {
                // O(what the commit added): the blocks and keys are shared with the previous version's.
                List<ManifestEntry> added;
                synchronized (c.added) {
                    added = new ArrayList<>(c.added);
                }
                m = base.appended(version, c.sliceRows, added, c.deleted);
                m.checkAppended(base, columnIds, place);
            } else {
                m = c.appliedTo(base, version);
                m.checkInvariants(columnIds, place);
            }
            Path dir = files.tableDir(c.tableId);
            try {
                // Checked first: createDirectories on an existing directory fails a mkdir and throws inside.
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir);
                }
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
            }
            // The table's directory gets the commit's new block files (and, for a new base, its manifest).
            dirsToSync.add(dir);
            long liveRows = m.totalRows() - m.deletedRows();
            long baseVersion = old == null ? 0 : old.baseVersion();
            int number = (old == null ? 0 : old.deltaCount()) + 1;
            long deltaBytes = old == null ? 0 : old.deltaBytes();
            // A chain of .mdl files (a store written before catalog version 5) is not extended: this commit folds it
            // into a new base, and the table's next deltas are held in catalogs.
            boolean fileChain = old != null && old.hasDeltas() && !old.deltasInCatalogs();
            if (appends && number <= maxDeltas && !fileChain) {
                byte[] previousDigest = old == null ? new byte[0] : old.manifestDigest();
                byte[] bytes = ManifestDelta.encode(files, base, m, baseVersion, number, previousDigest, sealer);
                // What the chain keeps on disk: the delta, in a catalog file cut back to the deltas it holds once a
                // newer catalog is current (its header and the held delta's fields besides).
                deltaBytes += bytes.length + HELD_OVERHEAD_BYTES;
                if (deltaBytes
                        <= FOLD_MIN_BYTES + FOLD_BYTES_PER_BLOCK * m.blocks().size()) {
                    // Held in this commit's catalog file, written below: no file of its own.
                    long[] before =
                            number == 1 ? new long[0] : cur.deltaHolders().get(c.tableId);
                    if (before == null || before.length != number - 1) {
                        throw new IllegalStateException("delta holders of table " + c.tableId + " are unknown");
                    }
                    if (number > 1 && before[number - 2] >= seq) {
                        throw new IllegalStateException("delta holders of table " + c.tableId + " pass seq " + seq);
                    }
                    long[] after = Arrays.copyOf(before, number);
                    after[number - 1] = seq;
                    held.add(new ManifestDelta.Held(
                            c.tableId, number == 1 ? 0 : before[number - 2], previousDigest, bytes));
                    holders.put(c.tableId, after);
                    entries.put(
                            c.tableId,
                            new Catalog.Entry(
                                    c.tableId,
                                    c.spec,
                                    c.nextColumnId,
                                    version,
                                    StoreFiles.sha256(bytes),
                                    liveRows,
                                    baseVersion,
                                    old == null ? new byte[0] : old.baseDigest(),
                                    number,
                                    deltaBytes,
                                    seq));
                    manifests.put(c.tableId, m);
                    continue;
                }
            }
            // A new base: the whole manifest, which also folds the table's deltas.
            byte[] bytes = files.encodeManifest(m, sealer);
            Path file = files.manifestFile(c.tableId, version);
            DurableFiles.writeNew(file, bytes, faults);
            faults.reached(CommitStep.MANIFEST_WRITTEN, file);
            entries.put(
                    c.tableId,
                    new Catalog.Entry(c.tableId, c.spec, c.nextColumnId, version, StoreFiles.sha256(bytes), liveRows));
            manifests.put(c.tableId, m);
            holders.remove(c.tableId);
        }
        Catalog catalog = new Catalog(seq, nextTableId, nextBlockId, new ArrayList<>(entries.values()));
        writeCatalogAndSwitch(files, sealer, faults, catalog, held, dirsToSync);
        return new StoreVersion(catalog, manifests, holders);
    }

    /**
     * The manifest version a commit gives a table: above the committed one and above any a key rotation running
     * meanwhile has written already (its file is not committed yet; never reuse that file name).
     */
    private static long nextManifestVersion(
            Catalog.@Nullable Entry old, long tableId, Map<Long, Long> reservedManifestVersions) {
        return Math.max(old == null ? 0 : old.manifestVersion(), reservedManifestVersions.getOrDefault(tableId, 0L))
                + 1;
    }

    /**
     * Whether {@code c}, made on {@code on}, only appends blocks and deletes rows: no block removed, the same fills,
     * and {@code on} lists only blocks this store sealed. Such a commit writes a manifest delta.
     */
    private static boolean onlyAppends(Transaction.TableChange c, TableManifest on) {
        if (!c.removedBlocks.isEmpty()
                || !on.origins().isEmpty()
                || c.fills.size() != on.fills().size()) {
            return false;
        }
        for (ColumnFill f : on.fills()) {
            if (!f.equals(c.fills.get(f.columnId()))) {
                return false;
            }
        }
        return true;
    }

    /** Whether two specs of a table have the same column ids, in order (then an append checks as one). */
    private static boolean sameColumns(TableSpec a, TableSpec b) {
        List<Column> x = a.columns();
        List<Column> y = b.columns();
        if (x.size() != y.size()) {
            return false;
        }
        for (int i = 0; i < x.size(); i++) {
            if (x.get(i).id() != y.get(i).id()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Removes what a commit attempt that did not reach its commit point wrote (the new manifests, the catalog with
     * the deltas it holds, the pointer's temporary file): {@link #write} names them deterministically, and no
     * committed version references them. Best effort: what is left, the next open removes.
     */
    static void discardAttempt(
            StoreFiles files,
            StoreVersion cur,
            Map<Long, Transaction.TableChange> changes,
            Map<Long, Long> reservedManifestVersions) {
        List<Path> written = new ArrayList<>();
        for (Transaction.TableChange c : changes.values()) {
            if (c.dropped) {
                continue;
            }
            Catalog.@Nullable Entry old = cur.catalog().tables().stream()
                    .filter(e -> e.tableId() == c.tableId)
                    .findFirst()
                    .orElse(null);
            // A new base, when the commit wrote one (an appending commit's delta is in the catalog file).
            written.add(files.manifestFile(c.tableId, nextManifestVersion(old, c.tableId, reservedManifestVersions)));
        }
        written.add(files.catalogFile(cur.seq() + 1));
        written.add(files.root().resolve(StoreFiles.POINTER + ".tmp"));
        for (Path p : written) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // left for the next open
            }
        }
    }

    /**
     * The tail of every commit (and of a key rotation's switch): writes {@code catalog}, fsyncs {@code dirsToSync}
     * (which must hold {@code tables/} when a table directory may be new since its last fsync) and the catalog
     * directory, then switches the commit pointer to it. Before the rename of {@code CURRENT} a crash leaves the
     * previous version; after it, this one.
     *
     * <p>The pointer is the catalog itself: {@code CURRENT.tmp} is made a hard link to the catalog file just
     * written and fsynced, then renamed over {@code CURRENT}. A pointer file of its own (created, written and
     * fsynced, as before golden/v6) cost a commit about a third of its CPU on a file system that creates
     * files slowly, and said nothing the catalog does not: the catalog names its seq in its authenticated header,
     * and whoever reads {@code CURRENT} gets exactly the bytes of {@code catalog/<seq>.cat}. The link adds no
     * fsync: the catalog's data and the catalog directory are synced before it, and the root directory, which
     * holds the link's name, after the rename, as it was for the pointer file. The replaced {@code CURRENT} was a
     * link to the previous catalog, which keeps its inode until the collector deletes that catalog.
     */
    static void writeCatalogAndSwitch(
            StoreFiles files, Sealer sealer, FaultHook faults, Catalog catalog, Set<Path> dirsToSync) {
        writeCatalogAndSwitch(files, sealer, faults, catalog, List.of(), dirsToSync);
    }

    /**
     * {@link #writeCatalogAndSwitch(StoreFiles, Sealer, FaultHook, Catalog, Set)} with the catalog file holding
     * {@code deltas}, the manifest deltas the commit made (catalog version 5): so an appending commit creates, writes
     * and fsyncs one file, not a delta file and a catalog file.
     */
    static void writeCatalogAndSwitch(
            StoreFiles files,
            Sealer sealer,
            FaultHook faults,
            Catalog catalog,
            List<ManifestDelta.Held> deltas,
            Set<Path> dirsToSync) {
        byte[] catBytes = files.encodeCatalog(catalog, deltas, sealer);
        Path catFile = files.catalogFile(catalog.seq());
        DurableFiles.writeNew(catFile, catBytes, faults);
        faults.reached(CommitStep.CATALOG_WRITTEN, catFile);
        dirsToSync.add(files.catalogDir());
        for (Path d : dirsToSync) {
            DurableFiles.fsyncDirectory(d, faults);
        }
        faults.reached(CommitStep.DIRECTORIES_SYNCED, null);
        Path pointer = files.root().resolve(StoreFiles.POINTER);
        Path tmp = files.root().resolve(StoreFiles.POINTER + ".tmp");
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot remove " + tmp + ": " + e.getMessage(), e);
        }
        DurableFiles.link(tmp, catFile);
        faults.reached(CommitStep.POINTER_TMP_WRITTEN, tmp);
        DurableFiles.rename(tmp, pointer, faults);
        faults.reached(CommitStep.POINTER_SWITCHED, pointer);
        DurableFiles.fsyncDirectory(files.root(), faults);
        faults.reached(CommitStep.COMMITTED, null);
    }

    /**
     * After the commit point of {@code next}: the catalog of {@code old}, if a delta chain still needs the deltas it
     * holds (catalog version 5), is cut back to them at once, so that no older version's catalog stays whole on disk
     * (put back as {@code CURRENT}, it would roll the store back with no file missing). Nothing reads an older
     * catalog after open, so this need not wait for readers. A failure leaves the cut to the next open.
     */
    static void cutSuperseded(StoreFiles files, StoreVersion old, StoreVersion next) {
        if (old.seq() == next.seq() || !next.holdsDeltasIn(old.seq())) {
            return;
        }
        try {
            files.cutToHeldDeltas(old.seq());
        } catch (StrongroomException e) {
            // the next open cuts it
        }
    }

    /**
     * Files the old version used and the new one does not: freed once no snapshot reads the old version. A table the
     * new version only appended to (a delta, or a fold of deltas) costs nothing here beyond its manifest files.
     *
     * <p>A catalog file is freed only once no table's chain in the new version holds a delta in it: the old version's
     * catalog, and the catalogs holding the deltas of every table whose chain the new version ended (a fold, a new
     * base, a dropped table), are each checked against the new version's holders.
     */
    static List<Path> obsoleteFiles(StoreFiles files, StoreVersion old, StoreVersion next) {
        List<Path> out = new ArrayList<>();
        Set<Long> catalogs = new HashSet<>();
        catalogs.add(old.seq());
        Map<Long, Catalog.Entry> nextEntries = new HashMap<>();
        for (Catalog.Entry e : next.catalog().tables()) {
            nextEntries.put(e.tableId(), e);
        }
        for (Catalog.Entry e : old.catalog().tables()) {
            TableManifest om = old.manifest(e.tableId());
            TableManifest nm = next.manifests().get(e.tableId());
            if (nm != null && nm.version() == om.version()) {
                continue;
            }
            Catalog.@Nullable Entry ne = nextEntries.get(e.tableId());
            boolean sameChain = ne != null
                    && ne.hasDeltas()
                    && ne.baseVersion() == e.baseVersion()
                    && ne.deltasInCatalogs() == e.deltasInCatalogs()
                    && ne.deltaCount() > e.deltaCount();
            if (!sameChain) {
                Set<Path> kept = ne == null ? Set.of() : new HashSet<>(files.manifestFiles(ne));
                for (Path p : files.manifestFiles(e)) {
                    if (!kept.contains(p)) {
                        out.add(p);
                    }
                }
                long[] h = old.deltaHolders().get(e.tableId());
                if (h != null) {
                    for (long seq : h) {
                        catalogs.add(seq);
                    }
                }
            }
            if (nm != null && nm.keepsBlocksOf(om)) {
                continue;
            }
            Set<Long> still = new HashSet<>();
            if (nm != null) {
                nm.blocks().forEach(b -> still.add(b.blockId()));
            }
            for (BlockRef b : om.blocks()) {
                if (!still.contains(b.blockId())) {
                    out.add(files.blockFile(e.tableId(), b.blockId()));
                }
            }
        }
        for (long seq : catalogs) {
            if (seq != next.seq() && !next.holdsDeltasIn(seq)) {
                out.add(files.catalogFile(seq));
            }
        }
        return out;
    }
}
