package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.SqlKind;
import org.jspecify.annotations.Nullable;

/**
 * The running state of one aggregate call for every group of a hash aggregation, fed a batch at a time with
 * each row's group number. COUNT, SUM, SUM0, AVG over exact numbers (a {@code long} per group, widening to
 * {@link BigDecimal} on overflow) and doubles, and MIN/MAX over long-represented values run over arrays; other
 * calls (DISTINCT, ANY_VALUE, SINGLE_VALUE, LITERAL_AGG, MIN/MAX of strings) keep an {@link Accumulator} per
 * group. Results are finished by {@link Accumulator#finish}, so both paths agree. Not thread-safe.
 */
final class AggStates {
    private AggStates() {}

    /** One aggregate call's state over all groups. */
    interface State {
        /** Adds rows {@code 0..n)} of {@code b}; row {@code i} belongs to group {@code gid[i]}. */
        void add(Batch b, int[] gid, int n, int groups);

        /** The results of groups {@code 0..groups)}. */
        Vec result(int groups);

        /**
         * Adds the state of another partition's groups {@code 0..n)} of the same call, its group {@code g} being
         * this state's group {@code map[g]}; {@code groups} is this state's group count afterwards.
         */
        void merge(State other, int[] map, int n, int groups);
    }

    /** Whether partial states of the call can be merged (every call but DISTINCT and the row-based ones). */
    static boolean mergeable(AggregateCall call, RelDataType inputRow) {
        return !(of(call, inputRow) instanceof Generic);
    }

    static State of(AggregateCall call, RelDataType inputRow) {
        SqlKind kind = call.getAggregation().getKind();
        List<Integer> args = call.getArgList();
        if (!call.isDistinct() && kind == SqlKind.COUNT && args.size() <= 1) {
            return new Count(call, args.isEmpty() ? -1 : args.get(0));
        }
        if (!call.isDistinct() && args.size() == 1) {
            RelDataType at = inputRow.getFieldList().get(args.get(0)).getType();
            Vec.Type vt = Vec.typeOf(at);
            if (kind == SqlKind.SUM || kind == SqlKind.SUM0 || kind == SqlKind.AVG) {
                if (vt == Vec.Type.INT || vt == Vec.Type.DEC) {
                    return new SumExact(call, kind, args.get(0), vt == Vec.Type.DEC ? at.getScale() : 0);
                }
                if (vt == Vec.Type.DOUBLE) {
                    return new SumDouble(call, kind, args.get(0));
                }
            }
            if ((kind == SqlKind.MIN || kind == SqlKind.MAX)
                    && vt.isLong()
                    && (vt != Vec.Type.DEC || at.getPrecision() <= 18)) {
                return new MinMax(call, kind == SqlKind.MIN, args.get(0), vt, vt == Vec.Type.DEC ? at.getScale() : 0);
            }
        }
        return new Generic(call, inputRow.getFieldCount());
    }

    /** Rows a FILTER (WHERE ...) clause lets through; null when the call has none. */
    private static boolean @Nullable [] keep(AggregateCall call, Batch b, int n) {
        if (call.filterArg < 0) {
            return null;
        }
        Vec f = b.col(call.filterArg);
        boolean[] k = new boolean[n];
        for (int i = 0; i < n; i++) {
            k[i] = !f.isNull(i) && f.longs[i] != 0;
        }
        return k;
    }

    private static long[] grow(long[] a, int n) {
        return n <= a.length ? a : Arrays.copyOf(a, Math.max(n, a.length * 2));
    }

    private static final class Count implements State {
        private final AggregateCall call;
        private final int arg;
        private long[] counts = new long[16];

        Count(AggregateCall call, int arg) {
            this.call = call;
            this.arg = arg;
        }

        @Override
        public void add(Batch b, int[] gid, int n, int groups) {
            counts = grow(counts, groups);
            boolean[] keep = keep(call, b, n);
            Vec v = arg < 0 ? null : b.col(arg);
            for (int i = 0; i < n; i++) {
                if ((keep == null || keep[i]) && (v == null || !v.isNull(i))) {
                    counts[gid[i]]++;
                }
            }
        }

