package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.jspecify.annotations.Nullable;

/**
 * The evaluation of the scalar functions {@link PgFunctions} declares (and of the Calcite library functions the
 * engine evaluates itself) over the engine's in-memory values: {@link #compile} turns a call into an {@link
 * Expressions.Expr}. NULL in, NULL out, unless the function says otherwise (CONCAT and CONCAT_WS skip NULLs, as in
 * PostgreSQL). Kept apart from the declarations, which only the validator reads. Stateless; thread-safe.
 */
final class PgFunctionCompiler {
    private PgFunctionCompiler() {}

    /**
     * The evaluator of function {@code name} (upper case) over compiled arguments, or null when it is not one of
     * the functions here.
     */
    static Expressions.@Nullable Expr compile(
            String name,
            RelDataType type,
            List<Expressions.Expr> args,
            List<RexNode> operands,
            Expressions.Context ctx) {
        int n = args.size();
        Expressions.Expr a0 = n > 0 ? args.get(0) : row -> null;
        Expressions.Expr a1 = n > 1 ? args.get(1) : row -> null;
        Expressions.Expr a2 = n > 2 ? args.get(2) : row -> null;
        switch (name) {
            // ---- current time ----
            case "CURRENT_DATE":
                return row ->
                        ctx.transactionStartedAt().atOffset(ZoneOffset.UTC).toLocalDate();
            case "CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "SYSDATE":
                return row -> Expressions.cast(
                        truncate(
                                ctx.transactionStartedAt()
                                        .atOffset(ZoneOffset.UTC)
                                        .toLocalDateTime(),
                                type),
                        type);
            case "NOW":
                return row -> truncate(
                                ctx.transactionStartedAt()
                                        .atOffset(ZoneOffset.UTC)
                                        .toLocalDateTime(),
                                type)
                        .atOffset(ZoneOffset.UTC);
            case "GETDATE":
                return row -> ctx.statementStartedAt()
                        .atOffset(ZoneOffset.UTC)
                        .toLocalDateTime()
                        .truncatedTo(ChronoUnit.SECONDS);

            // ---- dates ----
            case "DATE_TRUNC": {
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
            }
            case "DATEADD": {
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
            }
            case "DATEDIFF": {
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
            }
            case "DATE_PART": {
                DatePart fixed = constantPart(operands.get(0));
                return row -> {
                    Object u = a0.eval(row);
                    Object v = a1.eval(row);
                    if (u == null || v == null) {
                        return null;
                    }
                    return (fixed != null ? fixed : DatePart.of((String) u)).datePart(v);
                };
            }
            case "TO_CHAR":
                return row -> {
                    Object v = a0.eval(row);
                    Object f = a1.eval(row);
                    if (v == null || f == null) {
                        return null;
                    }
                    return v instanceof Number num ? PgFormat.toChar(num, (String) f) : PgFormat.toChar(v, (String) f);
                };
            case "TO_DATE":
                return row -> {
                    Object s = a0.eval(row);
                    Object f = a1.eval(row);
                    return s == null || f == null
                            ? null
                            : PgFormat.parse((String) s, (String) f).toLocalDate();
                };
            case "TO_TIMESTAMP":
                return row -> {
                    Object s = a0.eval(row);
                    Object f = a1.eval(row);
                    return s == null || f == null
                            ? null
                            : PgFormat.parse((String) s, (String) f).atOffset(ZoneOffset.UTC);
                };
            case "ADD_MONTHS":
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
            case "DATE":
                return row -> {
                    Object v = a0.eval(row);
                    return v == null ? null : DatePart.local(v).toLocalDate();
                };
            case "LAST_DAY":
                return row -> {
                    Object v = a0.eval(row);
                    if (v == null) {
                        return null;
                    }
                    LocalDate d = DatePart.local(v).toLocalDate();
                    return d.withDayOfMonth(d.lengthOfMonth());
                };
            case "MONTHS_BETWEEN":
                return row -> {
                    Object x = a0.eval(row);
                    Object y = a1.eval(row);
                    if (x == null || y == null) {
                        return null;
                    }
                    LocalDate d1 = DatePart.local(x).toLocalDate();
                    LocalDate d2 = DatePart.local(y).toLocalDate();
                    long months = (d1.getYear() * 12L + d1.getMonthValue()) - (d2.getYear() * 12L + d2.getMonthValue());
                    boolean bothLast =
                            d1.getDayOfMonth() == d1.lengthOfMonth() && d2.getDayOfMonth() == d2.lengthOfMonth();
                    if (d1.getDayOfMonth() == d2.getDayOfMonth() || bothLast) {
                        return (double) months;
                    }
                    return months + (d1.getDayOfMonth() - d2.getDayOfMonth()) / 31.0;
                };
            case "CONVERT_TIMEZONE":
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

            // ---- strings ----
            case "LEFT", "RIGHT":
                return row -> {
                    Object s = a0.eval(row);
                    Object k = a1.eval(row);
                    if (s == null || k == null) {
                        return null;
                    }
                    int[] cps = ((String) s).codePoints().toArray();
                    long len = ((Number) k).longValue();
                    int keep = (int) Math.max(0, Math.min(cps.length, len >= 0 ? len : cps.length + len));
                    return name.equals("LEFT") ? new String(cps, 0, keep) : new String(cps, cps.length - keep, keep);
                };
            case "LPAD", "RPAD":
                return row -> {
                    Object s = a0.eval(row);
                    Object k = a1.eval(row);
                    Object fill = n > 2 ? a2.eval(row) : " ";
                    if (s == null || k == null || fill == null) {
                        return null;
                    }
                    return pad((String) s, ((Number) k).longValue(), (String) fill, name.equals("LPAD"));
                };
            case "REPLACE":
                return row -> {
                    Object s = a0.eval(row);
                    Object from = a1.eval(row);
                    Object to = a2.eval(row);
                    if (s == null || from == null || to == null) {
                        return null;
                    }
                    return ((String) from).isEmpty() ? s : ((String) s).replace((String) from, (String) to);
                };
            case "SPLIT_PART":
                return row -> {
                    Object s = a0.eval(row);
                    Object d = a1.eval(row);
                    Object k = a2.eval(row);
                    if (s == null || d == null || k == null) {
                        return null;
                    }
                    return splitPart((String) s, (String) d, ((Number) k).longValue());
                };
            case "STRPOS":
                return row -> {
                    Object s = a0.eval(row);
                    Object sub = a1.eval(row);
                    if (s == null || sub == null) {
                        return null;
                    }
                    String str = (String) s;
                    int i = str.indexOf((String) sub);
                    return i < 0 ? 0L : (long) str.codePointCount(0, i) + 1;
                };
            case "BTRIM", "LTRIM", "RTRIM":
                return row -> {
                    Object s = a0.eval(row);
                    Object chars = n > 1 ? a1.eval(row) : " ";
                    if (s == null || chars == null) {
                        return null;
                    }
                    return trim((String) s, (String) chars, !name.equals("RTRIM"), !name.equals("LTRIM"));
                };
            case "CONCAT":
                return row -> {
                    StringBuilder sb = new StringBuilder();
                    for (Expressions.Expr a : args) {
                        Object v = a.eval(row);
                        if (v != null) {
                            sb.append(outputText(v));
                        }
                    }
                    return sb.toString();
                };
            case "CONCAT_WS":
                return row -> {
                    Object sep = a0.eval(row);
                    if (sep == null) {
                        return null;
                    }
                    StringBuilder sb = new StringBuilder();
                    boolean first = true;
                    for (Expressions.Expr a : args.subList(1, n)) {
                        Object v = a.eval(row);
                        if (v != null) {
                            if (!first) {
                                sb.append((String) sep);
                            }
                            sb.append(outputText(v));
                            first = false;
                        }
                    }
                    return sb.toString();
                };
            case "REPEAT":
                return row -> {
                    Object s = a0.eval(row);
                    Object k = a1.eval(row);
                    if (s == null || k == null) {
                        return null;
                    }
                    long times = Math.max(0, ((Number) k).longValue());
                    if (times * ((String) s).length() > 64L * 1024 * 1024) {
                        throw new StrongroomException(ErrorCode.VALUE_OUT_OF_RANGE, "requested length too large");
                    }
                    return ((String) s).repeat((int) times);
                };
            case "TRANSLATE3":
                return row -> {
                    Object s = a0.eval(row);
                    Object from = a1.eval(row);
                    Object to = a2.eval(row);
                    if (s == null || from == null || to == null) {
                        return null;
                    }
                    return translate((String) s, (String) from, (String) to);
                };
            case "REVERSE":
                return row -> {
                    Object s = a0.eval(row);
                    return s == null
                            ? null
                            : new StringBuilder((String) s).reverse().toString();
                };
            case "INITCAP":
                return row -> {
                    Object s = a0.eval(row);
                    return s == null ? null : initcap((String) s);
                };
            case "ASCII":
                return row -> {
                    Object s = a0.eval(row);
                    return s == null ? null : ((String) s).isEmpty() ? 0L : (long) ((String) s).codePointAt(0);
                };
            case "CHR":
                return row -> {
                    Object k = a0.eval(row);
                    if (k == null) {
                        return null;
                    }
                    long cp = ((Number) k).longValue();
                    if (cp <= 0 || cp > Character.MAX_CODE_POINT) {
                        throw new StrongroomException(
                                ErrorCode.VALUE_OUT_OF_RANGE,
                                "requested character " + cp + " is not a valid code point");
                    }
                    return Character.toString((int) cp);
                };
            // ---- the catalog ----
            case "FORMAT_TYPE":
                return row -> {
                    Object t = a0.eval(row);
                    Object mod = a1.eval(row);
                    return PgTypes.formatType(
                            t == null ? null : ((Number) t).longValue(),
                            mod == null ? null : ((Number) mod).longValue());
                };
            case "PG_GET_EXPR":
                // pg_attrdef.adbin holds the expression's text already (PgCatalogTables#attrdef).
                return a0;
            case "PG_TYPE_IS_VISIBLE":
                // Every type is in pg_catalog, which is on every search path.
                return row -> a0.eval(row) instanceof Number oid ? PgTypes.typeName(oid.longValue()) != null : null;
            case "MD5":
                return row -> {
                    Object s = a0.eval(row);
                    if (s == null) {
                        return null;
                    }
                    try {
                        MessageDigest md = MessageDigest.getInstance("MD5");
                        return HexFormat.of().formatHex(md.digest(((String) s).getBytes(StandardCharsets.UTF_8)));
                    } catch (NoSuchAlgorithmException e) {
                        throw new StrongroomException(ErrorCode.INTERNAL, "MD5 is not available", e);
                    }
                };
            case "LEN", "OCTET_LENGTH":
                return row -> {
                    Object s = a0.eval(row);
                    if (s == null) {
                        return null;
                    }
                    String str = (String) s;
                    return name.equals("LEN")
                            ? (long) str.codePointCount(0, str.length())
                            : (long) str.getBytes(StandardCharsets.UTF_8).length;
                };
            case "NVL":
                return row -> {
                    Object v = a0.eval(row);
                    return v != null ? v : a1.eval(row);
                };
            case "NVL2":
                return row -> a0.eval(row) != null ? a1.eval(row) : a2.eval(row);

            // ---- numbers ----
            case "POWER":
                return row -> {
                    Object x = a0.eval(row);
                    Object y = a1.eval(row);
                    if (x == null || y == null) {
                        return null;
                    }
                    double b = ((Number) x).doubleValue();
                    double e = ((Number) y).doubleValue();
                    if (b == 0 && e < 0) {
                        throw invalid("zero raised to a negative power is undefined");
                    }
                    if (b < 0 && e == 0.5) {
                        throw invalid("cannot take square root of a negative number"); // SQRT arrives as POWER(x, 0.5)
                    }
                    if (b < 0 && e != Math.rint(e)) {
                        throw invalid("a negative number raised to a non-integer power yields a complex result");
                    }
                    return Math.pow(b, e);
                };
            case "SQRT":
                return math(a0, x -> {
                    if (x < 0) {
                        throw invalid("cannot take square root of a negative number");
                    }
                    return Math.sqrt(x);
                });
            case "CBRT":
                return math(a0, Math::cbrt);
            case "LN", "LOG10":
                return math(a0, x -> {
                    checkLog(x);
                    return name.equals("LN") ? Math.log(x) : Math.log10(x);
                });
            case "LOG":
                if (n == 1) {
                    return math(a0, x -> {
                        checkLog(x);
                        return Math.log10(x);
                    });
                }
                return row -> {
                    Object b = a0.eval(row);
                    Object x = a1.eval(row);
                    if (b == null || x == null) {
                        return null;
                    }
                    double base = ((Number) b).doubleValue();
                    double v = ((Number) x).doubleValue();
                    checkLog(base);
                    checkLog(v);
                    if (base == 1) {
                        throw new StrongroomException(ErrorCode.DIVISION_BY_ZERO, "division by zero");
                    }
                    return Math.log(v) / Math.log(base);
                };
            case "EXP":
                return math(a0, Math::exp);
            case "SIN":
                return math(a0, Math::sin);
            case "COS":
                return math(a0, Math::cos);
            case "TAN":
                return math(a0, Math::tan);
            case "ASIN":
                return math(a0, Math::asin);
            case "ACOS":
                return math(a0, Math::acos);
            case "ATAN":
                return math(a0, Math::atan);
            case "COT":
                return math(a0, x -> 1 / Math.tan(x));
            case "DEGREES":
                return math(a0, Math::toDegrees);
            case "RADIANS":
                return math(a0, Math::toRadians);
            case "ATAN2":
                return row -> {
                    Object y = a0.eval(row);
                    Object x = a1.eval(row);
                    return y == null || x == null
                            ? null
                            : Math.atan2(((Number) y).doubleValue(), ((Number) x).doubleValue());
                };
            case "PI":
                return row -> Math.PI;
            case "SIGN":
                return row -> {
                    Object v = a0.eval(row);
                    if (v == null) {
                        return null;
                    }
                    Object s = v instanceof BigDecimal d
                            ? BigDecimal.valueOf(d.signum())
                            : v instanceof Double x
                                    ? (Object) Math.signum(x)
                                    : (Object) (long) Long.signum(((Number) v).longValue());
                    return Expressions.cast(s, type);
                };
            case "TRUNC":
                return row -> {
                    Object v = a0.eval(row);
                    Object d = n > 1 ? a1.eval(row) : 0L;
                    if (v == null || d == null) {
                        return null;
                    }
                    if (!(v instanceof Number)) {
                        return DatePart.local(v).toLocalDate();
                    }
                    int digits = ((Number) d).intValue();
                    if (v instanceof Double x) {
                        return BigDecimal.valueOf(x)
                                .setScale(digits, RoundingMode.DOWN)
                                .doubleValue();
                    }
                    BigDecimal r = Expressions.decimal(v).setScale(digits, RoundingMode.DOWN);
                    return Expressions.cast(r.scale() < 0 ? r.setScale(0) : r, type);
                };
            case "RANDOM":
                return row -> RANDOM.nextDouble();
            default:
                return null;
        }
    }

