package io.strongroom.storage.format;

import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * One version of a table's physical state: how many rows each slice has received, every block with its zone
 * map ({@code blocks}) and its wrapped key ({@code keys}, by the same index), which rows are deleted (per-slice
 * delete vectors), and the column fills that stand for the rows a column added by ALTER TABLE has no blocks for
 * ({@link ColumnFill}).
 *
 * <p>Invariants: {@code keys} has one key per block (checked on construction); and, checked by {@link
 * #checkInvariants}, for every column and slice, the column's fill covers rows {@code 0 .. f} (f = 0 without a
 * fill) and its blocks tile rows {@code f .. sliceRows[slice]} without gap or overlap; deleted rows lie below
 * {@code sliceRows}; a column has at most one fill. Immutable: writers make a new manifest with a higher version,
 * and share with it what they do not change (a key rotation shares the block list, an immutable list; an
 * append, {@link #appended}, shares the storage of the block list and keys it extends: {@link BlockList}). On disk
 * a manifest is one file, or a base file and deltas ({@link ManifestDelta}).
 *
 * <pre>
 * body v1 = u64 tableId | u64 version | u32 sliceCount | u64 sliceRows[sliceCount] | u32 blockCount | entry*
 *           | u32 deleteVectorCount | (u32 slice | u32 wordCount | u64 words[wordCount])*
 * body v2 = body v1 | u32 fillCount | ColumnFill*
 * body v3 = body v2 | BlockOrigins (which store and table sealed each block, when not this one)
 * file    = header ("SRMF", format version, object id = version) | envelope(u32 bodyLength | zstd(body)),
 *           AD = Bindings.manifest; zstd(body) is one or more zstd frames whose concatenation decompresses to the
 *           body ({@link ManifestParts})
 * </pre>
 *
 * An entry is a block's {@link BlockRef} fields with its key from {@code keys} in the middle; {@link BlockRef}
 * has the layout. A manifest without fills is written as version 1, byte for byte what builds before version 2
 * wrote.
 */
public record TableManifest(
        long tableId,
        long version,
        long[] sliceRows,
        List<BlockRef> blocks,
        WrappedBlockKeys keys,
        Map<Integer, BitSet> deleted,
        List<ColumnFill> fills,
        BlockOrigins origins) {
    public static final int MAX_BLOCKS = 64 * 1024 * 1024;

    public TableManifest {
        sliceRows = sliceRows.clone();
        blocks = BlockList.of(blocks);
        if (keys.size() != blocks.size()) {
            throw new IllegalArgumentException(keys.size() + " wrapped keys for " + blocks.size() + " blocks");
        }
        TreeMap<Integer, BitSet> copy = new TreeMap<>();
        deleted.forEach((k, v) -> copy.put(k, (BitSet) v.clone()));
        deleted = Collections.unmodifiableMap(copy);
        fills = List.copyOf(fills);
        for (ColumnFill f : fills) {
            if (f.rows().length != sliceRows.length) {
                throw new IllegalArgumentException("fill of column " + f.columnId() + " has the wrong slice count");
            }
        }
        origins.checkSize(blocks.size());
    }

    /** A manifest whose blocks were all sealed by the store that reads it. */
    public TableManifest(
            long tableId,
            long version,
            long[] sliceRows,
            List<BlockRef> blocks,
            WrappedBlockKeys keys,
            Map<Integer, BitSet> deleted,
            List<ColumnFill> fills) {
        this(tableId, version, sliceRows, blocks, keys, deleted, fills, BlockOrigins.NONE);
    }

    /** A manifest without fills. */
    public TableManifest(
            long tableId,
            long version,
            long[] sliceRows,
            List<BlockRef> blocks,
            WrappedBlockKeys keys,
            Map<Integer, BitSet> deleted) {
        this(tableId, version, sliceRows, blocks, keys, deleted, List.of());
    }

    public static TableManifest empty(long tableId, int sliceCount) {
        return new TableManifest(tableId, 0, new long[sliceCount], List.of(), WrappedBlockKeys.EMPTY, Map.of());
    }

    /**
     * This manifest at another version with other keys for the same blocks (a key rotation's rewrap); the block
     * list itself is shared, and rows, deletes and fills are kept.
     */
    public TableManifest withVersionAndKeys(long newVersion, WrappedBlockKeys newKeys) {
        return new TableManifest(tableId, newVersion, sliceRows, blocks, newKeys, deleted, fills, origins);
    }

    /**
     * This manifest with {@code added} appended (blocks and keys, in that order), at {@code newVersion}, with {@code
     * newSliceRows} and {@code newDeleted}: what a commit that only appends blocks and deletes rows makes, and what a
     * manifest delta applied to its predecessor gives ({@link ManifestDelta}). O(added) for blocks and keys, which
     * it shares with this manifest ({@link BlockList}); fills are kept. Only for a manifest whose blocks were all
     * sealed by the store that reads it (no {@link #origins}): a restored table's appends take the full path.
     */
    public TableManifest appended(
            long newVersion, long[] newSliceRows, List<ManifestEntry> added, Map<Integer, BitSet> newDeleted) {
        if (!origins.isEmpty()) {
            throw new IllegalStateException(this + " lists blocks of other stores: append by rewriting it");
        }
        List<BlockRef> refs = new ArrayList<>(added.size());
        for (ManifestEntry e : added) {
            refs.add(e.ref());
        }
        return new TableManifest(
                tableId,
                newVersion,
                newSliceRows,
                BlockList.of(blocks).append(refs),
                keys.append(added),
                newDeleted,
                fills,
                origins);
    }

    /**
     * {@link #checkInvariants} of a manifest {@link #appended} to {@code base}, which satisfies them, in time linear
     * in the blocks appended (and in columns times slices) rather than in the table: the appended blocks of each
     * column and slice must tile the rows from {@code base}'s row count to this one's, and the delete vectors
     * stay in range.
     */
    public void checkAppended(TableManifest base, int[] columnIds, String place) {
        int slices = sliceRows.length;
        if (base.sliceRows.length != slices || base.tableId != tableId || !fills.equals(base.fills)) {
            throw Sealer.integrity(place, "is no append to " + base, null);
        }
        for (int s = 0; s < slices; s++) {
            if (sliceRows[s] < base.sliceRows[s]) {
                throw Sealer.integrity(place, "slice " + s + " lost rows", null);
            }
        }
        Map<Long, List<BlockRef>> byPlace = new TreeMap<>();
        for (int i = base.blocks.size(); i < blocks.size(); i++) {
            BlockRef b = blocks.get(i);
            if (b.slice() >= slices) {
                throw Sealer.integrity(place, b + " is on no slice of the table", null);
            }
            byPlace.computeIfAbsent(((long) b.columnId() << 16) | b.slice(), k -> new ArrayList<>(4))
                    .add(b);
        }
        Set<Integer> columns = new HashSet<>();
        for (int col : columnIds) {
            columns.add(col);
        }
        int covered = 0;
        for (Map.Entry<Long, List<BlockRef>> e : byPlace.entrySet()) {
            int col = (int) (e.getKey() >>> 16);
            int slice = (int) (e.getKey() & 0xffff);
            if (!columns.contains(col)) {
                throw Sealer.integrity(place, "block of column " + col + ", which the table does not have", null);
            }
            List<BlockRef> run = e.getValue();
            run.sort(Comparator.comparingLong(BlockRef::rowStart));
            long next = base.sliceRows[slice];
            for (BlockRef b : run) {
                if (b.rowStart() != next) {
                    throw Sealer.integrity(
                            place,
                            "blocks of column " + col + " on slice " + slice + " do not tile rows at " + next,
                            null);
                }
                next = b.rowEnd();
            }
            if (next != sliceRows[slice]) {
                throw Sealer.integrity(
                        place,
                        "column " + col + " on slice " + slice + " covers " + next + " of " + sliceRows[slice]
                                + " rows",
                        null);
            }
            if (sliceRows[slice] != base.sliceRows[slice]) {
                covered++;
            }
        }
        // Every column of a slice that gained rows has appended blocks that reach its new row count.
        int grown = 0;
        for (int s = 0; s < slices; s++) {
            if (sliceRows[s] != base.sliceRows[s]) {
                grown++;
            }
        }
        if (covered != grown * columns.size()) {
            throw Sealer.integrity(place, "appended blocks do not cover every column of every slice that grew", null);
        }
        deleted.forEach((slice, bits) -> {
            if (slice < 0 || slice >= slices || bits.length() > sliceRows[slice]) {
                throw Sealer.integrity(place, "delete vector of slice " + slice + " is out of range", null);
            }
        });
    }

    /**
     * Whether every block of {@code older} is this manifest's block at the same index: nothing was removed since
     * (appends, a rewrap). O(1) when this manifest's block list extends {@code older}'s in place.
     */
    public boolean keepsBlocksOf(TableManifest older) {
        if (older.blocks.size() > blocks.size()) {
            return false;
        }
        if (blocks instanceof BlockList b && older.blocks instanceof BlockList o && b.extendsShared(o)) {
            return true;
        }
        for (int i = 0; i < older.blocks.size(); i++) {
            if (!older.blocks.get(i).equals(blocks.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Block {@code i} with its key, for a reader about to open it. */
    public ManifestEntry entry(int i) {
        return new ManifestEntry(blocks.get(i), keys.dekVersion(i), keys.wrappedKey(i));
    }

    /**
     * The store and table that sealed block {@code i}: the block's binding names them ({@link Bindings#block}).
     * They are this store's own ({@code readerStoreId}, this table) unless the block came with a restore.
     */
    public BlockOrigins.Origin sealedBy(int i, String readerStoreId) {
        BlockOrigins.Origin o = origins.of(i);
        return o != null ? o : new BlockOrigins.Origin(readerStoreId, tableId);
    }

    /** The lowest format version that expresses this manifest: 3 with block origins, 2 with fills, else 1. */
    public int formatVersion() {
        return !origins.isEmpty() ? 3 : fills.isEmpty() ? 1 : 2;
    }

    /** The fill of a column, or null when every row of it is in blocks. */
    public @Nullable ColumnFill fillOf(int columnId) {
        for (ColumnFill f : fills) {
            if (f.columnId() == columnId) {
                return f;
            }
        }
        return null;
    }

    /** The first row of {@code slice} that a block of the column holds: the rows below it are the fill's. */
    public long firstBlockRow(int columnId, int slice) {
        ColumnFill f = fillOf(columnId);
        return f == null ? 0 : f.rowsOf(slice);
    }

    public long totalRows() {
        long n = 0;
        for (long r : sliceRows) {
            n += r;
        }
        return n;
    }

    public long deletedRows() {
        long n = 0;
        for (BitSet b : deleted.values()) {
            n += b.cardinality();
        }
        return n;
    }

    public BitSet deletedOf(int slice) {
        BitSet b = deleted.get(slice);
        return b == null ? new BitSet() : (BitSet) b.clone();
    }

    /** Blocks of one column on one slice, in row order. */
    public List<BlockRef> blocksOf(int columnId, int slice) {
        int[] at = indexesOf(columnId, slice);
        List<BlockRef> out = new ArrayList<>(at.length);
        for (int i : at) {
            out.add(blocks.get(i));
        }
        return out;
    }

    /** Indexes (in {@link #blocks} and {@link #keys}) of the blocks of one column on one slice, in row order. */
    public int[] indexesOf(int columnId, int slice) {
        int[] at = new int[16];
        int n = 0;
        boolean sorted = true;
        for (int i = 0; i < blocks.size(); i++) {
            BlockRef b = blocks.get(i);
            if (b.columnId() == columnId && b.slice() == slice) {
                if (n == at.length) {
                    at = Arrays.copyOf(at, n * 2);
                }
                sorted &= n == 0 || blocks.get(at[n - 1]).rowStart() <= b.rowStart();
                at[n++] = i;
            }
        }
        if (sorted) {
            return Arrays.copyOf(at, n);
        }
        // Commits append blocks in row order, so this is rare.
        return IntStream.of(Arrays.copyOf(at, n))
                .boxed()
                .sorted(Comparator.comparingLong(i -> blocks.get(i).rowStart()))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    public void checkInvariants(int[] columnIds, String place) {
        Set<Integer> filled = new HashSet<>();
        for (ColumnFill f : fills) {
            if (!filled.add(f.columnId())) {
                throw Sealer.integrity(place, "column " + f.columnId() + " has more than one fill", null);
            }
            for (int slice = 0; slice < sliceRows.length; slice++) {
                if (f.rowsOf(slice) > sliceRows[slice]) {
                    throw Sealer.integrity(
                            place,
                            "fill of column " + f.columnId() + " covers " + f.rowsOf(slice) + " rows of slice " + slice
                                    + ", which has " + sliceRows[slice],
                            null);
                }
            }
        }
        for (int slice = 0; slice < sliceRows.length; slice++) {
            for (int col : columnIds) {
                long next = firstBlockRow(col, slice);
                for (BlockRef b : blocksOf(col, slice)) {
                    if (b.rowStart() != next) {
                        throw Sealer.integrity(
                                place,
                                "blocks of column " + col + " on slice " + slice + " do not tile rows at " + next,
                                null);
                    }
                    next = b.rowEnd();
                }
                if (next != sliceRows[slice]) {
                    throw Sealer.integrity(
                            place,
                            "column " + col + " on slice " + slice + " covers " + next + " of " + sliceRows[slice]
                                    + " rows",
                            null);
                }
            }
        }
        deleted.forEach((slice, bits) -> {
            if (slice < 0 || slice >= sliceRows.length || bits.length() > sliceRows[slice]) {
                throw Sealer.integrity(place, "delete vector of slice " + slice + " is out of range", null);
            }
        });
    }

    /** The body in {@link #formatVersion()}'s layout. */
    public byte[] encodeBody() {
        return encodeBodyPart(0, blocks.size());
    }

    /**
     * The bytes of the body that entries {@code [from, to)} begin and end: the fields before the first entry when
     * {@code from} is 0, those after the last when {@code to} is the block count. Parts cut at consecutive bounds,
     * concatenated, are exactly {@link #encodeBody} ({@link ManifestParts}).
     */
    public byte[] encodeBodyPart(int from, int to) {
        if (from < 0 || to < from || to > blocks.size()) {
            throw new IllegalArgumentException("entries " + from + ".." + to + " of " + blocks.size());
        }
        ByteSink out = new ByteSink(64 + (to - from) * 150);
        if (from == 0) {
            out.u64(tableId).u64(version).u32(sliceRows.length);
            for (long r : sliceRows) {
                out.u64(r);
            }
            out.u32(blocks.size());
        }
        for (int i = from; i < to; i++) {
            blocks.get(i).write(out, keys, i);
        }
        if (to == blocks.size()) {
            writeTail(out);
        }
        return out.toByteArray();
    }

    /** The fields after the entries: delete vectors, then (format 2) column fills. */
    private void writeTail(ByteSink out) {
        out.u32(deleted.size());
        for (Map.Entry<Integer, BitSet> e : deleted.entrySet()) {
            long[] words = e.getValue().toLongArray();
            out.u32(e.getKey()).u32(words.length);
            for (long w : words) {
                out.u64(w);
            }
        }
        if (formatVersion() >= 2) {
            out.u32(fills.size());
            for (ColumnFill f : fills) {
                f.write(out);
            }
        }
        if (formatVersion() >= 3) {
            origins.write(out);
        }
    }

    /** Decodes a body of format version {@code formatVersion} (from the file header, which the AD covers). */
    public static TableManifest decodeBody(byte[] body, int formatVersion, String place) {
        ByteSource in = new ByteSource(body, place);
        long tableId = in.u64();
        long version = in.u64();
        int slices = in.count(4096, "slice count");
        long[] rows = new long[slices];
        for (int i = 0; i < slices; i++) {
            rows[i] = in.u64();
            if (rows[i] < 0) {
                throw in.corrupt("negative row count");
            }
        }
        int nBlocks = in.count(MAX_BLOCKS, "block count");
        // Room for what the body can hold (a block entry takes more than 16 bytes), not what a count claims.
        int room = Math.min(nBlocks, Math.min(1 << 20, in.remaining() / 16));
        List<BlockRef> blocks = new ArrayList<>(room);
        WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(room);
        for (int i = 0; i < nBlocks; i++) {
            blocks.add(BlockRef.read(in, keys));
        }
        int nDeleted = in.count(slices, "delete vector count");
        Map<Integer, BitSet> deleted = new TreeMap<>();
        int previousSlice = -1;
        for (int i = 0; i < nDeleted; i++) {
            // Canonical only, as writeTail writes them: slices ascending, each vector's last word non-zero
            // (BitSet.toLongArray). A repeated slice or a trailing zero word would decode to a manifest that
            // re-encodes to other bytes; no writer makes one, so it is damage.
            int slice = in.count(slices - 1, "delete vector slice");
            if (slice <= previousSlice) {
                throw in.corrupt("delete vector of slice " + slice + " after slice " + previousSlice);
            }
            previousSlice = slice;
            // Bounded by the bytes left too, so a damaged count cannot make the decoder allocate beyond the body.
            int words = in.count(Math.min(1 << 26, in.remaining() / 8), "delete vector length");
            long[] w = new long[words];
            for (int j = 0; j < words; j++) {
                w[j] = in.u64();
            }
            if (words > 0 && w[words - 1] == 0) {
                throw in.corrupt("delete vector of slice " + slice + " ends in a zero word");
            }
            deleted.put(slice, BitSet.valueOf(w));
        }
        List<ColumnFill> fills = new ArrayList<>();
        if (formatVersion >= 2) {
            int nFills = in.count(TableSpec.MAX_COLUMNS, "fill count");
            for (int i = 0; i < nFills; i++) {
                fills.add(ColumnFill.read(in, slices));
            }
        }
        BlockOrigins origins = formatVersion >= 3 ? BlockOrigins.read(in, nBlocks) : BlockOrigins.NONE;
        in.expectEnd();
        return new TableManifest(tableId, version, rows, blocks, keys.build(), deleted, fills, origins);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TableManifest m && m.tableId == tableId && m.version == version;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tableId * 31 + version);
    }

    @Override
    public String toString() {
        return "manifest of table " + tableId + " v" + version + " (" + blocks.size() + " blocks)";
    }
}
