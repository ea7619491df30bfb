package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
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

    static StoreVersion write(
            StoreFiles files,
            Sealer sealer,
            FaultInjector faults,
            StoreVersion cur,
            Map<Long, Transaction.TableChange> changes,
            long nextTableId,
            long nextBlockId,
            Map<Long, Long> reservedManifestVersions) {
        long seq = cur.seq() + 1;
        Map<Long, Catalog.Entry> entries = new LinkedHashMap<>();
        cur.catalog().tables().forEach(e -> entries.put(e.tableId(), e));
        Map<Long, TableManifest> manifests = new HashMap<>(cur.manifests());
        Set<Path> dirsToSync = new HashSet<>();
        for (Transaction.TableChange c : changes.values()) {
            if (c.dropped) {
                entries.remove(c.tableId);
                manifests.remove(c.tableId);
                continue;
            }
            Catalog.Entry old = entries.get(c.tableId);
            // A key rotation running meanwhile may have written the next manifest version already (its file is
            // not committed yet); never reuse that file name.
            long version = Math.max(
                            old == null ? 0 : old.manifestVersion(),
                            reservedManifestVersions.getOrDefault(c.tableId, 0L))
                    + 1;
            TableManifest base = manifests.getOrDefault(c.tableId, TableManifest.empty(c.tableId, c.sliceRows.length));
            TableManifest m = c.appliedTo(base, version);
            m.checkInvariants(
                    c.spec.columns().stream().mapToInt(Column::id).toArray(),
                    "new manifest of " + c.spec.qualifiedName());
            byte[] bytes = files.encodeManifest(m, sealer);
            Path dir = files.tableDir(c.tableId);
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
            }
            Path file = files.manifestFile(c.tableId, version);
            DurableFiles.writeNew(file, bytes);
            faults.reached(CommitStep.MANIFEST_WRITTEN, file);
            dirsToSync.add(dir);
            entries.put(
                    c.tableId,
                    new Catalog.Entry(
                            c.tableId,
                            c.spec,
                            c.nextColumnId,
                            version,
                            StoreFiles.sha256(bytes),
                            m.totalRows() - m.deletedRows()));
            manifests.put(c.tableId, m);
        }
        Catalog catalog = new Catalog(seq, nextTableId, nextBlockId, new ArrayList<>(entries.values()));
        writeCatalogAndSwitch(files, sealer, faults, catalog, dirsToSync);
        return new StoreVersion(catalog, manifests);
    }

    /**
     * Removes what a commit attempt that did not reach its commit point wrote (the new manifests, the catalog, the
     * pointer's temporary file): {@link #write} names them deterministically, and no committed version references
     * them. Best effort: what is left, the next open removes.
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
            Catalog.Entry old = cur.catalog().tables().stream()
                    .filter(e -> e.tableId() == c.tableId)
                    .findFirst()
                    .orElse(null);
            long version = Math.max(
                            old == null ? 0 : old.manifestVersion(),
                            reservedManifestVersions.getOrDefault(c.tableId, 0L))
                    + 1;
            written.add(files.manifestFile(c.tableId, version));
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
     * and the catalog directory, then switches the commit pointer to it. Before the rename of {@code CURRENT} a
     * crash leaves the previous version; after it, this one.
     */
    static void writeCatalogAndSwitch(
            StoreFiles files, Sealer sealer, FaultInjector faults, Catalog catalog, Set<Path> dirsToSync) {
        byte[] catBytes = files.encodeCatalog(catalog, sealer);
        Path catFile = files.catalogFile(catalog.seq());
        DurableFiles.writeNew(catFile, catBytes);
        faults.reached(CommitStep.CATALOG_WRITTEN, catFile);
        dirsToSync.add(files.catalogDir());
        dirsToSync.add(files.tablesDir());
        for (Path d : dirsToSync) {
            DurableFiles.fsyncDirectory(d);
        }
        faults.reached(CommitStep.DIRECTORIES_SYNCED, null);
        Path pointer = files.root().resolve(StoreFiles.POINTER);
        Path tmp = files.root().resolve(StoreFiles.POINTER + ".tmp");
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot remove " + tmp + ": " + e.getMessage(), e);
        }
        DurableFiles.writeNew(
                tmp, files.encodePointer(new StoreFiles.Pointer(catalog.seq(), StoreFiles.sha256(catBytes)), sealer));
        faults.reached(CommitStep.POINTER_TMP_WRITTEN, tmp);
        DurableFiles.rename(tmp, pointer);
        faults.reached(CommitStep.POINTER_SWITCHED, pointer);
        DurableFiles.fsyncDirectory(files.root());
        faults.reached(CommitStep.COMMITTED, null);
    }

    /** Files the old version used and the new one does not: freed once no snapshot reads the old version. */
    static List<Path> obsoleteFiles(StoreFiles files, StoreVersion old, StoreVersion next) {
        List<Path> out = new ArrayList<>();
        out.add(files.catalogFile(old.seq()));
        for (Catalog.Entry e : old.catalog().tables()) {
            TableManifest om = old.manifest(e.tableId());
            TableManifest nm = next.manifests().get(e.tableId());
            if (nm != null && nm.version() == om.version()) {
                continue;
            }
            if (e.manifestVersion() > 0) {
                out.add(files.manifestFile(e.tableId(), e.manifestVersion()));
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
        return out;
    }
}
