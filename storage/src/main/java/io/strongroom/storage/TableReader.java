package io.strongroom.storage;

import io.strongroom.storage.format.BlockCodec;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.BlockValues;
import io.strongroom.storage.format.ColumnChunkCodec;
import io.strongroom.storage.format.ColumnFill;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.TableManifest;
import io.strongroom.storage.format.WrappedBlockKeys;
import io.strongroom.storage.format.ZoneMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Reads one table of one version: per-slice scans that decrypt, decompress and decode blocks, skip blocks by
 * zone map, and drop deleted rows. Each {@link SliceScan} is independent, so callers run slices in parallel.
 *
 * <p>A column added by ALTER TABLE may have a {@link ColumnFill}: its first rows on a slice have no block and
 * read as the fill's value (its DEFAULT, or NULL), without any block being read.
 *
 * <p>Every block read is verified (its binding, its tag or checksum, its row count against the manifest): a
 * damaged block fails the scan with an integrity error naming the file and block; wrong rows are never
 * returned. Thread-safe; each SliceScan is for one thread.
 */
public final class TableReader {
    private final Store store;
    private final long tableId;
    private final TableSpec spec;
    private final TableManifest manifest;
    private final AtomicLong blocksRead = new AtomicLong();
    private final AtomicLong blocksSkipped = new AtomicLong();

    TableReader(Store store, long tableId, TableSpec spec, TableManifest manifest) {
        this.store = store;
        this.tableId = tableId;
        this.spec = spec;
        this.manifest = manifest;
    }

    public TableSpec spec() {
        return spec;
    }

    public long tableId() {
        return tableId;
    }

    /** Rows not deleted. */
    public long rowCount() {
        return manifest.totalRows() - manifest.deletedRows();
    }

    /** Every block of the table, for block lists and audits ("is every block encrypted, under which key?"). */
    public List<BlockInfo> blocks() {
        List<BlockInfo> out = new ArrayList<>();
        for (int i = 0; i < manifest.blocks().size(); i++) {
            BlockRef b = manifest.blocks().get(i);
            String column = spec.columns().stream()
                    .filter(c -> c.id() == b.columnId())
                    .map(Column::name)
                    .findFirst()
                    .orElse("#" + b.columnId());
            out.add(new BlockInfo(
                    spec.qualifiedName(),
                    column,
                    b.slice(),
                    b.blockId(),
                    b.rowCount(),
                    b.storedBytes(),
                    manifest.keys().dekVersion(i) != 0,
                    manifest.keys().dekVersion(i)));
        }
        return out;
    }

    /**
     * The key of block {@code i} (in {@link #blocks} order) as the manifest stores it: wrapped by the database key
     * version {@link BlockInfo#keyVersion}, bound to the block ({@code Bindings.blockKey}). No secret; audits and
     * tests that search artefacts for key material start here.
     */
    public byte[] wrappedBlockKey(int i) {
        return manifest.keys().wrappedKey(i);
    }

    /**
     * Every block of this table as its own files say it is sealed (block file envelope header, wrapped key header),
     * reconciled with the manifest: the coverage report's rows. Reads 64 bytes of each block file; no key is used.
     */
    public List<EncryptionCoverage.Block> coverage() {
        List<EncryptionCoverage.Block> out = new ArrayList<>();
        WrappedBlockKeys keys = manifest.keys();
        for (int i = 0; i < manifest.blocks().size(); i++) {
            BlockRef b = manifest.blocks().get(i);
            int version = keys.dekVersion(i);
            Path file = store.files().blockFile(tableId, manifest, i);
            int algorithm = EncryptionCoverage.algorithm(file);
            String problem = algorithm < 0 ? "block file is missing, truncated or unreadable" : null;
            int wrappedVersion = 0;
            byte[] wrapped = keys.wrappedKey(i);
            if (wrapped.length >= 8) {
                wrappedVersion = ((wrapped[4] & 0xff) << 24)
                        | ((wrapped[5] & 0xff) << 16)
                        | ((wrapped[6] & 0xff) << 8)
                        | (wrapped[7] & 0xff);
            }
            if (problem == null) {
                if (version > 0 && algorithm != 1) {
                    problem = "the manifest says database key v" + version + " but the block file is "
                            + (algorithm == 0 ? "in the clear" : "of algorithm " + algorithm);
                } else if (version > 0 && wrappedVersion != version) {
                    problem = "the manifest says database key v" + version + " but the block key is wrapped under v"
                            + wrappedVersion;
                } else if (version == 0 && algorithm != 0) {
                    problem = "the manifest says in the clear but the block file is encrypted (algorithm " + algorithm
                            + ")";
                }
            }
            out.add(new EncryptionCoverage.Block(
                    spec.qualifiedName(),
                    b.slice(),
                    b.blockId(),
                    version,
                    algorithm,
                    wrappedVersion,
                    b.storedBytes(),
                    problem));
        }
        return out;
    }

