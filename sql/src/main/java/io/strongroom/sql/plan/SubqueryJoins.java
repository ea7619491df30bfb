package io.strongroom.sql.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelHomogeneousShuttle;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Correlate;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalCorrelate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCorrelVariable;
import org.apache.calcite.rex.RexFieldAccess;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.rex.RexSubQuery;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.util.ImmutableBitSet;
import org.apache.calcite.util.Litmus;
import org.jspecify.annotations.Nullable;

/** Correlated EXISTS and NOT EXISTS as semi and left mark joins, for {@link QueryPlanner}. Stateless. */
final class SubqueryJoins {
    private SubqueryJoins() {}

    /**
     * Turns correlated EXISTS and NOT EXISTS subqueries into joins before decorrelation, which would otherwise
     * rebuild the subquery over every distinct outer key (TPC-H Q21 ran its lineitem scans several times over).
     * The subquery removal leaves {@code Correlate(outer, Aggregate(group {0}) <- Project(TRUE) <- Filter(c) <-
     * inner)} with an INNER correlate for EXISTS and a LEFT one (tested with IS NULL above) for NOT EXISTS; when
     * {@code inner} does not depend on the outer row, that is a semi join on {@code c} (with TRUE appended) and a
     * mark join on {@code c} (TRUE when a row matches, else NULL). SEMI and ANTI correlates over a filter become
     * SEMI and ANTI joins. Conditions become join conditions with the outer fields as left inputs.
     */
    static RelNode existsToJoins(RelNode rel) {
        return rel.accept(new RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                RelNode visited = super.visit(other);
                if (!(visited instanceof LogicalCorrelate c)) {
                    return visited;
                }
                RelNode replaced = correlateToJoin(c);
                return replaced == null ? visited : replaced;
            }
        });
    }

    private static @Nullable RelNode correlateToJoin(LogicalCorrelate c) {
        JoinRelType type = c.getJoinType();
        RelNode right = c.getRight();
        boolean marker = false;
        LogicalFilter filter = null;
        if (right instanceof LogicalAggregate agg
                && agg.getGroupSet().equals(ImmutableBitSet.of(0))
                && agg.getAggCallList().isEmpty()
                && agg.getGroupSets().size() == 1
                && agg.getInput() instanceof LogicalProject p
                && p.getProjects().size() == 1
                && p.getProjects().get(0).isAlwaysTrue()
                && p.getInput() instanceof LogicalFilter f
                && (type == JoinRelType.INNER || type == JoinRelType.LEFT)) {
            marker = true;
            filter = f;
        } else if (right instanceof LogicalFilter f && (type == JoinRelType.SEMI || type == JoinRelType.ANTI)) {
            filter = f;
        }
        if (filter == null) {
            return null;
        }
        RelNode inner = filter.getInput();
        if (!RelOptUtil.notContainsCorrelation(inner, c.getCorrelationId(), Litmus.IGNORE)) {
            return null;
        }
        int leftWidth = c.getLeft().getRowType().getFieldCount();
        boolean[] foreign = {false};
        RexNode cond = filter.getCondition().accept(new RexShuttle() {
            @Override
            public RexNode visitInputRef(RexInputRef ref) {
                return new RexInputRef(ref.getIndex() + leftWidth, ref.getType());
            }

            @Override
            public RexNode visitFieldAccess(RexFieldAccess fa) {
                if (fa.getReferenceExpr() instanceof RexCorrelVariable v && v.id.equals(c.getCorrelationId())) {
                    return new RexInputRef(fa.getField().getIndex(), fa.getType());
                }
                foreign[0] = true;
                return fa;
            }

            @Override
            public RexNode visitCorrelVariable(RexCorrelVariable v) {
                foreign[0] = true;
                return v;
            }

            @Override
            public RexNode visitSubQuery(RexSubQuery sq) {
                foreign[0] = true;
                return sq;
            }
        });
        if (foreign[0]) {
            return null;
        }
        RexBuilder rb = c.getCluster().getRexBuilder();
        if (!marker) {
            return LogicalJoin.create(c.getLeft(), inner, List.of(), cond, Set.of(), type);
        }
        boolean exists = type == JoinRelType.INNER;
        RelNode join = LogicalJoin.create(
                c.getLeft(), inner, List.of(), cond, Set.of(), exists ? JoinRelType.SEMI : JoinRelType.LEFT_MARK);
        List<RexNode> exprs = new ArrayList<>();
        for (int i = 0; i < leftWidth; i++) {
            exprs.add(rb.makeInputRef(join, i));
        }
        RelDataType markType = c.getRowType().getFieldList().get(leftWidth).getType();
        RexNode trueLit = rb.makeLiteral(true);
        if (exists) {
            exprs.add(rb.makeCast(markType, trueLit, true, false));
        } else {
            exprs.add(rb.makeCall(
                    SqlStdOperatorTable.CASE,
                    rb.makeInputRef(join, leftWidth),
                    rb.makeCast(markType, trueLit, true, false),
                    rb.makeNullLiteral(markType)));
        }
        return LogicalProject.create(join, List.of(), exprs, c.getRowType(), Set.of());
    }

    static boolean hasCorrelate(RelNode rel) {
        boolean[] found = {false};
        rel.accept(new RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                found[0] |= other instanceof Correlate;
                return super.visit(other);
            }
        });
        return found[0];
    }
}
