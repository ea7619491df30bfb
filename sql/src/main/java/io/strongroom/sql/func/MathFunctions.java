package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Expressions.Expr;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.apache.calcite.rel.type.RelDataType;

/**
 * The numeric functions: rounding (ABS, ROUND, FLOOR, CEIL, TRUNC, SIGN), and the floating-point ones (POWER,
 * SQRT, LN, LOG, the trigonometric functions...), which fail with PostgreSQL's messages for the logarithm of zero
 * or of a negative number, the square root of a negative number, and a negative number to a fractional power.
 * Registered in {@link FunctionRegistry}; stateless, thread-safe.
 */
final class MathFunctions {
    private MathFunctions() {}

    static void register(FunctionRegistry.Builder fns) {
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        Object v = args.get(0).eval(row);
                        if (v == null) {
                            return null;
                        }
                        return v instanceof Long l
                                ? Math.abs(l)
                                : v instanceof BigDecimal d ? d.abs() : Math.abs(((Number) v).doubleValue());
                    };
                },
                "ABS");
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        Object v = args.get(0).eval(row);
                        Object digits = args.size() > 1 ? args.get(1).eval(row) : 0L;
                        if (v == null || digits == null) {
                            return null;
                        }
                        int d = ((Number) digits).intValue();
                        if (v instanceof Double x) {
                            return BigDecimal.valueOf(x)
                                    .setScale(d, RoundingMode.HALF_UP)
                                    .doubleValue();
                        }
                        BigDecimal r = new BigDecimal(v.toString()).setScale(d, RoundingMode.HALF_UP);
                        return v instanceof Long ? (Object) r.longValue() : r;
                    };
                },
                "ROUND");
        fns.add(
                c -> {
                    String name = c.name();
                    List<Expr> args = c.args();
                    return row -> {
                        Object v = args.get(0).eval(row);
                        if (v == null) {
                            return null;
                        }
                        RoundingMode m = name.equals("FLOOR") ? RoundingMode.FLOOR : RoundingMode.CEILING;
                        if (v instanceof Double x) {
                            return name.equals("FLOOR") ? Math.floor(x) : Math.ceil(x);
                        }
                        return v instanceof Long ? v : ((BigDecimal) v).setScale(0, m);
                    };
                },
                "FLOOR",
                "CEIL"); // SQL's CEILING arrives as CEIL
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
                        double b = ((Number) x).doubleValue();
                        double e = ((Number) y).doubleValue();
                        if (b == 0 && e < 0) {
                            throw FunctionRegistry.invalid("zero raised to a negative power is undefined");
                        }
                        if (b < 0 && e == 0.5) {
                            throw FunctionRegistry.invalid(
                                    "cannot take square root of a negative number"); // SQRT arrives as POWER(x, 0.5)
                        }
                        if (b < 0 && e != Math.rint(e)) {
                            throw FunctionRegistry.invalid(
                                    "a negative number raised to a non-integer power yields a complex result");
                        }
                        return Math.pow(b, e);
                    };
                },
                "POWER");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, x -> {
                        if (x < 0) {
                            throw FunctionRegistry.invalid("cannot take square root of a negative number");
                        }
                        return Math.sqrt(x);
                    });
                },
                "SQRT");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::cbrt);
                },
                "CBRT");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    String name = c.name();
                    return math(a0, x -> {
                        checkLog(x);
                        return name.equals("LN") ? Math.log(x) : Math.log10(x);
                    });
                },
                "LN",
                "LOG10");
        fns.add(
                c -> {
                    int n = c.args().size();
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
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
                },
                "LOG");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::exp);
                },
                "EXP");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::sin);
                },
                "SIN");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::cos);
                },
                "COS");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::tan);
                },
                "TAN");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::asin);
                },
                "ASIN");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::acos);
                },
                "ACOS");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::atan);
                },
                "ATAN");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, x -> 1 / Math.tan(x));
                },
                "COT");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::toDegrees);
                },
                "DEGREES");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return math(a0, Math::toRadians);
                },
                "RADIANS");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object y = a0.eval(row);
                        Object x = a1.eval(row);
                        return y == null || x == null
                                ? null
                                : Math.atan2(((Number) y).doubleValue(), ((Number) x).doubleValue());
                    };
                },
                "ATAN2");
        fns.add(c -> row -> Math.PI, "PI");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    RelDataType type = c.type();
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
                },
                "SIGN");
        fns.add(
                c -> {
                    int n = c.args().size();
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    RelDataType type = c.type();
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
                },
                "TRUNC");
        fns.add(c -> row -> RANDOM.nextDouble(), "RANDOM");
    }

    /**
     * RANDOM()'s source. SecureRandom because the build forbids the predictable generators in main code; it is
     * thread-safe, and fast enough for a function that is called once per row at most.
     */
    private static final SecureRandom RANDOM = new SecureRandom();

    private static Expressions.Expr math(Expressions.Expr arg, DoubleUnaryOperator f) {
        return row -> {
            Object v = arg.eval(row);
            return v == null ? null : f.applyAsDouble(((Number) v).doubleValue());
        };
    }

    private static void checkLog(double x) {
        if (x == 0) {
            throw FunctionRegistry.invalid("cannot take logarithm of zero");
        }
        if (x < 0) {
            throw FunctionRegistry.invalid("cannot take logarithm of a negative number");
        }
    }
}
