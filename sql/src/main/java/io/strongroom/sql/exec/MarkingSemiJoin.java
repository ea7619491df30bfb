package io.strongroom.sql.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * A semi or anti join (EXISTS, IN, NOT EXISTS) whose left input is the smaller, built on the left: the left rows are
 * the build side ({@link HashJoin.Build}, spilling like any), the right input is read on each of its partitions'
 * threads, every left row some right row's key equals is marked, and then the left rows marked (semi) or not
 * marked (anti) are the output. {@link HashJoin} builds on the right instead, which costs a table of the larger
 * input (TPC-H Q22: 1,500,000 orders to probe some 40,000 customers).
 *
 * <p>Invariants: only joins without a residual condition (a mark is set by key equality alone); a left row with a
 * NULL key is never marked, so an anti join outputs it, as {@link HashJoin} does. Marks are only ever set to true,
 * so the probe threads share them without locks; they are read after every thread has ended. When the build side
 * spilled, the right rows are sent to the same partitions and each partition is marked and output alone. Output
 * comes only once the right input has ended (so this operator gives one source, not one per partition). One
 * instance is one source, for one thread.
 */
final class MarkingSemiJoin implements Executor.Source {
    private final boolean semi;
    private final HashJoin.Build build;
    private final List<Executor.Source> probes;
    private final int[] probeKeys;
    private final List<RelDataType> probeTypes;
    private final QueryWork work;
    private final List<Batch> ready = new ArrayList<>();
    private boolean done;

    MarkingSemiJoin(
            JoinRelType type,
            HashJoin.Build build,
            List<Executor.Source> probes,
            int[] probeKeys,
            List<RelDataType> probeTypes,
            QueryWork work) {
        if (type != JoinRelType.SEMI && type != JoinRelType.ANTI) {
            throw new IllegalArgumentException("a marking join is a semi or anti join, not " + type);
        }
        this.semi = type == JoinRelType.SEMI;
        this.build = build;
        this.probes = probes;
        this.probeKeys = probeKeys;
        this.probeTypes = probeTypes;
        this.work = work;
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
                    markAll(table, src, marks);
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
                markAll(Objects.requireNonNull(part.table()), right.read(p), marks);
                output(part, marks);
            }
        }
    }

    /** Marks every build row a row of {@code src} matches. */
    private void markAll(JoinTable table, Executor.Source src, boolean[] marks) {
        for (Batch b = src.next(); b != null; b = src.next()) {
            work.checkCancelled();
            int n = b.size();
            KeyTable.Probe p = table.prepare(b.cols(probeKeys), n);
            int[] match = new int[n];
            int[] sel = new int[n];
            for (int m = table.firstMatches(p, n, match, sel); m > 0; m = table.nextMatches(p, match, sel, m)) {
                for (int k = 0; k < m; k++) {
                    marks[match[sel[k]]] = true;
                }
            }
        }
    }

    /** The build rows marked (semi) or not (anti), as one batch. */
    private void output(HashJoin.Build b, boolean[] marks) {
        int n = b.rows();
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
