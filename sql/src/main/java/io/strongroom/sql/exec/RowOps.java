package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import io.strongroom.sql.func.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterators;
import java.util.stream.StreamSupport;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * Rows of in-memory values (see {@link Types}) next to the executor's batches: conversions both ways, and the
 * row helpers of the row-based operators (concatenation, distinct, ordering). Stateless.
 */
public final class RowOps {
    private RowOps() {}

    /** Rows as batches of the in-memory values, column by column in the types of {@code rel}'s row. */
    static Executor.Source fromRows(Iterator<@Nullable Object[]> rows, RelNode rel) {
        List<RelDataType> types =
                rel.getRowType().getFieldList().stream().map(f -> f.getType()).toList();
        return () -> {
            List<@Nullable Object[]> chunk = new ArrayList<>();
            while (chunk.size() < Executor.BATCH_ROWS && rows.hasNext()) {
                chunk.add(rows.next());
            }
            if (chunk.isEmpty()) {
                return null;
            }
            int n = chunk.size();
            Vec[] cols = new Vec[types.size()];
            for (int c = 0; c < cols.length; c++) {
                Object[] vals = new Object[n];
                for (int i = 0; i < n; i++) {
                    vals[i] = chunk.get(i)[c];
                }
                cols[c] = Vec.fromObjects(vals, n, types.get(c));
            }
            return new Batch(cols, n);
        };
    }

    /** Batches as rows of in-memory values. */
    static Iterator<@Nullable Object[]> rows(Executor.Source in) {
        return new Iterator<>() {
            private @Nullable Batch batch;
            private int row;

            @Override
            public boolean hasNext() {
                while (batch == null || row >= batch.size()) {
                    batch = in.next();
                    row = 0;
                    if (batch == null) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public @Nullable Object[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return Objects.requireNonNull(batch).row(row++);
            }
        };
    }

    static Iterator<@Nullable Object[]> concat(List<Iterator<@Nullable Object[]>> inputs) {
        return inputs.stream()
                .flatMap(it -> StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, 0), false))
                .iterator();
    }

    static Iterator<@Nullable Object[]> distinct(Iterator<@Nullable Object[]> in) {
        Set<RowKey> seen = new HashSet<>();
        List<@Nullable Object[]> out = new ArrayList<>();
        while (in.hasNext()) {
            Object[] r = in.next();
            if (seen.add(new RowKey(r))) {
                out.add(r);
            }
        }
        return out.iterator();
    }

    /** Rows in the order of {@code collations}, with PostgreSQL's NULL placement. */
    static Comparator<@Nullable Object[]> comparator(List<RelFieldCollation> collations) {
        return (a, b) -> {
            for (RelFieldCollation c : collations) {
                Object x = a[c.getFieldIndex()];
                Object y = b[c.getFieldIndex()];
                boolean desc = c.getDirection().isDescending();
                int r;
                if (x == null || y == null) {
                    if (x == y) {
                        continue;
                    }
                    // PostgreSQL: NULLS LAST for ASC, NULLS FIRST for DESC, unless stated.
                    boolean nullsFirst = c.nullDirection == RelFieldCollation.NullDirection.FIRST
                            || (c.nullDirection == RelFieldCollation.NullDirection.UNSPECIFIED && desc);
                    return (x == null) == nullsFirst ? -1 : 1;
                }
                r = Expressions.compare(x, y);
                if (r != 0) {
                    return desc ? -r : r;
                }
            }
            return 0;
        };
    }

    static @Nullable Object[] concatRows(@Nullable Object[] l, @Nullable Object[] r, int lw, int rw) {
        Object[] out = Arrays.copyOf(l, lw + rw);
        System.arraycopy(r, 0, out, lw, rw);
        return out;
    }

    public static List<@Nullable Object[]> drain(Iterator<@Nullable Object[]> it) {
        List<@Nullable Object[]> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return Collections.unmodifiableList(out);
    }
}
