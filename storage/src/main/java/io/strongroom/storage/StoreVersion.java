package io.strongroom.storage;

import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.ManifestDelta;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** One committed version in memory: the catalog and every table's manifest. Immutable. */
record StoreVersion(Catalog catalog, Map<Long, TableManifest> manifests) {
    StoreVersion {
        manifests = Map.copyOf(manifests);
    }

    /**
     * The version {@code cat} names, every table's manifest read (its base and deltas, {@link ManifestDelta}) and
     * checked against the table's columns.
     */
    static StoreVersion read(StoreFiles files, Catalog cat, Sealer sealer, int sliceCount) {
        Map<Long, TableManifest> manifests = new HashMap<>();
        for (Catalog.Entry e : cat.tables()) {
            String name = e.spec().qualifiedName();
            TableManifest m = ManifestDelta.readChain(files, e, sealer, sliceCount, name);
            m.checkInvariants(e.spec().columns().stream().mapToInt(Column::id).toArray(), "manifest of table " + name);
            manifests.put(e.tableId(), m);
        }
        return new StoreVersion(cat, manifests);
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
