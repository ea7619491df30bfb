package io.strongroom.storage.format;

import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Rows of a column that have no blocks and read as one value: what ALTER TABLE ADD COLUMN leaves for the rows the
 * table already had, so adding a column never rewrites or re-encrypts a block. On slice {@code s} the column's
 * rows {@code 0 .. rows[s]} read as {@code value}; its blocks tile the rows from {@code rows[s]} on. This is
 * PostgreSQL's {@code attmissingval}, kept per table version in the manifest (with the other facts about which
 * rows exist) rather than in the catalog, so a later change of the column's DEFAULT cannot change old rows.
 *
 * <pre>
 * fill = u32 columnId | u32 valueLength | value (a one-row column chunk, {@link ColumnChunkCodec}) | u64 rows[slices]
 * </pre>
 *
 * The value is kept encoded: the manifest does not know column types, the reader decodes it with the column's
 * type from the catalog. Immutable (arrays are copied in and out).
 *
 * @param columnId the column
 * @param value the one-row chunk holding the value (a NULL value is a chunk with one null)
 * @param rows per slice, how many leading rows the fill covers
 */
public record ColumnFill(int columnId, byte[] value, long[] rows) {
    /** The largest encoded value: a VARCHAR(65535) and the chunk's few bytes of framing. */
    public static final int MAX_VALUE_BYTES = 80 * 1024;

    public ColumnFill {
        value = value.clone();
        rows = rows.clone();
        for (long r : rows) {
            if (r < 0) {
                throw new IllegalArgumentException("negative fill row count");
            }
        }
    }

    /** A fill of {@code value} (a Java value as {@link ColumnVector#append} takes it, or null) of {@code type}. */
    public static ColumnFill of(int columnId, ColumnType type, @Nullable Object value, long[] rows) {
        return new ColumnFill(columnId, encodeValue(type, value), rows);
    }

    /** One value of {@code type} as a one-row column chunk: how fills and catalog DEFAULTs store a value. */
    public static byte[] encodeValue(ColumnType type, @Nullable Object value) {
        ColumnVector v = new ColumnVector(type, 1);
        v.append(value);
        ColumnChunkCodec.Encoded e = ColumnChunkCodec.encode(v, 0, 1);
        return Arrays.copyOf(e.body(), e.bodyLength());
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public long[] rows() {
        return rows.clone();
    }

    /** The rows the fill covers on {@code slice}. */
    public long rowsOf(int slice) {
        return rows[slice];
    }

    /** The value as a one-row vector of {@code type}; a chunk that is not one value of that type is corrupt. */
    public ColumnVector decode(ColumnType type, String place) {
        return ColumnChunkCodec.decode(value, type, 1, place);
    }

    /** Whether the fill covers no row on any slice. */
    public boolean isEmpty() {
        for (long r : rows) {
            if (r != 0) {
                return false;
            }
        }
        return true;
    }

    void write(ByteSink out) {
        out.u32(columnId).blob(value);
        for (long r : rows) {
            out.u64(r);
        }
    }

    static ColumnFill read(ByteSource in, int slices) {
        int col = in.count(Integer.MAX_VALUE, "column id");
        byte[] v = in.blob(MAX_VALUE_BYTES);
        long[] rows = new long[slices];
        for (int i = 0; i < slices; i++) {
            rows[i] = in.u64();
            if (rows[i] < 0) {
                throw in.corrupt("negative fill row count");
            }
        }
        return new ColumnFill(col, v, rows);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ColumnFill f
                && f.columnId == columnId
                && Arrays.equals(f.value, value)
                && Arrays.equals(f.rows, rows);
    }

    @Override
    public int hashCode() {
        return columnId * 31 + Arrays.hashCode(rows);
    }

    @Override
    public String toString() {
        return "fill of column " + columnId + " over rows " + Arrays.toString(rows);
    }
}
