package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Rows as columns: one {@link ColumnVector} per column, all of the same length. Scans hand these out;
 * appends take them. When a scan asks for row ids, {@link #rowIds()} gives each row's slice-local ordinal
 * and {@link #slice()} its slice.
 *
 * <p>Not thread-safe.
 */
public final class RowBatch {
    private final List<ColumnVector> columns;
    private final int rowCount;
    private final int slice;
    private final long @Nullable [] rowIds;

    public RowBatch(List<ColumnVector> columns) {
        this(columns, -1, null);
    }

    public RowBatch(List<ColumnVector> columns, int slice, long @Nullable [] rowIds) {
        this(columns, slice, rowIds, 0);
    }

    private RowBatch(List<ColumnVector> columns, int slice, long @Nullable [] rowIds, int rowsWithoutColumns) {
        this.columns = List.copyOf(columns);
        this.rowCount = columns.isEmpty() ? rowsWithoutColumns : columns.get(0).size();
        for (ColumnVector c : columns) {
            if (c.size() != rowCount) {
                throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "columns of a batch differ in length");
            }
        }
        this.slice = slice;
        this.rowIds = rowIds;
    }

    /** A batch of {@code rows} rows with no columns: what a scan that reads no column (count(*)) returns. */
    public static RowBatch countOnly(int rows, int slice, long @Nullable [] rowIds) {
        return new RowBatch(List.of(), slice, rowIds, rows);
    }

    /** An empty batch to fill, one vector per column type. */
    public static RowBatch builder(List<Column> columns, int capacity) {
        return new RowBatch(
                columns.stream().map(c -> new ColumnVector(c.type(), capacity)).toList());
    }

    public int rowCount() {
        return columns.isEmpty() ? rowCount : columns.get(0).size();
    }

    public int columnCount() {
        return columns.size();
    }

    public ColumnVector column(int i) {
        return columns.get(i);
    }

    public List<ColumnVector> columns() {
        return columns;
    }

    /** The slice the rows come from, or -1 for a batch that was not read from storage. */
    public int slice() {
        return slice;
    }

    /** Slice-local row ordinals, when the scan asked for them. */
    public long @Nullable [] rowIds() {
        return rowIds;
    }

    /** Appends one row of Java values (see {@link ColumnVector#append}). */
    public RowBatch addRow(@Nullable Object... values) {
        if (values.length != columns.size()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "row has " + values.length + " values for " + columns.size() + " columns");
        }
        for (int i = 0; i < values.length; i++) {
            columns.get(i).append(values[i]);
        }
        return this;
    }
}
