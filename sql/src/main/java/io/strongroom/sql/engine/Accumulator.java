package io.strongroom.sql.engine;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeName;
import org.jspecify.annotations.Nullable;

/**
 * One aggregate function's running state within one group (COUNT, SUM, SUM0, AVG, MIN, MAX, ANY_VALUE,
 * SINGLE_VALUE, LITERAL_AGG; DISTINCT and FILTER). Not thread-safe: one per group per query.
 */
final class Accumulator {
    final AggregateCall call;
    final SqlKind kind;
    long count;

    @Nullable
    Object value;

    @Nullable
    Set<RowKey> distinct;

    Accumulator(AggregateCall call) {
        this.call = call;
        this.kind = call.getAggregation().getKind();
        this.distinct = call.isDistinct() ? new HashSet<>() : null;
    }

    void add(@Nullable Object[] row) {
        if (call.filterArg >= 0 && !Boolean.TRUE.equals(row[call.filterArg])) {
            return;
        }
        List<Integer> args = call.getArgList();
        if (kind == SqlKind.LITERAL_AGG) {
            return;
        }
        if (kind == SqlKind.COUNT && args.isEmpty()) {
            count++;
            return;
        }
        Object[] vals = new Object[args.size()];
        for (int i = 0; i < vals.length; i++) {
            vals[i] = row[args.get(i)];
            if (vals[i] == null) {
                return;
            }
        }
        if (distinct != null && !distinct.add(new RowKey(vals))) {
            return;
        }
        Object v = vals.length == 0 ? null : vals[0];
        count++;
        switch (kind) {
            case COUNT -> {}
            case SUM, SUM0, AVG -> value = value == null ? v : add(value, Objects.requireNonNull(v));
            case MIN -> value = value == null || Expressions.compare(Objects.requireNonNull(v), value) < 0 ? v : value;
            case MAX -> value = value == null || Expressions.compare(Objects.requireNonNull(v), value) > 0 ? v : value;
            case ANY_VALUE, SINGLE_VALUE -> {
                if (kind == SqlKind.SINGLE_VALUE && count > 1) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT,
                            "more than one row returned by a subquery used as an expression");
                }
                value = v;
            }
            default ->
                throw Expressions.notSupported(
                        "aggregate " + call.getAggregation().getName());
        }
    }

    private static Object add(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) {
            return Math.addExact(x, y);
        }
        if (a instanceof Double || b instanceof Double) {
            return ((Number) a).doubleValue() + ((Number) b).doubleValue();
        }
        return Expressions.decimal(a).add(Expressions.decimal(b));
    }

    @Nullable
    Object result() {
        return finish(kind, call, value, count);
    }

    /** The result of an aggregate from its running value (a sum, minimum...) and count of input values. */
    static @Nullable Object finish(SqlKind kind, AggregateCall call, @Nullable Object value, long count) {
        RelDataType t = call.getType();
        return switch (kind) {
            case COUNT -> count;
            // The constant the subquery rewrite asks for (e.g. TRUE marking a match in NOT IN).
            case LITERAL_AGG -> Expressions.cast(Expressions.literal((RexLiteral) call.rexList.get(0)), t);
            case SUM0 -> Expressions.cast(value == null ? 0L : value, t);
            case AVG -> {
                if (value == null || count == 0) {
                    yield null;
                }
                if (value instanceof Double d) {
                    yield Expressions.cast(d / count, t);
                }
                BigDecimal avg = Expressions.decimal(value).divide(BigDecimal.valueOf(count), MathContext.DECIMAL128);
                yield t.getSqlTypeName() == SqlTypeName.DECIMAL && t.getScale() >= 0
                        ? avg.setScale(t.getScale(), RoundingMode.HALF_UP)
                        : Expressions.cast(avg, t);
            }
            default -> Expressions.cast(value, t);
        };
    }
}
