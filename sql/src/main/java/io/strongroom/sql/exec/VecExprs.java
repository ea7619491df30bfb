package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import io.strongroom.sql.func.FunctionRegistry;
import io.strongroom.sql.func.Types;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.calcite.avatica.util.TimeUnitRange;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexCorrelVariable;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexFieldAccess;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.rex.RexVisitorImpl;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlLikeOperator;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.jspecify.annotations.Nullable;

/**
 * Compiles Calcite row expressions into kernels over whole {@link Batch}es: column references, literals,
 * comparisons, AND/OR/NOT and the IS tests, exact and floating arithmetic, numeric casts, CASE, LIKE patterns
 * made of literal text and {@code %}, EXTRACT of date parts, and SUBSTRING at literal positions run as loops over
 * primitive arrays: one kernel
 * for each {@link FunctionRegistry.VectorKernel}, the registry saying which operator has which. Any other
 * operator evaluates its (vectorised) operands and applies {@link Expressions}' scalar code (the registry's
 * row-wise implementation) row by row, so both paths give the same answers. Operators that evaluate lazily in SQL (AND, OR, CASE, COALESCE) are vectorised
 * only when no operand can fail (no division, no cast, no function but SUBSTRING at literal positions, which
 * clamps them): otherwise the whole subtree runs row by row, so a guarded division by zero stays guarded. Stateless; kernels are not thread-safe.
 */
final class VecExprs {
    private VecExprs() {}

    /** A compiled expression over a batch. */
    @FunctionalInterface
    interface VExpr {
        Vec eval(Batch b);
    }

    static VExpr compile(RexNode node, Expressions.Context ctx) {
        if (node instanceof RexInputRef ref) {
            int i = ref.getIndex();
            return b -> b.col(i);
        }
        if (node instanceof RexLiteral lit) {
            Object v = Expressions.literal(lit);
            RelDataType t = lit.getType();
            return constant(() -> v, t);
        }
        if (node instanceof RexDynamicParam p) {
            Expressions.Expr e = Expressions.compile(p, ctx);
            RelDataType t = p.getType();
            return constant(() -> e.eval(new Object[0]), t);
        }
        if (node instanceof RexCall call) {
            if (constant(call)) {
                // Evaluated once, at the first batch that needs it (so an error surfaces only if a row needs it).
                Expressions.Expr e = Expressions.compile(call, ctx);
                Object[] value = new Object[1];
                boolean[] done = {false};
                return constant(
                        () -> {
                            if (!done[0]) {
                                value[0] = e.eval(new Object[0]);
                                done[0] = true;
                            }
                            return value[0];
                        },
                        call.getType());
            }
            return call(call, ctx);
        }
        return rowwise(node, ctx);
    }

    /** Whether a call reads no column and no outer row, and always gives the same value. */
    private static boolean constant(RexCall call) {
        boolean[] variable = {false};
        call.accept(new RexVisitorImpl<Void>(true) {
            @Override
            public Void visitInputRef(RexInputRef ref) {
                variable[0] = true;
                return null;
            }

            @Override
            public Void visitCorrelVariable(RexCorrelVariable v) {
                variable[0] = true;
                return null;
            }

            @Override
            public Void visitFieldAccess(RexFieldAccess a) {
                variable[0] = true;
                return null;
            }
        });
        return !variable[0] && RexUtil.isDeterministic(call);
    }

    private static VExpr constant(Supplier<@Nullable Object> value, RelDataType t) {
        Vec[] cache = new Vec[1];
        return b -> {
            Vec c = cache[0];
            if (c == null || c.size != b.size()) {
                c = Vec.constant(value.get(), b.size(), t);
                cache[0] = c;
            }
            return c;
        };
    }

