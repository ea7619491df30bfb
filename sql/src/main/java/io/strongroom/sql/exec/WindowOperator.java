package io.strongroom.sql.exec;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Expressions;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Window;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexWindowBound;
import org.apache.calcite.rex.RexWindowExclusion;
import org.apache.calcite.sql.SqlKind;
import org.jspecify.annotations.Nullable;

/**
 * Runs a {@link Window} (window functions, {@code f(...) OVER (PARTITION BY ... ORDER BY ... frame)}) over rows.
 *
 * <p>How this works. The input is read whole into memory. Each window group (one PARTITION BY, ORDER BY and
 * frame, shared by its calls) sorts row indexes by its partition keys, then its order keys, and walks each
 * partition: ranking functions (ROW_NUMBER, RANK, DENSE_RANK, PERCENT_RANK, CUME_DIST, NTILE) look at the
 * position and the peers (rows equal on the order keys), LAG and LEAD at the rows before and after, and
 * FIRST_VALUE, LAST_VALUE, NTH_VALUE and the aggregates (COUNT, SUM, AVG, MIN, MAX... through {@link
 * Accumulator}, so they agree with GROUP BY) at the frame: ROWS frames count rows, RANGE frames count peers (and,
 * with an offset, order-key values). Aggregates are computed incrementally when the frame grows from the start
 * (UNBOUNDED PRECEDING, the default with ORDER BY) or shrinks to the end (UNBOUNDED FOLLOWING), once per
 * partition when the frame is the whole partition, and from scratch per row otherwise (sliding frames, which are
 * short). Output rows are the input rows, in input order, with the window values appended, as the rel's row
 * type says.
 *
 * <p>Alternatives rejected: a vectorised, spilling window operator is not worth it yet (windows in this
 * warehouse run over aggregated or filtered inputs); computing sliding aggregates by subtraction would make
 * floating-point sums depend on the frame's history. Not thread-safe; one per query.
 */
final class WindowOperator {
    private WindowOperator() {}

    /** The window's output rows over {@code input} (rows of the window's input). */
    static Iterator<@Nullable Object[]> run(Window w, Iterator<@Nullable Object[]> input, Runnable checkCancelled) {
        int width = w.getInput().getRowType().getFieldCount();
        List<RexLiteral> constants = w.constants;
        List<@Nullable Object[]> rows = new ArrayList<>();
        int outWidth = w.getRowType().getFieldCount();
        Object[] constantValues = new Object[constants.size()];
        for (int i = 0; i < constantValues.length; i++) {
            constantValues[i] = Expressions.literal(constants.get(i));
        }
        // Output rows (input fields, room for the results) and working rows (input fields, then the window's
        // constants, which calls refer to by the positions past the input's fields).
        List<@Nullable Object[]> work = new ArrayList<>();
        while (input.hasNext()) {
            Object[] in = input.next();
            rows.add(Arrays.copyOf(in, outWidth));
            Object[] x = Arrays.copyOf(in, width + constants.size());
            System.arraycopy(constantValues, 0, x, width, constantValues.length);
            work.add(x);
        }
        int out = width;
        for (Window.Group group : w.groups) {
            checkCancelled.run();
            new GroupRun(w, group, work, constantValues, width).compute(rows, out, checkCancelled);
            out += group.aggCalls.size();
        }
        return rows.iterator();
    }

    /** One window group over the rows. */
    private static final class GroupRun {
        private final Window.Group group;
        private final List<@Nullable Object[]> work;
        private final List<AggregateCall> calls;
        private final List<RelFieldCollation> order;
        private final Comparator<@Nullable Object[]> orderComparator;
        private final int[] partition;
        private final Object[] constants;
        private final int width;

        GroupRun(Window w, Window.Group group, List<@Nullable Object[]> work, Object[] constants, int width) {
            this.group = group;
            this.work = work;
            this.calls = group.getAggregateCalls(w);
            this.order = group.orderKeys.getFieldCollations();
            this.orderComparator = RowOps.comparator(order);
            this.partition = group.keys.toArray();
            this.constants = constants;
            this.width = width;
            if (group.exclude != RexWindowExclusion.EXCLUDE_NO_OTHER) {
                throw Expressions.notSupported("window frame " + group.exclude);
            }
        }