        @Override
        public Vec result(int groups) {
            counts = grow(counts, groups);
            return Vec.ofLongs(Vec.Type.INT, 0, Arrays.copyOf(counts, groups), groups, null);
        }

        @Override
        public void merge(State other, int[] map, int n, int groups) {
            Count o = (Count) other;
            counts = grow(counts, groups);
            o.counts = grow(o.counts, n);
            for (int g = 0; g < n; g++) {
                counts[map[g]] += o.counts[g];
            }
        }
    }

    /** SUM, SUM0 and AVG of exact numbers: a long per group at the argument's scale until one overflows. */
    private static final class SumExact implements State {
        private final AggregateCall call;
        private final SqlKind kind;
        private final int arg;
        private final int scale;
        private long[] sums = new long[16];
        private long[] counts = new long[16];
        private @Nullable BigDecimal @Nullable [] big;

        SumExact(AggregateCall call, SqlKind kind, int arg, int scale) {
            this.call = call;
            this.kind = kind;
            this.arg = arg;
            this.scale = scale;
        }

        private void widen(int groups) {
            BigDecimal[] b = new BigDecimal[Math.max(groups, sums.length)];
            for (int g = 0; g < sums.length; g++) {
                b[g] = BigDecimal.valueOf(sums[g], scale);
            }
            big = b;
        }

        @Override
        public void add(Batch b, int[] gid, int n, int groups) {
            sums = grow(sums, groups);
            counts = grow(counts, groups);
            if (big != null && big.length < groups) {
                big = Arrays.copyOf(big, Math.max(groups, big.length * 2));
            }
            boolean[] keep = keep(call, b, n);
            Vec v = b.col(arg);
            boolean fast = v.type != Vec.Type.OBJ && v.scale == scale;
            for (int i = 0; i < n; i++) {
                if ((keep != null && !keep[i]) || v.isNull(i)) {
                    continue;
                }
                int g = gid[i];
                counts[g]++;
                if (big == null && fast) {
                    long x = v.longs[i];
                    long s = sums[g];
                    long r = s + x;
                    if (((s ^ r) & (x ^ r)) >= 0) {
                        sums[g] = r;
                        continue;
                    }
                    widen(groups);
                }
                if (big == null) {
                    widen(groups);
                }
                BigDecimal[] bg = Objects.requireNonNull(big);
                BigDecimal cur = bg[g];
                BigDecimal x = Expressions.decimal(Objects.requireNonNull(v.get(i)));
                bg[g] = cur == null ? x : cur.add(x);
            }
        }

        @Override
        public void merge(State other, int[] map, int n, int groups) {
            SumExact o = (SumExact) other;
            sums = grow(sums, groups);
            counts = grow(counts, groups);
            o.sums = grow(o.sums, n);
            o.counts = grow(o.counts, n);
            if (big != null && big.length < groups) {
                big = Arrays.copyOf(big, groups);
            }
            for (int g = 0; g < n; g++) {
                int t = map[g];
                if (o.counts[g] == 0) {
                    continue;
                }
                counts[t] += o.counts[g];
                BigDecimal[] ob = o.big;
                if (big == null && ob == null) {
                    long s = sums[t];
                    long x = o.sums[g];
                    long r = s + x;
                    if (((s ^ r) & (x ^ r)) >= 0) {
                        sums[t] = r;
                        continue;
                    }
                }
                if (big == null) {
                    widen(groups);
                }
                BigDecimal[] bg = Objects.requireNonNull(big);
                BigDecimal x =
                        ob != null && g < ob.length && ob[g] != null ? ob[g] : BigDecimal.valueOf(o.sums[g], scale);
                BigDecimal cur = bg[t] != null ? bg[t] : BigDecimal.valueOf(sums[t], scale);
                // counts[t] already includes the other's rows; a group new here had a zero sum.
                bg[t] = cur.add(x);
            }
        }

