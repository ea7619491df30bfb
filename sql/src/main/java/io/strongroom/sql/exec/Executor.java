package io.strongroom.sql.exec;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.catalog.SystemTables;
import io.strongroom.sql.func.Expressions;
import io.strongroom.sql.func.Types;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.SpillFile;
import io.strongroom.storage.TableReader;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.plan.RelOptUtil.InputFinder;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.JoinInfo;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalCorrelate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalIntersect;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalMinus;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.logical.LogicalSort;
import org.apache.calcite.rel.logical.LogicalUnion;
import org.apache.calcite.rel.logical.LogicalValues;
import org.apache.calcite.rel.logical.LogicalWindow;
import org.apache.calcite.rel.metadata.RelColumnOrigin;
import org.apache.calcite.rel.metadata.RelMetadataQuery;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.ImmutableBitSet;
import org.jspecify.annotations.Nullable;

/**
 * Runs a Calcite logical plan with vectorised operators over {@link Batch}es of column vectors: scans with column
 * pruning and zone-map range pushdown over the store's per-slice batches (its arrays used as they are), filter and
 * project with {@link VecExprs} kernels, hash aggregation ({@link KeyTable}, {@link AggStates}), hash joins ({@link
 * HashJoin}: inner, left, right, full, semi, anti, with residual conditions). Sort, set operations, values and
 * correlated nested loops run over rows of {@link Types}' in-memory form: they see aggregated or small inputs.
 *
 * <p>Rejected: Calcite's enumerable runtime (14–130x slower than a tight loop); DuckDB over exported Arrow (the
 * transfer cost more than the query). Not thread-safe; one query an instance.
 */
public final class Executor {
    /** Finds the reader of a table the plan scans. */
    public interface Tables {
        TableReader reader(List<String> qualifiedName);

        /** A file for what a query's operators cannot keep in memory; by default there is none. */
        default SpillFile newSpillFile() {
            throw new StrongroomException(
                    ErrorCode.OUT_OF_MEMORY,
                    "this query needs more memory than work_mem allows and has no place to spill to; raise work_mem");
        }
    }

    /** A stream of batches; null at the end. */
    public interface Source {
        @Nullable
        Batch next();
    }

    /** Rows per batch read from storage. */
    static final int BATCH_ROWS = 4096;

    private final Tables tables;
    private final Expressions.Context params;
    private final BooleanSupplier cancelled;
    private final long memoryBytes;
    private final QueryWork work = new Work();
    private @Nullable RuntimeFilters runtimeFilters;

    /** An executor whose operators may each hold the default {@link QueryMemory#defaultBytes()} before spilling. */
    public Executor(Tables tables, Expressions.Context params, BooleanSupplier cancelled) {
        this(tables, params, cancelled, QueryMemory.defaultBytes());
    }

    /** An executor whose operators may each hold {@code memoryBytes} (the session's work_mem) before spilling. */
    public Executor(Tables tables, Expressions.Context params, BooleanSupplier cancelled, long memoryBytes) {
        this.tables = tables;
        this.params = params;
        this.cancelled = cancelled;
        this.memoryBytes = memoryBytes;
    }

    /** The query's threads, memory and spill files, as operators see them. */
    private final class Work implements QueryWork {
        @Override
        public <T> List<T> runAll(List<Callable<T>> tasks) {
            return Executor.this.runAll(tasks);
        }

        @Override
        public void checkCancelled() {
            Executor.this.checkCancelled();
        }

        @Override
        public long memoryBytes() {
            return memoryBytes;
        }

        @Override
        public SpillFile newSpillFile() {
            return tables.newSpillFile();
        }
    }

    public Iterator<@Nullable Object[]> run(RelNode plan) {
        return RowOps.rows(batches(plan));
    }

    /** The plan's rows as batches, every column filled. */
    public Source batches(RelNode plan) {
        runtimeFilters = new RuntimeFilters(plan);
        return compile(plan, ImmutableBitSet.range(plan.getRowType().getFieldCount()));
    }