    /** The whole subtree evaluated row by row with the scalar evaluator. */
    static VExpr rowwise(RexNode node, Expressions.Context ctx) {
        Expressions.Expr e = Expressions.compile(node, ctx);
        int[] inputs = RelOptUtil.InputFinder.bits(node).toArray();
        RelDataType t = node.getType();
        return b -> {
            int n = b.size();
            Object[] row = new Object[b.cols().length];
            Vec[] in = new Vec[inputs.length];
            for (int k = 0; k < inputs.length; k++) {
                in[k] = b.col(inputs[k]);
            }
            Object[] out = new Object[n];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < inputs.length; k++) {
                    row[inputs[k]] = in[k].get(i);
                }
                out[i] = e.eval(row);
            }
            return Vec.fromObjects(out, n, t);
        };
    }

    /** The operator applied row by row to operands evaluated as vectors. */
    private static VExpr perRow(RexCall call, Expressions.Context ctx) {
        List<RexNode> ops = call.getOperands();
        List<RexNode> refs = new ArrayList<>();
        List<VExpr> args = new ArrayList<>();
        for (RexNode o : ops) {
            if (o instanceof RexLiteral) {
                refs.add(o);
            } else {
                refs.add(new RexInputRef(args.size(), o.getType()));
                args.add(compile(o, ctx));
            }
        }
        Expressions.Expr e = Expressions.compile(call.clone(call.getType(), refs), ctx);
        RelDataType t = call.getType();
        return b -> {
            int n = b.size();
            Vec[] in = new Vec[args.size()];
            for (int k = 0; k < in.length; k++) {
                in[k] = args.get(k).eval(b);
            }
            return applyRows(e, in, n, t);
        };
    }

    private static Vec applyRows(Expressions.Expr e, Vec[] in, int n, RelDataType t) {
        Object[] row = new Object[in.length];
        Object[] out = new Object[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < in.length; k++) {
                row[k] = in[k].get(i);
            }
            out[i] = e.eval(row);
        }
        return Vec.fromObjects(out, n, t);
    }

    private static final Set<SqlKind> ARITHMETIC = Set.of(SqlKind.PLUS, SqlKind.MINUS, SqlKind.TIMES);

    /** Whether evaluating {@code node} for a row can fail: it may, unless built only of safe operators. */
    private static boolean safe(RexNode node) {
        if (node instanceof RexInputRef || node instanceof RexLiteral) {
            return true;
        }
        if (!(node instanceof RexCall call)) {
            return false;
        }
        if (call.getKind() == SqlKind.CAST) {
            // Numeric widening casts cannot fail.
            RelDataType from = call.getOperands().get(0).getType();
            RelDataType to = call.getType();
            boolean ok = SqlTypeFamily.NUMERIC.contains(from)
                    && (to.getSqlTypeName() == SqlTypeName.DOUBLE
                            || (to.getSqlTypeName() == SqlTypeName.DECIMAL && to.getPrecision() - to.getScale() >= 19));
            if (!ok) {
                return false;
            }
        } else if (!FunctionRegistry.neverFails(call.getKind()) && !literalSubstring(call)) {
            return false;
        } else if (ARITHMETIC.contains(call.getKind())
                && SqlTypeFamily.EXACT_NUMERIC.contains(call.getType())
                && call.getType().getSqlTypeName() != SqlTypeName.DECIMAL) {
            // Integer arithmetic fails on overflow (decimal arithmetic widens instead).
            return false;
        }
        for (RexNode o : call.getOperands()) {
            if (!safe(o)) {
                return false;
            }
        }
        return true;
    }

    private static VExpr call(RexCall call, Expressions.Context ctx) {
        SqlKind kind = call.getKind();
        List<RexNode> ops = call.getOperands();
        FunctionRegistry.VectorKernel kernel = FunctionRegistry.vectorKernel(kind);
        if (kernel == null) {
            return literalSubstring(call) ? substring(call, ctx) : perRow(call, ctx);
        }
        switch (kernel) {
            case LOGIC -> {
                if (!safe(call)) {
                    return rowwise(call, ctx);
                }
                List<VExpr> args = new ArrayList<>();
                for (RexNode o : ops) {
                    args.add(compile(o, ctx));
                }
                boolean and = kind == SqlKind.AND;
                return b -> logical(and, args, b);
            }
            case NOT -> {
                VExpr a = compile(ops.get(0), ctx);
                return b -> {
                    Vec v = a.eval(b);
                    long[] out = new long[v.size];
                    for (int i = 0; i < v.size; i++) {
                        out[i] = v.longs[i] == 0 ? 1 : 0;
                    }
                    return Vec.ofLongs(Vec.Type.BOOL, 0, out, v.size, v.nulls);
                };
            }
            case IS_TEST -> {
                VExpr a = compile(ops.get(0), ctx);
                return b -> VecKernels.isTest(kind, a.eval(b));
            }
            case COMPARISON -> {
                VExpr l = compile(ops.get(0), ctx);
                VExpr r = compile(ops.get(1), ctx);
                return b -> VecKernels.compare(kind, l.eval(b), r.eval(b));
            }
            case ARITHMETIC -> {
                if (!SqlTypeFamily.NUMERIC.contains(ops.get(0).getType())
                        || !SqlTypeFamily.NUMERIC.contains(ops.get(1).getType())) {
                    return perRow(call, ctx);
                }
                VExpr l = compile(ops.get(0), ctx);
                VExpr r = compile(ops.get(1), ctx);
                VExpr slow = perRow(call, ctx);
                RelDataType t = call.getType();
                return b -> {
                    Vec res = VecKernels.arithmetic(kind, t, l.eval(b), r.eval(b));
                    return res != null ? res : slow.eval(b);
                };
            }
            case CAST -> {
                VExpr a = compile(ops.get(0), ctx);
                VExpr slow = perRow(call, ctx);
                RelDataType t = call.getType();
                return b -> {
                    Vec res = VecKernels.coerce(a.eval(b), t);
                    return res != null ? res : slow.eval(b);
                };
            }
            case CASE -> {
                if (!safe(call)) {
                    return rowwise(call, ctx);
                }
                List<VExpr> args = new ArrayList<>();
                for (RexNode o : ops) {
                    args.add(compile(o, ctx));
                }
                RelDataType t = call.getType();
                return b -> caseWhen(args, t, b);
            }
            case COALESCE -> {
                return safe(call) ? perRow(call, ctx) : rowwise(call, ctx);
            }
            case LIKE -> {
                VExpr like = like(call, ctx);
                return like != null ? like : perRow(call, ctx);
            }
            case EXTRACT -> {
                if (ops.get(0) instanceof RexLiteral u
                        && u.getValue() instanceof TimeUnitRange unit
                        && (unit == TimeUnitRange.YEAR || unit == TimeUnitRange.MONTH || unit == TimeUnitRange.DAY)
                        && ops.get(1).getType().getSqlTypeName() == SqlTypeName.DATE) {
                    VExpr a = compile(ops.get(1), ctx);
                    return b -> VecKernels.extract(unit, a.eval(b));
                }
                return perRow(call, ctx);
            }
        }
        throw new IllegalStateException("no vector kernel " + kernel);
    }

    // ---- SUBSTRING ----

    /**
     * Whether a call is SUBSTRING of a string at literal integer positions: it never fails (positions are clamped to
     * the string) and has a kernel ({@link VecKernels#substring}).
     */
    private static boolean literalSubstring(RexCall call) {
        List<RexNode> ops = call.getOperands();
        if (!call.getOperator().getName().equalsIgnoreCase("SUBSTRING")
                || ops.size() < 2
                || ops.size() > 3
                || !SqlTypeFamily.CHARACTER.contains(ops.get(0).getType())) {
            return false;
        }
        for (RexNode o : ops.subList(1, ops.size())) {
            if (!(o instanceof RexLiteral lit) || !(Expressions.literal(lit) instanceof Long)) {
                return false;
            }
        }
        return true;
    }

    private static VExpr substring(RexCall call, Expressions.Context ctx) {
        List<RexNode> ops = call.getOperands();
        VExpr s = compile(ops.get(0), ctx);
        long start = (Long) Objects.requireNonNull(Expressions.literal((RexLiteral) ops.get(1)));
        boolean hasCount = ops.size() > 2;
        long count = hasCount ? (Long) Objects.requireNonNull(Expressions.literal((RexLiteral) ops.get(2))) : 0;
        VExpr slow = perRow(call, ctx);
        return b -> {
            Vec v = s.eval(b);
            return v.type == Vec.Type.STR ? VecKernels.substring(v, start, hasCount, count) : slow.eval(b);
        };
    }

    // ---- logic ----

    private static Vec logical(boolean and, List<VExpr> args, Batch b) {
        int n = b.size();
        long[] out = new long[n];
        boolean[] unknown = null;
        Arrays.fill(out, and ? 1 : 0);
        for (VExpr a : args) {
            Vec v = a.eval(b);
            if (v.nulls == null) {
                // BOOL values are 0 or 1: AND and OR are bitwise.
                long[] x = v.longs;
                if (and) {
                    for (int i = 0; i < n; i++) {
                        out[i] &= x[i];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        out[i] |= x[i];
                    }
                }
                continue;
            }
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    if (unknown == null) {
                        unknown = new boolean[n];
                    }
                    unknown[i] = true;
                } else if ((v.longs[i] != 0) != and) {
                    out[i] = and ? 0 : 1; // decided: FALSE for AND, TRUE for OR
                }
            }
        }
        boolean[] nulls = null;
        if (unknown != null) {
            for (int i = 0; i < n; i++) {
                // A decided row stays decided; otherwise an unknown operand makes it unknown.
                boolean decided = and ? out[i] == 0 : out[i] == 1;
                if (unknown[i] && !decided) {
                    if (nulls == null) {
                        nulls = new boolean[n];
                    }
                    nulls[i] = true;
                }
            }
        }
        return Vec.ofLongs(Vec.Type.BOOL, 0, out, n, nulls);
    }

    // ---- CASE ----

    private static Vec caseWhen(List<VExpr> args, RelDataType t, Batch b) {
        int n = b.size();
        int branches = args.size() / 2;
        boolean hasElse = args.size() % 2 == 1;
        int[] pick = new int[n];
        Arrays.fill(pick, -1);
        int open = n;
        for (int k = 0; k < branches && open > 0; k++) {
            Vec cond = args.get(2 * k).eval(b);
            for (int i = 0; i < n; i++) {
                if (pick[i] < 0 && !cond.isNull(i) && cond.longs[i] != 0) {
                    pick[i] = k;
                    open--;
                }
            }
        }
        Vec[] values = new Vec[branches + 1];
        for (int k = 0; k < branches; k++) {
            values[k] = args.get(2 * k + 1).eval(b);
        }
        values[branches] = hasElse ? args.get(args.size() - 1).eval(b) : Vec.allNull(n, t);
        boolean allLong = true;
        Vec.Type rt = Vec.typeOf(t);
        for (int k = 0; k <= branches; k++) {
            Vec c = VecKernels.coerce(values[k], t);
            if (c == null || c.type != rt || c.type == Vec.Type.STR || c.type == Vec.Type.OBJ) {
                allLong = false;
            } else {
                values[k] = c;
            }
        }
        if (allLong) {
            // Every branch has the result's primitive type: copy each row from the vector its branch chose.
            Vec[] from = new Vec[n];
            boolean[] nulls = null;
            for (int i = 0; i < n; i++) {
                from[i] = values[pick[i] < 0 ? branches : pick[i]];
                if (from[i].isNull(i)) {
                    if (nulls == null) {
                        nulls = new boolean[n];
                    }
                    nulls[i] = true;
                }
            }
            if (rt == Vec.Type.DOUBLE) {
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    if (nulls == null || !nulls[i]) {
                        out[i] = from[i].doubles[i];
                    }
                }
                return Vec.ofDoubles(out, n, nulls);
            }
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                if (nulls == null || !nulls[i]) {
                    out[i] = from[i].longs[i];
                }
            }
            return Vec.ofLongs(rt, rt == Vec.Type.DEC ? t.getScale() : 0, out, n, nulls);
        }
        Object[] out = new Object[n];
        for (int i = 0; i < n; i++) {
            out[i] = Expressions.cast(values[pick[i] < 0 ? branches : pick[i]].get(i), t);
        }
        return Vec.fromObjects(out, n, t);
    }

    // ---- LIKE ----

    /** LIKE with a literal pattern of text and {@code %} only, over UTF-8 bytes; null for other patterns. */
    private static @Nullable VExpr like(RexCall call, Expressions.Context ctx) {
        SqlLikeOperator op = (SqlLikeOperator) call.getOperator();
        if (!op.isCaseSensitive()
                || call.getOperands().size() != 2
                || !(call.getOperands().get(1) instanceof RexLiteral lit)
                || lit.isNull()) {
            return null;
        }
        String pattern = lit.getValueAs(String.class);
        if (pattern == null || pattern.indexOf('_') >= 0 || pattern.indexOf('\\') >= 0) {
            return null;
        }
        String[] parts = pattern.split("%", -1);
        byte[][] tokens = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            tokens[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        }
        boolean negated = op.isNegated();
        VExpr a = compile(call.getOperands().get(0), ctx);
        return b -> {
            Vec v = a.eval(b);
            if (v.type != Vec.Type.STR) {
                Object[] out = new Object[v.size];
                for (int i = 0; i < v.size; i++) {
                    Object o = v.get(i);
                    out[i] = o == null
                            ? null
                            : VecKernels.matches(tokens, Types.text(o).getBytes(StandardCharsets.UTF_8), 0, -1)
                                    != negated;
                }
                return Vec.fromObjects(out, v.size, call.getType());
            }
            long[] out = new long[v.size];
            for (int i = 0; i < v.size; i++) {
                out[i] = VecKernels.matches(tokens, v.bytes, v.offsets[i], v.offsets[i + 1]) != negated ? 1 : 0;
            }
            return Vec.ofLongs(Vec.Type.BOOL, 0, out, v.size, v.nulls);
        };
    }
}
