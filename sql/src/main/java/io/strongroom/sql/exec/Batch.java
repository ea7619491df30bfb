package io.strongroom.sql.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * Rows as column vectors, as the executor's operators pass them. A column the consumer does not read may be
 * null. Immutable.
 */
public record Batch(@Nullable Vec[] cols, int size) {
    public Vec col(int i) {
        Vec v = cols[i];
        if (v == null) {
            throw new IllegalStateException("column " + i + " was not read");
        }
        return v;
    }

    /** Row {@code i} in the in-memory form; unread columns are null. */
    @Nullable
    public Object[] row(int i) {
        Object[] out = new Object[cols.length];
        for (int c = 0; c < cols.length; c++) {
            Vec v = cols[c];
            out[c] = v == null ? null : v.get(i);
        }
        return out;
    }

    /**
     * Each column of {@code parts} as one vector of type {@code types[c]}; null for a column some part did not
     * read.
     */
    static @Nullable Vec[] concatColumns(List<Batch> parts, List<RelDataType> types) {
        Vec[] out = new Vec[types.size()];
        for (int c = 0; c < out.length; c++) {
            List<Vec> pieces = new ArrayList<>();
            for (Batch b : parts) {
                Vec v = b.cols()[c];
                if (v == null) {
                    pieces = null;
                    break;
                }
                pieces.add(v);
            }
            out[c] = pieces == null ? null : Vec.concat(pieces, types.get(c));
        }
        return out;
    }

    /** Columns {@code columns[0..)} of this batch, each read. */
    Vec[] cols(int[] columns) {
        Vec[] out = new Vec[columns.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = col(columns[k]);
        }
        return out;
    }

    /** These columns and, last, a BOOL column of {@code marks} (a mark join's output: whether each row matched). */
    Batch withMarks(boolean[] marks) {
        long[] mark = new long[size];
        for (int i = 0; i < size; i++) {
            mark[i] = marks[i] ? 1 : 0;
        }
        Vec[] out = Arrays.copyOf(cols, cols.length + 1);
        out[cols.length] = Vec.ofLongs(Vec.Type.BOOL, 0, mark, size, null);
        return new Batch(out, size);
    }

    /** The rows at {@code idx[0..n)}. */
    Batch gather(int[] idx, int n) {
        Vec[] out = new Vec[cols.length];
        for (int c = 0; c < cols.length; c++) {
            Vec v = cols[c];
            out[c] = v == null ? null : v.gather(idx, n);
        }
        return new Batch(out, n);
    }
}
