package io.strongroom.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * What a scan reads: which columns (by position), which value ranges may match (zone-map pushdown: blocks
 * whose min/max rule the range out are skipped, together with the same rows of every other column), whether
 * to return row ids, and the largest batch.
 *
 * @param columns positions of the columns to read, in output order
 * @param ranges conjunctive ranges; a row can match only if every range can
 * @param rowIds whether batches carry slice-local row ordinals
 * @param batchRows the most rows per batch
 */
public record ScanSpec(List<Integer> columns, List<Range> ranges, boolean rowIds, int batchRows) {
    public ScanSpec {
        columns = List.copyOf(columns);
        ranges = List.copyOf(ranges);
        if (batchRows < 1) {
            throw new IllegalArgumentException("batchRows must be positive");
        }
    }

    /**
     * A closed range on one column; a null bound is open. Bounds are Java values as {@link ColumnVector#append}
     * takes them.
     */
    public record Range(
            int column, @Nullable Object low, @Nullable Object high) {}

    public static ScanSpec all(int columnCount) {
        return new ScanSpec(IntStream.range(0, columnCount).boxed().toList(), List.of(), false, 64 * 1024);
    }

    public static ScanSpec of(List<Integer> columns) {
        return new ScanSpec(columns, List.of(), false, 64 * 1024);
    }

    public ScanSpec withRowIds() {
        return new ScanSpec(columns, ranges, true, batchRows);
    }

    public ScanSpec withRange(int column, @Nullable Object low, @Nullable Object high) {
        List<Range> r = new ArrayList<>(ranges);
        r.add(new Range(column, low, high));
        return new ScanSpec(columns, r, rowIds, batchRows);
    }

    public ScanSpec withBatchRows(int n) {
        return new ScanSpec(columns, ranges, rowIds, n);
    }
}
