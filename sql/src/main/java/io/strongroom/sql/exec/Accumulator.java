package io.strongroom.sql.exec;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Expressions;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeName;
import org.jspecify.annotations.Nullable;

/**
 * One aggregate function's running state within one group (COUNT, SUM, SUM0, AVG, MIN, MAX, ANY_VALUE,
 * SINGLE_VALUE, LITERAL_AGG, ARRAY_AGG; DISTINCT and FILTER). Not thread-safe: one per group per query.
 *
 * <p>ARRAY_AGG keeps NULL inputs (as PostgreSQL's array_agg does), orders its values by the call's {@code ORDER
 * BY} (stable: ties keep their input order) and is NULL over no rows; its value is an unmodifiable {@link List}.
 */
final class Accumulator {
    final AggregateCall call;
    final SqlKind kind;
    long count;

    @Nullable
    Object value;

    @Nullable
    Set<RowKey> distinct;

    /** ARRAY_AGG's inputs so far: the value, then the call's ORDER BY keys. */
    private final List<@Nullable Object[]> items = new ArrayList<>();

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
        if (kind == SqlKind.ARRAY_AGG && args.size() == 1) {
            List<RelFieldCollation> order = call.collation.getFieldCollations();
            @Nullable Object[] item = new Object[1 + order.size()];
            item[0] = row[args.get(0)];
            for (int i = 0; i < order.size(); i++) {
                item[1 + i] = row[order.get(i).getFieldIndex()];
            }
            if (distinct == null || distinct.add(new RowKey(new Object[] {item[0]}))) {
                items.add(item);
                count++;
            }
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
        if (kind == SqlKind.ARRAY_AGG) {
            return arrayResult();
        }
        return finish(kind, call, value, count);
    }

    private @Nullable List<@Nullable Object> arrayResult() {
        if (items.isEmpty()) {
            return null;
        }
        List<RelFieldCollation> order = call.collation.getFieldCollations();
        List<@Nullable Object[]> sorted = new ArrayList<>(items);
        if (!order.isEmpty()) {
            sorted.sort((a, b) -> {
                for (int i = 0; i < order.size(); i++) {
                    int c = compareKeys(a[1 + i], b[1 + i], order.get(i));
                    if (c != 0) {
                        return c;
                    }
                }
                return 0;
            });
        }
        List<@Nullable Object> out = new ArrayList<>(sorted.size());
        sorted.forEach(item -> out.add(item[0]));
        return Collections.unmodifiableList(out);
    }

    /** ORDER BY's comparison of two keys: NULLs last ascending and first descending unless the call says. */
    private static int compareKeys(@Nullable Object a, @Nullable Object b, RelFieldCollation fc) {
        boolean descending = fc.getDirection().isDescending();
        if (a == null || b == null) {
            if (a == b) {
                return 0;
            }
            boolean nullsFirst = switch (fc.nullDirection) {
                case FIRST -> true;
                case LAST -> false;
                default -> descending;
            };
            return (a == null) == nullsFirst ? -1 : 1;
        }
        int c = Expressions.compare(a, b);
        return descending ? -c : c;
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
