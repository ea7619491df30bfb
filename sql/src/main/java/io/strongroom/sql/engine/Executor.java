package io.strongroom.sql.engine;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.storage.ColumnVector;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.TableReader;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.JoinInfo;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalIntersect;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalMinus;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.logical.LogicalSort;
import org.apache.calcite.rel.logical.LogicalUnion;
import org.apache.calcite.rel.logical.LogicalValues;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.ImmutableBitSet;
import org.jspecify.annotations.Nullable;

/**
 * Runs a Calcite logical plan with Strongroom's own operators: scans with column pruning and zone-map range
 * pushdown over the store's per-slice batches, filter, project, hash aggregate, hash join (inner, left, right,
 * full, semi, anti, with residual conditions), sort with offset/fetch, union/intersect/minus, values. Rows
 * flow as {@code Object[]} in the in-memory form of {@link Types}.
 *
 * <p>Alternatives rejected: Calcite's enumerable runtime (the study measured it 14–130x slower than a tight
 * loop); DuckDB over exported Arrow streams (the transfer cost more than the query). This first executor is
 * row-at-a-time over column batches; vectorising the expression evaluation is the next step. Not thread-safe;
 * one query per instance.
 */
final class Executor {
    /** Finds the reader of a table the plan scans. */
    interface Tables {
        TableReader reader(List<String> qualifiedName);
    }

    private final Tables tables;
    private final Expressions.Context params;
    private final BooleanSupplier cancelled;

    Executor(Tables tables, Expressions.Context params, BooleanSupplier cancelled) {
        this.tables = tables;
        this.params = params;
        this.cancelled = cancelled;
    }

    Iterator<@Nullable Object[]> run(RelNode plan) {
        return compile(plan, ImmutableBitSet.range(plan.getRowType().getFieldCount()));
    }

