package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What {@link Store#open} deletes: every file no committed version references (blocks of unfinished transactions,
 * manifests and catalogs of unfinished commits, catalogs that hold no delta of a committed chain, {@code tmp/}, a
 * stray pointer temporary file). Stateless.
 */
final class UnreferencedFiles {
    private UnreferencedFiles() {}

    /**
     * Deletes files no committed version references; returns the highest block and table ids seen on disk. Block
     * files are checked against each table's sorted block ids, not a set of paths: a million-block table would
     * otherwise cost a million path strings at every open.
     */
    static long[] remove(StoreFiles f, StoreVersion v) {
        long maxBlock = 0;
        long maxTable = 0;
        Set<Path> keep = new HashSet<>();
        keep.add(f.catalogFile(v.seq()));
        // and every older catalog file holding a delta of a table's chain (catalog version 5), cut back to its deltas
        // if a crash came before the commit after it cut it (or the cut was lost): no older catalog stays whole
        Set<Long> holders = new TreeSet<>();
        v.deltaHolders().values().forEach(h -> {
            for (long seq : h) {
                holders.add(seq);
            }
        });
        holders.remove(v.seq());
        for (long seq : holders) {
            keep.add(f.catalogFile(seq));
            f.cutToHeldDeltas(seq);
        }
        Map<Long, Catalog.Entry> live = new HashMap<>();
        for (Catalog.Entry e : v.catalog().tables()) {
            live.put(e.tableId(), e);
            keep.addAll(f.manifestFiles(e));
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
                    long[] own = live.containsKey(id) ? ownBlockIds(v.manifest(id)) : new long[0];
                    try (Stream<Path> s = Files.list(dir)) {
                        for (Path p : s.toList()) {
                            long block = StoreFiles.parseHex(p.getFileName().toString(), ".blk");
                            if (block >= 0) {
                                maxBlock = Math.max(maxBlock, block);
                                if (Arrays.binarySearch(own, block) < 0) {
                                    Files.deleteIfExists(p);
                                }
                            } else if (!keep.contains(p) && Files.isRegularFile(p)) {
                                Files.delete(p);
                            }
                        }
                    }
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

    /** The sorted ids of the blocks {@code m} lists whose files are in this store (not shared with a snapshot). */
    private static long[] ownBlockIds(TableManifest m) {
        List<BlockRef> blocks = m.blocks();
        long[] ids = new long[blocks.size()];
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            if (m.origins().location(i) == null) {
                ids[n++] = blocks.get(i).blockId();
            }
        }
        long[] own = Arrays.copyOf(ids, n);
        Arrays.sort(own);
        return own;
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
}