        @Override
        public Vec result(int groups) {
            sums = grow(sums, groups);
            counts = grow(counts, groups);
            RelDataType t = call.getType();
            Vec.Type rt = Vec.typeOf(t);
            boolean sameScale = rt == Vec.Type.INT ? scale == 0 : rt == Vec.Type.DEC && t.getScale() == scale;
            if (big == null && (kind == SqlKind.SUM || kind == SqlKind.SUM0) && sameScale) {
                boolean[] nulls = null;
                if (kind == SqlKind.SUM) {
                    for (int g = 0; g < groups; g++) {
                        if (counts[g] == 0) {
                            if (nulls == null) {
                                nulls = new boolean[groups];
                            }
                            nulls[g] = true;
                        }
                    }
                }
                return Vec.ofLongs(rt, scale, Arrays.copyOf(sums, groups), groups, nulls);
            }
            Object[] out = new Object[groups];
            for (int g = 0; g < groups; g++) {
                Object value;
                if (counts[g] == 0) {
                    value = null;
                } else if (big != null) {
                    BigDecimal[] bg = big;
                    value = g < bg.length && bg[g] != null ? bg[g] : BigDecimal.valueOf(sums[g], scale);
                } else {
                    value = BigDecimal.valueOf(sums[g], scale);
                }
                out[g] = Accumulator.finish(kind, call, value, counts[g]);
            }
            return Vec.fromObjects(out, groups, t);
        }
    }

    private static final class SumDouble implements State {
        private final AggregateCall call;
        private final SqlKind kind;
        private final int arg;
        private double[] sums = new double[16];
        private long[] counts = new long[16];

        SumDouble(AggregateCall call, SqlKind kind, int arg) {
            this.call = call;
            this.kind = kind;
            this.arg = arg;
        }

        @Override
        public void add(Batch b, int[] gid, int n, int groups) {
            if (groups > sums.length) {
                sums = Arrays.copyOf(sums, Math.max(groups, sums.length * 2));
            }
            counts = grow(counts, groups);
            boolean[] keep = keep(call, b, n);
            Vec v = b.col(arg);
            double[] d = VecKernels.doubles(v);
            for (int i = 0; i < n; i++) {
                if ((keep == null || keep[i]) && !v.isNull(i)) {
                    sums[gid[i]] += d[i];
                    counts[gid[i]]++;
                }
            }
        }

        @Override
        public void merge(State other, int[] map, int n, int groups) {
            SumDouble o = (SumDouble) other;
            if (groups > sums.length) {
                sums = Arrays.copyOf(sums, Math.max(groups, sums.length * 2));
            }
            counts = grow(counts, groups);
            for (int g = 0; g < n && g < o.sums.length; g++) {
                sums[map[g]] += o.sums[g];
                counts[map[g]] += o.counts[g];
            }
        }

        @Override
        public Vec result(int groups) {
            if (groups > sums.length) {
                sums = Arrays.copyOf(sums, groups);
            }
            counts = grow(counts, groups);
            Object[] out = new Object[groups];
            for (int g = 0; g < groups; g++) {
                out[g] = Accumulator.finish(kind, call, counts[g] == 0 ? null : (Object) sums[g], counts[g]);
            }
            return Vec.fromObjects(out, groups, call.getType());
        }
    }

    /** MIN and MAX of long-represented values (exact numbers at one scale, dates, timestamps, booleans). */
    private static final class MinMax implements State {
        private final AggregateCall call;
        private final boolean min;
        private final int arg;
        private final Vec.Type type;
        private final int scale;
        private long[] best = new long[16];
        private boolean[] seen = new boolean[16];
        private @Nullable Generic generic;

        MinMax(AggregateCall call, boolean min, int arg, Vec.Type type, int scale) {
            this.call = call;
            this.min = min;
            this.arg = arg;
            this.type = type;
            this.scale = scale;
        }

