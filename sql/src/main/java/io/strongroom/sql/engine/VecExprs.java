package io.strongroom.sql.engine;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.calcite.avatica.util.TimeUnitRange;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlLikeOperator;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.jspecify.annotations.Nullable;

/**
 * Compiles Calcite row expressions into kernels over whole {@link Batch}es: column references, literals,
 * comparisons, AND/OR/NOT and the IS tests, exact and floating arithmetic, numeric casts, CASE, LIKE patterns
 * made of literal text and {@code %}, and EXTRACT of date parts run as loops over primitive arrays. Any other
 * operator evaluates its (vectorised) operands and applies {@link Expressions}' scalar code row by row, so both
 * paths give the same answers. Operators that evaluate lazily in SQL (AND, OR, CASE, COALESCE) are vectorised
 * only when no operand can fail (no division, no cast, no function): otherwise the whole subtree runs row by
 * row, so a guarded division by zero stays guarded. Stateless; kernels are not thread-safe.
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
        call.accept(new org.apache.calcite.rex.RexVisitorImpl<Void>(true) {
            @Override
            public Void visitInputRef(RexInputRef ref) {
                variable[0] = true;
                return null;
            }

            @Override
            public Void visitCorrelVariable(org.apache.calcite.rex.RexCorrelVariable v) {
                variable[0] = true;
                return null;
            }

            @Override
            public Void visitFieldAccess(org.apache.calcite.rex.RexFieldAccess a) {
                variable[0] = true;
                return null;
            }
        });
        return !variable[0] && org.apache.calcite.rex.RexUtil.isDeterministic(call);
    }

    private static VExpr constant(java.util.function.Supplier<@Nullable Object> value, RelDataType t) {
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

    private static final Set<SqlKind> SAFE = Set.of(
            SqlKind.AND,
            SqlKind.OR,
            SqlKind.NOT,
            SqlKind.IS_NULL,
            SqlKind.IS_NOT_NULL,
            SqlKind.IS_TRUE,
            SqlKind.IS_NOT_TRUE,
            SqlKind.IS_FALSE,
            SqlKind.IS_NOT_FALSE,
            SqlKind.EQUALS,
            SqlKind.NOT_EQUALS,
            SqlKind.LESS_THAN,
            SqlKind.LESS_THAN_OR_EQUAL,
            SqlKind.GREATER_THAN,
            SqlKind.GREATER_THAN_OR_EQUAL,
            SqlKind.PLUS,
            SqlKind.MINUS,
            SqlKind.TIMES,
            SqlKind.LIKE,
            SqlKind.CASE,
            SqlKind.COALESCE);

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
        } else if (!SAFE.contains(call.getKind())) {
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
        switch (kind) {
            case AND, OR -> {
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
            case IS_NULL, IS_NOT_NULL, IS_TRUE, IS_NOT_TRUE, IS_FALSE, IS_NOT_FALSE -> {
                VExpr a = compile(ops.get(0), ctx);
                return b -> isTest(kind, a.eval(b));
            }
            case EQUALS, NOT_EQUALS, LESS_THAN, LESS_THAN_OR_EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL -> {
                VExpr l = compile(ops.get(0), ctx);
                VExpr r = compile(ops.get(1), ctx);
                return b -> compare(kind, l.eval(b), r.eval(b));
            }
            case PLUS, MINUS, TIMES -> {
                if (!SqlTypeFamily.NUMERIC.contains(ops.get(0).getType())
                        || !SqlTypeFamily.NUMERIC.contains(ops.get(1).getType())) {
                    return perRow(call, ctx);
                }
                VExpr l = compile(ops.get(0), ctx);
                VExpr r = compile(ops.get(1), ctx);
                VExpr slow = perRow(call, ctx);
                RelDataType t = call.getType();
                return b -> {
                    Vec res = arithmetic(kind, t, l.eval(b), r.eval(b));
                    return res != null ? res : slow.eval(b);
                };
            }
            case CAST -> {
                VExpr a = compile(ops.get(0), ctx);
                VExpr slow = perRow(call, ctx);
                RelDataType t = call.getType();
                return b -> {
                    Vec res = coerce(a.eval(b), t);
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
                    return b -> extract(unit, a.eval(b));
                }
                return perRow(call, ctx);
            }
            default -> {
                return perRow(call, ctx);
            }
        }
    }

    // ---- logic ----

    private static Vec logical(boolean and, List<VExpr> args, Batch b) {
        int n = b.size();
        long[] out = new long[n];
        boolean[] unknown = null;
        java.util.Arrays.fill(out, and ? 1 : 0);
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

    private static Vec isTest(SqlKind kind, Vec v) {
        int n = v.size;
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            boolean isNull = v.isNull(i);
            boolean r = switch (kind) {
                case IS_NULL -> isNull;
                case IS_NOT_NULL -> !isNull;
                case IS_TRUE -> !isNull && v.longs[i] != 0;
                case IS_NOT_TRUE -> isNull || v.longs[i] == 0;
                case IS_FALSE -> !isNull && v.longs[i] == 0;
                default -> isNull || v.longs[i] != 0;
            };
            out[i] = r ? 1 : 0;
        }
        return Vec.ofLongs(Vec.Type.BOOL, 0, out, n, null);
    }

    // ---- comparison ----

    private static boolean @Nullable [] orNulls(Vec a, Vec b) {
        if (a.nulls == null) {
            return b.nulls;
        }
        if (b.nulls == null) {
            return a.nulls;
        }
        boolean[] out = new boolean[a.size];
        for (int i = 0; i < a.size; i++) {
            out[i] = a.nulls[i] || b.nulls[i];
        }
        return out;
    }

    private static boolean numeric(Vec.Type t) {
        return t == Vec.Type.INT || t == Vec.Type.DEC;
    }

    static Vec compare(SqlKind kind, Vec a, Vec b) {
        int n = a.size;
        long[] out = new long[n];
        boolean[] nulls = orNulls(a, b);
        Vec.Type ta = a.type;
        Vec.Type tb = b.type;
        if (ta.isLong() && tb.isLong() && (ta == tb || (numeric(ta) && numeric(tb)))) {
            long[] x = a.longs;
            long[] y = b.longs;
            if (a.scale != b.scale) {
                x = rescale(a, Math.max(a.scale, b.scale));
                y = rescale(b, Math.max(a.scale, b.scale));
                if (x == null || y == null) {
                    return compareObjects(kind, a, b, nulls);
                }
            }
            compareLongs(kind, x, y, out, n);
        } else if ((ta == Vec.Type.DOUBLE || numeric(ta)) && (tb == Vec.Type.DOUBLE || numeric(tb))) {
            double[] x = doubles(a);
            double[] y = doubles(b);
            for (int i = 0; i < n; i++) {
                out[i] = Expressions.test(kind, Double.compare(x[i], y[i])) ? 1 : 0;
            }
        } else if (ta == Vec.Type.STR && tb == Vec.Type.STR && (kind == SqlKind.EQUALS || kind == SqlKind.NOT_EQUALS)) {
            boolean eq = kind == SqlKind.EQUALS;
            for (int i = 0; i < n; i++) {
                out[i] = equalTrimmed(a, i, b, i) == eq ? 1 : 0;
            }
        } else {
            return compareObjects(kind, a, b, nulls);
        }
        return Vec.ofLongs(Vec.Type.BOOL, 0, out, n, nulls);
    }

    private static Vec compareObjects(SqlKind kind, Vec a, Vec b, boolean @Nullable [] nulls) {
        int n = a.size;
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            if (nulls != null && nulls[i]) {
                continue;
            }
            out[i] = Expressions.test(
                            kind,
                            Expressions.compare(
                                    java.util.Objects.requireNonNull(a.get(i)),
                                    java.util.Objects.requireNonNull(b.get(i))))
                    ? 1
                    : 0;
        }
        return Vec.ofLongs(Vec.Type.BOOL, 0, out, n, nulls);
    }

    private static void compareLongs(SqlKind kind, long[] x, long[] y, long[] out, int n) {
        switch (kind) {
            case EQUALS -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] == y[i] ? 1 : 0;
                }
            }
            case NOT_EQUALS -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] != y[i] ? 1 : 0;
                }
            }
            case LESS_THAN -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] < y[i] ? 1 : 0;
                }
            }
            case LESS_THAN_OR_EQUAL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] <= y[i] ? 1 : 0;
                }
            }
            case GREATER_THAN -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] > y[i] ? 1 : 0;
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] >= y[i] ? 1 : 0;
                }
            }
        }
    }

    /** CHAR semantics: trailing blanks do not count. */
    private static boolean equalTrimmed(Vec a, int i, Vec b, int j) {
        int as = a.offsets[i];
        int ae = a.offsets[i + 1];
        int bs = b.offsets[j];
        int be = b.offsets[j + 1];
        while (ae > as && a.bytes[ae - 1] == ' ') {
            ae--;
        }
        while (be > bs && b.bytes[be - 1] == ' ') {
            be--;
        }
        return java.util.Arrays.equals(a.bytes, as, ae, b.bytes, bs, be);
    }

    /** The values as doubles (a DEC divided by its scale). */
    static double[] doubles(Vec v) {
        if (v.type == Vec.Type.DOUBLE) {
            return v.doubles;
        }
        double[] out = new double[v.size];
        if (v.type == Vec.Type.OBJ) {
            for (int i = 0; i < v.size; i++) {
                Object o = v.objs[i];
                out[i] = o == null ? 0 : ((Number) o).doubleValue();
            }
            return out;
        }
        if (v.scale == 0) {
            for (int i = 0; i < v.size; i++) {
                out[i] = v.longs[i];
            }
        } else {
            double p = Vec.POW10[v.scale];
            for (int i = 0; i < v.size; i++) {
                out[i] = v.longs[i] / p;
            }
        }
        return out;
    }

    /** The unscaled values at a larger scale, or null when one overflows. */
    private static long @Nullable [] rescale(Vec v, int scale) {
        if (v.scale == scale) {
            return v.longs;
        }
        if (scale > 18 || scale < v.scale) {
            return null;
        }
        long f = Vec.POW10[scale - v.scale];
        long[] out = new long[v.size];
        for (int i = 0; i < v.size; i++) {
            long x = v.longs[i];
            long r = x * f;
            if (Math.multiplyHigh(x, f) != (r >> 63)) {
                return null;
            }
            out[i] = r;
        }
        return out;
    }

    /** The unscaled values rounded half up to a smaller scale. */
    private static long[] roundDown(long[] in, int n, int drop) {
        long f = Vec.POW10[drop];
        long half = f / 2;
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long x = in[i];
            long q = x / f;
            long r = x % f;
            if (r >= half) {
                q++;
            } else if (-r >= half) {
                q--;
            }
            out[i] = q;
        }
        return out;
    }

    // ---- arithmetic ----

    /** PLUS, MINUS, TIMES over long or double vectors; null when the batch needs the exact slow path. */
    private static @Nullable Vec arithmetic(SqlKind kind, RelDataType t, Vec a, Vec b) {
        Vec.Type rt = Vec.typeOf(t);
        int n = a.size;
        boolean[] nulls = orNulls(a, b);
        if (rt == Vec.Type.DOUBLE) {
            if (!(a.type == Vec.Type.DOUBLE || numeric(a.type)) || !(b.type == Vec.Type.DOUBLE || numeric(b.type))) {
                return null;
            }
            double[] x = doubles(a);
            double[] y = doubles(b);
            double[] out = new double[n];
            switch (kind) {
                case PLUS -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = x[i] + y[i];
                    }
                }
                case MINUS -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = x[i] - y[i];
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = x[i] * y[i];
                    }
                }
            }
            return Vec.ofDoubles(out, n, nulls);
        }
        if ((rt != Vec.Type.INT && rt != Vec.Type.DEC) || !numeric(a.type) || !numeric(b.type)) {
            return null;
        }
        long[] x = a.longs;
        long[] y = b.longs;
        int scale;
        if (kind == SqlKind.TIMES) {
            scale = a.scale + b.scale;
        } else {
            scale = Math.max(a.scale, b.scale);
            x = rescale(a, scale);
            y = rescale(b, scale);
            if (x == null || y == null) {
                return null;
            }
        }
        long[] out = new long[n];
        boolean overflow = false;
        switch (kind) {
            case PLUS -> {
                for (int i = 0; i < n; i++) {
                    long r = x[i] + y[i];
                    overflow |= ((x[i] ^ r) & (y[i] ^ r)) < 0;
                    out[i] = r;
                }
            }
            case MINUS -> {
                for (int i = 0; i < n; i++) {
                    long r = x[i] - y[i];
                    overflow |= ((x[i] ^ y[i]) & (x[i] ^ r)) < 0;
                    out[i] = r;
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    long r = x[i] * y[i];
                    overflow |= Math.multiplyHigh(x[i], y[i]) != (r >> 63);
                    out[i] = r;
                }
            }
        }
        if (overflow) {
            if (rt == Vec.Type.INT) {
                throw new StrongroomException(ErrorCode.VALUE_OUT_OF_RANGE, "value out of range: bigint overflow");
            }
            return null;
        }
        if (rt == Vec.Type.INT) {
            return Vec.ofLongs(Vec.Type.INT, 0, out, n, nulls);
        }
        return atScale(Vec.ofLongs(Vec.Type.DEC, scale, out, n, nulls), t.getScale());
    }

    /** A DEC vector at {@code scale}, rounding half up; null when scaling up overflows. */
    private static @Nullable Vec atScale(Vec v, int scale) {
        if (v.scale == scale) {
            return v;
        }
        if (scale > v.scale) {
            long[] l = rescale(v, scale);
            return l == null ? null : Vec.ofLongs(Vec.Type.DEC, scale, l, v.size, v.nulls);
        }
        return Vec.ofLongs(Vec.Type.DEC, scale, roundDown(v.longs, v.size, v.scale - scale), v.size, v.nulls);
    }

    /** {@code v} in the representation of type {@code t}, or null when this needs the scalar cast. */
    static @Nullable Vec coerce(Vec v, RelDataType t) {
        Vec.Type rt = Vec.typeOf(t);
        SqlTypeName name = t.getSqlTypeName();
        switch (rt) {
            case INT -> {
                return v.type == Vec.Type.INT ? v : null;
            }
            case DEC -> {
                if (v.type == Vec.Type.INT || v.type == Vec.Type.DEC) {
                    int p = t.getPrecision();
                    Vec r = atScale(v, t.getScale());
                    if (r == null || (p < 19 && !fits(r, p))) {
                        return null;
                    }
                    return r;
                }
                return null;
            }
            case DOUBLE -> {
                if (v.type == Vec.Type.DOUBLE && name != SqlTypeName.REAL) {
                    return v;
                }
                if (v.type == Vec.Type.DOUBLE || numeric(v.type)) {
                    double[] d = doubles(v);
                    if (name == SqlTypeName.REAL) {
                        double[] f = new double[v.size];
                        for (int i = 0; i < v.size; i++) {
                            f[i] = (float) d[i];
                        }
                        d = f;
                    }
                    return Vec.ofDoubles(d, v.size, v.nulls);
                }
                return null;
            }
            case BOOL, DATE, TS, TSTZ -> {
                return v.type == rt ? v : null;
            }
            case STR -> {
                if (v.type != Vec.Type.STR) {
                    return null;
                }
                int p = t.getPrecision();
                if (p <= 0 || p == RelDataType.PRECISION_NOT_SPECIFIED) {
                    return v;
                }
                for (int i = 0; i < v.size; i++) {
                    if (!v.isNull(i) && v.offsets[i + 1] - v.offsets[i] > p) {
                        return null;
                    }
                }
                return v;
            }
            default -> {
                return null;
            }
        }
    }

    /** Whether every unscaled value has at most {@code precision} digits. */
    private static boolean fits(Vec v, int precision) {
        long limit = Vec.POW10[precision];
        for (int i = 0; i < v.size; i++) {
            long x = v.longs[i];
            if (x >= limit || x <= -limit) {
                return false;
            }
        }
        return true;
    }

    // ---- CASE ----

    private static Vec caseWhen(List<VExpr> args, RelDataType t, Batch b) {
        int n = b.size();
        int branches = args.size() / 2;
        boolean hasElse = args.size() % 2 == 1;
        int[] pick = new int[n];
        java.util.Arrays.fill(pick, -1);
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
        values[branches] = hasElse ? args.get(args.size() - 1).eval(b) : Vec.nulls(n, t);
        boolean allLong = true;
        Vec.Type rt = Vec.typeOf(t);
        for (int k = 0; k <= branches; k++) {
            Vec c = coerce(values[k], t);
            if (c == null || c.type != rt || c.type == Vec.Type.STR || c.type == Vec.Type.OBJ) {
                allLong = false;
            } else {
                values[k] = c;
            }
        }
        if (allLong && rt == Vec.Type.DOUBLE) {
            double[] out = new double[n];
            boolean[] nulls = null;
            for (int i = 0; i < n; i++) {
                Vec v = values[pick[i] < 0 ? branches : pick[i]];
                if (v.isNull(i)) {
                    if (nulls == null) {
                        nulls = new boolean[n];
                    }
                    nulls[i] = true;
                } else {
                    out[i] = v.doubles[i];
                }
            }
            return Vec.ofDoubles(out, n, nulls);
        }
        if (allLong) {
            long[] out = new long[n];
            boolean[] nulls = null;
            for (int i = 0; i < n; i++) {
                Vec v = values[pick[i] < 0 ? branches : pick[i]];
                if (v.isNull(i)) {
                    if (nulls == null) {
                        nulls = new boolean[n];
                    }
                    nulls[i] = true;
                } else {
                    out[i] = v.longs[i];
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
                            : matches(tokens, Types.text(o).getBytes(StandardCharsets.UTF_8), 0, -1) != negated;
                }
                return Vec.fromObjects(out, v.size, call.getType());
            }
            long[] out = new long[v.size];
            for (int i = 0; i < v.size; i++) {
                out[i] = matches(tokens, v.bytes, v.offsets[i], v.offsets[i + 1]) != negated ? 1 : 0;
            }
            return Vec.ofLongs(Vec.Type.BOOL, 0, out, v.size, v.nulls);
        };
    }

    /** Whether {@code s[from, to)} matches tokens separated by {@code %}; {@code to < 0} means the array end. */
    private static boolean matches(byte[][] tokens, byte[] s, int from, int to) {
        int end = to < 0 ? s.length : to;
        if (tokens.length == 1) {
            return java.util.Arrays.equals(s, from, end, tokens[0], 0, tokens[0].length);
        }
        byte[] first = tokens[0];
        byte[] last = tokens[tokens.length - 1];
        if (end - from < first.length + last.length
                || !java.util.Arrays.equals(s, from, from + first.length, first, 0, first.length)
                || !java.util.Arrays.equals(s, end - last.length, end, last, 0, last.length)) {
            return false;
        }
        int pos = from + first.length;
        int limit = end - last.length;
        for (int k = 1; k < tokens.length - 1; k++) {
            int at = indexOf(s, pos, limit, tokens[k]);
            if (at < 0) {
                return false;
            }
            pos = at + tokens[k].length;
        }
        return true;
    }

    private static int indexOf(byte[] s, int from, int to, byte[] t) {
        if (t.length == 0) {
            return from;
        }
        byte c = t[0];
        for (int i = from; i + t.length <= to; i++) {
            if (s[i] == c && java.util.Arrays.equals(s, i, i + t.length, t, 0, t.length)) {
                return i;
            }
        }
        return -1;
    }

    // ---- EXTRACT ----

    private static Vec extract(TimeUnitRange unit, Vec v) {
        long[] out = new long[v.size];
        for (int i = 0; i < v.size; i++) {
            if (!v.isNull(i)) {
                LocalDate d = LocalDate.ofEpochDay(v.longs[i]);
                out[i] = switch (unit) {
                    case YEAR -> d.getYear();
                    case MONTH -> d.getMonthValue();
                    default -> d.getDayOfMonth();
                };
            }
        }
        return Vec.ofLongs(Vec.Type.INT, 0, out, v.size, v.nulls);
    }
}
