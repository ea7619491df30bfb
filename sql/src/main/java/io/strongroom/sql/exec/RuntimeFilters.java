package io.strongroom.sql.exec;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexNode;
import org.jspecify.annotations.Nullable;

/**
 * Key filters an inner hash join passes down to the scan its (first) probe key is read by, when other joins or an
 * aggregation on that key stand between them: a lineitem row whose part key the join above has no row for is dropped as it is read, before it probes the
 * orders (TPC-H Q8 keeps about 40,000 of 6,000,000). The test is the build side's own direct table or bitmap
 * ({@link JoinTable#keep}), applied only once the build side is made and in memory; otherwise rows pass.
 *
 * <p>Invariants: a row a filter drops could never be part of the join's output, since every output row carries the
 * scan row's key value to the join and the join is inner. A filter is traced only through projections of plain
 * fields, filters, inner joins and the group keys of aggregations (TPC-H Q20 sums the lineitems of its forest
 * parts only), to a scan that occurs once in the plan (a node shared by two parts of the plan
 * would be filtered for both). Filters are scoped to the compilation of the join's probe side: a scan compiled then
 * takes the filters of the joins above it. Used by one executor, on the thread that compiles.
 */
final class RuntimeFilters {
    private record Filter(TableScan scan, int column, HashJoin.Build build) {}

    /** Rows all runtime filters have dropped since the process started (tests read it going up). */
    static final LongAdder DROPPED = new LongAdder();

    private final Map<RelNode, Integer> uses = new IdentityHashMap<>();
    /** The filters of the open scopes, innermost last (null for a join that passes none). */
    private final List<@Nullable Filter> active = new ArrayList<>();

    RuntimeFilters(RelNode root) {
        count(root);
    }

    private void count(RelNode rel) {
        if (uses.merge(rel, 1, Integer::sum) > 1) {
            return;
        }
        for (RelNode in : rel.getInputs()) {
            count(in);
        }
    }

    /**
     * Opens the scope of a join's probe side: a filter on the scan {@code probeField} of {@code probe} is read by,
     * when there is one; closed by {@link #close}.
     */
    void open(JoinRelType type, RelNode probe, int[] probeKeys, HashJoin.Build build) {
        Filter f = null;
        if (type == JoinRelType.INNER && probeKeys.length > 0) {
            f = trace(probe, probeKeys[0], false, build);
        }
        active.add(f);
    }

    void close() {
        active.remove(active.size() - 1);
    }

    private @Nullable Filter trace(RelNode rel, int field, boolean throughJoin, HashJoin.Build build) {
        if (uses.getOrDefault(rel, 0) != 1) {
            return null;
        }
        if (rel instanceof TableScan scan) {
            return throughJoin ? new Filter(scan, field, build) : null;
        }
        if (rel instanceof LogicalFilter f) {
            return trace(f.getInput(), field, throughJoin, build);
        }
        if (rel instanceof LogicalProject p) {
            RexNode e = p.getProjects().get(field);
            return e instanceof RexInputRef ref ? trace(p.getInput(), ref.getIndex(), throughJoin, build) : null;
        }
        if (rel instanceof LogicalAggregate a && a.getGroupSets().size() == 1 && field < a.getGroupCount()) {
            // A group's key is its rows' key: dropping the rows drops just the groups the join would drop.
            return trace(a.getInput(), a.getGroupSet().nth(field), true, build);
        }
        if (rel instanceof LogicalJoin j && j.getJoinType() == JoinRelType.INNER) {
            int leftWidth = j.getLeft().getRowType().getFieldCount();
            return field < leftWidth
                    ? trace(j.getLeft(), field, true, build)
                    : trace(j.getRight(), field - leftWidth, true, build);
        }
        return null;
    }

    /** {@code src}, the rows of {@code scan}, with the filters of the open scopes on that scan applied. */
    Executor.Source apply(TableScan scan, Executor.Source src) {
        List<Filter> mine = new ArrayList<>();
        for (Filter f : active) {
            if (f != null && f.scan() == scan) {
                mine.add(f);
            }
        }
        if (mine.isEmpty()) {
            return src;
        }
        return () -> {
            while (true) {
                Batch b = src.next();
                if (b == null) {
                    return null;
                }
                for (Filter f : mine) {
                    b = keep(f, b);
                    if (b.size() == 0) {
                        break;
                    }
                }
                if (b.size() > 0) {
                    return b;
                }
            }
        };
    }

    private static Batch keep(Filter f, Batch b) {
        JoinTable t = f.build().published();
        if (t == null) {
            return b;
        }
        int n = b.size();
        int[] sel = new int[n];
        int m = t.keep(b.col(f.column()), n, sel);
        if (m < 0 || m == n) {
            return b;
        }
        DROPPED.add(n - m);
        return b.gather(sel, m);
    }
}
