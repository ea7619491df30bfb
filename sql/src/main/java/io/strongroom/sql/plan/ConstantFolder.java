package io.strongroom.sql.plan;

import io.strongroom.sql.func.Expressions;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexExecutor;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.util.DateString;
import org.apache.calcite.util.TimestampString;
import org.jspecify.annotations.Nullable;

/**
 * Folds constant expressions while planning with the engine's own evaluator ({@link Expressions}), so a
 * folded constant has the value the executor would have computed: PostgreSQL's text forms ({@code
 * true::text} is {@code true}, {@code 1e20::text} is {@code 1e+20}), and the functions Calcite has no
 * implementation of ({@code DATE_TRUNC}, {@code DATEADD}...). Calcite's default would compile each constant
 * with Janino and spell values its own way. An expression that fails to evaluate (a division by zero) or whose
 * value has no literal form is left as it is, so the error surfaces when a row needs it, as before. Stateless.
 */
final class ConstantFolder implements RexExecutor {
    static final ConstantFolder INSTANCE = new ConstantFolder();

    /** Constants read no parameter and no time (the time functions are dynamic, so never folded). */
    private static final Expressions.Context CONTEXT =
            new Expressions.Context(List.of(), "", "", Instant.EPOCH, Instant.EPOCH);

    private ConstantFolder() {}

    @Override
    public void reduce(RexBuilder rexBuilder, List<RexNode> constExps, List<RexNode> reducedValues) {
        for (RexNode e : constExps) {
            RexNode folded = null;
            try {
                Object v = Expressions.compile(e, CONTEXT).eval(new Object[0]);
                folded = literal(rexBuilder, v, e.getType());
            } catch (RuntimeException ex) {
                // Left for the executor: the error, if any, is raised only when a row needs the value.
            }
            reducedValues.add(folded == null ? e : folded);
        }
    }

    private static @Nullable RexNode literal(RexBuilder rb, @Nullable Object v, RelDataType type) {
        if (v == null) {
            return rb.makeNullLiteral(type);
        }
        Object value = switch (type.getSqlTypeName()) {
            case BOOLEAN -> v instanceof Boolean ? v : null;
            case TINYINT, SMALLINT, INTEGER, BIGINT, DECIMAL ->
                v instanceof Long || v instanceof BigDecimal ? Expressions.decimal(v) : null;
            case REAL, FLOAT, DOUBLE -> v instanceof Double d && Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
            case CHAR, VARCHAR -> v instanceof String ? v : null;
            case DATE -> v instanceof LocalDate d ? DateString.fromDaysSinceEpoch((int) d.toEpochDay()) : null;
            case TIMESTAMP -> v instanceof LocalDateTime t ? timestamp(t) : null;
            default -> null;
        };
        if (value == null) {
            return null;
        }
        return rb.makeLiteral(value, type, false);
    }

    private static TimestampString timestamp(LocalDateTime t) {
        return new TimestampString(
                        t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond())
                .withNanos(t.getNano());
    }
}
