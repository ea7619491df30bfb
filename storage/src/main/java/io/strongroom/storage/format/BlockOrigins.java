package io.strongroom.storage.format;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which store sealed each block of a manifest, by block index, when it was not the store that reads it: the second
 * version of the block binding (docs/format/store-files.md, "Block origins").
 *
 * <p>Why: a block's associated data names the store, table, column, slice, block id and rows it was sealed for
 * ({@link Bindings#block}). A cluster restored from a snapshot reads the snapshot's block files as they are (hard
 * links, never copied or re-encrypted), so its reader must name the store and table that sealed each of them, not
 * its own. The manifest carries that per block; the block key itself is rewrapped under the reading store's
 * database key, bound to the reading store as every other key. A block moved anywhere else still fails: its key is
 * in no other manifest, and its AD names the table, column, slice, rows and sealing store the entry records.
 *
 * <p>Invariants: an origin is never the reading store itself (that is "no origin"); the per-block index is 0 (the
 * reading store) or 1..origins. Immutable; the empty instance stands for "every block sealed here".
 *
 * <pre>
 * section (manifest format 3, after the fills) = u32 originCount | (utf storeId | u64 tableId)*originCount
 *           | u32 runCount | (u32 length | u32 origin)*runCount
 *           | u32 poolCount | utf poolStoreId*poolCount | (u32 pool | u64 fingerprint)*sharedBlocks
 * </pre>
 *
 * Runs cover the blocks in manifest order and add up to the block count; {@code origin} 0 is the reading store,
 * {@code k} the k-th origin. A restore makes one origin per table and one run; appends add one more run. Every
 * shared block (origin not 0), in manifest order, then names where its file is: the snapshot pool directory of a
 * store and the block's fingerprint ({@link Location}); the reading store never deletes those files.
 */
public final class BlockOrigins {
    /** No foreign block: every block was sealed by the store that reads it. */
    public static final BlockOrigins NONE = new BlockOrigins(List.of(), new int[0], new Location[0]);

    static final int MAX_ORIGINS = 1 << 16;

    /** A store and table that sealed blocks another store now reads. */
    public record Origin(String storeId, long tableId) {
        public Origin {
            if (storeId.isEmpty() || tableId < 0) {
                throw new IllegalArgumentException("bad origin " + storeId + "/" + tableId);
            }
        }
    }

    /**
     * Where a shared block's file is: in the snapshot pool, under the directory of {@code poolStoreId} (the store
     * whose snapshot put it there), named by its table id, block id and {@code fingerprint}
     * (docs/format/snapshot.md).
     */
    public record Location(String poolStoreId, long fingerprint) {}

    private final List<Origin> origins;
    /** Per block, 0 (sealed here) or 1 + index into {@link #origins}; empty when there are no origins. */
    private final int[] index;
    /** Per block, its location when it has an origin, else null; empty when there are no origins. */
    private final @Nullable Location[] locations;

    private BlockOrigins(List<Origin> origins, int[] index, @Nullable Location[] locations) {
        this.origins = List.copyOf(origins);
        this.index = index;
        this.locations = locations;
    }

    /** Whether every block was sealed by the reading store (a manifest then needs no format 3). */
    public boolean isEmpty() {
        return origins.isEmpty();
    }

    /** The origin of block {@code i}, or null when the reading store sealed it. */
    public @Nullable Origin of(int i) {
        if (origins.isEmpty()) {
            return null;
        }
        int k = index[i];
        return k == 0 ? null : origins.get(k - 1);
    }

    /** Where block {@code i}'s file is when it has an origin; null for a block of the reading store's own. */
    public @Nullable Location location(int i) {
        return origins.isEmpty() ? null : locations[i];
    }

    /** Checks that this covers exactly {@code blocks} blocks (or is empty). */
    void checkSize(int blocks) {
        if (!origins.isEmpty() && index.length != blocks) {
            throw new IllegalArgumentException(index.length + " block origins for " + blocks + " blocks");
        }
    }

    void write(ByteSink out) {
        out.u32(origins.size());
        for (Origin o : origins) {
            out.utf(o.storeId()).u64(o.tableId());
        }
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i < index.length; ) {
            int j = i;
            while (j < index.length && index[j] == index[i]) {
                j++;
            }
            runs.add(new int[] {j - i, index[i]});
            i = j;
        }
        out.u32(runs.size());
        for (int[] r : runs) {
            out.u32(r[0]).u32(r[1]);
        }
        List<String> pools = new ArrayList<>();
        int[] poolOf = new int[index.length];
        for (int i = 0; i < index.length; i++) {
            Location l = locations[i];
            if (index[i] != 0) {
                if (l == null) {
                    throw new IllegalStateException("shared block " + i + " has no location");
                }
                int k = pools.indexOf(l.poolStoreId());
                if (k < 0) {
                    k = pools.size();
                    pools.add(l.poolStoreId());
                }
                poolOf[i] = k;
            }
        }
        out.u32(pools.size());
        pools.forEach(out::utf);
        for (int i = 0; i < index.length; i++) {
            Location l = locations[i];
            if (index[i] != 0 && l != null) {
                out.u32(poolOf[i]).u64(l.fingerprint());
            }
        }
    }

    static BlockOrigins read(ByteSource in, int blocks) {
        int n = in.count(MAX_ORIGINS, "origin count");
        List<Origin> origins = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String store = in.utf();
            long table = in.u64();
            if (store.isEmpty() || table < 0) {
                throw in.corrupt("bad block origin");
            }
            origins.add(new Origin(store, table));
        }
        int runs = in.count(blocks, "origin run count");
        int[] index = new int[blocks];
        int at = 0;
        for (int r = 0; r < runs; r++) {
            int length = in.count(blocks - at, "origin run length");
            int origin = in.count(n, "origin index");
            Arrays.fill(index, at, at + length, origin);
            at += length;
        }
        if (at != blocks) {
            throw in.corrupt("origin runs cover " + at + " of " + blocks + " blocks");
        }
        if (n == 0) {
            throw in.corrupt("format 3 manifest without block origins");
        }
        int nPools = in.count(MAX_ORIGINS, "pool count");
        List<String> pools = new ArrayList<>(nPools);
        for (int i = 0; i < nPools; i++) {
            String pool = in.utf();
            if (pool.isEmpty()) {
                throw in.corrupt("empty pool store id");
            }
            pools.add(pool);
        }
        Location[] locations = new Location[blocks];
        for (int i = 0; i < blocks; i++) {
            if (index[i] != 0) {
                int pool = in.count(nPools - 1, "pool index");
                locations[i] = new Location(pools.get(pool), in.u64());
            }
        }
        return new BlockOrigins(origins, index, locations);
    }

    public static Builder builder(int expectedBlocks) {
        return new Builder(expectedBlocks);
    }

    /** Collects origins block by block, in manifest order. Not thread-safe. */
    public static final class Builder {
        private final List<Origin> origins = new ArrayList<>();
        private final Map<Origin, Integer> numbers = new HashMap<>();
        private int[] index;
        private @Nullable Location[] locations;
        private int size;

        private Builder(int expected) {
            this.index = new int[Math.max(16, expected)];
            this.locations = new Location[index.length];
        }

        /** The next block: sealed by the reading store itself. */
        public Builder addOwn() {
            return add(null, null);
        }

        /**
         * The next block's origin and location: both null when the reading store sealed it, both given when it is
         * shared.
         */
        public Builder add(@Nullable Origin o, @Nullable Location l) {
            if ((o == null) != (l == null)) {
                throw new IllegalArgumentException("a shared block needs both its origin and its location");
            }
            if (size == index.length) {
                index = Arrays.copyOf(index, size * 2);
                locations = Arrays.copyOf(locations, size * 2);
            }
            locations[size] = l;
            int k = 0;
            if (o != null) {
                Integer known = numbers.get(o);
                if (known == null) {
                    if (origins.size() == MAX_ORIGINS) {
                        throw new IllegalArgumentException("more than " + MAX_ORIGINS + " block origins");
                    }
                    origins.add(o);
                    known = origins.size();
                    numbers.put(o, known);
                }
                k = known;
            }
            index[size++] = k;
            return this;
        }

        /** The origin and location of block {@code i} of {@code from}. */
        public Builder add(BlockOrigins from, int i) {
            return add(from.of(i), from.location(i));
        }

        public BlockOrigins build() {
            return origins.isEmpty()
                    ? NONE
                    : new BlockOrigins(origins, Arrays.copyOf(index, size), Arrays.copyOf(locations, size));
        }
    }

    @Override
    public String toString() {
        return origins.isEmpty() ? "no block origins" : "block origins " + origins;
    }
}
