package io.strongroom.sql;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;

/**
 * One row's values in PostgreSQL's text output format, each as a big-endian int32 byte length (-1 for NULL, then no
 * bytes) followed by its UTF-8 bytes: what {@link Result.Rows#nextText} writes, laid out as a DataRow's values are,
 * so the wire layer sends the row with one copy. The append methods format numbers and dates straight into the
 * buffer, so a row costs no Java object per value; without {@link #beginValue()} and {@link #endValue()} they serve
 * as a plain growable byte buffer (COPY ... TO STDOUT builds its chunks with them).
 *
 * <p>The formats are PostgreSQL's with DateStyle ISO, the same as the wire layer's general path: integers in
 * decimal, NUMERIC as {@code BigDecimal.toPlainString} (all {@code scale} fraction digits, {@code -0.05}), dates
 * {@code yyyy-mm-dd} with at least four year digits and {@code yyyy-mm-dd BC} before year 1.
 *
 * <p>Not thread-safe; reused row after row by one thread.
 */
public final class RowText {
    private static final long[] POW10 = new long[19];
    /** Days from 0000-03-01 to 1970-01-01 (as {@link LocalDate#ofEpochDay} counts). */
    private static final long DAYS_0000_TO_1970 = 719_528L - 60;

    /** "00", "01", ... "99" as ASCII pairs. */
    private static final byte[] PAIRS = new byte[200];

