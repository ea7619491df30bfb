package io.strongroom.sql.plan;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.Correlate;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.core.SetOp;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.metadata.RelColumnOrigin;
import org.apache.calcite.rel.metadata.RelMetadataQuery;
import org.apache.calcite.rel.rules.MultiJoin;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.jspecify.annotations.Nullable;

/**
 * Orders the inputs of an inner {@link MultiJoin} (two inputs: as written) greedily by estimated result size, left-deep: it starts from
 * the connected pair with the smallest estimated join and adds, each step, the connected input that keeps the
 * result smallest. An equi-join of {@code R} and {@code S} rows on {@code a = b} is estimated at {@code R * S /
 * max(ndv(a), ndv(b))}, with the number of distinct values bounded by the column's zone-map span (integer
 * columns) and by the rows of its input; this is what keeps TPC-H Q5 away from joining customers to suppliers
 * by nation (Calcite's own rules guess a fixed selectivity per condition and cannot tell a key from a
 * 25-value column). A join on columns that are keys on neither side counts four times its estimate. Estimates only order joins; they never change results. Stateless.
 */
final class JoinOrder {
    private JoinOrder() {}

    /** The join tree for {@code mj}, or null when it is not a plain inner multi-join this orders. */
    static @Nullable RelNode order(MultiJoin mj) {
        if (mj.isFullOuterJoin() || mj.getJoinTypes().stream().anyMatch(t -> t != JoinRelType.INNER)) {
            return null;
        }
        List<RelNode> inputs = mj.getInputs();
        int n = inputs.size();
        if (n == 2) {
            List<Integer> both = List.of(0, 1);
            return build(mj, inputs, both, offsetsOf(inputs), RelOptUtil.conjunctions(mj.getJoinFilter()), factors(mj));
        }
        RelMetadataQuery mq = mj.getCluster().getMetadataQuery();
        int[] offset = new int[n + 1];
        double[] rows = new double[n];
        for (int i = 0; i < n; i++) {
            offset[i + 1] = offset[i] + inputs.get(i).getRowType().getFieldCount();
            Double r = mq.getRowCount(inputs.get(i));
            rows[i] = r == null ? 1e6 : Math.max(1, r);
        }
        List<RexNode> conjuncts = RelOptUtil.conjunctions(mj.getJoinFilter());
        inputs = reduceAggregates(inputs, offset, rows, conjuncts, mq);
        List<BitSet> factorsOf = new ArrayList<>();
        for (RexNode c : conjuncts) {
            BitSet f = new BitSet();
            for (int field : RelOptUtil.InputFinder.bits(c)) {
                f.set(factorOf(offset, field));
            }
            factorsOf.add(f);
        }
        // Greedy order.
        List<Integer> order = new ArrayList<>();
        BitSet joined = new BitSet();
        double current = 0;
        double best = Double.MAX_VALUE;
        int bi = -1;
        int bj = -1;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                BitSet one = new BitSet();
                one.set(i);
                double e = estimate(mq, inputs, offset, rows, conjuncts, factorsOf, one, rows[i], j);
                if (e < best) {
                    best = e;
                    bi = rows[i] <= rows[j] ? i : j;
                    bj = rows[i] <= rows[j] ? j : i;
                }
            }
        }
        order.add(bi);
        order.add(bj);
        joined.set(bi);
        joined.set(bj);
        current = best;
        while (order.size() < n) {
            double min = Double.MAX_VALUE;
            int pick = -1;
            for (int f = 0; f < n; f++) {
                if (joined.get(f)) {
                    continue;
                }
                double e = estimate(mq, inputs, offset, rows, conjuncts, factorsOf, joined, current, f);
                if (e < min) {
                    min = e;
                    pick = f;
                }
            }
            order.add(pick);
            joined.set(pick);
            current = min;
        }
        return build(mj, inputs, order, offset, conjuncts, factorsOf);
    }

    /**
     * Semi-join reduction: an aggregate joined on its group keys to a small, join-free input only needs the
     * groups whose keys that input has, so its input is first semi-joined to it (TPC-H Q17 aggregates the
     * lineitems of 200 parts instead of all 200,000). The small input is read twice; results are unchanged, since
     * an inner join on the group keys drops exactly the groups the semi join removes.
     */
    private static List<RelNode> reduceAggregates(
            List<RelNode> inputs, int[] offset, double[] rows, List<RexNode> conjuncts, RelMetadataQuery mq) {
        List<RelNode> out = new ArrayList<>(inputs);
        for (int a = 0; a < inputs.size(); a++) {
            if (!(inputs.get(a) instanceof LogicalAggregate agg)
                    || agg.getGroupSets().size() != 1
                    || agg.getGroupCount() == 0) {
                continue;
            }
            Double inRows = mq.getRowCount(agg.getInput());
            if (inRows == null) {
                continue;
            }
            int[] groupCols = agg.getGroupSet().toArray();
            int aggInputWidth = agg.getInput().getRowType().getFieldCount();
            for (int c = 0; c < inputs.size(); c++) {
                if (c == a || rows[c] * 10 > inRows || !joinFree(inputs.get(c))) {
                    continue;
                }
                RexBuilder rb = agg.getCluster().getRexBuilder();
                List<RexNode> conds = new ArrayList<>();
                for (RexNode k : conjuncts) {
                    if (!(k instanceof RexCall call
                            && call.getKind() == SqlKind.EQUALS
                            && call.getOperands().get(0) instanceof RexInputRef x
                            && call.getOperands().get(1) instanceof RexInputRef y)) {
                        continue;
                    }
                    RexInputRef inA = factorOf(offset, x.getIndex()) == a ? x : y;
                    RexInputRef inC = inA == x ? y : x;
                    if (factorOf(offset, inA.getIndex()) != a || factorOf(offset, inC.getIndex()) != c) {
                        continue;
                    }
                    int local = inA.getIndex() - offset[a];
                    if (local >= groupCols.length) {
                        continue; // an aggregate value, not a group key
                    }
                    int col = groupCols[local];
                    conds.add(rb.makeCall(
                            call.getOperator(),
                            rb.makeInputRef(agg.getInput(), col),
                            new RexInputRef(aggInputWidth + inC.getIndex() - offset[c], inC.getType())));
                }
                if (conds.isEmpty()) {
                    continue;
                }
                RelNode semi = LogicalJoin.create(
                        agg.getInput(),
                        inputs.get(c),
                        List.of(),
                        RexUtil.composeConjunction(rb, conds),
                        Set.of(),
                        JoinRelType.SEMI);
                out.set(a, agg.copy(agg.getTraitSet(), List.of(semi)));
                break;
            }
        }
        return out;
    }

    /** Whether a subtree reads its tables without joining or aggregating. */
    private static boolean joinFree(RelNode rel) {
        if (rel instanceof Join
                || rel instanceof Aggregate
                || rel instanceof Correlate
                || rel instanceof SetOp
                || rel instanceof MultiJoin) {
            return false;
        }
        for (RelNode in : rel.getInputs()) {
            if (!joinFree(in)) {
                return false;
            }
        }
        return true;
    }

    private static int[] offsetsOf(List<RelNode> inputs) {
        int[] offset = new int[inputs.size() + 1];
        for (int i = 0; i < inputs.size(); i++) {
            offset[i + 1] = offset[i] + inputs.get(i).getRowType().getFieldCount();
        }
        return offset;
    }

    private static List<BitSet> factors(MultiJoin mj) {
        int[] offset = offsetsOf(mj.getInputs());
        List<BitSet> out = new ArrayList<>();
        for (RexNode c : RelOptUtil.conjunctions(mj.getJoinFilter())) {
            BitSet f = new BitSet();
            for (int field : RelOptUtil.InputFinder.bits(c)) {
                f.set(factorOf(offset, field));
            }
            out.add(f);
        }
        return out;
    }

    /** How much more a join on columns that are keys on neither side is assumed to produce. */
    private static final double MANY_TO_MANY = 4;

    private static boolean isKey(double distinct, double rows) {
        return distinct >= 0.9 * rows;
    }

    private static int factorOf(int[] offset, int field) {
        int f = 0;
        while (offset[f + 1] <= field) {
            f++;
        }
        return f;
    }

    /** Estimated rows of joining the inputs in {@code set} ({@code setRows} rows) with input {@code f}. */
    private static double estimate(
            RelMetadataQuery mq,
            List<RelNode> inputs,
            int[] offset,
            double[] rows,
            List<RexNode> conjuncts,
            List<BitSet> factorsOf,
            BitSet set,
            double setRows,
            int f) {
        double selectivity = 1;
        boolean connected = false;
        for (int k = 0; k < conjuncts.size(); k++) {
            BitSet fs = factorsOf.get(k);
            if (!fs.get(f) || fs.cardinality() < 2) {
                continue;
            }
            BitSet others = (BitSet) fs.clone();
            others.clear(f);
            BitSet outside = (BitSet) others.clone();
            outside.andNot(set);
            if (!outside.isEmpty()) {
                continue; // needs an input not joined yet
            }
            RexNode c = conjuncts.get(k);
            if (c instanceof RexCall call
                    && call.getKind() == SqlKind.EQUALS
                    && call.getOperands().get(0) instanceof RexInputRef a
                    && call.getOperands().get(1) instanceof RexInputRef b) {
                double da = distinct(mq, inputs, offset, rows, a.getIndex());
                double db = distinct(mq, inputs, offset, rows, b.getIndex());
                boolean aKey = isKey(da, rows[factorOf(offset, a.getIndex())]);
                boolean bKey = isKey(db, rows[factorOf(offset, b.getIndex())]);
                double s;
                if (aKey || bKey) {
                    // A key side: each row of the other matches at most one of its rows, and finds one as often as
                    // the key side keeps its table's keys. Its table's distinct values, not the filtered input's,
                    // divide; of two key-like sides, the one with fewer (a foreign key's span can look like a key).
                    double ka = aKey ? tableDistinct(mq, inputs, offset, rows, a.getIndex()) : Double.MAX_VALUE;
                    double kb = bKey ? tableDistinct(mq, inputs, offset, rows, b.getIndex()) : Double.MAX_VALUE;
                    s = 1 / Math.max(1, Math.min(ka, kb));
                } else {
                    // Neither side is key-like: the join multiplies rows, and estimates err.
                    s = MANY_TO_MANY / Math.max(1, Math.max(da, db));
                }
                selectivity = Math.min(selectivity, s);
                connected = true;
            } else {
                connected = true;
                selectivity = Math.min(selectivity, 0.5);
            }
        }
        double product = setRows * rows[f];
        // An unconnected input is a cross product: last resort.
        return connected ? product * selectivity : product * 1e6;
    }

    private static double distinct(RelMetadataQuery mq, List<RelNode> inputs, int[] offset, double[] rows, int field) {
        int f = factorOf(offset, field);
        double bound = rows[f];
        RelColumnOrigin origin = mq.getColumnOrigin(inputs.get(f), field - offset[f]);
        if (origin != null && !origin.isDerived()) {
            QueryPlanner.StoreTable t = origin.getOriginTable().unwrap(QueryPlanner.StoreTable.class);
            if (t != null) {
                bound = Math.min(bound, t.distinctBound(origin.getOriginColumnOrdinal()));
            }
        }
        return bound;
    }

    /** The distinct values of a field's column in its whole table (before any filter), or its input's rows. */
    private static double tableDistinct(
            RelMetadataQuery mq, List<RelNode> inputs, int[] offset, double[] rows, int field) {
        int f = factorOf(offset, field);
        RelColumnOrigin origin = mq.getColumnOrigin(inputs.get(f), field - offset[f]);
        if (origin != null && !origin.isDerived()) {
            QueryPlanner.StoreTable t = origin.getOriginTable().unwrap(QueryPlanner.StoreTable.class);
            if (t != null) {
                return t.distinctBound(origin.getOriginColumnOrdinal());
            }
        }
        return rows[f];
    }

    /** Left-deep joins in {@code order}, each with the conditions its inputs complete, then the original fields. */
    private static RelNode build(
            MultiJoin mj,
            List<RelNode> inputs,
            List<Integer> order,
            int[] offset,
            List<RexNode> conjuncts,
            List<BitSet> factorsOf) {
        RexBuilder rb = mj.getCluster().getRexBuilder();
        int total = offset[offset.length - 1];
        int[] position = new int[total]; // original field -> position in the tree built so far
        boolean[] applied = new boolean[conjuncts.size()];
        BitSet joined = new BitSet();
        RelNode tree = null;
        int width = 0;
        for (int f : order) {
            RelNode in = inputs.get(f);
            for (int k = offset[f]; k < offset[f + 1]; k++) {
                position[k] = width + (k - offset[f]);
            }
            width += in.getRowType().getFieldCount();
            joined.set(f);
            if (tree == null) {
                tree = in;
                continue;
            }
            List<RexNode> conds = new ArrayList<>();
            for (int k = 0; k < conjuncts.size(); k++) {
                BitSet fs = (BitSet) factorsOf.get(k).clone();
                fs.andNot(joined);
                if (!applied[k] && fs.isEmpty()) {
                    applied[k] = true;
                    conds.add(remap(conjuncts.get(k), position));
                }
            }
            tree = LogicalJoin.create(
                    tree, in, List.of(), RexUtil.composeConjunction(rb, conds), Set.of(), JoinRelType.INNER);
        }
        RelNode out = Objects.requireNonNull(tree);
        List<RexNode> rest = new ArrayList<>();
        for (int k = 0; k < conjuncts.size(); k++) {
            if (!applied[k]) {
                rest.add(remap(conjuncts.get(k), position));
            }
        }
        if (mj.getPostJoinFilter() != null) {
            rest.add(remap(mj.getPostJoinFilter(), position));
        }
        if (!rest.isEmpty()) {
            out = LogicalFilter.create(out, RexUtil.composeConjunction(rb, rest));
        }
        List<RexNode> fields = new ArrayList<>();
        for (int k = 0; k < total; k++) {
            fields.add(rb.makeInputRef(out, position[k]));
        }
        return LogicalProject.create(out, List.of(), fields, mj.getRowType(), Set.of());
    }

    private static RexNode remap(RexNode e, int[] position) {
        return e.accept(new RexShuttle() {
            @Override
            public RexNode visitInputRef(RexInputRef ref) {
                return new RexInputRef(position[ref.getIndex()], ref.getType());
            }
        });
    }
}
