package io.strongroom.storage.format;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One version of a table's physical state: how many rows each slice has received, every block with its zone
 * map and wrapped key, and which rows are deleted (per-slice delete vectors).
 *
 * <p>Invariants, checked by {@link #checkInvariants}: for every column and slice, the blocks tile rows {@code
 * 0 .. sliceRows[slice]} without gap or overlap; deleted rows lie below {@code sliceRows}. Immutable: writers
 * make a new manifest with a higher version.
 *
 * <pre>
 * body = u64 tableId | u64 version | u32 sliceCount | u64 sliceRows[sliceCount] | u32 blockCount | BlockRef*
 *        | u32 deleteVectorCount | (u32 slice | u32 wordCount | u64 words[wordCount])*
 * file = header ("SRMF", object id = version) | envelope(zstd(body)), AD = Bindings.manifest
 * </pre>
 */
public record TableManifest(
        long tableId, long version, long[] sliceRows, List<BlockRef> blocks, Map<Integer, BitSet> deleted) {
    public static final int MAX_BLOCKS = 64 * 1024 * 1024;

    public TableManifest {
        sliceRows = sliceRows.clone();
        blocks = List.copyOf(blocks);
        TreeMap<Integer, BitSet> copy = new TreeMap<>();
        deleted.forEach((k, v) -> copy.put(k, (BitSet) v.clone()));
        deleted = java.util.Collections.unmodifiableMap(copy);
    }

    public static TableManifest empty(long tableId, int sliceCount) {
        return new TableManifest(tableId, 0, new long[sliceCount], List.of(), Map.of());
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
        List<BlockRef> out = new ArrayList<>();
        for (BlockRef b : blocks) {
            if (b.columnId() == columnId && b.slice() == slice) {
                out.add(b);
            }
        }
        out.sort(java.util.Comparator.comparingLong(BlockRef::rowStart));
        return out;
    }

    public void checkInvariants(int[] columnIds, String place) {
        for (int slice = 0; slice < sliceRows.length; slice++) {
            for (int col : columnIds) {
                long next = 0;
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

    public byte[] encodeBody() {
        ByteSink out = new ByteSink(64 + blocks.size() * 150);
        out.u64(tableId).u64(version).u32(sliceRows.length);
        for (long r : sliceRows) {
            out.u64(r);
        }
        out.u32(blocks.size());
        for (BlockRef b : blocks) {
            b.write(out);
        }
        out.u32(deleted.size());
        for (Map.Entry<Integer, BitSet> e : deleted.entrySet()) {
            long[] words = e.getValue().toLongArray();
            out.u32(e.getKey()).u32(words.length);
            for (long w : words) {
                out.u64(w);
            }
        }
        return out.toByteArray();
    }

    public static TableManifest decodeBody(byte[] body, String place) {
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
        List<BlockRef> blocks = new ArrayList<>(Math.min(nBlocks, 1 << 20));
        for (int i = 0; i < nBlocks; i++) {
            blocks.add(BlockRef.read(in));
        }
        int nDeleted = in.count(slices, "delete vector count");
        Map<Integer, BitSet> deleted = new TreeMap<>();
        for (int i = 0; i < nDeleted; i++) {
            int slice = in.count(slices - 1, "delete vector slice");
            int words = in.count(1 << 26, "delete vector length");
            long[] w = new long[words];
            for (int j = 0; j < words; j++) {
                w[j] = in.u64();
            }
            deleted.put(slice, BitSet.valueOf(w));
        }
        in.expectEnd();
        return new TableManifest(tableId, version, rows, blocks, deleted);
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