    private void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            throw new StrongroomException(ErrorCode.QUERY_CANCELED, "canceling statement due to user request");
        }
    }

    /** Compiles {@code rel}; only fields in {@code needed} must be filled (others may be null). */
    private Iterator<@Nullable Object[]> compile(RelNode rel, ImmutableBitSet needed) {
        if (rel instanceof TableScan scan) {
            return scan(scan, needed, List.of());
        }
        if (rel instanceof LogicalFilter f) {
            ImmutableBitSet inputNeeded =
                    needed.union(org.apache.calcite.plan.RelOptUtil.InputFinder.bits(f.getCondition()));
            Iterator<@Nullable Object[]> in = f.getInput() instanceof TableScan scan
                    ? scan(scan, inputNeeded, ranges(f.getCondition()))
                    : compile(f.getInput(), inputNeeded);
            Expressions.Expr cond = Expressions.compile(f.getCondition(), params);
            return filter(in, cond);
        }
        if (rel instanceof LogicalProject p) {
            ImmutableBitSet.Builder b = ImmutableBitSet.builder();
            for (int i : needed) {
                b.addAll(org.apache.calcite.plan.RelOptUtil.InputFinder.bits(
                        p.getProjects().get(i)));
            }
            Iterator<@Nullable Object[]> in = compile(p.getInput(), b.build());
            List<RexNode> projects = p.getProjects();
            Expressions.Expr[] exprs = new Expressions.Expr[projects.size()];
            for (int i = 0; i < exprs.length; i++) {
                exprs[i] = needed.get(i) ? Expressions.compile(projects.get(i), params) : row -> null;
            }
            return map(in, row -> {
                Object[] out = new Object[exprs.length];
                for (int i = 0; i < exprs.length; i++) {
                    out[i] = exprs[i].eval(row);
                }
                return out;
            });
        }
        if (rel instanceof LogicalAggregate a) {
            return aggregate(a);
        }
        if (rel instanceof org.apache.calcite.rel.logical.LogicalCorrelate c) {
            return correlate(c);
        }
        if (rel instanceof LogicalJoin j) {
            return join(j, needed);
        }
        if (rel instanceof LogicalSort s) {
            return sort(s, needed);
        }
        if (rel instanceof LogicalUnion u) {
            List<Iterator<@Nullable Object[]>> inputs = new ArrayList<>();
            for (RelNode i : u.getInputs()) {
                inputs.add(compile(i, ImmutableBitSet.range(i.getRowType().getFieldCount())));
            }
            Iterator<@Nullable Object[]> all = concat(inputs);
            return u.all ? all : distinct(all);
        }
        if (rel instanceof LogicalIntersect || rel instanceof LogicalMinus) {
            return setOp(rel);
        }
        if (rel instanceof LogicalValues v) {
            List<@Nullable Object[]> rows = new ArrayList<>();
            for (List<RexLiteral> t : v.getTuples()) {
                Object[] row = new Object[t.size()];
                for (int i = 0; i < row.length; i++) {
                    row[i] = Expressions.cast(
                            Expressions.literal(t.get(i)),
                            v.getRowType().getFieldList().get(i).getType());
                }
                rows.add(row);
            }
            return rows.iterator();
        }
        throw Expressions.notSupported(
                "plan node " + rel.getRelTypeName() + " (" + rel.explain().trim() + ")");
    }

    // ---- scan ----

    /** Ranges a conjunction of "column op literal" comparisons allows, for zone-map pushdown. */
    private List<ScanSpec.Range> ranges(RexNode condition) {
        List<ScanSpec.Range> out = new ArrayList<>();
        for (RexNode c : org.apache.calcite.plan.RelOptUtil.conjunctions(condition)) {
            if (!(c instanceof RexCall call) || call.getOperands().size() != 2) {
                continue;
            }
            RexNode l = call.getOperands().get(0);
            RexNode r = call.getOperands().get(1);
            SqlKind kind = call.getKind();
            if (l instanceof RexLiteral && r instanceof RexInputRef) {
                RexNode t = l;
                l = r;
                r = t;
                kind = kind.reverse();
            }
            if (!(l instanceof RexInputRef ref) || !(r instanceof RexLiteral lit) || lit.isNull()) {
                continue;
            }
            Object v = Expressions.literal(lit);
            if (!(v instanceof Long
                    || v instanceof BigDecimal
                    || v instanceof Double
                    || v instanceof String
                    || v instanceof java.time.LocalDate)) {
                continue;
            }
            SqlTypeName colType = ref.getType().getSqlTypeName();
            if ((v instanceof BigDecimal || v instanceof Double) && SqlTypeName.INT_TYPES.contains(colType)) {
                continue; // bounds would need rounding; skip rather than risk excluding a block
            }
            switch (kind) {
                case EQUALS -> out.add(new ScanSpec.Range(ref.getIndex(), v, v));
                case LESS_THAN, LESS_THAN_OR_EQUAL -> out.add(new ScanSpec.Range(ref.getIndex(), null, v));
                case GREATER_THAN, GREATER_THAN_OR_EQUAL -> out.add(new ScanSpec.Range(ref.getIndex(), v, null));
                default -> {}
            }
        }
        return out;
    }

    private Iterator<@Nullable Object[]> scan(TableScan scan, ImmutableBitSet needed, List<ScanSpec.Range> ranges) {
        SystemTables.SystemTable system = scan.getTable().unwrap(SystemTables.SystemTable.class);
        if (system != null) {
            return system.rows().stream().map(r -> r.clone()).iterator();
        }
        TableReader reader = tables.reader(scan.getTable().getQualifiedName());
        int width = scan.getRowType().getFieldCount();
        List<Integer> cols = needed.isEmpty() ? List.of() : needed.asList();
        ScanSpec spec = new ScanSpec(cols, List.of(), false, 4096);
        for (ScanSpec.Range r : ranges) {
            try {
                spec = spec.withRange(r.column(), r.low(), r.high());
            } catch (RuntimeException e) {
                // A literal the column type cannot take (e.g. a string against a date): no pushdown for it.
            }
        }
        Iterator<TableReader.SliceScan> slices = reader.scan(spec).iterator();
        int[] positions = cols.stream().mapToInt(Integer::intValue).toArray();
        return new Iterator<>() {
            private TableReader.@Nullable SliceScan current;
            private @Nullable RowBatch batch;
            private int row;

            @Override
            public boolean hasNext() {
                while (batch == null || row >= batch.rowCount()) {
                    checkCancelled();
                    if (current != null && current.hasNext()) {
                        batch = current.next();
                        row = 0;
                    } else if (slices.hasNext()) {
                        current = slices.next();
                    } else {
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
                RowBatch b = java.util.Objects.requireNonNull(batch);
                Object[] out = new Object[width];
                for (int i = 0; i < positions.length; i++) {
                    ColumnVector v = b.column(i);
                    out[positions[i]] = Types.fromStorage(v.get(row));
                }
                row++;
                return out;
            }
        };
    }

    // ---- simple operators ----

    private static Iterator<@Nullable Object[]> filter(Iterator<@Nullable Object[]> in, Expressions.Expr cond) {
        return new Iterator<>() {
            private @Nullable Object @Nullable [] next;

            @Override
            public boolean hasNext() {
                while (next == null && in.hasNext()) {
                    Object[] r = in.next();
                    if (Boolean.TRUE.equals(cond.eval(r))) {
                        next = r;
                    }
                }
                return next != null;
            }

            @Override
            public @Nullable Object[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Object[] r = java.util.Objects.requireNonNull(next);
                next = null;
                return r;
            }
        };
    }

    private static Iterator<@Nullable Object[]> map(
            Iterator<@Nullable Object[]> in, java.util.function.UnaryOperator<@Nullable Object[]> f) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return in.hasNext();
            }

            @Override
            public @Nullable Object[] next() {
                return f.apply(in.next());
            }
        };
    }

    private static Iterator<@Nullable Object[]> concat(List<Iterator<@Nullable Object[]>> inputs) {
        return inputs.stream()
                .flatMap(it -> java.util.stream.StreamSupport.stream(
                        java.util.Spliterators.spliteratorUnknownSize(it, 0), false))
                .iterator();
    }

    private static Iterator<@Nullable Object[]> distinct(Iterator<@Nullable Object[]> in) {
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

    private Iterator<@Nullable Object[]> setOp(RelNode rel) {
        List<RelNode> inputs = rel.getInputs();
        Map<RowKey, Integer> counts = new LinkedHashMap<>();
        Iterator<@Nullable Object[]> first = compile(
                inputs.get(0), ImmutableBitSet.range(inputs.get(0).getRowType().getFieldCount()));
        while (first.hasNext()) {
            counts.merge(new RowKey(first.next()), 1, Integer::sum);
        }
        for (RelNode other : inputs.subList(1, inputs.size())) {
            Set<RowKey> keys = new HashSet<>();
            Iterator<@Nullable Object[]> it =
                    compile(other, ImmutableBitSet.range(other.getRowType().getFieldCount()));
            while (it.hasNext()) {
                keys.add(new RowKey(it.next()));
            }
            if (rel instanceof LogicalIntersect) {
                counts.keySet().retainAll(keys);
            } else {
                counts.keySet().removeAll(keys);
            }
        }
        List<@Nullable Object[]> out = new ArrayList<>();
        counts.keySet().forEach(k -> out.add(k.values()));
        return out.iterator();
    }

    // ---- sort ----

    private Iterator<@Nullable Object[]> sort(LogicalSort s, ImmutableBitSet needed) {
        ImmutableBitSet.Builder b = ImmutableBitSet.builder();
        b.addAll(needed);
        for (RelFieldCollation c : s.getCollation().getFieldCollations()) {
            b.set(c.getFieldIndex());
        }
        Iterator<@Nullable Object[]> in = compile(s.getInput(), b.build());
        long offset = s.offset == null
                ? 0
                : ((Number) java.util.Objects.requireNonNull(
                                Expressions.compile(s.offset, params).eval(new Object[0])))
                        .longValue();
        long fetch = s.fetch == null
                ? Long.MAX_VALUE
                : ((Number) java.util.Objects.requireNonNull(
                                Expressions.compile(s.fetch, params).eval(new Object[0])))
                        .longValue();
        List<RelFieldCollation> collations = s.getCollation().getFieldCollations();
        if (collations.isEmpty()) {
            List<@Nullable Object[]> out = new ArrayList<>();
            long skipped = 0;
            while (in.hasNext() && out.size() < fetch) {
                Object[] r = in.next();
                if (skipped++ >= offset) {
                    out.add(r);
                }
            }
            return out.iterator();
        }
        Comparator<@Nullable Object[]> cmp = comparator(collations);
        List<@Nullable Object[]> rows = new ArrayList<>();
        long keep = fetch == Long.MAX_VALUE ? Long.MAX_VALUE : offset + fetch;
        if (keep < 100_000) {
            // Top-N: a bounded heap instead of sorting everything.
            java.util.PriorityQueue<@Nullable Object[]> heap = new java.util.PriorityQueue<>(cmp.reversed());
            while (in.hasNext()) {
                heap.add(in.next());
                if (heap.size() > keep) {
                    heap.poll();
                }
            }
            rows.addAll(heap);
        } else {
            in.forEachRemaining(rows::add);
        }
        rows.sort(cmp);
        int from = (int) Math.min(rows.size(), offset);
        int to = (int) Math.min(rows.size(), from + Math.min(fetch, Integer.MAX_VALUE));
        return rows.subList(from, to).iterator();
    }

    private static Comparator<@Nullable Object[]> comparator(List<RelFieldCollation> collations) {
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

    // ---- aggregate ----

    private Iterator<@Nullable Object[]> aggregate(LogicalAggregate a) {
        if (a.getGroupSets().size() > 1) {
            throw Expressions.notSupported("GROUPING SETS, ROLLUP and CUBE");
        }
        ImmutableBitSet.Builder b = ImmutableBitSet.builder();
        b.addAll(a.getGroupSet());
        for (AggregateCall c : a.getAggCallList()) {
            b.addAll(c.getArgList());
            if (c.filterArg >= 0) {
                b.set(c.filterArg);
            }
        }
        Iterator<@Nullable Object[]> in = compile(a.getInput(), b.build());
        int[] groups = a.getGroupSet().toArray();
        List<AggregateCall> calls = a.getAggCallList();
        Map<RowKey, Accumulator[]> table = new LinkedHashMap<>();
        long n = 0;
        while (in.hasNext()) {
            if ((++n & 0xFFFF) == 0) {
                checkCancelled();
            }
            Object[] row = in.next();
            Object[] k = new Object[groups.length];
            for (int i = 0; i < groups.length; i++) {
                k[i] = row[groups[i]];
            }
            Accumulator[] accs = table.computeIfAbsent(new RowKey(k), key -> {
                Accumulator[] x = new Accumulator[calls.size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = new Accumulator(calls.get(i));
                }
                return x;
            });
            for (Accumulator acc : accs) {
                acc.add(row);
            }
        }
        if (table.isEmpty() && groups.length == 0) {
            Accumulator[] x = new Accumulator[calls.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = new Accumulator(calls.get(i));
            }
            table.put(new RowKey(new Object[0]), x);
        }
        List<@Nullable Object[]> out = new ArrayList<>(table.size());
        for (Map.Entry<RowKey, Accumulator[]> e : table.entrySet()) {
            Object[] row = new Object[groups.length + calls.size()];
            System.arraycopy(e.getKey().values(), 0, row, 0, groups.length);
            for (int i = 0; i < calls.size(); i++) {
                row[groups.length + i] = e.getValue()[i].result();
            }
            out.add(row);
        }
        return out.iterator();
    }

    // ---- join ----

    private Iterator<@Nullable Object[]> join(LogicalJoin j, ImmutableBitSet needed) {
        JoinRelType type = j.getJoinType();
        int leftWidth = j.getLeft().getRowType().getFieldCount();
        int rightWidth = j.getRight().getRowType().getFieldCount();
        JoinInfo info = j.analyzeCondition();
        int[] lk = info.leftKeys.toIntArray();
        int[] rk = info.rightKeys.toIntArray();
        RexNode residual = info.getRemaining(j.getCluster().getRexBuilder());
        Expressions.Expr extra = residual.isAlwaysTrue() ? null : Expressions.compile(residual, params);
        // Only the columns used above or by the condition are read; the rest stay null.
        ImmutableBitSet used = (type == JoinRelType.SEMI || type == JoinRelType.ANTI
                        ? needed.intersect(ImmutableBitSet.range(leftWidth))
                        : needed)
                .union(org.apache.calcite.plan.RelOptUtil.InputFinder.bits(j.getCondition()));
        ImmutableBitSet leftNeeded = used.intersect(ImmutableBitSet.range(leftWidth));
        ImmutableBitSet rightNeeded = used.intersect(ImmutableBitSet.range(leftWidth, leftWidth + rightWidth))
                .shift(-leftWidth);
        if (type == JoinRelType.INNER && extra == null) {
            var mq = j.getCluster().getMetadataQuery();
            Double l = mq.getRowCount(j.getLeft());
            Double r = mq.getRowCount(j.getRight());
            if (l != null && r != null && l < r) {
                // Build on the smaller (left) input, probe with the right.
                return innerJoinBuildLeft(j, leftNeeded, rightNeeded, lk, rk, leftWidth, rightWidth);
            }
        }
        Iterator<@Nullable Object[]> right = compile(j.getRight(), rightNeeded);
        // Build on the right input, probe with the left.
        Map<RowKey, List<@Nullable Object[]>> build = new HashMap<>();
        List<@Nullable Object[]> rightRows = new ArrayList<>();
        while (right.hasNext()) {
            Object[] r = right.next();
            rightRows.add(r);
            RowKey k = key(r, rk);
            if (k != null) {
                build.computeIfAbsent(k, x -> new ArrayList<>()).add(r);
            }
        }
        boolean outerRight = type == JoinRelType.RIGHT || type == JoinRelType.FULL;
        Map<Object[], Integer> rightIndex = new java.util.IdentityHashMap<>();
        if (outerRight) {
            for (int i = 0; i < rightRows.size(); i++) {
                rightIndex.put(rightRows.get(i), i);
            }
        }
        boolean[] rightMatched = new boolean[outerRight ? rightRows.size() : 0];
        Iterator<@Nullable Object[]> left = compile(j.getLeft(), leftNeeded);
        Iterator<@Nullable Object[]> probe = new Iterator<>() {
            private final java.util.ArrayDeque<@Nullable Object[]> ready = new java.util.ArrayDeque<>();
            private long n;

            @Override
            public boolean hasNext() {
                while (ready.isEmpty() && left.hasNext()) {
                    // Counts probe rows and candidate pairs, so a cross join notices a cancel promptly.
                    if (++n >= 0x10000) {
                        n = 0;
                        checkCancelled();
                    }
                    probeOne(left.next());
                }
                return !ready.isEmpty();
            }

            private void probeOne(@Nullable Object[] l) {
                RowKey k = key(l, lk);
                List<@Nullable Object[]> candidates = k == null ? List.of() : build.getOrDefault(k, List.of());
                n += candidates.size();
                boolean matched = false;
                for (Object[] r : candidates) {
                    Object[] joined = concatRows(l, r, leftWidth, rightWidth);
                    if (extra != null && !Boolean.TRUE.equals(extra.eval(joined))) {
                        continue;
                    }
                    matched = true;
                    if (type == JoinRelType.SEMI || type == JoinRelType.ANTI) {
                        break;
                    }
                    if (outerRight) {
                        rightMatched[java.util.Objects.requireNonNull(rightIndex.get(r))] = true;
                    }
                    ready.add(joined);
                }
                switch (type) {
                    case SEMI -> {
                        if (matched) {
                            ready.add(l);
                        }
                    }
                    case ANTI -> {
                        if (!matched) {
                            ready.add(l);
                        }
                    }
                    case LEFT, FULL -> {
                        if (!matched) {
                            ready.add(concatRows(l, new Object[rightWidth], leftWidth, rightWidth));
                        }
                    }
                    default -> {}
                }
            }

            @Override
            public @Nullable Object[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return java.util.Objects.requireNonNull(ready.poll());
            }
        };
        if (!outerRight) {
            return probe;
        }
        List<@Nullable Object[]> out = new ArrayList<>();
        probe.forEachRemaining(out::add);
        for (int i = 0; i < rightRows.size(); i++) {
            if (!rightMatched[i]) {
                out.add(concatRows(new Object[leftWidth], rightRows.get(i), leftWidth, rightWidth));
            }
        }
        return out.iterator();
    }

    /** An inner equi-join that builds its hash table on the left input and streams the right. */
    private Iterator<@Nullable Object[]> innerJoinBuildLeft(
            LogicalJoin j,
            ImmutableBitSet leftNeeded,
            ImmutableBitSet rightNeeded,
            int[] lk,
            int[] rk,
            int leftWidth,
            int rightWidth) {
        Iterator<@Nullable Object[]> left = compile(j.getLeft(), leftNeeded);
        Map<RowKey, List<@Nullable Object[]>> build = new HashMap<>();
        while (left.hasNext()) {
            Object[] l = left.next();
            RowKey k = key(l, lk);
            if (k != null) {
                build.computeIfAbsent(k, x -> new ArrayList<>()).add(l);
            }
        }
        Iterator<@Nullable Object[]> right = compile(j.getRight(), rightNeeded);
        return new Iterator<>() {
            private final java.util.ArrayDeque<@Nullable Object[]> ready = new java.util.ArrayDeque<>();
            private long n;

            @Override
            public boolean hasNext() {
                while (ready.isEmpty() && right.hasNext()) {
                    if ((++n & 0xFFFF) == 0) {
                        checkCancelled();
                    }
                    Object[] r = right.next();
                    RowKey k = key(r, rk);
                    if (k != null) {
                        for (Object[] l : build.getOrDefault(k, List.of())) {
                            ready.add(concatRows(l, r, leftWidth, rightWidth));
                        }
                    }
                }
                return !ready.isEmpty();
            }

            @Override
            public @Nullable Object[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return java.util.Objects.requireNonNull(ready.poll());
            }
        };
    }

    /**
     * A correlated subquery the decorrelator left in place, run as a nested loop: the right side is compiled and
     * run again for every left row, with that row bound to the correlation variable.
     */
    private Iterator<@Nullable Object[]> correlate(org.apache.calcite.rel.logical.LogicalCorrelate c) {
        int leftWidth = c.getLeft().getRowType().getFieldCount();
        int rightWidth = c.getRight().getRowType().getFieldCount();
        JoinRelType type = c.getJoinType();
        Iterator<@Nullable Object[]> left = compile(c.getLeft(), ImmutableBitSet.range(leftWidth));
        List<@Nullable Object[]> out = new ArrayList<>();
        var correlations = params.correlations();
        try {
            while (left.hasNext()) {
                checkCancelled();
                Object[] l = left.next();
                correlations.put(c.getCorrelationId(), l);
                Iterator<@Nullable Object[]> right = compile(c.getRight(), ImmutableBitSet.range(rightWidth));
                boolean matched = false;
                while (right.hasNext()) {
                    Object[] r = right.next();
                    matched = true;
                    if (type == JoinRelType.SEMI || type == JoinRelType.ANTI) {
                        break;
                    }
                    out.add(concatRows(l, r, leftWidth, rightWidth));
                }
                if ((type == JoinRelType.SEMI && matched) || (type == JoinRelType.ANTI && !matched)) {
                    out.add(l);
                } else if (type == JoinRelType.LEFT && !matched) {
                    out.add(concatRows(l, new Object[rightWidth], leftWidth, rightWidth));
                }
            }
        } finally {
            correlations.remove(c.getCorrelationId());
        }
        return out.iterator();
    }

    private static @Nullable RowKey key(@Nullable Object[] row, int[] cols) {
        Object[] k = new Object[cols.length];
        for (int i = 0; i < cols.length; i++) {
            k[i] = row[cols[i]];
            if (k[i] == null) {
                return null; // NULL never joins
            }
        }
        return new RowKey(k);
    }

    private static @Nullable Object[] concatRows(@Nullable Object[] l, @Nullable Object[] r, int lw, int rw) {
        Object[] out = Arrays.copyOf(l, lw + rw);
        System.arraycopy(r, 0, out, lw, rw);
        return out;
    }

    static List<@Nullable Object[]> drain(Iterator<@Nullable Object[]> it) {
        List<@Nullable Object[]> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return Collections.unmodifiableList(out);
    }
}
