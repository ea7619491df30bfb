package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The values of one column for a run of rows, in the column's physical form (see {@link ColumnType}), with
 * NULLs. Growable while it is built, then read by position. Appends validate the SQL type's limits (CHAR and
 * VARCHAR length in bytes, DECIMAL precision, SMALLINT and INTEGER ranges) and fail with a clear error.
 *
 * <p>Not thread-safe while appending; safe to read from many threads once built and no longer changed.
 */
public final class ColumnVector {
    private static final long MICROS_PER_SECOND = 1_000_000L;

    private final ColumnType type;
    private final ColumnType.Physical physical;
    private int size;
    private boolean @Nullable [] nulls;
    private long[] longs = new long[0];
    private double[] doubles = new double[0];
    private byte[] bytes = new byte[0];
    private int[] offsets = new int[] {0};
    private @Nullable BigInteger[] bigs = new BigInteger[0];

    public ColumnVector(ColumnType type, int capacity) {
        this.type = type;
        this.physical = type.physical();
        int cap = Math.max(capacity, 4);
        switch (physical) {
            case LONG -> longs = new long[cap];
            case DOUBLE -> doubles = new double[cap];
            case BYTES -> {
                offsets = new int[cap + 1];
                bytes = new byte[Math.max(16, cap * 8)];
            }
            case BIG -> bigs = new BigInteger[cap];
        }
    }

    public ColumnType type() {
        return type;
    }

    public int size() {
        return size;
    }

    public boolean isNull(int row) {
        return nulls != null && nulls[row];
    }

    /** About how many heap bytes this vector holds (its arrays at their capacity), for caches that bound memory. */
    public long retainedBytes() {
        long n = 96L + 8L * longs.length + 8L * doubles.length + bytes.length + 4L * offsets.length;
        if (nulls != null) {
            n += nulls.length;
        }
        if (physical == ColumnType.Physical.BIG) {
            n += 4L * bigs.length + 48L * size;
        }
        return n;
    }