    /**
     * RANDOM()'s source. SecureRandom because the build forbids the predictable generators in main code; it is
     * thread-safe, and fast enough for a function that is called once per row at most.
     */
    private static final SecureRandom RANDOM = new SecureRandom();

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

    private static String pad(String s, long length, String fill, boolean left) {
        int[] cps = s.codePoints().toArray();
        if (length <= 0) {
            return "";
        }
        if (length > 64L * 1024 * 1024) {
            throw new StrongroomException(ErrorCode.VALUE_OUT_OF_RANGE, "requested length too large");
        }
        int len = (int) length;
        if (cps.length >= len) {
            return new String(cps, 0, len);
        }
        int[] f = fill.codePoints().toArray();
        if (f.length == 0) {
            return s;
        }
        StringBuilder padding = new StringBuilder();
        for (int i = 0; i < len - cps.length; i++) {
            padding.appendCodePoint(f[i % f.length]);
        }
        return left ? padding + s : s + padding;
    }

    private static String splitPart(String s, String delimiter, long field) {
        if (field == 0) {
            throw invalid("field position must not be zero");
        }
        if (delimiter.isEmpty()) {
            return field == 1 || field == -1 ? s : "";
        }
        List<String> parts = new ArrayList<>();
        int from = 0;
        while (true) {
            int i = s.indexOf(delimiter, from);
            if (i < 0) {
                parts.add(s.substring(from));
                break;
            }
            parts.add(s.substring(from, i));
            from = i + delimiter.length();
        }
        long index = field > 0 ? field - 1 : parts.size() + field;
        return index >= 0 && index < parts.size() ? parts.get((int) index) : "";
    }

