package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.calcite.avatica.util.TimeUnitRange;
import org.apache.calcite.rel.core.CorrelationId;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexCorrelVariable;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexFieldAccess;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlLikeOperator;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.DateString;
import org.apache.calcite.util.NlsString;
import org.apache.calcite.util.TimestampString;
import org.jspecify.annotations.Nullable;

/**
 * Compiles Calcite row expressions into evaluators over rows in the engine's in-memory form (see {@link
 * Types}). SQL's three-valued logic: most operators return NULL when an operand is NULL; AND and OR follow the
 * truth tables. Unsupported functions fail at compile time with SQLSTATE 0A000 naming the function.
 */
public final class Expressions {
    private Expressions() {}

    /** A compiled expression. */
    @FunctionalInterface
    public interface Expr {
        @Nullable
        Object eval(@Nullable Object[] row);
    }

    /**
     * What expressions may read besides the row: parameters, the session's identity, the outer rows of correlated
     * subqueries, and when the statement and its transaction started (the current time functions).
     */
    public record Context(
            List<@Nullable Object> params,
            String user,
            String database,
            Map<CorrelationId, @Nullable Object[]> correlations,
            Instant statementStartedAt,
            Instant transactionStartedAt) {
        public Context(
                List<@Nullable Object> params,
                String user,
                String database,
                Instant statementStartedAt,
                Instant transactionStartedAt) {
            this(params, user, database, new HashMap<>(), statementStartedAt, transactionStartedAt);
        }
    }

    /** A year-month or day-time interval literal. */
    record Interval(long months, long millis) {}

