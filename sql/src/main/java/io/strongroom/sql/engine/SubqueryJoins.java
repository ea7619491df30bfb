package io.strongroom.sql.engine;

import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexNode;
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
        return rel.accept(new org.apache.calcite.rel.RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                RelNode visited = super.visit(other);
                if (!(visited instanceof org.apache.calcite.rel.logical.LogicalCorrelate c)) {
                    return visited;
                }
                RelNode replaced = correlateToJoin(c);
                return replaced == null ? visited : replaced;
            }
        });
    }

    private static @Nullable RelNode correlateToJoin(org.apache.calcite.rel.logical.LogicalCorrelate c) {
        org.apache.calcite.rel.core.JoinRelType type = c.getJoinType();
        RelNode right = c.getRight();
        boolean marker = false;
        org.apache.calcite.rel.logical.LogicalFilter filter = null;
        if (right instanceof org.apache.calcite.rel.logical.LogicalAggregate agg
                && agg.getGroupSet().equals(org.apache.calcite.util.ImmutableBitSet.of(0))
                && agg.getAggCallList().isEmpty()
                && agg.getGroupSets().size() == 1
                && agg.getInput() instanceof org.apache.calcite.rel.logical.LogicalProject p
                && p.getProjects().size() == 1
                && p.getProjects().get(0).isAlwaysTrue()
                && p.getInput() instanceof org.apache.calcite.rel.logical.LogicalFilter f
                && (type == org.apache.calcite.rel.core.JoinRelType.INNER
                        || type == org.apache.calcite.rel.core.JoinRelType.LEFT)) {
            marker = true;
            filter = f;
        } else if (right instanceof org.apache.calcite.rel.logical.LogicalFilter f
                && (type == org.apache.calcite.rel.core.JoinRelType.SEMI
                        || type == org.apache.calcite.rel.core.JoinRelType.ANTI)) {
            filter = f;
        }
        if (filter == null) {
            return null;
        }
        RelNode inner = filter.getInput();
        if (!RelOptUtil.notContainsCorrelation(inner, c.getCorrelationId(), org.apache.calcite.util.Litmus.IGNORE)) {
            return null;
        }
        int leftWidth = c.getLeft().getRowType().getFieldCount();
        boolean[] foreign = {false};
        RexNode cond = filter.getCondition().accept(new org.apache.calcite.rex.RexShuttle() {
            @Override
            public RexNode visitInputRef(org.apache.calcite.rex.RexInputRef ref) {
                return new org.apache.calcite.rex.RexInputRef(ref.getIndex() + leftWidth, ref.getType());
            }

            @Override
            public RexNode visitFieldAccess(org.apache.calcite.rex.RexFieldAccess fa) {
                if (fa.getReferenceExpr() instanceof org.apache.calcite.rex.RexCorrelVariable v
                        && v.id.equals(c.getCorrelationId())) {
                    return new org.apache.calcite.rex.RexInputRef(fa.getField().getIndex(), fa.getType());
                }
                foreign[0] = true;
                return fa;
            }

            @Override
            public RexNode visitCorrelVariable(org.apache.calcite.rex.RexCorrelVariable v) {
                foreign[0] = true;
                return v;
            }

            @Override
            public RexNode visitSubQuery(org.apache.calcite.rex.RexSubQuery sq) {
                foreign[0] = true;
                return sq;
            }
        });
        if (foreign[0]) {
            return null;
        }
        RexBuilder rb = c.getCluster().getRexBuilder();
        if (!marker) {
            return org.apache.calcite.rel.logical.LogicalJoin.create(
                    c.getLeft(), inner, List.of(), cond, java.util.Set.of(), type);
        }
        boolean exists = type == org.apache.calcite.rel.core.JoinRelType.INNER;
        RelNode join = org.apache.calcite.rel.logical.LogicalJoin.create(
                c.getLeft(),
                inner,
                List.of(),
                cond,
                java.util.Set.of(),
                exists
                        ? org.apache.calcite.rel.core.JoinRelType.SEMI
                        : org.apache.calcite.rel.core.JoinRelType.LEFT_MARK);
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
                    org.apache.calcite.sql.fun.SqlStdOperatorTable.CASE,
                    rb.makeInputRef(join, leftWidth),
                    rb.makeCast(markType, trueLit, true, false),
                    rb.makeNullLiteral(markType)));
        }
        return org.apache.calcite.rel.logical.LogicalProject.create(
                join, List.of(), exprs, c.getRowType(), java.util.Set.of());
    }

    static boolean hasCorrelate(RelNode rel) {
        boolean[] found = {false};
        rel.accept(new org.apache.calcite.rel.RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                found[0] |= other instanceof org.apache.calcite.rel.core.Correlate;
                return super.visit(other);
            }
        });
        return found[0];
    }
}
