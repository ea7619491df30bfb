package io.strongroom.storage;

import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.TableManifest;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** One committed version in memory: the catalog and every table's manifest. Immutable. */
record StoreVersion(Catalog catalog, Map<Long, TableManifest> manifests) {
    StoreVersion {
        manifests = Map.copyOf(manifests);
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
