package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import io.strongroom.sql.func.Types;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * The values of one column for a batch of rows, as the vectorised executor passes them between operators.
 * Exact numbers, booleans, dates and timestamps are {@code long}s ({@link Type#DEC} as an unscaled value with
 * {@link #scale}); doubles are {@code double}s; strings are UTF-8 bytes with offsets; anything else is an object array in the in-memory form of {@link Types}. A DECIMAL too
 * wide for a long travels as {@link Type#OBJ} {@link BigDecimal}s, so operators accept either form for a
 * DECIMAL expression.
 *
 * <p>Immutable once built; shared between batches freely.
 */
public final class Vec {
    /** The representation. */
    public enum Type {
        BOOL,
        INT,
        DEC,
        DOUBLE,
        DATE,
        TS,
        TSTZ,
        STR,
        OBJ;

        boolean isLong() {
            return this != DOUBLE && this != STR && this != OBJ;
        }
    }

    private static final long MICROS = 1_000_000L;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    final Type type;
    final int scale;
    final int size;
    final long[] longs;
    final double[] doubles;
    final byte[] bytes;
    final int[] offsets;
    final @Nullable Object[] objs;
    final boolean @Nullable [] nulls;

    private static final long[] NO_LONGS = new long[0];
    private static final double[] NO_DOUBLES = new double[0];
    private static final byte[] NO_BYTES = new byte[0];
    private static final int[] NO_INTS = new int[0];
    private static final Object[] NO_OBJS = new Object[0];

    private Vec(
            Type type,
            int scale,
            int size,
            long[] longs,
            double[] doubles,
            byte[] bytes,
            int[] offsets,
            @Nullable Object[] objs,
            boolean @Nullable [] nulls) {
        this.type = type;
        this.scale = scale;
        this.size = size;
        this.longs = longs;
        this.doubles = doubles;
        this.bytes = bytes;
        this.offsets = offsets;
        this.objs = objs;
        this.nulls = nulls;
    }

    public static Vec ofLongs(Type type, int scale, long[] values, int size, boolean @Nullable [] nulls) {
        return new Vec(type, scale, size, values, NO_DOUBLES, NO_BYTES, NO_INTS, NO_OBJS, nulls);
    }

    public static Vec ofDoubles(double[] values, int size, boolean @Nullable [] nulls) {
        return new Vec(Type.DOUBLE, 0, size, NO_LONGS, values, NO_BYTES, NO_INTS, NO_OBJS, nulls);
    }

    static Vec ofBytes(byte[] data, int[] offsets, int size, boolean @Nullable [] nulls) {
        return new Vec(Type.STR, 0, size, NO_LONGS, NO_DOUBLES, data, offsets, NO_OBJS, nulls);
    }

    /** The NULL flags of in-memory values (a null element is NULL); null when none is. */
    private static boolean @Nullable [] nullsOf(@Nullable Object[] values, int size) {
        boolean[] nulls = null;
        for (int i = 0; i < size; i++) {
            if (values[i] == null) {
                if (nulls == null) {
                    nulls = new boolean[size];
                }
                nulls[i] = true;
            }
        }
        return nulls;
    }

    /** Strings made by an expression, as UTF-8; a NULL is a null element. */
    public static Vec ofStrings(@Nullable String[] values, int size) {
        boolean[] nulls = nullsOf(values, size);
        byte[][] enc = new byte[size][];
        int total = 0;
        for (int i = 0; i < size; i++) {
            String v = values[i];
            if (v != null) {
                enc[i] = v.getBytes(StandardCharsets.UTF_8);
                total += enc[i].length;
            }
        }
        byte[] data = new byte[total];
        int[] off = new int[size + 1];
        int pos = 0;
        for (int i = 0; i < size; i++) {
            byte[] e = enc[i];
            if (e != null) {
                System.arraycopy(e, 0, data, pos, e.length);
                pos += e.length;
            }
            off[i + 1] = pos;
        }
        return ofBytes(data, off, size, nulls);
    }

    public static Vec ofObjects(@Nullable Object[] values, int size) {
        boolean[] nulls = nullsOf(values, size);
        return new Vec(Type.OBJ, 0, size, NO_LONGS, NO_DOUBLES, NO_BYTES, NO_INTS, values, nulls);
    }

    /** A storage column as a vector, sharing its arrays. */
    static Vec of(ColumnVector v) {
        int n = v.size();
        boolean[] nulls = v.hasNulls() ? v.nullData() : null;
        ColumnType t = v.type();
        return switch (t.kind()) {
            case BOOLEAN -> ofLongs(Type.BOOL, 0, v.longData(), n, nulls);
            case SMALLINT, INTEGER, BIGINT -> ofLongs(Type.INT, 0, v.longData(), n, nulls);
            case DECIMAL -> {
                if (t.physical() == ColumnType.Physical.LONG) {
                    yield ofLongs(Type.DEC, t.scale(), v.longData(), n, nulls);
                }
                Object[] out = new Object[n];
                for (int i = 0; i < n; i++) {
                    out[i] = v.get(i);
                }
                yield ofObjects(out, n);
            }
            case REAL, DOUBLE -> ofDoubles(v.doubleData(), n, nulls);
            case CHAR, VARCHAR -> ofBytes(v.bytesData(), v.offsetData(), n, nulls);
            case DATE -> ofLongs(Type.DATE, 0, v.longData(), n, nulls);
            case TIMESTAMP -> ofLongs(Type.TS, 0, v.longData(), n, nulls);
            case TIMESTAMPTZ -> ofLongs(Type.TSTZ, 0, v.longData(), n, nulls);
        };
    }

    /** The representation values of Calcite type {@code t} take; DECIMAL as a long when its precision allows. */
    static Type typeOf(RelDataType t) {
        return switch (t.getSqlTypeName()) {
            case BOOLEAN -> Type.BOOL;
            case TINYINT, SMALLINT, INTEGER, BIGINT -> Type.INT;
            case DECIMAL -> t.getScale() >= 0 && t.getScale() <= 18 ? Type.DEC : Type.OBJ;
            case REAL, FLOAT, DOUBLE -> Type.DOUBLE;
            case CHAR, VARCHAR -> Type.STR;
            case DATE -> Type.DATE;
            case TIMESTAMP -> Type.TS;
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE -> Type.TSTZ;
            default -> Type.OBJ;
        };
    }

    /** In-memory values (see {@link Types}) of Calcite type {@code t} as a vector. */
    static Vec fromObjects(@Nullable Object[] values, int size, RelDataType t) {
        Type type = typeOf(t);
        switch (type) {
            case BOOL, INT, DATE, TS, TSTZ -> {
                long[] out = new long[size];
                for (int i = 0; i < size; i++) {
                    Object v = values[i];
                    if (v != null) {
                        out[i] = toLong(type, v);
                    }
                }
                return ofLongs(type, 0, out, size, nullsOf(values, size));
            }
            case DEC -> {
                int scale = t.getScale();
                long[] out = new long[size];
                for (int i = 0; i < size; i++) {
                    Object v = values[i];
                    if (v == null) {
                        continue;
                    }
                    BigDecimal d = Expressions.decimal(v).setScale(scale, RoundingMode.HALF_UP);
                    BigInteger u = d.unscaledValue();
                    if (u.bitLength() > 63) {
                        return ofObjects(values, size);
                    }
                    out[i] = u.longValue();
                }
                return ofLongs(Type.DEC, scale, out, size, nullsOf(values, size));
            }
            case DOUBLE -> {
                double[] out = new double[size];
                for (int i = 0; i < size; i++) {
                    Object v = values[i];
                    if (v != null) {
                        out[i] = ((Number) v).doubleValue();
                    }
                }
                return ofDoubles(out, size, nullsOf(values, size));
            }
            case STR -> {
                String[] out = new String[size];
                for (int i = 0; i < size; i++) {
                    Object v = values[i];
                    out[i] = v == null ? null : v instanceof String s ? s : Types.text(v);
                }
                return ofStrings(out, size);
            }
            default -> {
                return ofObjects(values, size);
            }
        }
    }

    private static long toLong(Type type, Object v) {
        return switch (type) {
            case BOOL -> ((Boolean) v) ? 1 : 0;
            case DATE -> ((LocalDate) v).toEpochDay();
            case TS -> micros(((LocalDateTime) v).toInstant(ZoneOffset.UTC));
            case TSTZ -> micros(((OffsetDateTime) v).toInstant());
            default -> ((Number) v).longValue();
        };
    }

    private static long micros(Instant i) {
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), MICROS), i.getNano() / 1000);
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, MICROS), Math.floorMod(micros, MICROS) * 1000);
    }

    /** A vector of {@code size} copies of an in-memory value of type {@code t}. */
    static Vec constant(@Nullable Object value, int size, RelDataType t) {
        Object[] one = {value};
        Vec v = fromObjects(one, 1, t);
        return v.repeat(size);
    }

    private Vec repeat(int n) {
        boolean[] nl = null;
        if (nulls != null && nulls[0]) {
            nl = new boolean[n];
            Arrays.fill(nl, true);
        }
        return switch (type) {
            case DOUBLE -> {
                double[] d = new double[n];
                Arrays.fill(d, doubles[0]);
                yield ofDoubles(d, n, nl);
            }
            case STR -> {
                String[] s = new String[n];
                Arrays.fill(s, isNull(0) ? null : str(0));
                yield ofStrings(s, n);
            }
            case OBJ -> {
                Object[] o = new Object[n];
                Arrays.fill(o, objs[0]);
                yield ofObjects(o, n);
            }
            default -> {
                long[] l = new long[n];
                Arrays.fill(l, longs[0]);
                yield ofLongs(type, scale, l, n, nl);
            }
        };
    }

    public boolean isNull(int i) {
        return nulls != null && nulls[i];
    }

    /** The string at {@code i} (STR vectors). */
    String str(int i) {
        return new String(bytes, offsets[i], offsets[i + 1] - offsets[i], StandardCharsets.UTF_8);
    }

    /** The UTF-8 bytes of the string at {@code i} (STR vectors); a fresh array. */
    byte[] utf8(int i) {
        return Arrays.copyOfRange(bytes, offsets[i], offsets[i + 1]);
    }

    /** The value at {@code i} in the in-memory form of {@link Types}; null for NULL. */
    @Nullable
    Object get(int i) {
        if (isNull(i)) {
            return null;
        }
        return switch (type) {
            case BOOL -> longs[i] != 0;
            case INT -> longs[i];
            case DEC -> BigDecimal.valueOf(longs[i], scale);
            case DOUBLE -> doubles[i];
            case DATE -> LocalDate.ofEpochDay(longs[i]);
            case TS -> LocalDateTime.ofInstant(instant(longs[i]), ZoneOffset.UTC);
            case TSTZ -> instant(longs[i]).atOffset(ZoneOffset.UTC);
            case STR -> str(i);
            case OBJ -> objs[i];
        };
    }

    /** The rows at {@code idx[0..n)}; an index of -1 gives NULL. */
    Vec gather(int[] idx, int n) {
        boolean[] nl = null;
        for (int k = 0; k < n; k++) {
            int i = idx[k];
            if (i < 0 || (nulls != null && nulls[i])) {
                if (nl == null) {
                    nl = new boolean[n];
                }
                nl[k] = true;
            }
        }
        switch (type) {
            case DOUBLE -> {
                double[] d = new double[n];
                for (int k = 0; k < n; k++) {
                    int i = idx[k];
                    d[k] = i < 0 ? 0 : doubles[i];
                }
                return ofDoubles(d, n, nl);
            }
            case STR -> {
                int total = 0;
                for (int k = 0; k < n; k++) {
                    int i = idx[k];
                    if (i >= 0) {
                        total += offsets[i + 1] - offsets[i];
                    }
                }
                // 16 spare bytes: a value of at most 8 (16) bytes is copied as one (two) 8-byte loads and stores,
                // the bytes past it overwritten by the next value. A call to System.arraycopy per value cost more
                // than the copy: 5.3 ns a value against 3.3 (1-byte values) and 4.0 (10-byte values) here.
                byte[] data = new byte[total + 16];
                int[] off = new int[n + 1];
                int pos = 0;
                int lastLoad8 = bytes.length - 8;
                int lastLoad16 = bytes.length - 16;
                for (int k = 0; k < n; k++) {
                    int i = idx[k];
                    if (i >= 0) {
                        int from = offsets[i];
                        int len = offsets[i + 1] - from;
                        if (len <= 8 && from <= lastLoad8) {
                            LONGS.set(data, pos, (long) LONGS.get(bytes, from));
                        } else if (len <= 16 && from <= lastLoad16) {
                            LONGS.set(data, pos, (long) LONGS.get(bytes, from));
                            LONGS.set(data, pos + 8, (long) LONGS.get(bytes, from + 8));
                        } else {
                            System.arraycopy(bytes, from, data, pos, len);
                        }
                        pos += len;
                    }
                    off[k + 1] = pos;
                }
                return ofBytes(data, off, n, nl);
            }
            case OBJ -> {
                Object[] o = new Object[n];
                for (int k = 0; k < n; k++) {
                    int i = idx[k];
                    o[k] = i < 0 ? null : objs[i];
                }
                return ofObjects(o, n);
            }
            default -> {
                long[] l = new long[n];
                for (int k = 0; k < n; k++) {
                    int i = idx[k];
                    l[k] = i < 0 ? 0 : longs[i];
                }
                return ofLongs(type, scale, l, n, nl);
            }
        }
    }

    /** All NULLs, for the missing side of an outer join. */
    static Vec allNull(int n, RelDataType t) {
        return constant(null, n, t);
    }

    /** This vector in the object form (BigDecimal for DEC), for mixing with an OBJ vector of the same column. */
    Vec toObjects() {
        if (type == Type.OBJ) {
            return this;
        }
        Object[] o = new Object[size];
        for (int i = 0; i < size; i++) {
            o[i] = get(i);
        }
        return ofObjects(o, size);
    }

    /** The vectors one after the other; parts of one column may differ only as DEC against OBJ. */
    static Vec concat(List<Vec> parts, RelDataType t) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        int n = 0;
        boolean anyNull = false;
        boolean mixed = false;
        Type first = parts.isEmpty() ? typeOf(t) : parts.get(0).type;
        int scale = parts.isEmpty() ? 0 : parts.get(0).scale;
        for (Vec p : parts) {
            n += p.size;
            anyNull |= p.nulls != null;
            mixed |= p.type != first || p.scale != scale;
        }
        if (parts.isEmpty()) {
            return fromObjects(new Object[0], 0, t);
        }
        boolean[] nl = anyNull ? new boolean[n] : null;
        int pos = 0;
        if (nl != null) {
            for (Vec p : parts) {
                if (p.nulls != null) {
                    System.arraycopy(p.nulls, 0, nl, pos, p.size);
                }
                pos += p.size;
            }
        }
        if (mixed || first == Type.OBJ) {
            Object[] o = new Object[n];
            pos = 0;
            for (Vec p : parts) {
                for (int i = 0; i < p.size; i++) {
                    o[pos++] = p.get(i);
                }
            }
            return ofObjects(o, n);
        }
        pos = 0;
        switch (first) {
            case DOUBLE -> {
                double[] d = new double[n];
                for (Vec p : parts) {
                    System.arraycopy(p.doubles, 0, d, pos, p.size);
                    pos += p.size;
                }
                return ofDoubles(d, n, nl);
            }
            case STR -> {
                int total = 0;
                for (Vec p : parts) {
                    total += p.offsets[p.size] - p.offsets[0];
                }
                byte[] data = new byte[total];
                int[] off = new int[n + 1];
                int bpos = 0;
                for (Vec p : parts) {
                    int base = p.offsets[0];
                    int len = p.offsets[p.size] - base;
                    System.arraycopy(p.bytes, base, data, bpos, len);
                    for (int i = 1; i <= p.size; i++) {
                        off[pos + i] = p.offsets[i] - base + bpos;
                    }
                    pos += p.size;
                    bpos += len;
                }
                return ofBytes(data, off, n, nl);
            }
            default -> {
                long[] l = new long[n];
                for (Vec p : parts) {
                    System.arraycopy(p.longs, 0, l, pos, p.size);
                    pos += p.size;
                }
                return ofLongs(first, scale, l, n, nl);
            }
        }
    }
}
