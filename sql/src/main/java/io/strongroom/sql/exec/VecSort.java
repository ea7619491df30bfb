package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * ORDER BY over column vectors: the input is drained into one vector per column, row numbers are sorted (or,
 * for a LIMIT well below the input, the best {@code offset + fetch} kept in a bounded heap) by comparators
 * that read the vectors (longs and doubles without boxing), and the output is gathered a batch at a time.
 * NULLs sort as in PostgreSQL: last ascending, first descending, unless the query says otherwise. Values compare
 * as {@link Expressions#compare} does, so the row-based operators agree.
 */
final class VecSort {
    private VecSort() {}

    /** Compares rows {@code i} and {@code j}. */
    private interface RowCmp {
        int compare(int i, int j);
    }

    static Executor.Source sort(
            Executor.Source in,
            List<RelDataType> types,
            List<RelFieldCollation> collations,
            long offset,
            long fetch,
            Runnable checkCancelled) {
        List<Batch> batches = new ArrayList<>();
        int n = 0;
        for (Batch b = in.next(); b != null; b = in.next()) {
            checkCancelled.run();
            if (b.size() > 0) {
                batches.add(b);
                n = Math.addExact(n, b.size());
            }
        }
        if (n == 0) {
            return () -> null;
        }
        @Nullable Vec[] cols = Batch.concatColumns(batches, types);
        RowCmp cmp = comparator(cols, collations);
        long keep = fetch == Long.MAX_VALUE ? Long.MAX_VALUE : offset + fetch;
        int[] order;
        if (keep < n / 8) {
            order = top(n, (int) keep, cmp);
        } else {
            order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            mergeSort(order, new int[n], 0, n, cmp);
        }
        checkCancelled.run();
        int from = (int) Math.min(order.length, offset);
        int to = (int) Math.min(order.length, from + Math.min(fetch, Integer.MAX_VALUE));
        Batch all = new Batch(cols, n);
        int[] chunk = new int[Executor.BATCH_ROWS];
        int[] pos = {from};
        return () -> {
            if (pos[0] >= to) {
                return null;
            }
            int m = Math.min(chunk.length, to - pos[0]);
            System.arraycopy(order, pos[0], chunk, 0, m);
            pos[0] += m;
            return all.gather(chunk, m);
        };
    }

    private static RowCmp comparator(@Nullable Vec[] cols, List<RelFieldCollation> collations) {
        RowCmp[] keys = new RowCmp[collations.size()];
        for (int k = 0; k < keys.length; k++) {
            RelFieldCollation c = collations.get(k);
            Vec v = Objects.requireNonNull(cols[c.getFieldIndex()], "sort key not read");
            boolean desc = c.getDirection().isDescending();
            boolean nullsFirst = c.nullDirection == RelFieldCollation.NullDirection.FIRST
                    || (c.nullDirection == RelFieldCollation.NullDirection.UNSPECIFIED && desc);
            RowCmp values;
            if (v.type.isLong()) {
                long[] x = v.longs;
                values = (i, j) -> Long.compare(x[i], x[j]);
            } else if (v.type == Vec.Type.DOUBLE) {
                double[] x = v.doubles;
                values = (i, j) -> Double.compare(x[i], x[j]);
            } else {
                // Strings and other values: each made once, not per comparison.
                int n = v.size;
                Object[] x = new Object[n];
                for (int i = 0; i < n; i++) {
                    x[i] = v.isNull(i) ? "" : Objects.requireNonNull(v.get(i));
                }
                values = (i, j) -> Expressions.compare(x[i], x[j]);
            }
            RowCmp directed = desc ? (i, j) -> values.compare(j, i) : values;
            keys[k] = v.nulls == null
                    ? directed
                    : (i, j) -> {
                        boolean ni = v.nulls[i];
                        boolean nj = v.nulls[j];
                        if (ni || nj) {
                            return ni == nj ? 0 : (ni == nullsFirst ? -1 : 1);
                        }
                        return directed.compare(i, j);
                    };
        }
        if (keys.length == 1) {
            return keys[0];
        }
        return (i, j) -> {
            for (RowCmp k : keys) {
                int r = k.compare(i, j);
                if (r != 0) {
                    return r;
                }
            }
            return 0;
        };
    }

    /** The {@code keep} best rows of {@code 0..n)}, in order: a bounded max-heap of row numbers, then sorted. */
    private static int[] top(int n, int keep, RowCmp cmp) {
        int[] heap = new int[keep];
        int size = 0;
        for (int i = 0; i < n && keep > 0; i++) {
            if (size < keep) {
                heap[size] = i;
                siftUp(heap, size++, cmp);
            } else if (cmp.compare(i, heap[0]) < 0) {
                heap[0] = i;
                siftDown(heap, size, cmp);
            }
        }
        int[] out = Arrays.copyOf(heap, size);
        mergeSort(out, new int[size], 0, size, cmp);
        return out;
    }

    private static void siftUp(int[] heap, int k, RowCmp cmp) {
        int x = heap[k];
        while (k > 0) {
            int parent = (k - 1) >>> 1;
            if (cmp.compare(x, heap[parent]) <= 0) {
                break;
            }
            heap[k] = heap[parent];
            k = parent;
        }
        heap[k] = x;
    }

    private static void siftDown(int[] heap, int size, RowCmp cmp) {
        int k = 0;
        int x = heap[0];
        while (true) {
            int child = 2 * k + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && cmp.compare(heap[child + 1], heap[child]) > 0) {
                child++;
            }
            if (cmp.compare(x, heap[child]) >= 0) {
                break;
            }
            heap[k] = heap[child];
            k = child;
        }
        heap[k] = x;
    }

    /** A stable merge sort of {@code a[from..to)} by {@code cmp}, with {@code tmp} as scratch. */
    private static void mergeSort(int[] a, int[] tmp, int from, int to, RowCmp cmp) {
        if (to - from <= 24) {
            for (int i = from + 1; i < to; i++) {
                int x = a[i];
                int j = i - 1;
                while (j >= from && cmp.compare(a[j], x) > 0) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = x;
            }
            return;
        }
        int mid = (from + to) >>> 1;
        mergeSort(a, tmp, from, mid, cmp);
        mergeSort(a, tmp, mid, to, cmp);
        if (cmp.compare(a[mid - 1], a[mid]) <= 0) {
            return;
        }
        System.arraycopy(a, from, tmp, from, to - from);
        int i = from;
        int j = mid;
        for (int k = from; k < to; k++) {
            if (j >= to || (i < mid && cmp.compare(tmp[i], tmp[j]) <= 0)) {
                a[k] = tmp[i++];
            } else {
                a[k] = tmp[j++];
            }
        }
    }
}