        void compute(List<@Nullable Object[]> rows, int out, Runnable checkCancelled) {
            int n = work.size();
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
            }
            Comparator<Integer> byPartition = (a, b) -> comparePartition(work.get(a), work.get(b));
            Comparator<Integer> byOrder = (a, b) -> compareOrder(work.get(a), work.get(b));
            Arrays.sort(idx, byPartition.thenComparing(byOrder));
            int start = 0;
            while (start < n) {
                checkCancelled.run();
                int end = start + 1;
                while (end < n && comparePartition(work.get(idx[start]), work.get(idx[end])) == 0) {
                    end++;
                }
                int[] part = new int[end - start];
                for (int i = 0; i < part.length; i++) {
                    part[i] = idx[start + i];
                }
                partition(part, rows, out);
                start = end;
            }
        }

        private int comparePartition(@Nullable Object[] a, @Nullable Object[] b) {
            for (int k : partition) {
                int c = compareNullsFirst(a[k], b[k]);
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        }

        private int compareOrder(@Nullable Object[] a, @Nullable Object[] b) {
            return orderComparator.compare(a, b);
        }

        private static int compareNullsFirst(@Nullable Object x, @Nullable Object y) {
            if (x == null || y == null) {
                return x == y ? 0 : x == null ? -1 : 1;
            }
            return Expressions.compare(x, y);
        }

        /** Fills the results of every call for the rows of one partition, {@code part} in window order. */
        private void partition(int[] part, List<@Nullable Object[]> rows, int out) {
            int n = part.length;
            // peerStart[i], peerEnd[i]: the range [start, end) of rows equal to row i on the order keys.
            int[] peerStart = new int[n];
            int[] peerEnd = new int[n];
            int[] denseRank = new int[n];
            int dense = 0;
            for (int i = 0; i < n; ) {
                int j = i + 1;
                while (j < n && compareOrder(work.get(part[i]), work.get(part[j])) == 0) {
                    j++;
                }
                dense++;
                for (int k = i; k < j; k++) {
                    peerStart[k] = i;
                    peerEnd[k] = j;
                    denseRank[k] = dense;
                }
                i = j;
            }
            int[] lo = new int[n];
            int[] hi = new int[n];
            for (int i = 0; i < n; i++) {
                lo[i] = Math.max(0, bound(group.lowerBound, true, i, part, peerStart, peerEnd));
                hi[i] = Math.min(n - 1, bound(group.upperBound, false, i, part, peerStart, peerEnd));
            }
            for (int c = 0; c < calls.size(); c++) {
                AggregateCall call = calls.get(c);
                RelDataType type = call.getType();
                Object[] values = switch (call.getAggregation().getKind()) {
                    case ROW_NUMBER -> ranks(n, i -> i + 1);
                    case RANK -> ranks(n, i -> peerStart[i] + 1);
                    case DENSE_RANK -> ranks(n, i -> denseRank[i]);
                    case PERCENT_RANK -> {
                        Object[] v = new Object[n];
                        for (int i = 0; i < n; i++) {
                            v[i] = n == 1 ? 0.0 : (double) peerStart[i] / (n - 1);
                        }
                        yield v;
                    }
                    case CUME_DIST -> {
                        Object[] v = new Object[n];
                        for (int i = 0; i < n; i++) {
                            v[i] = (double) peerEnd[i] / n;
                        }
                        yield v;
                    }
                    case NTILE -> ntile(call, part);
                    case LAG, LEAD -> lagLead(call, part);
                    case FIRST_VALUE, LAST_VALUE, NTH_VALUE -> pick(call, part, lo, hi);
                    default -> aggregate(call, part, lo, hi);
                };
                for (int i = 0; i < n; i++) {
                    rows.get(part[i])[out + c] = Expressions.cast(values[i], type);
                }
            }
        }

        private static Object[] ranks(int n, IntUnaryOperator rank) {
            Object[] v = new Object[n];
            for (int i = 0; i < n; i++) {
                v[i] = (long) rank.applyAsInt(i);
            }
            return v;
        }

        private @Nullable Object arg(AggregateCall call, int k, int row) {
            return work.get(row)[call.getArgList().get(k)];
        }

        private Object[] ntile(AggregateCall call, int[] part) {
            int n = part.length;
            Object buckets = arg(call, 0, part[0]);
            if (buckets == null || ((Number) buckets).longValue() <= 0) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "argument of ntile must be greater than zero");
            }
            long k = ((Number) buckets).longValue();
            Object[] v = new Object[n];
            // PostgreSQL: every bucket gets n / k rows, the first n % k get one more.
            long size = n / k;
            long extra = n % k;
            long bucket = 1;
            long left = size + (extra > 0 ? 1 : 0);
            for (int i = 0; i < n; i++) {
                if (left == 0) {
                    bucket++;
                    left = size + (bucket <= extra ? 1 : 0);
                }
                v[i] = bucket;
                left--;
            }
            return v;
        }

        private Object[] lagLead(AggregateCall call, int[] part) {
            int n = part.length;
            boolean lag = call.getAggregation().getKind() == SqlKind.LAG;
            int args = call.getArgList().size();
            Object[] v = new Object[n];
            for (int i = 0; i < n; i++) {
                Object off = args > 1 ? arg(call, 1, part[i]) : (Object) 1L;
                if (off == null) {
                    v[i] = null;
                    continue;
                }
                long offset = ((Number) off).longValue();
                long step = lag ? -1 : 1;
                long target;
                if (call.ignoreNulls()) {
                    // The offset-th non-null value before (after) the row.
                    long found = 0;
                    target = -1;
                    for (long j = i + step; j >= 0 && j < n && offset > 0; j += step) {
                        if (arg(call, 0, part[(int) j]) != null && ++found == offset) {
                            target = j;
                            break;
                        }
                    }
                    if (offset == 0) {
                        target = i;
                    }
                } else {
                    target = i + step * offset;
                }
                if (target >= 0 && target < n) {
                    v[i] = arg(call, 0, part[(int) target]);
                } else {
                    v[i] = args > 2 ? arg(call, 2, part[i]) : null;
                }
            }
            return v;
        }

        private Object[] pick(AggregateCall call, int[] part, int[] lo, int[] hi) {
            int n = part.length;
            SqlKind kind = call.getAggregation().getKind();
            Object[] v = new Object[n];
            for (int i = 0; i < n; i++) {
                if (lo[i] > hi[i]) {
                    continue;
                }
                int from = lo[i];
                int to = hi[i];
                if (kind == SqlKind.NTH_VALUE) {
                    Object nth = arg(call, 1, part[i]);
                    if (nth == null) {
                        continue;
                    }
                    long k = ((Number) nth).longValue();
                    if (k <= 0) {
                        throw new StrongroomException(
                                ErrorCode.INVALID_ARGUMENT, "argument of nth_value must be greater than zero");
                    }
                    v[i] = nth(call, part, from, to, k);
                } else if (call.ignoreNulls()) {
                    boolean first = kind == SqlKind.FIRST_VALUE;
                    for (int j = first ? from : to; first ? j <= to : j >= from; j += first ? 1 : -1) {
                        Object x = arg(call, 0, part[j]);
                        if (x != null) {
                            v[i] = x;
                            break;
                        }
                    }
                } else {
                    v[i] = arg(call, 0, part[kind == SqlKind.FIRST_VALUE ? from : to]);
                }
            }
            return v;
        }

        private @Nullable Object nth(AggregateCall call, int[] part, int from, int to, long k) {
            long seen = 0;
            for (int j = from; j <= to; j++) {
                Object x = arg(call, 0, part[j]);
                if (call.ignoreNulls() && x == null) {
                    continue;
                }
                if (++seen == k) {
                    return x;
                }
            }
            return null;
        }

        private Object[] aggregate(AggregateCall call, int[] part, int[] lo, int[] hi) {
            int n = part.length;
            Object[] v = new Object[n];
            boolean growsFromStart = true;
            boolean shrinksToEnd = true;
            for (int i = 0; i < n; i++) {
                growsFromStart &= lo[i] == 0 && (i == 0 || hi[i] >= hi[i - 1]);
                shrinksToEnd &= hi[i] == n - 1 && (i == 0 || lo[i] >= lo[i - 1]);
            }
            if (growsFromStart) {
                Accumulator acc = new Accumulator(call);
                int added = 0;
                for (int i = 0; i < n; i++) {
                    while (added <= hi[i]) {
                        acc.add(work.get(part[added++]));
                    }
                    v[i] = acc.result();
                }
            } else if (shrinksToEnd) {
                Accumulator acc = new Accumulator(call);
                int added = n;
                for (int i = n - 1; i >= 0; i--) {
                    while (added > lo[i]) {
                        acc.add(work.get(part[--added]));
                    }
                    v[i] = acc.result();
                }
            } else {
                int prevLo = -1;
                int prevHi = -2;
                Object prev = null;
                for (int i = 0; i < n; i++) {
                    if (lo[i] != prevLo || hi[i] != prevHi) {
                        Accumulator acc = new Accumulator(call);
                        for (int j = lo[i]; j <= hi[i]; j++) {
                            acc.add(work.get(part[j]));
                        }
                        prev = acc.result();
                        prevLo = lo[i];
                        prevHi = hi[i];
                    }
                    v[i] = prev;
                }
            }
            return v;
        }

        /**
         * A frame bound of row {@code i} as a position in the partition: the first row of the frame for a lower
         * bound, the last for an upper bound; may fall outside the partition (an empty frame is {@code lo > hi}).
         */
        private int bound(RexWindowBound b, boolean lower, int i, int[] part, int[] peerStart, int[] peerEnd) {
            int n = part.length;
            if (b.isUnboundedPreceding()) {
                return lower ? 0 : -1;
            }
            if (b.isUnboundedFollowing()) {
                return lower ? n : n - 1;
            }
            if (b.isCurrentRow()) {
                if (group.isRows) {
                    return i;
                }
                return lower ? peerStart[i] : peerEnd[i] - 1;
            }
            Object offset = offset(b.getOffset());
            if (offset == null) {
                throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "frame offset must not be null");
            }
            boolean preceding = b.isPreceding();
            if (group.isRows) {
                long k = ((Number) offset).longValue();
                if (k < 0) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT, "frame starting offset must not be negative");
                }
                long pos = preceding ? (long) i - k : (long) i + k;
                return (int) Math.max(-1, Math.min(n, pos));
            }
            return rangeBound(offset, preceding, lower, i, part);
        }

        /** A RANGE frame bound with an offset: order-key values within the offset of the row's (one numeric key). */
        private int rangeBound(Object offset, boolean preceding, boolean lower, int i, int[] part) {
            if (order.size() != 1) {
                throw Expressions.notSupported("RANGE frame with an offset over " + order.size() + " order keys");
            }
            RelFieldCollation c = order.get(0);
            int key = c.getFieldIndex();
            Object own = work.get(part[i])[key];
            int n = part.length;
            if (own == null) {
                // NULL rows: the frame is their peers (the other NULLs), as in PostgreSQL.
                int s = i;
                while (s > 0 && work.get(part[s - 1])[key] == null) {
                    s--;
                }
                int e = i;
                while (e < n - 1 && work.get(part[e + 1])[key] == null) {
                    e++;
                }
                return lower ? s : e;
            }
            if (!(own instanceof Number)) {
                throw Expressions.notSupported("RANGE frame with an offset over a non-numeric order key");
            }
            boolean desc = c.getDirection().isDescending();
            BigDecimal base = Expressions.decimal(own instanceof Double d ? BigDecimal.valueOf(d) : own);
            BigDecimal off = Expressions.decimal(offset instanceof Double d ? BigDecimal.valueOf(d) : offset);
            // In the sort direction, PRECEDING moves towards earlier rows.
            BigDecimal limit = (preceding != desc) ? base.subtract(off) : base.add(off);
            if (lower) {
                int j = 0;
                while (j < n && !withinLower(work.get(part[j])[key], limit, desc)) {
                    j++;
                }
                return j;
            }
            int j = n - 1;
            while (j >= 0 && !withinUpper(work.get(part[j])[key], limit, desc)) {
                j--;
            }
            return j;
        }

        private static boolean withinLower(@Nullable Object v, BigDecimal limit, boolean desc) {
            if (v == null) {
                return false;
            }
            int c = Expressions.compare(v instanceof Double d ? BigDecimal.valueOf(d) : v, limit);
            return desc ? c <= 0 : c >= 0;
        }

        private static boolean withinUpper(@Nullable Object v, BigDecimal limit, boolean desc) {
            if (v == null) {
                return false;
            }
            int c = Expressions.compare(v instanceof Double d ? BigDecimal.valueOf(d) : v, limit);
            return desc ? c >= 0 : c <= 0;
        }

        private @Nullable Object offset(RexNode node) {
            if (node instanceof RexLiteral lit) {
                return Expressions.literal(lit);
            }
            if (node instanceof RexInputRef ref && ref.getIndex() >= width) {
                return constants[ref.getIndex() - width];
            }
            throw Expressions.notSupported("window frame offset " + node);
        }
    }
}