    public boolean hasNulls() {
        if (nulls == null) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            if (nulls[i]) {
                return true;
            }
        }
        return false;
    }

    // ---- physical accessors (hot paths) ----

    public long getLong(int row) {
        return longs[row];
    }

    public double getDouble(int row) {
        return doubles[row];
    }

    public @Nullable BigInteger getBig(int row) {
        return bigs[row];
    }

    /**
     * The backing arrays, for vectorised readers: valid for rows {@code 0..size()-1}; read-only for callers. The
     * null flags array is null when no row is NULL.
     */
    public long[] longData() {
        return longs;
    }

    public double[] doubleData() {
        return doubles;
    }

    public int[] offsetData() {
        return offsets;
    }

    public boolean @Nullable [] nullData() {
        return nulls;
    }

    /** Start of a BYTES value in {@link #bytesData()}. */
    public int bytesStart(int row) {
        return offsets[row];
    }

    public int bytesLength(int row) {
        return offsets[row + 1] - offsets[row];
    }

    /** The backing array of BYTES values; read-only for callers. */
    public byte[] bytesData() {
        return bytes;
    }

    public String getString(int row) {
        return new String(bytes, offsets[row], offsets[row + 1] - offsets[row], StandardCharsets.UTF_8);
    }

    // ---- appends ----

    private void grow(int extraBytes) {
        ensureCapacity(size + 1, extraBytes);
    }

    public void appendNull() {
        grow(0);
        if (nulls == null) {
            nulls = new boolean[capacity()];
        }
        nulls[size] = true;
        if (physical == ColumnType.Physical.BYTES) {
            offsets[size + 1] = offsets[size];
        }
        size++;
    }

    private int capacity() {
        return switch (physical) {
            case LONG -> longs.length;
            case DOUBLE -> doubles.length;
            case BYTES -> offsets.length - 1;
            case BIG -> bigs.length;
        };
    }

    /** Appends a value in physical form; range checks apply to SMALLINT and INTEGER. */
    public void appendLong(long v) {
        switch (type.kind()) {
            case SMALLINT -> checkRange(v, Short.MIN_VALUE, Short.MAX_VALUE, "smallint");
            case INTEGER -> checkRange(v, Integer.MIN_VALUE, Integer.MAX_VALUE, "integer");
            case BOOLEAN -> checkRange(v, 0, 1, "boolean");
            case DECIMAL -> checkDecimal(BigInteger.valueOf(v));
            default -> {}
        }
        grow(0);
        longs[size++] = v;
    }

    private static void checkRange(long v, long min, long max, String name) {
        if (v < min || v > max) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, name + " out of range: " + v);
        }
    }

    public void appendDouble(double v) {
        grow(0);
        doubles[size++] = type.kind() == ColumnType.Kind.REAL ? (float) v : v;
    }

    /** Appends UTF-8 bytes, checking the CHAR/VARCHAR length in bytes. */
    public void appendBytes(byte[] src, int off, int len) {
        if (len > type.length()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "value too long for type " + type.sql() + ": " + len + " bytes (22001)");
        }
        grow(len);
        System.arraycopy(src, off, bytes, offsets[size], len);
        offsets[size + 1] = offsets[size] + len;
        size++;
    }

    public void appendString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        appendBytes(b, 0, b.length);
    }

    public void appendBig(BigInteger unscaled) {
        checkDecimal(unscaled);
        grow(0);
        bigs[size++] = unscaled;
    }

    private void checkDecimal(BigInteger unscaled) {
        if (unscaled.abs().toString().length() > type.precision()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "numeric field overflow: value does not fit " + type.sql());
        }
    }

    /** Appends without type-range checks: for decoders whose input was authenticated and checked already. */
    public void appendLongUnchecked(long v) {
        grow(0);
        longs[size++] = v;
    }

    /**
     * Appends {@code n} values of {@code src} from {@code from} in bulk, NULL where {@code isNull} (indexed from
     * 0 for the first appended row) says so, without type-range checks: for decoders of authenticated input.
     * {@code src} holds only the non-NULL values, in order.
     */
    public void appendLongsUnchecked(long[] src, int n, boolean @Nullable [] isNull) {
        ensureCapacity(size + n, 0);
        if (isNull == null) {
            System.arraycopy(src, 0, longs, size, n);
        } else {
            if (nulls == null) {
                nulls = new boolean[capacity()];
            }
            for (int i = 0, j = 0; i < n; i++) {
                if (isNull[i]) {
                    nulls[size + i] = true;
                } else {
                    longs[size + i] = src[j++];
                }
            }
        }
        size += n;
    }

    /**
     * A vector whose values are {@code values} itself, none NULL: for decoders of authenticated input, which hand
     * the array over (it is not copied, and must not be changed after).
     */
    public static ColumnVector adoptLongs(ColumnType type, long[] values) {
        if (type.physical() != ColumnType.Physical.LONG) {
            throw new IllegalArgumentException("not an integer column type: " + type.sql());
        }
        ColumnVector v = new ColumnVector(type, 0);
        v.longs = values;
        v.size = values.length;
        return v;
    }

    /**
     * A string vector of {@code n} values, none NULL, value {@code i} being {@code data[offsets[i]..offsets[i+1])}:
     * for decoders of authenticated input, which hand both arrays over ({@code offsets} has {@code n + 1} entries
     * from 0, ascending).
     */
    public static ColumnVector adoptBytes(ColumnType type, byte[] data, int[] offsets, int n) {
        if (type.physical() != ColumnType.Physical.BYTES || offsets.length != n + 1 || offsets[n] > data.length) {
            throw new IllegalArgumentException("not " + n + " strings of a string column type");
        }
        ColumnVector v = new ColumnVector(type, 0);
        v.bytes = data;
        v.offsets = offsets;
        v.size = n;
        return v;
    }

    /** Makes room for {@code extraBytes} more string bytes, so that appends up to them do not grow the array. */
    public void reserveBytes(int extraBytes) {
        ensureCapacity(size, extraBytes);
    }

    public void appendDoubleUnchecked(double v) {
        grow(0);
        doubles[size++] = v;
    }

    public void appendBigUnchecked(BigInteger v) {
        grow(0);
        bigs[size++] = v;
    }

    public void appendBytesUnchecked(byte[] src, int off, int len) {
        grow(len);
        System.arraycopy(src, off, bytes, offsets[size], len);
        offsets[size + 1] = offsets[size] + len;
        size++;
    }

    /** Copies rows {@code from..to} of {@code other} (same type) onto the end of this vector, in bulk. */
    public void appendRange(ColumnVector other, int from, int to) {
        int n = to - from;
        if (n <= 0) {
            return;
        }
        if (physical == ColumnType.Physical.BIG || physical != other.physical) {
            for (int i = from; i < to; i++) {
                appendFrom(other, i);
            }
            return;
        }
        int start = size;
        int extraBytes = physical == ColumnType.Physical.BYTES ? other.offsets[to] - other.offsets[from] : 0;
        ensureCapacity(size + n, extraBytes);
        switch (physical) {
            case LONG -> System.arraycopy(other.longs, from, longs, size, n);
            case DOUBLE -> System.arraycopy(other.doubles, from, doubles, size, n);
            case BYTES -> {
                int base = offsets[size];
                System.arraycopy(other.bytes, other.offsets[from], bytes, base, extraBytes);
                int delta = base - other.offsets[from];
                for (int i = 1; i <= n; i++) {
                    offsets[size + i] = other.offsets[from + i] + delta;
                }
            }
            default -> throw new IllegalStateException();
        }
        if (other.nulls != null) {
            for (int i = 0; i < n; i++) {
                if (other.nulls[from + i]) {
                    if (nulls == null) {
                        nulls = new boolean[capacity()];
                    }
                    nulls[start + i] = true;
                }
            }
        }
        size += n;
    }

    private void ensureCapacity(int rows, int extraBytes) {
        if (rows > capacity()) {
            int n = Math.max(rows, capacity() * 2);
            switch (physical) {
                case LONG -> longs = Arrays.copyOf(longs, n);
                case DOUBLE -> doubles = Arrays.copyOf(doubles, n);
                case BYTES -> offsets = Arrays.copyOf(offsets, n + 1);
                case BIG -> bigs = Arrays.copyOf(bigs, n);
            }
            if (nulls != null) {
                nulls = Arrays.copyOf(nulls, n);
            }
        }
        if (physical == ColumnType.Physical.BYTES && offsets[size] + extraBytes > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, offsets[size] + extraBytes));
        }
    }

    /** Copies row {@code row} of {@code other} (same type) onto the end of this vector. */
    public void appendFrom(ColumnVector other, int row) {
        if (other.isNull(row)) {
            appendNull();
            return;
        }
        switch (physical) {
            case LONG -> {
                grow(0);
                longs[size++] = other.longs[row];
            }
            case DOUBLE -> {
                grow(0);
                doubles[size++] = other.doubles[row];
            }
            case BYTES -> {
                int len = other.bytesLength(row);
                grow(len);
                System.arraycopy(other.bytes, other.offsets[row], bytes, offsets[size], len);
                offsets[size + 1] = offsets[size] + len;
                size++;
            }
            case BIG -> {
                grow(0);
                bigs[size++] = other.bigs[row];
            }
        }
    }

    /**
     * Appends a Java value: Boolean, Number (Short/Integer/Long/BigDecimal/Float/Double), String, LocalDate,
     * LocalDateTime, OffsetDateTime or Instant, as the column type takes it; null appends NULL.
     */
    public void append(@Nullable Object value) {
        if (value == null) {
            appendNull();
            return;
        }
        switch (type.kind()) {
            case BOOLEAN -> appendLong(((Boolean) value) ? 1 : 0);
            case SMALLINT, INTEGER, BIGINT -> appendLong(((Number) value).longValue());
            case DECIMAL -> {
                BigDecimal d = value instanceof BigDecimal bd ? bd : new BigDecimal(value.toString());
                BigInteger unscaled;
                try {
                    unscaled = d.setScale(type.scale(), RoundingMode.HALF_UP).unscaledValue();
                } catch (ArithmeticException e) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT, "invalid numeric value for " + type.sql(), e);
                }
                if (physical == ColumnType.Physical.BIG) {
                    appendBig(unscaled);
                } else {
                    checkDecimal(unscaled);
                    appendLong(unscaled.longValueExact());
                }
            }
            case REAL, DOUBLE -> appendDouble(((Number) value).doubleValue());
            case CHAR, VARCHAR -> appendString((String) value);
            case DATE -> appendLong(((LocalDate) value).toEpochDay());
            case TIMESTAMP -> appendLong(micros(((LocalDateTime) value).toInstant(ZoneOffset.UTC)));
            case TIMESTAMPTZ ->
                appendLong(micros(value instanceof Instant i ? i : ((OffsetDateTime) value).toInstant()));
        }
    }

    private static long micros(Instant i) {
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), MICROS_PER_SECOND), i.getNano() / 1000);
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(
                Math.floorDiv(micros, MICROS_PER_SECOND), Math.floorMod(micros, MICROS_PER_SECOND) * 1000);
    }

    /** The value at {@code row} as a Java object (the inverse of {@link #append}); null for NULL. */
    public @Nullable Object get(int row) {
        if (isNull(row)) {
            return null;
        }
        return switch (type.kind()) {
            case BOOLEAN -> longs[row] != 0;
            case SMALLINT -> (short) longs[row];
            case INTEGER -> (int) longs[row];
            case BIGINT -> longs[row];
            case DECIMAL ->
                new BigDecimal(
                        physical == ColumnType.Physical.BIG
                                ? Objects.requireNonNull(bigs[row])
                                : BigInteger.valueOf(longs[row]),
                        type.scale());
            case REAL -> (float) doubles[row];
            case DOUBLE -> doubles[row];
            case CHAR, VARCHAR -> getString(row);
            case DATE -> LocalDate.ofEpochDay(longs[row]);
            case TIMESTAMP -> LocalDateTime.ofInstant(instant(longs[row]), ZoneOffset.UTC);
            case TIMESTAMPTZ -> instant(longs[row]).atOffset(ZoneOffset.UTC);
        };
    }
}
