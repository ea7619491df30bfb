package io.strongroom.sql.exec;

import io.strongroom.sql.RowText;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.func.Types;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.LocalDate;
import java.util.Objects;

/**
 * Values of column vectors written as text straight into a {@link RowText}, without the Java object per value the
 * general path makes ({@link Vec#get}, then a String): the DataRow text of a query's rows ({@link #wire}) and the
 * fields of COPY ... TO STDOUT ({@link #copy}). Each writes byte for byte what the general path gives: the wire
 * layer's text encoding of {@link Types#toWireValue}, and {@link Types#text} for COPY. The fast cases are the
 * representations a scan produces (integers, long-backed decimals, strings, dates, booleans); anything else takes
 * the general path. Stateless.
 */
public final class VecText {
    private static final long MIN_EPOCH_DAY = LocalDate.MIN.toEpochDay();
    private static final long MAX_EPOCH_DAY = LocalDate.MAX.toEpochDay();
    /** Years 1 to 9999, where {@link LocalDate#toString()} and PostgreSQL print a date alike. */
    private static final long FIRST_PLAIN_DAY = LocalDate.of(1, 1, 1).toEpochDay();

    private static final long LAST_PLAIN_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

    /** Eight bytes of a byte array at a time, to find a non-ASCII byte (byte order does not matter). */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private VecText() {}

    /** Whether {@link #wire} writes the values of {@code v} for a result column of wire type {@code t}. */
    static boolean wireWritable(Vec v, SqlType t) {
        return switch (v.type) {
            case INT -> t == SqlType.INT2 || t == SqlType.INT4 || t == SqlType.INT8;
            case DEC -> t == SqlType.NUMERIC;
            case STR -> t == SqlType.BPCHAR || t == SqlType.VARCHAR || t == SqlType.TEXT;
            case DATE -> t == SqlType.DATE;
            case BOOL -> t == SqlType.BOOL;
            default -> false;
        };
    }

    /**
     * Writes value {@code i} of {@code v} ({@link #wireWritable} for {@code t}) as one value of {@code out}, as the
     * wire layer would send {@code Types.toWireValue(v.get(i), t)} in text; or returns false, leaving {@code out}
     * to be cleared, for a value only the general path handles (a date outside {@link LocalDate}'s range, which it
     * refuses). {@code ascii}: {@link #ascii} found the strings of {@code v} all ASCII, so they need no check.
     */
    static boolean wire(Vec v, int i, SqlType t, boolean ascii, RowText out) {
        if (v.isNull(i)) {
            out.nullValue();
            return true;
        }
        out.beginValue();
        switch (v.type) {
            case INT -> {
                long x = v.longs[i];
                // Types.toWireValue narrows to the column's Java class before it is printed.
                out.appendLong(t == SqlType.INT2 ? (short) x : t == SqlType.INT4 ? (int) x : x);
            }
            case DEC -> out.appendDecimal(v.longs[i], v.scale);
            case STR -> utf8(v, i, ascii, out);
            case DATE -> {
                long day = v.longs[i];
                if (day < MIN_EPOCH_DAY || day > MAX_EPOCH_DAY) {
                    return false;
                }
                out.appendDate(day);
            }
            case BOOL -> out.appendByte(v.longs[i] != 0 ? 't' : 'f');
            default -> throw new IllegalStateException("no text fast path for " + v.type + " as " + t);
        }
        out.endValue();
        return true;
    }

    /**
     * Appends value {@code i} of {@code v}, not NULL, to {@code out} as {@link Types#text} of its in-memory form.
     * {@code ascii} as for {@link #wire}.
     */
    public static void copy(Vec v, int i, boolean ascii, RowText out) {
        switch (v.type) {
            case INT -> out.appendLong(v.longs[i]);
            case DEC -> out.appendDecimal(v.longs[i], v.scale);
            case STR -> utf8(v, i, ascii, out);
            case BOOL -> out.appendByte(v.longs[i] != 0 ? 't' : 'f');
            case DATE -> {
                long day = v.longs[i];
                if (day >= FIRST_PLAIN_DAY && day <= LAST_PLAIN_DAY) {
                    out.appendDate(day);
                } else {
                    out.appendString(Types.text(Objects.requireNonNull(v.get(i))));
                }
            }
            default -> out.appendString(Types.text(Objects.requireNonNull(v.get(i))));
        }
    }

    /**
     * Whether {@code v} holds strings whose bytes are all ASCII (then each is its own UTF-8 encoding and {@link
     * #utf8} need not look): one pass over the batch's string bytes, eight at a time.
     */
    public static boolean ascii(Vec v) {
        return v.type == Vec.Type.STR && v.size > 0 && ascii(v.bytes, v.offsets[0], v.offsets[v.size]);
    }

    /**
     * Whether the text {@link #copy} writes for {@code v} can only hold digits, {@code -+.}, space, {@code B},
     * {@code C}, {@code t} and {@code f}: integers, long-backed decimals (and their BigDecimal fallback), dates (also
     * as {@link LocalDate#toString()} prints them) and booleans.
     */
    public static boolean digitsOnly(Vec v) {
        return v.type == Vec.Type.INT || v.type == Vec.Type.DEC || v.type == Vec.Type.DATE || v.type == Vec.Type.BOOL;
    }

    /** The characters {@link #digitsOnly} values are written with. */
    public static final String DIGITS_ONLY_CHARS = "0123456789-+. BCtf";

    /**
     * The string at {@code i} as the general path sends it: decoded and encoded again, which for ASCII (nearly
     * every value) is the stored bytes themselves.
     */
    private static void utf8(Vec v, int i, boolean ascii, RowText out) {
        int from = v.offsets[i];
        int to = v.offsets[i + 1];
        if (ascii || ascii(v.bytes, from, to)) {
            out.appendBytes(v.bytes, from, to - from);
        } else {
            out.appendString(v.str(i));
        }
    }

    private static boolean ascii(byte[] b, int from, int to) {
        int k = from;
        while (k + 8 <= to && ((long) LONGS.get(b, k) & 0x8080_8080_8080_8080L) == 0) {
            k += 8;
        }
        while (k < to && b[k] >= 0) {
            k++;
        }
        return k == to;
    }
}
