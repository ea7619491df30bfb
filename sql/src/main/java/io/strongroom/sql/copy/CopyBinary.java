package io.strongroom.sql.copy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.ColumnType;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL's binary COPY format, read as it arrives in CopyData messages of any size:
 *
 * <pre>
 * header = "PGCOPY\n\377\r\n\0" (11 bytes) | int32 flags (bit 16: OIDs, refused; bits 0-15 must be zero)
 *          | int32 n | n bytes of header extension (skipped)
 * tuple  = int16 fieldCount (-1 ends the data) | field*fieldCount
 * field  = int32 length (-1 for NULL) | length bytes in the column type's binary send format
 * </pre>
 *
 * Each field is decoded by its column's type, as PostgreSQL's {@code *_recv} functions read it: bool (1 byte),
 * int2/int4/int8 and float4/float8 (big-endian), numeric (int16 ndigits, weight, sign, dscale, then base-10000
 * digits), char/varchar (UTF-8 bytes), date (int32 days since 2000-01-01), timestamp and timestamptz (int64
 * microseconds since 2000-01-01 00:00, UTC for timestamptz). A field whose length does not fit its type, a tuple
 * with the wrong field count and anything after the trailer are refused (22P03 in PostgreSQL; here a clear
 * INVALID_ARGUMENT naming the tuple and column). Lengths are bounded before anything is allocated. One decoder
 * per COPY; not thread-safe.
 */