    private static String trim(String s, String chars, boolean leading, boolean trailing) {
        int a = 0;
        int b = s.length();
        while (leading && a < b && chars.indexOf(s.charAt(a)) >= 0) {
            a++;
        }
        while (trailing && b > a && chars.indexOf(s.charAt(b - 1)) >= 0) {
            b--;
        }
        return s.substring(a, b);
    }

    /** A value as its type's output function writes it, as CONCAT takes its arguments (a boolean is t or f). */
    private static String outputText(Object v) {
        return v instanceof Boolean b ? (b ? "t" : "f") : PgFormat.text(v, false);
    }

    /** PostgreSQL's translate: each character of {@code from} becomes the one at its place in {@code to}, or goes. */
    private static String translate(String s, String from, String to) {
        int[] f = from.codePoints().toArray();
        int[] t = to.codePoints().toArray();
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            int i = 0;
            while (i < f.length && f[i] != cp) {
                i++;
            }
            if (i == f.length) {
                sb.appendCodePoint(cp);
            } else if (i < t.length) {
                sb.appendCodePoint(t[i]);
            }
        });
        return sb.toString();
    }

    private static String initcap(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean wordStart = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            sb.appendCodePoint(wordStart ? Character.toUpperCase(cp) : Character.toLowerCase(cp));
            wordStart = !Character.isLetterOrDigit(cp);
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    private static Expressions.Expr math(Expressions.Expr arg, DoubleUnaryOperator f) {
        return row -> {
            Object v = arg.eval(row);
            return v == null ? null : f.applyAsDouble(((Number) v).doubleValue());
        };
    }

    private static void checkLog(double x) {
        if (x == 0) {
            throw invalid("cannot take logarithm of zero");
        }
        if (x < 0) {
            throw invalid("cannot take logarithm of a negative number");
        }
    }

    private static StrongroomException invalid(String message) {
        return new StrongroomException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