    /** Blocks read and skipped by scans of this reader so far. */
    public long blocksRead() {
        return blocksRead.get();
    }

    public long blocksSkipped() {
        return blocksSkipped.get();
    }

    /** One scan per slice that holds rows (for DISTSTYLE ALL, one copy only). */
    /**
     * An upper bound on the number of distinct values of column {@code column} (by position), for planning: the
     * span of its zone maps for integer-like columns, else the row count. Never read for results.
     */
    public long distinctBound(int column) {
        long rows = rowCount();
        Column c = spec.columns().get(column);
        if (c.type().physical() != ColumnType.Physical.LONG) {
            return rows;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        long covered = 0;
        for (int s = 0; s < manifest.sliceRows().length; s++) {
            for (BlockRef b : manifest.blocksOf(c.id(), s)) {
                covered += b.rowCount();
                if (b.nullCount() == b.rowCount()) {
                    continue;
                }
                if (b.zone().kind() != ZoneMap.LONG) {
                    return rows;
                }
                min = Math.min(min, b.zone().minLong());
                max = Math.max(max, b.zone().maxLong());
            }
        }
        if (covered < manifest.totalRows() || min > max) {
            return rows; // rows without blocks (an added column's fill) or no values: no bound
        }
        long span = max - min;
        return span < 0 || span >= rows ? rows : Math.max(1, span + 1);
    }

    public List<SliceScan> scan(ScanSpec scanSpec) {
        List<SliceScan> out = new ArrayList<>();
        int slices = manifest.sliceRows().length;
        for (int s = 0; s < slices; s++) {
            if (spec.distStyle() == DistStyle.ALL && s != 0) {
                continue;
            }
            if (manifest.sliceRows()[s] > 0) {
                out.add(new SliceScan(s, scanSpec));
            }
        }
        return out;
    }

    private String place(BlockRef b, Path file) {
        String column = spec.columns().stream()
                .filter(c -> c.id() == b.columnId())
                .map(Column::name)
                .findFirst()
                .orElse("#" + b.columnId());
        return "block " + b.blockId() + " (" + file + ", table " + spec.qualifiedName() + ", column " + column
                + ", slice " + b.slice() + ")";
    }

    /** Rows of one slice, batch by batch. */
    public final class SliceScan implements Iterator<RowBatch> {
        private final int slice;
        private final ScanSpec scanSpec;
        private final List<long[]> ranges;
        private final ColumnCursor[] cursors;
        private final BitSet deleted;
        private int rangeIndex;
        private long position;
        private @Nullable RowBatch next;

        SliceScan(int slice, ScanSpec scanSpec) {
            this.slice = slice;
            this.scanSpec = scanSpec;
            this.deleted = manifest.deletedOf(slice);
            this.ranges = candidateRanges(slice, scanSpec);
            this.cursors = new ColumnCursor[scanSpec.columns().size()];
            for (int i = 0; i < cursors.length; i++) {
                Column c = spec.columns().get(scanSpec.columns().get(i));
                cursors[i] = new ColumnCursor(c, manifest.indexesOf(c.id(), slice), fill(c, slice));
            }
            this.position = ranges.isEmpty() ? 0 : ranges.get(0)[0];
        }

        public int slice() {
            return slice;
        }

        @Override
        public boolean hasNext() {
            while (next == null && rangeIndex < ranges.size()) {
                long[] r = ranges.get(rangeIndex);
                if (position >= r[1]) {
                    rangeIndex++;
                    if (rangeIndex < ranges.size()) {
                        position = ranges.get(rangeIndex)[0];
                    }
                    continue;
                }
                long end = Math.min(r[1], position + scanSpec.batchRows());
                next = read(position, end);
                position = end;
                if (next.rowCount() == 0 && cursors.length > 0) {
                    next = null;
                }
            }
            return next != null;
        }

        @Override
        public RowBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            RowBatch b = Objects.requireNonNull(next);
            next = null;
            return b;
        }

        private RowBatch read(long from, long to) {
            int nextDeleted = deleted.nextSetBit(Math.toIntExact(from));
            boolean anyDeleted = nextDeleted >= 0 && nextDeleted < to;
            List<ColumnVector> cols = new ArrayList<>(cursors.length);
            for (ColumnCursor c : cursors) {
                ColumnVector full = c.read(from, to);
                if (anyDeleted) {
                    ColumnVector kept = new ColumnVector(full.type(), full.size());
                    for (int i = 0; i < full.size(); i++) {
                        if (!deleted.get(Math.toIntExact(from + i))) {
                            kept.appendFrom(full, i);
                        }
                    }
                    full = kept;
                }
                cols.add(full);
            }
            long[] ids = null;
            if (scanSpec.rowIds()) {
                List<Long> list = new ArrayList<>();
                for (long r = from; r < to; r++) {
                    if (!anyDeleted || !deleted.get(Math.toIntExact(r))) {
                        list.add(r);
                    }
                }
                ids = list.stream().mapToLong(Long::longValue).toArray();
            }
            if (cursors.length == 0) {
                // count(*)-style scans: no column is read, only the number of live rows matters.
                long live = (to - from)
                        - (anyDeleted
                                ? deleted.get(Math.toIntExact(from), Math.toIntExact(to))
                                        .cardinality()
                                : 0);
                return RowBatch.countOnly(Math.toIntExact(live), slice, ids);
            }
            return new RowBatch(cols, slice, ids);
        }

        /** The row ranges whose blocks in every filtered column may match. */
        private List<long[]> candidateRanges(int slice, ScanSpec s) {
            long rows = manifest.sliceRows()[slice];
            List<long[]> ranges = new ArrayList<>();
            ranges.add(new long[] {0, rows});
            for (ScanSpec.Range range : s.ranges()) {
                Column c = spec.columns().get(range.column());
                ColumnVector bounds = new ColumnVector(c.type(), 2);
                bounds.append(range.low());
                bounds.append(range.high());
                List<long[]> allowed = new ArrayList<>();
                Fill fill = fill(c, slice);
                if (fill.rows() > 0) {
                    ColumnChunkCodec.Encoded one = ColumnChunkCodec.encode(fill.value(), 0, 1);
                    if (mayMatch(one.zone(), bounds, one.nullCount() == 1)) {
                        allowed.add(new long[] {0, fill.rows()});
                    }
                }
                for (BlockRef b : manifest.blocksOf(c.id(), slice)) {
                    if (mayMatch(b.zone(), bounds, b.nullCount() == b.rowCount())) {
                        allowed.add(new long[] {b.rowStart(), b.rowEnd()});
                    } else {
                        blocksSkipped.incrementAndGet();
                    }
                }
                ranges = intersect(ranges, allowed);
            }
            return ranges;
        }
    }