    public static Expr compile(RexNode node, Context ctx) {
        List<@Nullable Object> params = ctx.params();
        if (node instanceof RexInputRef ref) {
            int i = ref.getIndex();
            return row -> row[i];
        }
        if (node instanceof RexLiteral lit) {
            Object v = literal(lit);
            return row -> v;
        }
        if (node instanceof RexDynamicParam p) {
            int i = p.getIndex();
            RelDataType t = p.getType();
            return row -> {
                if (i >= params.size()) {
                    throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "there is no parameter $" + (i + 1));
                }
                return cast(params.get(i), t);
            };
        }
        if (node instanceof RexCall call) {
            return call(call, ctx);
        }
        if (node instanceof RexFieldAccess fa && fa.getReferenceExpr() instanceof RexCorrelVariable cv) {
            // A field of the outer row of a correlated subquery, bound by the executor's Correlate operator.
            CorrelationId id = cv.id;
            int field = fa.getField().getIndex();
            var correlations = ctx.correlations();
            return row -> {
                Object[] outer = correlations.get(id);
                if (outer == null) {
                    throw notSupported("correlation " + id + " outside its subquery");
                }
                return outer[field];
            };
        }
        throw notSupported(node.getKind().toString());
    }

    public static StrongroomException notSupported(String what) {
        return new StrongroomException(ErrorCode.NOT_IMPLEMENTED, "the SQL feature " + what + " is not supported yet");
    }

    public static @Nullable Object literal(RexLiteral lit) {
        if (lit.isNull()) {
            return null;
        }
        RelDataType t = lit.getType();
        return switch (t.getSqlTypeName()) {
            case BOOLEAN -> lit.getValueAs(Boolean.class);
            case TINYINT, SMALLINT, INTEGER, BIGINT -> lit.getValueAs(Long.class);
            case DECIMAL -> lit.getValueAs(BigDecimal.class);
            case REAL, FLOAT, DOUBLE -> lit.getValueAs(Double.class);
            case CHAR, VARCHAR -> lit.getValueAs(String.class);
            case DATE ->
                LocalDate.parse(
                        Objects.requireNonNull(lit.getValueAs(DateString.class)).toString());
            case TIMESTAMP ->
                LocalDateTime.parse(Objects.requireNonNull(lit.getValueAs(TimestampString.class))
                        .toString()
                        .replace(' ', 'T'));
            case INTERVAL_YEAR, INTERVAL_YEAR_MONTH, INTERVAL_MONTH ->
                new Interval(
                        Objects.requireNonNull(lit.getValueAs(BigDecimal.class)).longValue(), 0);
            case INTERVAL_DAY,
                    INTERVAL_DAY_HOUR,
                    INTERVAL_DAY_MINUTE,
                    INTERVAL_DAY_SECOND,
                    INTERVAL_HOUR,
                    INTERVAL_HOUR_MINUTE,
                    INTERVAL_HOUR_SECOND,
                    INTERVAL_MINUTE,
                    INTERVAL_MINUTE_SECOND,
                    INTERVAL_SECOND ->
                new Interval(
                        0,
                        Objects.requireNonNull(lit.getValueAs(BigDecimal.class)).longValue());
            case SYMBOL -> lit.getValue();
            default -> {
                Object v = lit.getValue();
                yield v instanceof NlsString n ? n.getValue() : v;
            }
        };
    }

    private static Expr call(RexCall call, Context ctx) {
        List<Expr> args = new ArrayList<>();
        for (RexNode o : call.getOperands()) {
            if (o instanceof RexLiteral l && l.getTypeName() == SqlTypeName.SYMBOL) {
                Object sym = l.getValue();
                args.add(row -> sym);
            } else {
                args.add(compile(o, ctx));
            }
        }
        RelDataType type = call.getType();
        SqlKind kind = call.getKind();
        switch (kind) {
            case AND:
                return row -> {
                    boolean sawNull = false;
                    for (Expr a : args) {
                        Object v = a.eval(row);
                        if (v == null) {
                            sawNull = true;
                        } else if (!(Boolean) v) {
                            return false;
                        }
                    }
                    return sawNull ? null : true;
                };
            case OR:
                return row -> {
                    boolean sawNull = false;
                    for (Expr a : args) {
                        Object v = a.eval(row);
                        if (v == null) {
                            sawNull = true;
                        } else if ((Boolean) v) {
                            return true;
                        }
                    }
                    return sawNull ? null : false;
                };
            case NOT:
                return row -> {
                    Object v = args.get(0).eval(row);
                    return v == null ? null : !(Boolean) v;
                };
            case IS_NULL:
                return row -> args.get(0).eval(row) == null;
            case IS_NOT_NULL:
                return row -> args.get(0).eval(row) != null;
            case IS_TRUE:
                return row -> Boolean.TRUE.equals(args.get(0).eval(row));
            case IS_NOT_TRUE:
                return row -> !Boolean.TRUE.equals(args.get(0).eval(row));
            case IS_FALSE:
                return row -> Boolean.FALSE.equals(args.get(0).eval(row));
            case IS_NOT_FALSE:
                return row -> !Boolean.FALSE.equals(args.get(0).eval(row));
            case EQUALS,
                    NOT_EQUALS,
                    LESS_THAN,
                    LESS_THAN_OR_EQUAL,
                    GREATER_THAN,
                    GREATER_THAN_OR_EQUAL,
                    IS_DISTINCT_FROM,
                    IS_NOT_DISTINCT_FROM:
                return comparison(kind, args.get(0), args.get(1));
            case PLUS, MINUS, TIMES, DIVIDE, MOD:
                return arithmetic(kind, type, args.get(0), args.get(1));
            case MINUS_PREFIX:
                return row -> negate(args.get(0).eval(row));
            case PLUS_PREFIX:
                return args.get(0);
            case CAST:
                if (SqlTypeName.CHAR_TYPES.contains(type.getSqlTypeName())
                        && call.getOperands().get(0).getType().getSqlTypeName() == SqlTypeName.REAL) {
                    // A REAL prints with float4's digits (1.1, not 1.100000023841858).
                    return row -> {
                        Object v = args.get(0).eval(row);
                        return v == null ? null : cast(PgFormat.text(v, true), type);
                    };
                }
                return row -> cast(args.get(0).eval(row), type);
            case CASE:
                return row -> {
                    int n = args.size();
                    for (int i = 0; i + 1 < n; i += 2) {
                        if (Boolean.TRUE.equals(args.get(i).eval(row))) {
                            return args.get(i + 1).eval(row);
                        }
                    }
                    return n % 2 == 1 ? args.get(n - 1).eval(row) : null;
                };
            case COALESCE:
                return row -> {
                    for (Expr a : args) {
                        Object v = a.eval(row);
                        if (v != null) {
                            return v;
                        }
                    }
                    return null;
                };
            case LIKE:
                return like((SqlLikeOperator) call.getOperator(), args);
            case EXTRACT:
                return row -> {
                    Object unit = args.get(0).eval(row);
                    Object v = args.get(1).eval(row);
                    if (v == null) {
                        return null;
                    }
                    return unit instanceof String name
                            ? DatePart.of(name).extract(v)
                            : extract((TimeUnitRange) Objects.requireNonNull(unit), v);
                };
            case TRIM:
                return row -> {
                    Object how = args.get(0).eval(row);
                    Object chars = args.get(1).eval(row);
                    Object s = args.get(2).eval(row);
                    if (s == null || chars == null) {
                        return null;
                    }
                    return trim(String.valueOf(how), (String) chars, (String) s);
                };
            default:
                return function(call.getOperator().getName().toUpperCase(Locale.ROOT), type, args, call, ctx);
        }
    }

    private static Expr function(String name, RelDataType type, List<Expr> args, RexCall call, Context ctx) {
        if (name.endsWith("POSIX REGEX CASE SENSITIVE") || name.endsWith("POSIX REGEX CASE INSENSITIVE")) {
            return posixRegex(name.startsWith("NEGATED"), name.endsWith("INSENSITIVE"), args);
        }
        Expr e = FunctionRegistry.compile(new FunctionRegistry.Call(name, type, args, call.getOperands(), ctx));
        if (e == null) {
            throw notSupported("function " + name);
        }
        return e;
    }

    private static final ConcurrentHashMap<String, Pattern> REGEX_CACHE = new ConcurrentHashMap<>();

    /** PostgreSQL's {@code ~}, {@code ~*}, {@code !~}, {@code !~*}: a regular expression found anywhere. */
    private static Expr posixRegex(boolean negated, boolean insensitive, List<Expr> args) {
        return row -> {
            Object s = args.get(0).eval(row);
            Object p = args.get(1).eval(row);
            if (s == null || p == null) {
                return null;
            }
            Pattern re = REGEX_CACHE.computeIfAbsent(
                    (insensitive ? "i" : "s") + p,
                    k -> Pattern.compile(
                            (String) p, insensitive ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0));
            return negated != re.matcher((String) s).find();
        };
    }

    private static Expr like(SqlLikeOperator op, List<Expr> args) {
        boolean negated = op.isNegated();
        boolean caseSensitive = op.isCaseSensitive();
        return row -> {
            Object s = args.get(0).eval(row);
            Object p = args.get(1).eval(row);
            if (s == null || p == null) {
                return null;
            }
            String escape = args.size() > 2 ? (String) args.get(2).eval(row) : "\\";
            boolean m = likePattern((String) p, escape == null ? '\\' : escape.charAt(0), caseSensitive)
                    .matcher((String) s)
                    .matches();
            return negated != m;
        };
    }

    private static final ConcurrentHashMap<String, Pattern> LIKE_CACHE = new ConcurrentHashMap<>();

    public static Pattern likePattern(String pattern, char escape, boolean caseSensitive) {
        return LIKE_CACHE.computeIfAbsent((caseSensitive ? "s" : "i") + escape + pattern, k -> {
            StringBuilder re = new StringBuilder();
            for (int i = 0; i < pattern.length(); i++) {
                char c = pattern.charAt(i);
                if (c == escape && i + 1 < pattern.length()) {
                    re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
                } else if (c == '%') {
                    re.append(".*");
                } else if (c == '_') {
                    re.append('.');
                } else {
                    re.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return Pattern.compile(
                    re.toString(),
                    Pattern.DOTALL | (caseSensitive ? 0 : Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
        });
    }

    private static String trim(String how, String chars, String s) {
        int a = 0;
        int b = s.length();
        boolean leading = how.equals("BOTH") || how.equals("LEADING");
        boolean trailing = how.equals("BOTH") || how.equals("TRAILING");
        while (leading && a < b && chars.indexOf(s.charAt(a)) >= 0) {
            a++;
        }
        while (trailing && b > a && chars.indexOf(s.charAt(b - 1)) >= 0) {
            b--;
        }
        return s.substring(a, b);
    }

    private static Object extract(TimeUnitRange unit, Object v) {
        DatePart part = DatePart.of(unit);
        if (part == null) {
            throw notSupported("EXTRACT(" + unit + ")");
        }
        return part.extract(v);
    }

    // ---- comparison and arithmetic ----

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static int compare(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y && a.getClass() != b.getClass()) {
            if (a instanceof Double || b instanceof Double) {
                return Double.compare(x.doubleValue(), y.doubleValue());
            }
            return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString()));
        }
        if (a instanceof String s && b instanceof String t) {
            return stripTrailing(s).compareTo(stripTrailing(t));
        }
        if (a instanceof LocalDate d && b instanceof LocalDateTime t) {
            return d.atStartOfDay().compareTo(t);
        }
        if (a instanceof LocalDateTime t && b instanceof LocalDate d) {
            return t.compareTo(d.atStartOfDay());
        }
        if ((a instanceof OffsetDateTime || b instanceof OffsetDateTime) && a.getClass() != b.getClass()) {
            // TIMESTAMPTZ against TIMESTAMP or DATE: the local one read in UTC, the session time zone.
            return DatePart.local(a).compareTo(DatePart.local(b));
        }
        return ((Comparable) a).compareTo(b);
    }

    /** CHAR semantics: trailing blanks do not count in comparisons. */
    private static String stripTrailing(String s) {
        int n = s.length();
        while (n > 0 && s.charAt(n - 1) == ' ') {
            n--;
        }
        return n == s.length() ? s : s.substring(0, n);
    }

    private static Expr comparison(SqlKind kind, Expr l, Expr r) {
        return row -> {
            Object a = l.eval(row);
            Object b = r.eval(row);
            if (kind == SqlKind.IS_DISTINCT_FROM || kind == SqlKind.IS_NOT_DISTINCT_FROM) {
                boolean same = a == null ? b == null : b != null && compare(a, b) == 0;
                return kind == SqlKind.IS_NOT_DISTINCT_FROM ? same : !same;
            }
            if (a == null || b == null) {
                return null;
            }
            return test(kind, compare(a, b));
        };
    }

    /** Whether a comparison of kind {@code kind} holds for a {@link #compare} result {@code c}. */
    public static boolean test(SqlKind kind, int c) {
        return switch (kind) {
            case EQUALS -> c == 0;
            case NOT_EQUALS -> c != 0;
            case LESS_THAN -> c < 0;
            case LESS_THAN_OR_EQUAL -> c <= 0;
            case GREATER_THAN -> c > 0;
            default -> c >= 0;
        };
    }

    private static @Nullable Object negate(@Nullable Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Long l) {
            return Math.negateExact(l);
        }
        if (v instanceof BigDecimal d) {
            return d.negate();
        }
        return -((Number) v).doubleValue();
    }

    private static Expr arithmetic(SqlKind kind, RelDataType type, Expr l, Expr r) {
        SqlTypeName t = type.getSqlTypeName();
        boolean temporal = SqlTypeFamily.DATETIME.contains(type);
        int scale = type.getScale();
        return row -> {
            Object a = l.eval(row);
            Object b = r.eval(row);
            if (a == null || b == null) {
                return null;
            }
            if (temporal
                    || a instanceof Interval
                    || b instanceof Interval
                    || a instanceof LocalDate
                    || a instanceof LocalDateTime) {
                return temporalArithmetic(kind, a, b, t);
            }
            try {
                switch (t) {
                    case TINYINT, SMALLINT, INTEGER, BIGINT -> {
                        long x = ((Number) a).longValue();
                        long y = ((Number) b).longValue();
                        return switch (kind) {
                            case PLUS -> Math.addExact(x, y);
                            case MINUS -> Math.subtractExact(x, y);
                            case TIMES -> Math.multiplyExact(x, y);
                            case DIVIDE -> {
                                if (y == 0) {
                                    throw divisionByZero();
                                }
                                yield x / y;
                            }
                            default -> {
                                if (y == 0) {
                                    throw divisionByZero();
                                }
                                yield x % y;
                            }
                        };
                    }
                    case DECIMAL -> {
                        BigDecimal x = decimal(a);
                        BigDecimal y = decimal(b);
                        BigDecimal res = switch (kind) {
                            case PLUS -> x.add(y);
                            case MINUS -> x.subtract(y);
                            case TIMES -> x.multiply(y);
                            case DIVIDE -> {
                                if (y.signum() == 0) {
                                    throw divisionByZero();
                                }
                                yield x.divide(y, MathContext.DECIMAL128);
                            }
                            default -> x.remainder(y);
                        };
                        return scale >= 0 ? res.setScale(scale, RoundingMode.HALF_UP) : res;
                    }
                    default -> {
                        double x = ((Number) a).doubleValue();
                        double y = ((Number) b).doubleValue();
                        return switch (kind) {
                            case PLUS -> x + y;
                            case MINUS -> x - y;
                            case TIMES -> x * y;
                            case DIVIDE -> {
                                if (y == 0) {
                                    throw divisionByZero();
                                }
                                yield x / y;
                            }
                            default -> x % y;
                        };
                    }
                }
            } catch (ArithmeticException e) {
                throw new StrongroomException(ErrorCode.VALUE_OUT_OF_RANGE, "value out of range: " + e.getMessage(), e);
            }
        };
    }

    private static StrongroomException divisionByZero() {
        return new StrongroomException(ErrorCode.DIVISION_BY_ZERO, "division by zero");
    }

    public static BigDecimal decimal(Object v) {
        return v instanceof BigDecimal d
                ? d
                : v instanceof Long l ? BigDecimal.valueOf(l) : new BigDecimal(v.toString());
    }

    private static Object temporalArithmetic(SqlKind kind, Object a, Object b, SqlTypeName resultType) {
        if (kind == SqlKind.TIMES && (a instanceof Interval || b instanceof Interval)) {
            Interval iv = a instanceof Interval x ? x : (Interval) b;
            Object n = a instanceof Interval ? b : a;
            if (n instanceof Long k) {
                return new Interval(Math.multiplyExact(iv.months(), k), Math.multiplyExact(iv.millis(), k));
            }
        }
        int sign = kind == SqlKind.MINUS ? -1 : 1;
        if (b instanceof Interval iv) {
            return shift(a, iv, sign);
        }
        if (a instanceof Interval iv && kind == SqlKind.PLUS) {
            return shift(b, iv, 1);
        }
        if (a instanceof LocalDate d && b instanceof Long days) {
            return d.plusDays(sign * days);
        }
        if (a instanceof LocalDate x && b instanceof LocalDate y && kind == SqlKind.MINUS) {
            return y.until(x, ChronoUnit.DAYS);
        }
        throw notSupported("arithmetic " + kind + " on " + a.getClass().getSimpleName() + " and "
                + b.getClass().getSimpleName());
    }

    private static Object shift(Object t, Interval iv, int sign) {
        if (t instanceof LocalDate d) {
            LocalDate r = d.plusMonths(sign * iv.months());
            long days = iv.millis() / 86_400_000L;
            return iv.millis() % 86_400_000L == 0
                    ? r.plusDays(sign * days)
                    : r.atStartOfDay().plus(Duration.ofMillis(sign * iv.millis()));
        }
        if (t instanceof LocalDateTime ldt) {
            return ldt.plusMonths(sign * iv.months()).plus(Duration.ofMillis(sign * iv.millis()));
        }
        if (t instanceof OffsetDateTime o) {
            return o.plusMonths(sign * iv.months()).plus(Duration.ofMillis(sign * iv.millis()));
        }
        throw notSupported("interval arithmetic on " + t.getClass().getSimpleName());
    }

    /** Converts an in-memory value to the in-memory form of {@code type}. */
    public static @Nullable Object cast(@Nullable Object v, RelDataType type) {
        if (v == null) {
            return null;
        }
        try {
            return switch (type.getSqlTypeName()) {
                case BOOLEAN -> v instanceof Boolean ? v : Types.parseBoolean(v.toString());
                case TINYINT, SMALLINT, INTEGER, BIGINT -> {
                    if (v instanceof Long) {
                        yield v;
                    }
                    if (v instanceof Number n) {
                        yield decimal(n instanceof Double dd ? BigDecimal.valueOf(dd) : n)
                                .setScale(0, RoundingMode.HALF_UP)
                                .longValueExact();
                    }
                    if (v instanceof Boolean b) {
                        yield b ? 1L : 0L;
                    }
                    yield Long.parseLong(v.toString().trim());
                }
                case DECIMAL -> {
                    BigDecimal d = v instanceof Double dd
                            ? BigDecimal.valueOf(dd)
                            : decimal(v instanceof String s ? s.trim() : v);
                    yield type.getScale() >= 0 ? d.setScale(type.getScale(), RoundingMode.HALF_UP) : d;
                }
                case REAL ->
                    v instanceof Number n
                            ? (double) n.floatValue()
                            : (double) Float.parseFloat(v.toString().trim());
                case FLOAT, DOUBLE ->
                    v instanceof Number n
                            ? n.doubleValue()
                            : Double.parseDouble(v.toString().trim());
                case CHAR, VARCHAR -> {
                    String s = v instanceof String str ? str : PgFormat.text(v, false);
                    int p = type.getPrecision();
                    yield p > 0 && p != RelDataType.PRECISION_NOT_SPECIFIED && s.length() > p ? s.substring(0, p) : s;
                }
                case DATE ->
                    v instanceof LocalDate
                            ? v
                            : v instanceof LocalDateTime t
                                    ? t.toLocalDate()
                                    : v instanceof OffsetDateTime o
                                            ? o.toLocalDate()
                                            : LocalDate.parse(v.toString().trim());
                case TIMESTAMP ->
                    v instanceof LocalDateTime
                            ? v
                            : v instanceof LocalDate d
                                    ? d.atStartOfDay()
                                    : v instanceof OffsetDateTime o
                                            ? o.toLocalDateTime()
                                            : Types.parseTimestamp(v.toString().trim());
                case TIMESTAMP_WITH_LOCAL_TIME_ZONE ->
                    v instanceof OffsetDateTime
                            ? v
                            : v instanceof LocalDateTime t
                                    ? t.atOffset(ZoneOffset.UTC)
                                    : v instanceof LocalDate d
                                            ? d.atStartOfDay().atOffset(ZoneOffset.UTC)
                                            : Types.parseTimestampTz(
                                                    v.toString().trim());
                default -> v;
            };
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "invalid input syntax for type "
                            + type.getSqlTypeName().getName().toLowerCase(Locale.ROOT) + ": \"" + v + "\"",
                    e);
        } catch (ArithmeticException e) {
            throw new StrongroomException(ErrorCode.VALUE_OUT_OF_RANGE, "value out of range for type " + type, e);
        }
    }
}
