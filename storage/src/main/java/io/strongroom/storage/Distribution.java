package io.strongroom.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Spreads a batch's rows over slices. EVEN (and AUTO, which resolves to EVEN) deals contiguous runs of rows to
 * slices in turn, starting after the slice that has fewest rows, so slices stay within one run of each other;
 * KEY hashes the key column's value (NULL goes to slice 0); ALL puts every row on the first slice of each node.
 * Stateless.
 */
final class Distribution {
    private Distribution() {}

    static List<int[]> assign(TableSpec spec, ClusterLayout layout, RowBatch batch, long[] sliceRows) {
        int n = batch.rowCount();
        int slices = layout.sliceCount();
        List<int[]> out = new ArrayList<>(slices);
        switch (spec.distStyle()) {
            case ALL -> {
                int[] all = new int[n];
                for (int i = 0; i < n; i++) {
                    all[i] = i;
                }
                for (int s = 0; s < slices; s++) {
                    out.add(s % layout.slicesPerNode() == 0 ? all : new int[0]);
                }
            }
            case KEY -> {
                int keyIndex = spec.indexOf(Objects.requireNonNull(spec.distKey()));
                ColumnVector key = batch.column(keyIndex);
                int[] sliceOf = new int[n];
                int[] counts = new int[slices];
                for (int i = 0; i < n; i++) {
                    int s = key.isNull(i) ? 0 : Math.floorMod(hash(key, i), slices);
                    sliceOf[i] = s;
                    counts[s]++;
                }
                int[][] rows = new int[slices][];
                for (int s = 0; s < slices; s++) {
                    rows[s] = new int[counts[s]];
                    counts[s] = 0;
                }
                for (int i = 0; i < n; i++) {
                    rows[sliceOf[i]][counts[sliceOf[i]]++] = i;
                }
                for (int[] r : rows) {
                    out.add(r);
                }
            }
            case EVEN, AUTO -> {
                int start = 0;
                for (int s = 1; s < slices; s++) {
                    if (sliceRows[s] < sliceRows[start]) {
                        start = s;
                    }
                }
                int per = n / slices;
                int extra = n % slices;
                int[][] rows = new int[slices][];
                int next = 0;
                for (int k = 0; k < slices; k++) {
                    int s = (start + k) % slices;
                    int len = per + (k < extra ? 1 : 0);
                    rows[s] = new int[len];
                    for (int i = 0; i < len; i++) {
                        rows[s][i] = next++;
                    }
                }
                for (int[] r : rows) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** A well-mixed hash of the value at {@code row}; equal values hash equally across batches and restarts. */
    static int hash(ColumnVector v, int row) {
        long h;
        switch (v.type().physical()) {
            case LONG -> h = v.getLong(row);
            case DOUBLE -> {
                double d = v.getDouble(row);
                h = Double.doubleToLongBits(d == 0.0 ? 0.0 : d);
            }
            case BYTES -> {
                byte[] b = v.bytesData();
                int start = v.bytesStart(row);
                h = 0xcbf29ce484222325L;
                for (int i = 0; i < v.bytesLength(row); i++) {
                    h = (h ^ (b[start + i] & 0xff)) * 0x100000001b3L;
                }
            }
            case BIG -> h = Objects.requireNonNull(v.getBig(row)).hashCode();
            default -> throw new IllegalStateException();
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h;
    }

    /** The rows {@code rows} of {@code src}, as a new vector; contiguous runs are copied in bulk. */
    static ColumnVector gather(ColumnVector src, int[] rows) {
        ColumnVector out = new ColumnVector(src.type(), rows.length);
        int i = 0;
        while (i < rows.length) {
            int j = i + 1;
            while (j < rows.length && rows[j] == rows[j - 1] + 1) {
                j++;
            }
            out.appendRange(src, rows[i], rows[j - 1] + 1);
            i = j;
        }
        return out;
    }
}