    /** The leading rows of a column on a slice that read as one value (none for most columns). */
    private record Fill(long rows, ColumnVector value) {}

    private Fill fill(Column c, int slice) {
        ColumnFill f = manifest.fillOf(c.id());
        if (f == null || f.rowsOf(slice) == 0) {
            return new Fill(0, new ColumnVector(c.type(), 1));
        }
        String place = "manifest of table " + spec.qualifiedName() + ", fill of column " + c.name();
        return new Fill(f.rowsOf(slice), f.decode(c.type(), place));
    }

    private static boolean mayMatch(ZoneMap z, ColumnVector bounds, boolean allNull) {
        if (allNull) {
            return false; // NULL matches no range
        }
        boolean lowOpen = bounds.isNull(0);
        boolean highOpen = bounds.isNull(1);
        return switch (bounds.type().physical()) {
            case LONG ->
                z.mayContainLongs(
                        lowOpen ? Long.MIN_VALUE : bounds.getLong(0), highOpen ? Long.MAX_VALUE : bounds.getLong(1));
            case DOUBLE ->
                z.mayContainDoubles(
                        lowOpen ? Double.NEGATIVE_INFINITY : bounds.getDouble(0),
                        highOpen ? Double.POSITIVE_INFINITY : bounds.getDouble(1));
            case BYTES ->
                z.mayContainBytes(
                        lowOpen
                                ? null
                                : Arrays.copyOfRange(
                                        bounds.bytesData(),
                                        bounds.bytesStart(0),
                                        bounds.bytesStart(0) + bounds.bytesLength(0)),
                        highOpen
                                ? null
                                : Arrays.copyOfRange(
                                        bounds.bytesData(),
                                        bounds.bytesStart(1),
                                        bounds.bytesStart(1) + bounds.bytesLength(1)));
            case BIG -> true;
        };
    }

