package io.strongroom.sql.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * A semi, anti or mark join (EXISTS, IN, NOT EXISTS, and the mark joins of subqueries under OR or NOT IN) whose left
 * input is the smaller, built on the left: the left rows are the build side ({@link HashJoin.Build}, spilling like
 * any), the right input is read on each of its partitions' threads, every left row that some right row matches is
 * marked, and then the left rows marked (semi) or not marked (anti) are the output, or every left row with its mark
 * as a last BOOL column (mark). {@link HashJoin} builds on the right instead, which costs a table of the larger
 * input (TPC-H Q22: 1,500,000 orders to probe some 40,000 customers; Q21: 6,000,000 lineitems twice, to probe some
 * 75,000).
 *
 * <p>Invariants: a right row matches a left row when their keys are equal and the residual condition, if any, is
 * TRUE for the pair (evaluated only for pairs whose left row is not marked yet, over just the columns it reads); a
 * left row with a NULL key is never marked, so an anti join outputs it, as {@link HashJoin} does. Marks are only
 * ever set to true,
 * so the probe threads share them without locks; they are read after every thread has ended. When the build side
 * spilled, the right rows are sent to the same partitions and each partition is marked and output alone. Output
 * comes only once the right input has ended (so this operator gives one source, not one per partition). One
 * instance is one source, for one thread.
 */
final class MarkingSemiJoin implements Executor.Source {
    private final JoinRelType type;
    private final HashJoin.Build build;
    private final List<Executor.Source> probes;
    private final int[] probeKeys;
    private final List<RelDataType> probeTypes;
    private final QueryWork work;
    /** A residual condition over left fields then right fields (one per thread: kernels are not thread-safe). */
    private final @Nullable Supplier<VecExprs.VExpr> residual;
    /** The fields the residual reads, each below {@code leftWidth} a left one. */
    private final int[] residualFields;

    private final int leftWidth;
    private final List<Batch> ready = new ArrayList<>();
    private boolean done;

    MarkingSemiJoin(
            JoinRelType type,
            HashJoin.Build build,
            List<Executor.Source> probes,
            int[] probeKeys,
            List<RelDataType> probeTypes,
            int leftWidth,
            @Nullable Supplier<VecExprs.VExpr> residual,
            int[] residualFields,
            QueryWork work) {
        if (!handles(type)) {
            throw new IllegalArgumentException("a marking join is a semi, anti or mark join, not " + type);
        }
        this.type = type;
        this.leftWidth = leftWidth;
        this.residual = residual;
        this.residualFields = residualFields.clone();
        this.build = build;
        this.probes = probes;
        this.probeKeys = probeKeys;
        this.probeTypes = probeTypes;
        this.work = work;
    }

    static boolean handles(JoinRelType type) {
        return type == JoinRelType.SEMI || type == JoinRelType.ANTI || type == JoinRelType.LEFT_MARK;
    }

    @Override
    public @Nullable Batch next() {
        if (!done) {
            done = true;
            run();
        }
        return ready.isEmpty() ? null : ready.remove(ready.size() - 1);
    }

    private void run() {
        build.ensure();
        SpillPartitions spilled = build.spilled();
        if (spilled == null) {
            boolean[] marks = new boolean[build.rows()];
            JoinTable table = Objects.requireNonNull(build.table());
            List<Callable<Boolean>> tasks = new ArrayList<>();
            for (Executor.Source src : probes) {
                tasks.add(() -> {
                    markAll(build, table, src, marks);
                    return true;
                });
            }
            work.runAll(tasks);
            output(build, marks);
            return;
        }
        try (SpillPartitions right = new SpillPartitions(probeTypes, work::newSpillFile)) {
            List<Callable<Boolean>> tasks = new ArrayList<>();
            for (Executor.Source src : probes) {
                tasks.add(() -> {
                    for (Batch b = src.next(); b != null; b = src.next()) {
                        work.checkCancelled();
                        right.addByKeys(b, probeKeys, build.keyTypes());
                    }
                    return true;
                });
            }
            work.runAll(tasks);
            right.finish();
            for (int p = 0; p < SpillPartitions.PARTS; p++) {
                HashJoin.Build part = build.partition(p);
                boolean[] marks = new boolean[part.rows()];
                markAll(part, Objects.requireNonNull(part.table()), right.read(p), marks);
                output(part, marks);
            }
        }
    }

    /** Marks every row of {@code left} (the build side {@code table} was made of) a row of {@code src} matches. */
    private void markAll(HashJoin.Build left, JoinTable table, Executor.Source src, boolean[] marks) {
        VecExprs.VExpr cond = residual == null ? null : residual.get();
        for (Batch b = src.next(); b != null; b = src.next()) {
            work.checkCancelled();
            int n = b.size();
            KeyTable.Probe p = table.prepare(b.cols(probeKeys), n);
            int[] match = new int[n];
            int[] sel = new int[n];
            int[] li = cond == null ? new int[0] : new int[n];
            int[] ri = cond == null ? new int[0] : new int[n];
            for (int m = table.firstMatches(p, n, match, sel); m > 0; m = table.nextMatches(p, match, sel, m)) {
                if (cond == null) {
                    for (int k = 0; k < m; k++) {
                        marks[match[sel[k]]] = true;
                    }
                    continue;
                }
                int pairs = 0;
                for (int k = 0; k < m; k++) {
                    int r = match[sel[k]];
                    if (!marks[r]) {
                        li[pairs] = r;
                        ri[pairs++] = sel[k];
                    }
                }
                if (pairs > 0) {
                    markPassing(cond, left.cols(), b, li, ri, pairs, marks);
                }
            }
        }
    }

    /** Marks the left row of each pair (left row {@code li[k]}, right row {@code ri[k]}) the residual holds for. */
    private void markPassing(
            VecExprs.VExpr cond, Vec[] leftCols, Batch right, int[] li, int[] ri, int n, boolean[] marks) {
        Vec[] cols = new Vec[leftWidth + right.cols().length];
        for (int f : residualFields) {
            cols[f] = f < leftWidth
                    ? leftCols[f].gather(li, n)
                    : right.col(f - leftWidth).gather(ri, n);
        }
        Vec ok = cond.eval(new Batch(cols, n));
        for (int k = 0; k < n; k++) {
            if (ok.longs[k] != 0 && !ok.isNull(k)) {
                marks[li[k]] = true;
            }
        }
    }

    /** The build rows marked (semi) or not (anti), or all of them with their marks (mark), as one batch. */
    private void output(HashJoin.Build b, boolean[] marks) {
        int n = b.rows();
        if (type == JoinRelType.LEFT_MARK) {
            if (n == 0) {
                return;
            }
            ready.add(new Batch(b.cols(), n).withMarks(marks));
            return;
        }
        boolean semi = type == JoinRelType.SEMI;
        int[] idx = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (marks[i] == semi) {
                idx[m++] = i;
            }
        }
        if (m == 0) {
            return;
        }
        Vec[] cols = b.cols();
        Vec[] out = new Vec[cols.length];
        for (int c = 0; c < cols.length; c++) {
            Vec v = cols[c];
            out[c] = v == null ? null : m == n ? v : v.gather(idx, m);
        }
        ready.add(new Batch(out, m));
    }
}
