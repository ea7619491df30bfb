package io.strongroom.sql.exec;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Expressions;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Objects;
import org.apache.calcite.avatica.util.TimeUnitRange;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeName;
import org.jspecify.annotations.Nullable;

/**
 * The loops {@link VecExprs} compiles expressions into: IS tests, comparisons, exact and floating arithmetic with
 * overflow checks, rescaling and casts between numeric forms, LIKE matching over UTF-8 bytes, and date parts, each
 * over whole {@link Vec}s. A kernel that cannot give the exact answer for a batch (a long overflows, a cast needs
 * rounding rules it does not have) returns null, and the caller uses the scalar path for that batch. Stateless.
 */
final class VecKernels {
    private VecKernels() {}

    static Vec isTest(SqlKind kind, Vec v) {
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

    static boolean @Nullable [] orNulls(Vec a, Vec b) {
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

    static boolean numeric(Vec.Type t) {
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

    static Vec compareObjects(SqlKind kind, Vec a, Vec b, boolean @Nullable [] nulls) {
        int n = a.size;
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            if (nulls != null && nulls[i]) {
                continue;
            }
            out[i] = Expressions.test(
                            kind,
                            Expressions.compare(Objects.requireNonNull(a.get(i)), Objects.requireNonNull(b.get(i))))
                    ? 1
                    : 0;
        }
        return Vec.ofLongs(Vec.Type.BOOL, 0, out, n, nulls);
    }

    static void compareLongs(SqlKind kind, long[] x, long[] y, long[] out, int n) {
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

    /**
     * CHAR semantics: trailing blanks do not count. Values of equal length are equal exactly when their bytes are (the
     * same number of trailing blanks), so blanks are trimmed only when the lengths differ and the longer one ends in
     * a blank; short values are compared in a plain loop, which beats the library call's set-up.
     */
    static boolean equalTrimmed(Vec a, int i, Vec b, int j) {
        int as = a.offsets[i];
        int ae = a.offsets[i + 1];
        int bs = b.offsets[j];
        int be = b.offsets[j + 1];
        byte[] x = a.bytes;
        byte[] y = b.bytes;
        if (ae - as != be - bs) {
            if (ae - as > be - bs ? x[ae - 1] != ' ' : y[be - 1] != ' ') {
                return false;
            }
            while (ae > as && x[ae - 1] == ' ') {
                ae--;
            }
            while (be > bs && y[be - 1] == ' ') {
                be--;
            }
            if (ae - as != be - bs) {
                return false;
            }
        }
        int len = ae - as;
        if (len <= 16) {
            for (int k = 0; k < len; k++) {
                if (x[as + k] != y[bs + k]) {
                    return false;
                }
            }
            return true;
        }
        return Arrays.equals(x, as, ae, y, bs, be);
    }

    /**
     * The values as doubles, each the double nearest the exact value, as {@link BigDecimal#doubleValue()} gives
     * (a DEC divided by its scale: exact operands give a correctly rounded quotient, so only unscaled values beyond
     * 2^53, which a double cannot hold exactly, go through BigDecimal).
     */
    private static final long EXACT_DOUBLE = 1L << 53;

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
                long u = v.longs[i];
                out[i] = Math.abs(u) <= EXACT_DOUBLE
                        ? u / p
                        : BigDecimal.valueOf(u, v.scale).doubleValue();
            }
        }
        return out;
    }

    /** The unscaled values at a larger scale, or null when one overflows. */
    static long @Nullable [] rescale(Vec v, int scale) {
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
    static long[] roundDown(long[] in, int n, int drop) {
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
    static @Nullable Vec arithmetic(SqlKind kind, RelDataType t, Vec a, Vec b) {
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
        if (overflow && nulls != null) {
            // A NULL row's slot holds whatever its operands' slots held: only the other rows can overflow.
            overflow = overflows(kind, x, y, n, nulls);
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

    private static boolean overflows(SqlKind kind, long[] x, long[] y, int n, boolean[] nulls) {
        for (int i = 0; i < n; i++) {
            if (nulls[i]) {
                continue;
            }
            boolean o = switch (kind) {
                case PLUS -> {
                    long r = x[i] + y[i];
                    yield ((x[i] ^ r) & (y[i] ^ r)) < 0;
                }
                case MINUS -> {
                    long r = x[i] - y[i];
                    yield ((x[i] ^ y[i]) & (x[i] ^ r)) < 0;
                }
                default -> Math.multiplyHigh(x[i], y[i]) != ((x[i] * y[i]) >> 63);
            };
            if (o) {
                return true;
            }
        }
        return false;
    }

    /** A DEC vector at {@code scale}, rounding half up; null when scaling up overflows. */
    static @Nullable Vec atScale(Vec v, int scale) {
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
    static boolean fits(Vec v, int precision) {
        long limit = Vec.POW10[precision];
        for (int i = 0; i < v.size; i++) {
            long x = v.longs[i];
            if (x >= limit || x <= -limit) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code s[from, to)} matches tokens separated by {@code %}; {@code to < 0} means the array end. */
    static boolean matches(byte[][] tokens, byte[] s, int from, int to) {
        int end = to < 0 ? s.length : to;
        if (tokens.length == 1) {
            return Arrays.equals(s, from, end, tokens[0], 0, tokens[0].length);
        }
        byte[] first = tokens[0];
        byte[] last = tokens[tokens.length - 1];
        if (end - from < first.length + last.length
                || !Arrays.equals(s, from, from + first.length, first, 0, first.length)
                || !Arrays.equals(s, end - last.length, end, last, 0, last.length)) {
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

    static int indexOf(byte[] s, int from, int to, byte[] t) {
        if (t.length == 0) {
            return from;
        }
        byte c = t[0];
        for (int i = from; i + t.length <= to; i++) {
            if (s[i] == c && Arrays.equals(s, i, i + t.length, t, 0, t.length)) {
                return i;
            }
        }
        return -1;
    }

    // ---- EXTRACT ----

    static Vec extract(TimeUnitRange unit, Vec v) {
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

    /**
     * SUBSTRING of every string of {@code v} (a STR vector) from character {@code start}, {@code count} characters
     * when {@code hasCount}: exactly what the row-wise implementation gives, positions clamped to the string. An
     * ASCII value is sliced as bytes; any other goes through a Java string, as the row-wise code does.
     */
    static Vec substring(Vec v, long start, boolean hasCount, long count) {
        int n = v.size;
        byte[] out = new byte[Math.max(16, v.offsets[n] - v.offsets[0])];
        int[] off = new int[n + 1];
        int pos = 0;
        long end = hasCount ? start + count : Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            off[i] = pos;
            if (v.isNull(i)) {
                continue;
            }
            int from = v.offsets[i];
            int to = v.offsets[i + 1];
            boolean ascii = true;
            for (int k = from; k < to && ascii; k++) {
                ascii = v.bytes[k] >= 0;
            }
            byte[] src = v.bytes;
            int len = to - from;
            String str = null;
            if (!ascii) {
                str = v.str(i);
                len = str.length();
            }
            int a = (int) Math.max(1, Math.min(len + 1L, start));
            int b = (int) Math.max(a, Math.min(len + 1L, end));
            if (str != null) {
                src = str.substring(a - 1, b - 1).getBytes(StandardCharsets.UTF_8);
                from = 0;
                a = 1;
                b = src.length + 1;
            }
            int m = b - a;
            if (pos + m > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, pos + m));
            }
            System.arraycopy(src, from + a - 1, out, pos, m);
            pos += m;
        }
        off[n] = pos;
        return Vec.ofBytes(out, off, n, v.nulls);
    }
}