    private static List<long[]> intersect(List<long[]> a, List<long[]> b) {
        List<long[]> out = new ArrayList<>();
        for (long[] x : a) {
            for (long[] y : b) {
                long lo = Math.max(x[0], y[0]);
                long hi = Math.min(x[1], y[1]);
                if (lo < hi) {
                    out.add(new long[] {lo, hi});
                }
            }
        }
        out.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : out) {
            if (!merged.isEmpty() && merged.get(merged.size() - 1)[1] >= r[0]) {
                merged.get(merged.size() - 1)[1] = Math.max(merged.get(merged.size() - 1)[1], r[1]);
            } else {
                merged.add(r);
            }
        }
        return merged;
    }

    /**
     * Walks one column's fill and blocks on one slice, keeping the current block decoded. Positions count the
     * column's blocks on the slice in row order; {@code indexes} maps them to the manifest's block indexes.
     */
    private final class ColumnCursor {
        private final Column column;
        private final List<BlockRef> blocks;
        private final int[] indexes;
        private final Fill fill;
        private int current = -1;
        private @Nullable BlockValues decoded;

        ColumnCursor(Column column, int[] indexes, Fill fill) {
            this.column = column;
            this.indexes = indexes;
            List<BlockRef> mine = new ArrayList<>(indexes.length);
            for (int i : indexes) {
                mine.add(manifest.blocks().get(i));
            }
            this.blocks = mine;
            this.fill = fill;
        }

        ColumnVector read(long from, long to) {
            if (from >= fill.rows()) {
                int idx = find(from);
                BlockRef b = blocks.get(idx);
                if (to <= b.rowEnd()) {
                    // The common case: the range lies in one block, taken out of it without a second copy.
                    return load(idx).slice(Math.toIntExact(from - b.rowStart()), Math.toIntExact(to - b.rowStart()));
                }
            }
            ColumnVector out = new ColumnVector(column.type(), Math.toIntExact(to - from));
            long pos = from;
            // Rows below the fill's end have no block: they read as the fill's value.
            for (long end = Math.min(to, fill.rows()); pos < end; pos++) {
                out.appendFrom(fill.value(), 0);
            }
            while (pos < to) {
                int idx = find(pos);
                BlockRef b = blocks.get(idx);
                BlockValues v = load(idx);
                int start = Math.toIntExact(pos - b.rowStart());
                int end = Math.toIntExact(Math.min(to, b.rowEnd()) - b.rowStart());
                v.appendTo(out, start, end);
                pos = b.rowStart() + end;
            }
            return out;
        }

        private int find(long row) {
            if (current >= 0
                    && blocks.get(current).rowStart() <= row
                    && row < blocks.get(current).rowEnd()) {
                return current;
            }
            int lo = 0;
            int hi = blocks.size() - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                BlockRef b = blocks.get(mid);
                if (row < b.rowStart()) {
                    hi = mid - 1;
                } else if (row >= b.rowEnd()) {
                    lo = mid + 1;
                } else {
                    return mid;
                }
            }
            throw new IllegalStateException("no block of column " + column.name() + " holds row " + row);
        }

        private BlockValues load(int idx) {
            if (idx == current && decoded != null) {
                return decoded;
            }
            BlockRef b = blocks.get(idx);
            BlockValues v = BlockCache.shared().get(store.cacheOwner(), tableId, b.blockId(), () -> {
                Path file = store.files().blockFile(tableId, manifest, indexes[idx]);
                String place = place(b, file);
                byte[] bytes = DurableFiles.read(file, place);
                blocksRead.incrementAndGet();
                return BlockCodec.values(
                        bytes,
                        manifest.entry(indexes[idx]),
                        column.type(),
                        store.storeId(),
                        tableId,
                        manifest.sealedBy(indexes[idx], store.storeId()),
                        store.sealer(),
                        place);
            });
            decoded = v;
            current = idx;
            return v;
        }
    }
}
