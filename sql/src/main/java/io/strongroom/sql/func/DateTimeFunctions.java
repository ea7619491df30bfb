package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Expressions.Expr;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.jspecify.annotations.Nullable;

/**
 * The date and time functions: the current time (CURRENT_DATE, CURRENT_TIMESTAMP, NOW() and SYSDATE give the start
 * of the transaction, GETDATE() the start of the statement, truncated to the second, all in UTC), date arithmetic
 * and parts (DATE_TRUNC, DATEADD, DATEDIFF, DATE_PART...), template formatting and parsing (TO_CHAR, TO_DATE,
 * TO_TIMESTAMP) and time zones. A literal date part is resolved once, when the call is compiled.
 * Registered in {@link FunctionRegistry}; stateless, thread-safe.
 */
final class DateTimeFunctions {
    private DateTimeFunctions() {}

    static void register(FunctionRegistry.Builder fns) {
        fns.add(
                c -> {
                    Expressions.Context ctx = c.ctx();
                    return row ->
                            ctx.transactionStartedAt().atOffset(ZoneOffset.UTC).toLocalDate();
                },
                "CURRENT_DATE");
        fns.add(
                c -> {
                    RelDataType type = c.type();
                    Expressions.Context ctx = c.ctx();
                    return row -> Expressions.cast(
                            truncate(
                                    ctx.transactionStartedAt()
                                            .atOffset(ZoneOffset.UTC)
                                            .toLocalDateTime(),
                                    type),
                            type);
                },
                "CURRENT_TIMESTAMP",
                "LOCALTIMESTAMP",
                "SYSDATE");
        fns.add(
                c -> {
                    RelDataType type = c.type();
                    Expressions.Context ctx = c.ctx();
                    return row -> truncate(
                                    ctx.transactionStartedAt()
                                            .atOffset(ZoneOffset.UTC)
                                            .toLocalDateTime(),
                                    type)
                            .atOffset(ZoneOffset.UTC);
                },
                "NOW");
        fns.add(
                c -> {
                    Expressions.Context ctx = c.ctx();
                    return row -> ctx.statementStartedAt()
                            .atOffset(ZoneOffset.UTC)
                            .toLocalDateTime()
                            .truncatedTo(ChronoUnit.SECONDS);
                },
                "GETDATE");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    List<RexNode> operands = c.operands();
                    DatePart fixed = constantPart(operands.get(0));
                    return row -> {
                        Object u = a0.eval(row);
                        Object v = a1.eval(row);
                        if (u == null || v == null) {
                            return null;
                        }
                        DatePart p = fixed != null ? fixed : DatePart.of((String) u);
                        return DatePart.sameKind(p.trunc(DatePart.local(v)), v);
                    };
                },
                "DATE_TRUNC");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    Expr a2 = c.arg(2);
                    List<RexNode> operands = c.operands();
                    DatePart fixed = constantPart(operands.get(0));
                    return row -> {
                        Object u = a0.eval(row);
                        Object k = a1.eval(row);
                        Object v = a2.eval(row);
                        if (u == null || k == null || v == null) {
                            return null;
                        }
                        DatePart p = fixed != null ? fixed : DatePart.of((String) u);
                        try {
                            return DatePart.sameKind(p.add(DatePart.local(v), ((Number) k).longValue()), v);
                        } catch (ArithmeticException | DateTimeException e) {
                            throw new StrongroomException(ErrorCode.VALUE_OUT_OF_RANGE, "timestamp out of range", e);
                        }
                    };
                },
                "DATEADD");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    Expr a2 = c.arg(2);
                    List<RexNode> operands = c.operands();
                    DatePart fixed = constantPart(operands.get(0));
                    return row -> {
                        Object u = a0.eval(row);
                        Object x = a1.eval(row);
                        Object y = a2.eval(row);
                        if (u == null || x == null || y == null) {
                            return null;
                        }
                        DatePart p = fixed != null ? fixed : DatePart.of((String) u);
                        return p.diff(DatePart.local(x), DatePart.local(y));
                    };
                },
                "DATEDIFF");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    List<RexNode> operands = c.operands();
                    DatePart fixed = constantPart(operands.get(0));
                    return row -> {
                        Object u = a0.eval(row);
                        Object v = a1.eval(row);
                        if (u == null || v == null) {
                            return null;
                        }
                        return (fixed != null ? fixed : DatePart.of((String) u)).datePart(v);
                    };
                },
                "DATE_PART");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object v = a0.eval(row);
                        Object f = a1.eval(row);
                        if (v == null || f == null) {
                            return null;
                        }
                        return v instanceof Number num
                                ? PgFormat.toChar(num, (String) f)
                                : PgFormat.toChar(v, (String) f);
                    };
                },
                "TO_CHAR");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object s = a0.eval(row);
                        Object f = a1.eval(row);
                        return s == null || f == null
                                ? null
                                : PgFormat.parse((String) s, (String) f).toLocalDate();
                    };
                },
                "TO_DATE");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object s = a0.eval(row);
                        Object f = a1.eval(row);
                        return s == null || f == null
                                ? null
                                : PgFormat.parse((String) s, (String) f).atOffset(ZoneOffset.UTC);
                    };
                },
                "TO_TIMESTAMP");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object v = a0.eval(row);
                        Object k = a1.eval(row);
                        if (v == null || k == null) {
                            return null;
                        }
                        LocalDateTime t = DatePart.local(v);
                        LocalDateTime r = t.plusMonths(((Number) k).longValue());
                        // Redshift: the last day of a month maps to the last day of the result month.
                        if (t.toLocalDate()
                                .equals(t.toLocalDate()
                                        .withDayOfMonth(t.toLocalDate().lengthOfMonth()))) {
                            r = r.withDayOfMonth(r.toLocalDate().lengthOfMonth());
                        }
                        return DatePart.sameKind(r, v);
                    };
                },
                "ADD_MONTHS");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return row -> {
                        Object v = a0.eval(row);
                        return v == null ? null : DatePart.local(v).toLocalDate();
                    };
                },
                "DATE");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return row -> {
                        Object v = a0.eval(row);
                        if (v == null) {
                            return null;
                        }
                        LocalDate d = DatePart.local(v).toLocalDate();
                        return d.withDayOfMonth(d.lengthOfMonth());
                    };
                },
                "LAST_DAY");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object x = a0.eval(row);
                        Object y = a1.eval(row);
                        if (x == null || y == null) {
                            return null;
                        }
                        LocalDate d1 = DatePart.local(x).toLocalDate();
                        LocalDate d2 = DatePart.local(y).toLocalDate();
                        long months =
                                (d1.getYear() * 12L + d1.getMonthValue()) - (d2.getYear() * 12L + d2.getMonthValue());
                        boolean bothLast =
                                d1.getDayOfMonth() == d1.lengthOfMonth() && d2.getDayOfMonth() == d2.lengthOfMonth();
                        if (d1.getDayOfMonth() == d2.getDayOfMonth() || bothLast) {
                            return (double) months;
                        }
                        return months + (d1.getDayOfMonth() - d2.getDayOfMonth()) / 31.0;
                    };
                },
                "MONTHS_BETWEEN");
        fns.add(
                c -> {
                    int n = c.args().size();
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    Expr a2 = c.arg(2);
                    return row -> {
                        Object from = n == 3 ? a0.eval(row) : "UTC";
                        Object to = n == 3 ? a1.eval(row) : a0.eval(row);
                        Object v = n == 3 ? a2.eval(row) : a1.eval(row);
                        if (from == null || to == null || v == null) {
                            return null;
                        }
                        Instant at = v instanceof OffsetDateTime o
                                ? o.toInstant()
                                : DatePart.local(v).atZone(zone((String) from)).toInstant();
                        return LocalDateTime.ofInstant(at, zone((String) to));
                    };
                },
                "CONVERT_TIMEZONE");
    }

    /** The date part of a literal first argument, resolved once; null when it is not a literal. */
    private static @Nullable DatePart constantPart(RexNode operand) {
        if (operand instanceof RexLiteral lit && !lit.isNull()) {
            String s = lit.getValueAs(String.class);
            return s == null ? null : DatePart.of(s);
        }
        return null;
    }

    private static LocalDateTime truncate(LocalDateTime t, RelDataType type) {
        int p = type.getPrecision();
        if (p == RelDataType.PRECISION_NOT_SPECIFIED || p >= 6) {
            return t.truncatedTo(ChronoUnit.MICROS);
        }
        long unit = (long) Math.pow(10, 9 - p);
        return t.withNano((int) (t.getNano() / unit * unit));
    }

    private static ZoneId zone(String name) {
        try {
            return ZoneId.of(name.trim(), ZoneId.SHORT_IDS);
        } catch (DateTimeException e) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "time zone \"" + name + "\" not recognized", e);
        }
    }
}