    private void checkCancelled() {
        if (aborted.get()) {
            throw new StrongroomException(ErrorCode.QUERY_CANCELED, "query stopped: another part of it failed");
        }
        if (cancelled.getAsBoolean()) {
            throw new StrongroomException(ErrorCode.QUERY_CANCELED, "canceling statement due to user request");
        }
    }

    private static List<RelDataType> fieldTypes(RelNode rel) {
        return rel.getRowType().getFieldList().stream().map(f -> f.getType()).toList();
    }

    /** Compiles {@code rel}; only fields in {@code needed} must be filled (others may be null). */
    private Source compile(RelNode rel, ImmutableBitSet needed) {
        if (rel instanceof TableScan scan) {
            return scan(scan, needed, List.of());
        }
        if (rel instanceof LogicalFilter f) {
            ImmutableBitSet inputNeeded = needed.union(InputFinder.bits(f.getCondition()));
            Source in = f.getInput() instanceof TableScan scan
                    ? scan(scan, inputNeeded, ranges(f.getCondition()))
                    : compile(f.getInput(), inputNeeded);
            return filter(in, VecExprs.compile(f.getCondition(), params));
        }
        if (rel instanceof LogicalProject p) {
            return project(p, compile(p.getInput(), projectInputs(p, needed)), needed);
        }
        if (rel instanceof LogicalAggregate a && GroupingSets.needed(a)) {
            return RowOps.fromRows(
                    GroupingSets.run(
                            a, RowOps.rows(compile(a.getInput(), GroupingSets.inputFields(a))), this::checkCancelled),
                    rel);
        }
        if (rel instanceof LogicalAggregate a) {
            return aggregate(a);
        }
        if (rel instanceof LogicalWindow w) {
            RelNode in = w.getInput();
            return RowOps.fromRows(
                    WindowOperator.run(
                            w,
                            RowOps.rows(compile(
                                    in, ImmutableBitSet.range(in.getRowType().getFieldCount()))),
                            this::checkCancelled),
                    rel);
        }
        if (rel instanceof LogicalCorrelate c) {
            return RowOps.fromRows(correlate(c), rel);
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
                inputs.add(RowOps.rows(
                        compile(i, ImmutableBitSet.range(i.getRowType().getFieldCount()))));
            }
            Iterator<@Nullable Object[]> all = RowOps.concat(inputs);
            return RowOps.fromRows(u.all ? all : RowOps.distinct(all), rel);
        }
        if (rel instanceof LogicalIntersect || rel instanceof LogicalMinus) {
            return RowOps.fromRows(setOp(rel), rel);
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
            return RowOps.fromRows(rows.iterator(), rel);
        }
        throw Expressions.notSupported(
                "plan node " + rel.getRelTypeName() + " (" + rel.explain().trim() + ")");
    }

    private static ImmutableBitSet projectInputs(LogicalProject p, ImmutableBitSet needed) {
        ImmutableBitSet.Builder b = ImmutableBitSet.builder();
        for (int i : needed) {
            b.addAll(InputFinder.bits(p.getProjects().get(i)));
        }
        return b.build();
    }

    private Source project(LogicalProject p, Source in, ImmutableBitSet needed) {
        List<RexNode> projects = p.getProjects();
        VecExprs.VExpr[] exprs = new VecExprs.VExpr[projects.size()];
        for (int i = 0; i < exprs.length; i++) {
            exprs[i] = needed.get(i) ? VecExprs.compile(projects.get(i), params) : null;
        }
        return () -> {
            Batch batch = in.next();
            if (batch == null) {
                return null;
            }
            Vec[] out = new Vec[exprs.length];
            for (int i = 0; i < exprs.length; i++) {
                VecExprs.VExpr e = exprs[i];
                out[i] = e == null ? null : e.eval(batch);
            }
            return new Batch(out, batch.size());
        };
    }

    // ---- parallel pipelines ----

    /** Partitions a pipeline may run in: one per core. */
    private static final int PARALLELISM =
            Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));

    /** Tables smaller than this are scanned by one thread (the threads would cost more than they save). */
    private static final long PARALLEL_MIN_ROWS = 50_000;

    /**
     * The node as partitions that together give its rows, each to be drained by its own thread, or null when
     * the node is not a pipeline of scan, filter, project and hash-join probes over a large enough table. The
     * partitions of a scan take its slices from one queue; a join's build side is made once and shared.
     */
    private @Nullable List<Source> partitions(RelNode rel, ImmutableBitSet needed) {
        if (PARALLELISM < 2) {
            return null;
        }
        if (rel instanceof TableScan scan) {
            return scanPartitions(scan, needed, List.of());
        }
        if (rel instanceof LogicalFilter f) {
            ImmutableBitSet inputNeeded = needed.union(InputFinder.bits(f.getCondition()));
            List<Source> in = f.getInput() instanceof TableScan scan
                    ? scanPartitions(scan, inputNeeded, ranges(f.getCondition()))
                    : partitions(f.getInput(), inputNeeded);
            return in == null
                    ? null
                    : in.stream()
                            .map(src -> filter(src, VecExprs.compile(f.getCondition(), params)))
                            .toList();
        }
        if (rel instanceof LogicalProject p) {
            List<Source> in = partitions(p.getInput(), projectInputs(p, needed));
            return in == null
                    ? null
                    : in.stream().map(src -> project(p, src, needed)).toList();
        }
        if (rel instanceof LogicalJoin j) {
            return joinPartitions(j, needed);
        }
        return null;
    }

    private @Nullable List<Source> scanPartitions(TableScan scan, ImmutableBitSet needed, List<ScanSpec.Range> ranges) {
        if (scan.getTable().unwrap(SystemTables.SystemTable.class) != null
                || tables.reader(scan.getTable().getQualifiedName()).rowCount() < PARALLEL_MIN_ROWS) {
            return null;
        }
        Queue<TableReader.SliceScan> slices = sliceQueue(scan, needed, ranges);
        List<Source> out = new ArrayList<>();
        for (int i = 0; i < PARALLELISM; i++) {
            out.add(Objects.requireNonNull(runtimeFilters).apply(scan, scanSource(scan, needed, slices)));
        }
        return out;
    }

    /** Drains {@code rel} into memory, with a thread per partition when it has partitions. */
    private final AtomicBoolean aborted = new AtomicBoolean();

    /**
     * Runs the tasks, all but the first on new threads, and returns their results in order. The first failure
     * stops the others (at their next batch) and is thrown once all have ended.
     */
    private <T> List<T> runAll(List<Callable<T>> tasks) {
        int n = tasks.size();
        List<@Nullable T> results = new ArrayList<>(Collections.nCopies(n, null));
        AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            Runnable r = () -> {
                try {
                    results.set(k, tasks.get(k).call());
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    aborted.set(true);
                }
            };
            if (i == 0) {
                continue;
            }
            threads[i] =
                    Thread.ofPlatform().daemon().name("strongroom-query-" + i).start(r);
        }
        try {
            results.set(0, tasks.get(0).call());
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
            aborted.set(true);
        }
        for (int i = 1; i < n; i++) {
            boolean interrupted = false;
            while (true) {
                try {
                    threads[i].join();
                    break;
                } catch (InterruptedException e) {
                    aborted.set(true);
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        Throwable e = failure.get();
        if (e != null) {
            if (e instanceof RuntimeException re) {
                throw re;
            }
            if (e instanceof Error err) {
                throw err;
            }
            throw new StrongroomException(ErrorCode.INTERNAL, "query failed: " + e.getMessage(), e);
        }
        List<T> out = new ArrayList<>();
        for (T t : results) {
            out.add(Objects.requireNonNull(t));
        }
        return out;
    }

    // ---- rows and batches ----

    // ---- scan ----

    /** Ranges a conjunction of "column op literal" comparisons allows, for zone-map pushdown. */
    private List<ScanSpec.Range> ranges(RexNode condition) {
        List<ScanSpec.Range> out = new ArrayList<>();
        for (RexNode c : RelOptUtil.conjunctions(condition)) {
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
                    || v instanceof LocalDate)) {
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

    private Source scan(TableScan scan, ImmutableBitSet needed, List<ScanSpec.Range> ranges) {
        SystemTables.SystemTable system = scan.getTable().unwrap(SystemTables.SystemTable.class);
        if (system != null) {
            return RowOps.fromRows(system.rows().stream().map(r -> r.clone()).iterator(), scan);
        }
        return Objects.requireNonNull(runtimeFilters)
                .apply(scan, scanSource(scan, needed, sliceQueue(scan, needed, ranges)));
    }

    private Queue<TableReader.SliceScan> sliceQueue(
            TableScan scan, ImmutableBitSet needed, List<ScanSpec.Range> ranges) {
        TableReader reader = tables.reader(scan.getTable().getQualifiedName());
        List<Integer> cols = needed.isEmpty() ? List.of() : needed.asList();
        ScanSpec spec = new ScanSpec(cols, List.of(), false, BATCH_ROWS);
        for (ScanSpec.Range r : ranges) {
            try {
                spec = spec.withRange(r.column(), r.low(), r.high());
            } catch (RuntimeException e) {
                // A literal the column type cannot take (e.g. a string against a date): no pushdown for it.
            }
        }
        return new ConcurrentLinkedQueue<>(reader.scan(spec));
    }

    /** Batches of the slices this source takes from {@code slices} (which other sources may share). */
    private Source scanSource(TableScan scan, ImmutableBitSet needed, Queue<TableReader.SliceScan> slices) {
        int width = scan.getRowType().getFieldCount();
        int[] positions = needed.toArray();
        return new Source() {
            private TableReader.@Nullable SliceScan current;

            @Override
            public @Nullable Batch next() {
                while (true) {
                    checkCancelled();
                    if (current != null && current.hasNext()) {
                        RowBatch rb = current.next();
                        Vec[] out = new Vec[width];
                        for (int i = 0; i < positions.length; i++) {
                            out[positions[i]] = Vec.of(rb.column(i));
                        }
                        return new Batch(out, rb.rowCount());
                    }
                    current = slices.poll();
                    if (current == null) {
                        return null;
                    }
                }
            }
        };
    }

    // ---- simple operators ----

    private static Source filter(Source in, VecExprs.VExpr cond) {
        return () -> {
            while (true) {
                Batch b = in.next();
                if (b == null) {
                    return null;
                }
                Vec v = cond.eval(b);
                int n = b.size();
                int[] idx = new int[n];
                int m = 0;
                for (int i = 0; i < n; i++) {
                    if (v.longs[i] != 0 && !v.isNull(i)) {
                        idx[m++] = i;
                    }
                }
                if (m == n) {
                    return b;
                }
                if (m > 0) {
                    return b.gather(idx, m);
                }
            }
        };
    }

    private Iterator<@Nullable Object[]> setOp(RelNode rel) {
        List<RelNode> inputs = rel.getInputs();
        Map<RowKey, Integer> counts = new LinkedHashMap<>();
        Iterator<@Nullable Object[]> first = RowOps.rows(compile(
                inputs.get(0), ImmutableBitSet.range(inputs.get(0).getRowType().getFieldCount())));
        while (first.hasNext()) {
            counts.merge(new RowKey(first.next()), 1, Integer::sum);
        }
        for (RelNode other : inputs.subList(1, inputs.size())) {
            Set<RowKey> keys = new HashSet<>();
            Iterator<@Nullable Object[]> it = RowOps.rows(
                    compile(other, ImmutableBitSet.range(other.getRowType().getFieldCount())));
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

    private Source sort(LogicalSort s, ImmutableBitSet needed) {
        ImmutableBitSet.Builder b = ImmutableBitSet.builder();
        b.addAll(needed);
        for (RelFieldCollation c : s.getCollation().getFieldCollations()) {
            b.set(c.getFieldIndex());
        }
        Source input = compile(s.getInput(), b.build());
        long offset = s.offset == null
                ? 0
                : ((Number) Objects.requireNonNull(
                                Expressions.compile(s.offset, params).eval(new Object[0])))
                        .longValue();
        long fetch = s.fetch == null
                ? Long.MAX_VALUE
                : ((Number) Objects.requireNonNull(
                                Expressions.compile(s.fetch, params).eval(new Object[0])))
                        .longValue();
        List<RelFieldCollation> collations = s.getCollation().getFieldCollations();
        if (!collations.isEmpty()) {
            List<RelDataType> types = new ArrayList<>();
            s.getInput().getRowType().getFieldList().forEach(f -> types.add(f.getType()));
            return VecSort.sort(input, types, collations, offset, fetch, this::checkCancelled);
        }
        Iterator<@Nullable Object[]> in = RowOps.rows(input);
        List<@Nullable Object[]> out = new ArrayList<>();
        long skipped = 0;
        while (in.hasNext() && out.size() < fetch) {
            Object[] r = in.next();
            if (skipped++ >= offset) {
                out.add(r);
            }
        }
        return RowOps.fromRows(out.iterator(), s);
    }

    // ---- aggregate ----

    private Source aggregate(LogicalAggregate a) {
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
            c.collation.getFieldCollations().forEach(fc -> b.set(fc.getFieldIndex()));
        }
        ImmutableBitSet inputNeeded = b.build();
        int[] groups = a.getGroupSet().toArray();
        List<RelDataType> inTypes = fieldTypes(a.getInput());
        List<RelDataType> outTypes = fieldTypes(a);
        List<AggregateCall> calls = a.getAggCallList();
        KeyTable.KeyType[] keyTypes = new KeyTable.KeyType[groups.length];
        for (int k = 0; k < groups.length; k++) {
            keyTypes[k] = KeyTable.KeyType.of(inTypes.get(groups[k]));
        }
        RelDataType inputRow = a.getInput().getRowType();
        boolean mergeable = calls.stream().allMatch(c -> AggStates.mergeable(c, inputRow));
        List<Source> parts = mergeable ? partitions(a.getInput(), inputNeeded) : null;
        List<Source> inputs = parts != null ? parts : List.of(compile(a.getInput(), inputNeeded));
        return new HashAggregate(inputs, keyTypes, groups, calls, inputRow, inTypes, outTypes, work);
    }

    // ---- join ----

    /**
     * Estimated rows of a plan node for choosing a join's build side: Calcite's estimate, but no more than its
     * largest input for an inner equi-join (a key join gives at most its larger side; Calcite multiplies guessed
     * selectivities and can rate a 200-row join above a 6,000,000-row scan), no more than its input for filters and
     * projections, and for an aggregate the bound its keys' distinct values give.
     */
    private double estimatedRows(RelMetadataQuery mq, RelNode rel) {
        Double r = mq.getRowCount(rel);
        double est = r == null ? Double.MAX_VALUE : r;
        if (rel instanceof LogicalJoin j
                && j.getJoinType() == JoinRelType.INNER
                && !j.analyzeCondition().leftKeys.isEmpty()) {
            return Math.min(est, Math.max(estimatedRows(mq, j.getLeft()), estimatedRows(mq, j.getRight())));
        }
        if (rel instanceof LogicalJoin j && !j.getJoinType().projectsRight()) {
            return Math.min(est, estimatedRows(mq, j.getLeft()));
        }
        if (rel instanceof LogicalAggregate a && a.getGroupCount() > 0) {
            // At most its input's rows, and at most the product of its keys' distinct values: an upper bound, where
            // Calcite guesses a fraction of the input (TPC-H Q20's 900,000 lineitem groups rated below 8,700 rows).
            double in = estimatedRows(mq, a.getInput());
            double groups = 1;
            for (int g : a.getGroupSet()) {
                RelColumnOrigin origin = mq.getColumnOrigin(a.getInput(), g);
                groups = origin == null
                                || origin.isDerived()
                                || origin.getOriginTable().unwrap(SystemTables.SystemTable.class) != null
                        ? in
                        : Math.min(
                                in,
                                groups
                                        * tables.reader(origin.getOriginTable().getQualifiedName())
                                                .distinctBound(origin.getOriginColumnOrdinal()));
            }
            return Math.min(in, groups);
        }
        if (rel instanceof LogicalFilter || rel instanceof LogicalProject || rel instanceof LogicalAggregate) {
            return Math.min(est, estimatedRows(mq, rel.getInput(0)));
        }
        return est;
    }

    private Source join(LogicalJoin j, ImmutableBitSet needed) {
        return joins(j, needed, false).get(0);
    }

    private @Nullable List<Source> joinPartitions(LogicalJoin j, ImmutableBitSet needed) {
        JoinRelType type = j.getJoinType();
        if (type == JoinRelType.RIGHT || type == JoinRelType.FULL) {
            return null; // unmatched build rows are known only when every probe has ended
        }
        List<Source> out = joins(j, needed, true);
        return out.isEmpty() ? null : out;
    }

    /**
     * The join as one source, or (when {@code parallel}) as one probe per partition of its probe input sharing
     * one build side; empty when the probe input has no partitions.
     */
    private List<Source> joins(LogicalJoin j, ImmutableBitSet needed, boolean parallel) {
        JoinRelType type = j.getJoinType();
        int leftWidth = j.getLeft().getRowType().getFieldCount();
        int rightWidth = j.getRight().getRowType().getFieldCount();
        JoinInfo info = j.analyzeCondition();
        int[] lk = info.leftKeys.toIntArray();
        int[] rk = info.rightKeys.toIntArray();
        RexNode residual = info.getRemaining(j.getCluster().getRexBuilder());
        int[] residualFields = InputFinder.bits(residual).toArray();
        // Only the columns used above or by the condition are read; the rest stay null.
        ImmutableBitSet used = (type.projectsRight() ? needed : needed.intersect(ImmutableBitSet.range(leftWidth)))
                .union(InputFinder.bits(j.getCondition()));
        ImmutableBitSet leftNeeded = used.intersect(ImmutableBitSet.range(leftWidth));
        ImmutableBitSet rightNeeded = used.intersect(ImmutableBitSet.range(leftWidth, leftWidth + rightWidth))
                .shift(-leftWidth);
        var mq = j.getCluster().getMetadataQuery();
        boolean leftSmaller = estimatedRows(mq, j.getLeft()) < estimatedRows(mq, j.getRight());
        boolean buildLeft = type == JoinRelType.INNER && leftSmaller;
        // A semi, anti or mark join with the smaller input on the left builds on it and marks what the right matches.
        boolean marking = MarkingSemiJoin.handles(type) && lk.length > 0 && leftSmaller;
        if (marking && parallel) {
            return List.of(); // its rows are known only when the whole right input has been read
        }
        List<RelDataType> lt = fieldTypes(j.getLeft());
        List<RelDataType> rt = fieldTypes(j.getRight());
        RelNode buildRel = buildLeft ? j.getLeft() : j.getRight();
        ImmutableBitSet buildNeeded = buildLeft ? leftNeeded : rightNeeded;
        HashJoin.Build build = new HashJoin.Build(
                () -> {
                    List<Source> parts = partitions(buildRel, buildNeeded);
                    return parts != null ? parts : List.of(compile(buildRel, buildNeeded));
                },
                buildLeft ? lt : rt,
                buildLeft ? lk : rk,
                HashJoin.keyTypes(lk, rk, lt, rt),
                work);
        if (marking) {
            HashJoin.Build left = new HashJoin.Build(
                    () -> {
                        List<Source> parts = partitions(j.getLeft(), leftNeeded);
                        return parts != null ? parts : List.of(compile(j.getLeft(), leftNeeded));
                    },
                    lt,
                    lk,
                    HashJoin.keyTypes(lk, rk, lt, rt),
                    work);
            List<Source> rightParts = partitions(j.getRight(), rightNeeded);
            return List.of(new MarkingSemiJoin(
                    type,
                    left,
                    rightParts != null ? rightParts : List.of(compile(j.getRight(), rightNeeded)),
                    rk,
                    rt,
                    leftWidth,
                    residual.isAlwaysTrue() ? null : () -> VecExprs.compile(residual, params),
                    residualFields,
                    work));
        }
        RelNode probeRel = buildLeft ? j.getRight() : j.getLeft();
        ImmutableBitSet probeNeeded = buildLeft ? rightNeeded : leftNeeded;
        List<Source> probes;
        RuntimeFilters filters = Objects.requireNonNull(runtimeFilters);
        filters.open(type, probeRel, buildLeft ? rk : lk, build);
        try {
            if (parallel) {
                List<Source> parts = partitions(probeRel, probeNeeded);
                if (parts == null) {
                    return List.of();
                }
                probes = parts;
            } else {
                probes = List.of(compile(probeRel, probeNeeded));
            }
        } finally {
            filters.close();
        }
        List<Source> out = new ArrayList<>();
        for (Source probe : probes) {
            out.add(new HashJoin(
                    type,
                    probe,
                    build,
                    buildLeft,
                    buildLeft ? rk : lk,
                    residual.isAlwaysTrue() ? null : VecExprs.compile(residual, params),
                    residualFields,
                    lt,
                    rt,
                    work));
        }
        return out;
    }

    /**
     * A correlated subquery the decorrelator left in place, run as a nested loop: the right side is compiled and
     * run again for every left row, with that row bound to the correlation variable.
     */
    private Iterator<@Nullable Object[]> correlate(LogicalCorrelate c) {
        int leftWidth = c.getLeft().getRowType().getFieldCount();
        int rightWidth = c.getRight().getRowType().getFieldCount();
        JoinRelType type = c.getJoinType();
        Iterator<@Nullable Object[]> left = RowOps.rows(compile(c.getLeft(), ImmutableBitSet.range(leftWidth)));
        List<@Nullable Object[]> out = new ArrayList<>();
        var correlations = params.correlations();
        try {
            while (left.hasNext()) {
                checkCancelled();
                Object[] l = left.next();
                correlations.put(c.getCorrelationId(), l);
                Iterator<@Nullable Object[]> right =
                        RowOps.rows(compile(c.getRight(), ImmutableBitSet.range(rightWidth)));
                boolean matched = false;
                while (right.hasNext()) {
                    Object[] r = right.next();
                    matched = true;
                    if (type == JoinRelType.SEMI || type == JoinRelType.ANTI) {
                        break;
                    }
                    out.add(RowOps.concatRows(l, r, leftWidth, rightWidth));
                }
                if ((type == JoinRelType.SEMI && matched) || (type == JoinRelType.ANTI && !matched)) {
                    out.add(l);
                } else if (type == JoinRelType.LEFT && !matched) {
                    out.add(RowOps.concatRows(l, new Object[rightWidth], leftWidth, rightWidth));
                }
            }
        } finally {
            correlations.remove(c.getCorrelationId());
        }
        return out.iterator();
    }
}