final class CopyBinary {
    static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};
    /** Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
    static final long PG_EPOCH_DAYS = 10_957;
    /** Microseconds from 1970-01-01 to 2000-01-01. */
    static final long PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400_000_000L;
    /** A field longer than this is refused (PostgreSQL's own limit on a value is 1 GB). */
    static final int MAX_FIELD_BYTES = 64 * 1024 * 1024;

    private final List<ColumnType> types;
    private final String table;
    private final Consumer<@Nullable Object[]> rows;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean headerRead;
    private boolean ended;
    private long tuple;

    /** Decodes tuples of {@code types} (the COPY's columns in order) and hands each to {@code rows}. */
    CopyBinary(List<ColumnType> types, String table, Consumer<@Nullable Object[]> rows) {
        this.types = List.copyOf(types);
        this.table = table;
        this.rows = rows;
    }

    /** Takes the next bytes of the stream; complete tuples are decoded now, a partial one waits for more. */
    void write(byte[] data, int off, int len) {
        pending.write(data, off, len);
        byte[] buf = pending.toByteArray();
        ByteBuffer b = ByteBuffer.wrap(buf);
        int consumed = 0;
        while (true) {
            int start = b.position();
            if (!step(b)) {
                b.position(start);
                break;
            }
            consumed = b.position();
        }
        pending.reset();
        pending.write(buf, consumed, buf.length - consumed);
    }

    /** Checks that the stream ended with the trailer. */
    void finish() {
        if (!ended || pending.size() > 0) {
            throw bad(
                    headerRead
                            ? "the data ends in the middle of a tuple or without the -1 trailer"
                            : "the data does not start with the PGCOPY signature");
        }
    }

    /** Reads one unit (the header or a tuple) if all of it is there; false when more bytes are needed. */
    private boolean step(ByteBuffer b) {
        if (ended) {
            if (b.hasRemaining()) {
                throw bad("data after the end-of-data trailer");
            }
            return false;
        }
        if (!headerRead) {
            if (b.remaining() < SIGNATURE.length + 8) {
                return false;
            }
            byte[] sig = new byte[SIGNATURE.length];
            b.get(sig);
            if (!Arrays.equals(sig, SIGNATURE)) {
                throw bad("the data does not start with the PGCOPY signature (is it FORMAT binary?)");
            }
            int flags = b.getInt();
            if ((flags & (1 << 16)) != 0) {
                throw bad("rows with OIDs are not supported");
            }
            if ((flags & 0xFFFF) != 0) {
                throw bad("unrecognized critical flags in the header: " + flags);
            }
            int ext = b.getInt();
            if (ext < 0 || ext > MAX_FIELD_BYTES) {
                throw bad("invalid header extension length " + ext);
            }
            if (b.remaining() < ext) {
                return false;
            }
            b.position(b.position() + ext);
            headerRead = true;
            return true;
        }
        if (b.remaining() < 2) {
            return false;
        }
        short count = b.getShort();
        if (count == -1) {
            ended = true;
            return true;
        }
        if (count != types.size()) {
            throw bad("tuple " + (tuple + 1) + " has " + count + " fields, expected " + types.size());
        }
        // All fields of the tuple must be there before any is decoded.
        int at = b.position();
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 4) {
                return false;
            }
            int n = b.getInt();
            if (n < -1 || n > MAX_FIELD_BYTES) {
                throw bad("tuple " + (tuple + 1) + ": invalid field length " + n);
            }
            if (n > 0) {
                if (b.remaining() < n) {
                    return false;
                }
                b.position(b.position() + n);
            }
        }
        b.position(at);
        tuple++;
        @Nullable Object[] row = new Object[count];
        for (int i = 0; i < count; i++) {
            int n = b.getInt();
            if (n >= 0) {
                ByteBuffer field = b.slice(b.position(), n);
                b.position(b.position() + n);
                row[i] = field(field, types.get(i), i);
            }
        }
        rows.accept(row);
        return true;
    }

    private Object field(ByteBuffer f, ColumnType t, int column) {
        int n = f.remaining();
        return switch (t.kind()) {
            case BOOLEAN -> {
                expect(n, 1, t, column);
                yield f.get() != 0;
            }
            case SMALLINT -> {
                expect(n, 2, t, column);
                yield (long) f.getShort();
            }
            case INTEGER -> {
                expect(n, 4, t, column);
                yield (long) f.getInt();
            }
            case BIGINT -> {
                expect(n, 8, t, column);
                yield f.getLong();
            }
            case REAL -> {
                expect(n, 4, t, column);
                yield (double) f.getFloat();
            }
            case DOUBLE -> {
                expect(n, 8, t, column);
                yield f.getDouble();
            }
            case DECIMAL -> numeric(f, t, column);
            case CHAR, VARCHAR -> StandardCharsets.UTF_8.decode(f).toString();
            case DATE -> {
                expect(n, 4, t, column);
                yield LocalDate.ofEpochDay(PG_EPOCH_DAYS + f.getInt());
            }
            case TIMESTAMP -> {
                expect(n, 8, t, column);
                yield timestamp(f.getLong());
            }
            case TIMESTAMPTZ -> {
                expect(n, 8, t, column);
                yield timestamp(f.getLong()).atOffset(ZoneOffset.UTC);
            }
        };
    }

    static LocalDateTime timestamp(long pgMicros) {
        return LocalDateTime.of(2000, 1, 1, 0, 0).plus(pgMicros, ChronoUnit.MICROS);
    }

    private BigDecimal numeric(ByteBuffer f, ColumnType t, int column) {
        if (f.remaining() < 8) {
            throw bad("tuple " + tuple + ", column " + (column + 1) + ": numeric field too short");
        }
        int ndigits = f.getShort();
        int weight = f.getShort();
        int sign = f.getShort() & 0xFFFF;
        int dscale = f.getShort();
        if (ndigits < 0 || f.remaining() != ndigits * 2 || dscale < 0) {
            throw bad("tuple " + tuple + ", column " + (column + 1) + ": invalid numeric field");
        }
        if (sign == 0xC000) {
            throw bad("tuple " + tuple + ", column " + (column + 1) + ": NaN cannot be stored in " + t.sql());
        }
        if (sign != 0 && sign != 0x4000) {
            throw bad("tuple " + tuple + ", column " + (column + 1) + ": invalid numeric sign " + sign);
        }
        BigInteger unscaled = BigInteger.ZERO;
        BigInteger base = BigInteger.valueOf(10_000);
        for (int i = 0; i < ndigits; i++) {
            int d = f.getShort();
            if (d < 0 || d > 9999) {
                throw bad("tuple " + tuple + ", column " + (column + 1) + ": invalid numeric digit " + d);
            }
            unscaled = unscaled.multiply(base).add(BigInteger.valueOf(d));
        }
        // The digits are base 10000 with the first at 10000^weight.
        BigDecimal v = new BigDecimal(unscaled).scaleByPowerOfTen(4 * (weight - ndigits + 1));
        if (sign == 0x4000) {
            v = v.negate();
        }
        return v.setScale(dscale, RoundingMode.HALF_UP);
    }

    private void expect(int n, int size, ColumnType t, int column) {
        if (n != size) {
            throw bad("tuple " + tuple + ", column " + (column + 1) + ": a " + t.sql() + " field has " + size
                    + " bytes, got " + n + " (send each column in its own type's binary format)");
        }
    }

    private StrongroomException bad(String what) {
        return new StrongroomException(
                ErrorCode.INVALID_ARGUMENT, "COPY " + table + ": incorrect binary data format: " + what);
    }
}