    static {
        for (int i = 0; i < 100; i++) {
            PAIRS[2 * i] = (byte) ('0' + i / 10);
            PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
        }
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    private byte[] bytes = new byte[256];
    private int length;
    private int values;
    /** Where the value begun last starts (after its length field), or -1 outside a value. */
    private int valueStart = -1;

    /** Empties the buffer for the next row. */
    public void clear() {
        length = 0;
        values = 0;
        valueStart = -1;
    }

    /** The bytes; valid up to {@link #length()}. */
    public byte[] bytes() {
        return bytes;
    }

    public int length() {
        return length;
    }

    /** Drops the bytes after {@code newLength} (at most {@link #length()}). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("length " + newLength + " outside 0.." + length);
        }
        length = newLength;
    }

    /** The number of values written ({@link #endValue()} and {@link #nullValue()}). */
    public int values() {
        return values;
    }

    /** Starts a value: its length field, filled in by {@link #endValue()}. */
    public void beginValue() {
        ensure(4);
        length += 4;
        valueStart = length;
    }

    /** Ends the value {@link #beginValue()} started: its length is that of the bytes appended since. */
    public void endValue() {
        if (valueStart < 0) {
            throw new IllegalStateException("endValue without beginValue");
        }
        int n = length - valueStart;
        bytes[valueStart - 4] = (byte) (n >>> 24);
        bytes[valueStart - 3] = (byte) (n >>> 16);
        bytes[valueStart - 2] = (byte) (n >>> 8);
        bytes[valueStart - 1] = (byte) n;
        valueStart = -1;
        values++;
    }

    /** A NULL value: length -1, no bytes. */
    public void nullValue() {
        ensure(4);
        bytes[length] = (byte) 0xff;
        bytes[length + 1] = (byte) 0xff;
        bytes[length + 2] = (byte) 0xff;
        bytes[length + 3] = (byte) 0xff;
        length += 4;
        values++;
    }

    public void appendByte(int b) {
        ensure(1);
        bytes[length++] = (byte) b;
    }

    public void appendBytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, bytes, length, len);
        length += len;
    }

    /** A string's UTF-8 bytes. */
    public void appendString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        appendBytes(b, 0, b.length);
    }

    /** {@code Long.toString(v)}. */
    public void appendLong(long v) {
        if (v == Long.MIN_VALUE) {
            appendString(Long.toString(v));
            return;
        }
        ensure(20);
        if (v < 0) {
            bytes[length++] = '-';
            v = -v;
        }
        int n = digits(v);
        writeDigits(v, length + n);
        length += n;
    }

    /**
     * The NUMERIC {@code unscaled × 10^-scale} as {@code BigDecimal.valueOf(unscaled, scale).toPlainString()}
     * gives it: every one of the {@code scale} fraction digits, a {@code 0} before the point when the integer part
     * is zero.
     */
    public void appendDecimal(long unscaled, int scale) {
        if (scale == 0) {
            appendLong(unscaled);
            return;
        }
        if (scale < 0 || scale >= POW10.length || unscaled == Long.MIN_VALUE) {
            appendString(BigDecimal.valueOf(unscaled, scale).toPlainString());
            return;
        }
        ensure(22);
        if (unscaled < 0) {
            bytes[length++] = '-';
            unscaled = -unscaled;
        }
        // All digits, zero-padded to at least one before the point, written one byte to the right; then the integer
        // digits move left one byte and the point goes between: no division by 10^scale.
        int n = digits(unscaled);
        int width = Math.max(n, scale + 1);
        int start = length + 1;
        writeDigits(unscaled, start + width);
        for (int i = start + width - n - 1; i >= start; i--) {
            bytes[i] = '0';
        }
        int whole = width - scale;
        System.arraycopy(bytes, start, bytes, length, whole);
        bytes[length + whole] = '.';
        length += width + 1;
    }

    /**
     * The date {@code epochDay} days after 1970-01-01 as PostgreSQL prints it with DateStyle ISO: {@code
     * yyyy-mm-dd} with the year zero-padded to four digits, or {@code yyyy-mm-dd BC} for years before 1 (year 0 is
     * 1 BC). {@code epochDay} must lie in {@link LocalDate}'s range (the caller checks).
     */
    public void appendDate(long epochDay) {
        // The civil-from-days computation of LocalDate.ofEpochDay, without the object.
        long zeroDay = epochDay + DAYS_0000_TO_1970;
        long adjust = 0;
        if (zeroDay < 0) {
            long adjustCycles = (zeroDay + 1) / 146_097 - 1;
            adjust = adjustCycles * 400;
            zeroDay += -adjustCycles * 146_097;
        }
        long yearEst = (400 * zeroDay + 591) / 146_097;
        long doyEst = zeroDay - (365 * yearEst + yearEst / 4 - yearEst / 100 + yearEst / 400);
        if (doyEst < 0) {
            yearEst--;
            doyEst = zeroDay - (365 * yearEst + yearEst / 4 - yearEst / 100 + yearEst / 400);
        }
        yearEst += adjust;
        int marchDoy0 = (int) doyEst;
        int marchMonth0 = (marchDoy0 * 5 + 2) / 153;
        int month = marchMonth0 + 3;
        if (month > 12) {
            month -= 12;
        }
        int day = marchDoy0 - (marchMonth0 * 306 + 5) / 10 + 1;
        long year = yearEst + marchMonth0 / 10;
        boolean bc = year <= 0;
        long shown = bc ? 1 - year : year;
        ensure(19 + 9);
        if (shown >= 1000 && shown <= 9999) {
            int y = (int) shown;
            int hi = y / 100;
            int lo = y - hi * 100;
            bytes[length] = PAIRS[2 * hi];
            bytes[length + 1] = PAIRS[2 * hi + 1];
            bytes[length + 2] = PAIRS[2 * lo];
            bytes[length + 3] = PAIRS[2 * lo + 1];
            length += 4;
        } else {
            int n = Math.max(4, digits(shown));
            writeDigits(shown, length + n);
            for (int i = length + n - digits(shown) - 1; i >= length; i--) {
                bytes[i] = '0';
            }
            length += n;
        }
        bytes[length] = '-';
        bytes[length + 1] = PAIRS[2 * month];
        bytes[length + 2] = PAIRS[2 * month + 1];
        bytes[length + 3] = '-';
        bytes[length + 4] = PAIRS[2 * day];
        bytes[length + 5] = PAIRS[2 * day + 1];
        length += 6;
        if (bc) {
            bytes[length] = ' ';
            bytes[length + 1] = 'B';
            bytes[length + 2] = 'C';
            length += 3;
        }
    }

    /**
     * Writes the decimal digits of {@code v} (at least one, {@code v >= 0}) to end just before {@code end}, two at a
     * time, in int arithmetic once the value fits.
     */
    private void writeDigits(long v, int end) {
        int i = end;
        while (v > Integer.MAX_VALUE) {
            long q = v / 100;
            int r = (int) (v - q * 100);
            bytes[--i] = PAIRS[2 * r + 1];
            bytes[--i] = PAIRS[2 * r];
            v = q;
        }
        int x = (int) v;
        while (x >= 100) {
            int q = x / 100;
            int r = x - q * 100;
            bytes[--i] = PAIRS[2 * r + 1];
            bytes[--i] = PAIRS[2 * r];
            x = q;
        }
        if (x >= 10) {
            bytes[--i] = PAIRS[2 * x + 1];
            bytes[--i] = PAIRS[2 * x];
        } else {
            bytes[--i] = (byte) ('0' + x);
        }
    }

    /** The number of decimal digits of {@code v >= 0} (1 for 0). */
    private static int digits(long v) {
        // floor(log10(2^bits)) is (bits * 1233) >>> 12 for bits up to 64; one comparison settles the rest.
        int t = ((64 - Long.numberOfLeadingZeros(v | 1)) * 1233) >>> 12;
        return Math.max(1, t + (v >= POW10[t] ? 1 : 0));
    }

    private void ensure(int n) {
        if (length + n > bytes.length) {
            grow(n);
        }
    }

    private void grow(int n) {
        long want = Math.max((long) bytes.length * 2, (long) length + n);
        if (want > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("a row's text is over 2 GiB");
        }
        bytes = Arrays.copyOf(bytes, (int) want);
    }
}
