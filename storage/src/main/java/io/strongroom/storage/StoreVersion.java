package io.strongroom.storage;

import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.ManifestDelta;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One committed version in memory: the catalog, every table's manifest, and for each table whose manifest deltas are
 * held in catalog files (catalog version 5) the seqs of those catalogs, ascending: what keeps an old catalog file
 * alive after a newer one is current ({@link Committer#obsoleteFiles}). Immutable.
 *
 * <p>Invariant: a table has holders exactly when its entry's deltas are in catalogs, one seq per delta, strictly
 * ascending, the last being the entry's {@code deltaSeq} (checked on construction but for the order, which the chain
 * walk checks at open and a commit keeps by appending its own seq).
 */
record StoreVersion(Catalog catalog, Map<Long, TableManifest> manifests, Map<Long, long[]> deltaHolders) {
    StoreVersion {
        manifests = Map.copyOf(manifests);
        deltaHolders = Map.copyOf(deltaHolders);
        int withHolders = 0;
        for (Catalog.Entry e : catalog.tables()) {
            if (!e.deltasInCatalogs()) {
                continue;
            }
            withHolders++;
            // O(1) per table: a commit builds a version, and must not pay for every table's chain. That the seqs
            // ascend is checked where they come from (the chain walk at open; a commit appends its own, higher seq).
            long[] h = deltaHolders.get(e.tableId());
            if (h == null || h.length != e.deltaCount() || h[h.length - 1] != e.deltaSeq()) {
                throw new IllegalStateException("the catalogs holding the deltas of table " + e.tableId()
                        + " are not known to version " + catalog.seq());
            }
        }
        if (withHolders != deltaHolders.size()) {
            throw new IllegalStateException("version " + catalog.seq() + " names delta holders of tables it has not");
        }
    }

    /** A version none of whose tables holds its deltas in catalog files. */
    StoreVersion(Catalog catalog, Map<Long, TableManifest> manifests) {
        this(catalog, manifests, Map.of());
    }

    /**
     * The version {@code cat} names, every table's manifest read (its base and deltas, {@link ManifestDelta}) and
     * checked against the table's columns.
     */
    static StoreVersion read(StoreFiles files, Catalog cat, Sealer sealer, int sliceCount) {
        Map<Long, TableManifest> manifests = new HashMap<>();
        Map<Long, long[]> holders = new HashMap<>();
        Map<Long, Map<Long, ManifestDelta.Held>> heldBySeq = new HashMap<>();
        for (Catalog.Entry e : cat.tables()) {
            String name = e.spec().qualifiedName();
            ManifestDelta.Chain chain =
                    ManifestDelta.readChain(files, e, sealer, sliceCount, name, cat.seq(), heldBySeq);
            TableManifest m = chain.manifest();
            m.checkInvariants(e.spec().columns().stream().mapToInt(Column::id).toArray(), "manifest of table " + name);
            manifests.put(e.tableId(), m);
            if (chain.holders().length > 0) {
                holders.put(e.tableId(), chain.holders());
            }
        }
        return new StoreVersion(cat, manifests, holders);
    }

    /** Whether some table of this version has a delta held in catalog file {@code seq}. */
    boolean holdsDeltasIn(long seq) {
        for (long[] h : deltaHolders.values()) {
            if (Arrays.binarySearch(h, seq) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** This version's delta holders without {@code tableId}'s (a version in which that table got a new base). */
    Map<Long, long[]> deltaHoldersWithout(long tableId) {
        Map<Long, long[]> out = new HashMap<>(deltaHolders);
        out.remove(tableId);
        return out;
    }

    long seq() {
        return catalog.seq();
    }

    Catalog.@Nullable Entry find(String qualifiedName) {
        String q = qualifiedName.toLowerCase(Locale.ROOT);
        if (!q.contains(".")) {
            q = "public." + q;
        }
        for (Catalog.Entry e : catalog.tables()) {
            if (e.spec().qualifiedName().toLowerCase(Locale.ROOT).equals(q)) {
                return e;
            }
        }
        return null;
    }

    TableManifest manifest(long tableId) {
        TableManifest m = manifests.get(tableId);
        if (m == null) {
            throw new IllegalStateException("no manifest for table " + tableId);
        }
        return m;
    }
}