        @Override
        public void add(Batch b, int[] gid, int n, int groups) {
            if (generic != null) {
                generic.add(b, gid, n, groups);
                return;
            }
            Vec v = b.col(arg);
            if (v.type != type || v.scale != scale) {
                // Values in another form (a wide DECIMAL): continue with per-group accumulators.
                Generic g = new Generic(call, b.cols().length);
                g.seed(this, groups);
                generic = g;
                g.add(b, gid, n, groups);
                return;
            }
            if (groups > best.length) {
                int cap = Math.max(groups, best.length * 2);
                best = Arrays.copyOf(best, cap);
                seen = Arrays.copyOf(seen, cap);
            }
            boolean[] keep = keep(call, b, n);
            for (int i = 0; i < n; i++) {
                if ((keep != null && !keep[i]) || v.isNull(i)) {
                    continue;
                }
                int g = gid[i];
                long x = v.longs[i];
                if (!seen[g] || (min ? x < best[g] : x > best[g])) {
                    best[g] = x;
                    seen[g] = true;
                }
            }
        }

        @Override
        public void merge(State other, int[] map, int n, int groups) {
            MinMax o = (MinMax) other;
            if (generic != null || o.generic != null) {
                throw new IllegalStateException("MIN/MAX partial states in object form cannot be merged");
            }
            if (groups > best.length) {
                int cap = Math.max(groups, best.length * 2);
                best = Arrays.copyOf(best, cap);
                seen = Arrays.copyOf(seen, cap);
            }
            for (int g = 0; g < n && g < o.seen.length; g++) {
                if (!o.seen[g]) {
                    continue;
                }
                int t = map[g];
                long x = o.best[g];
                if (!seen[t] || (min ? x < best[t] : x > best[t])) {
                    best[t] = x;
                    seen[t] = true;
                }
            }
        }

        @Nullable
        Object value(int g) {
            if (g >= seen.length || !seen[g]) {
                return null;
            }
            return Vec.ofLongs(type, scale, new long[] {best[g]}, 1, null).get(0);
        }

        @Override
        public Vec result(int groups) {
            if (generic != null) {
                return generic.result(groups);
            }
            Object[] out = new Object[groups];
            for (int g = 0; g < groups; g++) {
                out[g] = Accumulator.finish(call.getAggregation().getKind(), call, value(g), 1);
            }
            return Vec.fromObjects(out, groups, call.getType());
        }
    }

    /** An {@link Accumulator} per group, fed boxed rows. */
    private static final class Generic implements State {
        private final AggregateCall call;
        private final int width;
        private Accumulator[] accs = new Accumulator[16];

        Generic(AggregateCall call, int width) {
            this.call = call;
            this.width = width;
        }

        private Accumulator acc(int g) {
            if (g >= accs.length) {
                accs = Arrays.copyOf(accs, Math.max(g + 1, accs.length * 2));
            }
            Accumulator a = accs[g];
            if (a == null) {
                a = new Accumulator(call);
                accs[g] = a;
            }
            return a;
        }

        /** Starts from the minima or maxima a {@link MinMax} found so far. */
        void seed(MinMax from, int groups) {
            for (int g = 0; g < groups; g++) {
                Object v = from.value(g);
                if (v != null) {
                    Accumulator a = acc(g);
                    a.value = v;
                    a.count = 1;
                }
            }
        }

        @Override
        public void add(Batch b, int[] gid, int n, int groups) {
            List<Integer> args = call.getArgList();
            Object[] row = new Object[width];
            for (int i = 0; i < n; i++) {
                for (int a : args) {
                    row[a] = b.col(a).get(i);
                }
                if (call.filterArg >= 0) {
                    row[call.filterArg] = b.col(call.filterArg).get(i);
                }
                for (RelFieldCollation fc : call.collation.getFieldCollations()) {
                    row[fc.getFieldIndex()] = b.col(fc.getFieldIndex()).get(i);
                }
                acc(gid[i]).add(row);
            }
        }

        @Override
        public void merge(State other, int[] map, int n, int groups) {
            throw new IllegalStateException("aggregate " + call + " has no mergeable partial state");
        }

        @Override
        public Vec result(int groups) {
            Object[] out = new Object[groups];
            for (int g = 0; g < groups; g++) {
                out[g] = acc(g).result();
            }
            return Vec.fromObjects(out, groups, call.getType());
        }
    }
}
