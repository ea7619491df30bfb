package io.strongroom.pgwire.protocol;

import io.strongroom.base.ErrorCode;
import io.strongroom.sql.SqlType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * Converts values between the Java classes {@link SqlType} names and PostgreSQL's text and binary formats.
 *
 * <p>Binary layouts (network byte order): bool 1 byte (0/1); int2/int4/int8/oid two's complement of their size;
 * float4/float8 IEEE 754; text types the UTF-8 bytes; date int32 days since 2000-01-01; timestamp int64
 * microseconds since 2000-01-01 00:00:00; timestamptz int64 microseconds since 2000-01-01 00:00:00 UTC; numeric
 * {@code int16 ndigits, int16 weight, int16 sign (0x0000 +, 0x4000 -, 0xC000 NaN), int16 dscale, int16[ndigits]
 * base-10000 digits}, value = Σ digit[i] × 10000^(weight − i), shown with dscale fraction digits.
 *
 * <p>Text output follows PostgreSQL with DateStyle ISO: {@code t}/{@code f}; floats in the shortest form that
 * reads back exactly ({@code 1e+20}, {@code Infinity}, {@code NaN}); timestamps {@code 2024-05-06
 * 07:08:09.123456}, with the offset as {@code +02} or {@code +05:30}. Stateless and thread-safe.
 */
public final class PgValues {
    private static final LocalDate PG_EPOCH_DATE = LocalDate.of(2000, 1, 1);
    private static final long PG_EPOCH_SECONDS = 946_684_800L;
    private static final short NUMERIC_POS = 0x0000;
    private static final short NUMERIC_NEG = 0x4000;
    private static final BigInteger NBASE = BigInteger.valueOf(10_000);

    private PgValues() {}

    public static byte[] encodeText(SqlType type, Object value) {
        return text(type, value).getBytes(StandardCharsets.UTF_8);
    }

    /** The text form of a value of {@code type}. */
    static String text(SqlType type, Object value) {
        return switch (type) {
            case BOOL -> as(Boolean.class, type, value) ? "t" : "f";
            case INT2, INT4, INT8 -> Long.toString(asNumber(type, value).longValue());
            case OID -> Integer.toUnsignedString(asNumber(type, value).intValue());
            case NUMERIC -> asDecimal(type, value).toPlainString();
            case FLOAT4 -> formatFloat(asNumber(type, value).floatValue());
            case FLOAT8 -> formatDouble(asNumber(type, value).doubleValue());
            case BPCHAR, VARCHAR, TEXT, NAME, UNKNOWN -> value.toString();
            case DATE -> formatDate(as(LocalDate.class, type, value));
            case TIMESTAMP -> formatTimestamp(as(LocalDateTime.class, type, value));
            case TIMESTAMPTZ -> formatTimestampTz(as(OffsetDateTime.class, type, value));
            case BOOL_ARRAY, INT2_ARRAY, INT4_ARRAY, INT8_ARRAY, TEXT_ARRAY ->
                PgArrays.text(type, as(List.class, type, value));
        };
    }

    public static byte[] encodeBinary(SqlType type, Object value) {
        return switch (type) {
            case BOOL -> new byte[] {(byte) (as(Boolean.class, type, value) ? 1 : 0)};
            case INT2 ->
                ByteBuffer.allocate(2)
                        .putShort(asNumber(type, value).shortValue())
                        .array();
            case INT4, OID ->
                ByteBuffer.allocate(4).putInt(asNumber(type, value).intValue()).array();
            case INT8 ->
                ByteBuffer.allocate(8)
                        .putLong(asNumber(type, value).longValue())
                        .array();
            case FLOAT4 ->
                ByteBuffer.allocate(4)
                        .putFloat(asNumber(type, value).floatValue())
                        .array();
            case FLOAT8 ->
                ByteBuffer.allocate(8)
                        .putDouble(asNumber(type, value).doubleValue())
                        .array();
            case NUMERIC -> encodeNumeric(asDecimal(type, value));
            case BPCHAR, VARCHAR, TEXT, NAME, UNKNOWN -> value.toString().getBytes(StandardCharsets.UTF_8);
            case DATE ->
                ByteBuffer.allocate(4)
                        .putInt(Math.toIntExact(
                                ChronoUnit.DAYS.between(PG_EPOCH_DATE, as(LocalDate.class, type, value))))
                        .array();
            case TIMESTAMP ->
                ByteBuffer.allocate(8)
                        .putLong(micros(
                                as(LocalDateTime.class, type, value).toEpochSecond(ZoneOffset.UTC),
                                as(LocalDateTime.class, type, value).getNano()))
                        .array();
            case TIMESTAMPTZ -> {
                OffsetDateTime t = as(OffsetDateTime.class, type, value);
                yield ByteBuffer.allocate(8)
                        .putLong(micros(t.toEpochSecond(), t.getNano()))
                        .array();
            }
            case BOOL_ARRAY, INT2_ARRAY, INT4_ARRAY, INT8_ARRAY, TEXT_ARRAY ->
                PgArrays.binary(type, as(List.class, type, value));
        };
    }

    /** A parameter sent in text format; {@link PgException} 22P02 if it does not parse as {@code type}. */
    public static Object decodeText(SqlType type, byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        try {
            return switch (type) {
                case BOOL -> parseBool(s);
                case INT2 -> Short.parseShort(s.trim());
                case INT4 -> Integer.parseInt(s.trim());
                case INT8 -> Long.parseLong(s.trim());
                case OID -> (int) Long.parseLong(s.trim());
                case NUMERIC -> new BigDecimal(s.trim());
                case FLOAT4 -> (float) parseDouble(s);
                case FLOAT8 -> parseDouble(s);
                case BPCHAR, VARCHAR, TEXT, NAME, UNKNOWN -> s;
                case DATE -> LocalDate.parse(s.trim());
                case TIMESTAMP -> parseTimestamp(s).toLocalDateTime();
                case TIMESTAMPTZ -> parseTimestamp(s);
                // Never asked for: SqlType.ofOid reads an array parameter as UNKNOWN text.
                case BOOL_ARRAY, INT2_ARRAY, INT4_ARRAY, INT8_ARRAY, TEXT_ARRAY -> s;
            };
        } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
            throw new PgException(
                    ErrorCode.INVALID_TEXT_REPRESENTATION,
                    "invalid input syntax for type " + typeName(type) + ": \"" + clip(s) + "\"",
                    false);
        }
    }

    /** A parameter sent in binary format; {@link PgException} 22P03 if its length or content is wrong. */
    public static Object decodeBinary(SqlType type, byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b);
        Object v = switch (type) {
            case BOOL -> {
                length(type, b, 1);
                yield b[0] != 0;
            }
            case INT2 -> {
                length(type, b, 2);
                yield in.getShort();
            }
            case INT4, OID -> {
                length(type, b, 4);
                yield in.getInt();
            }
            case INT8 -> {
                length(type, b, 8);
                yield in.getLong();
            }
            case FLOAT4 -> {
                length(type, b, 4);
                yield in.getFloat();
            }
            case FLOAT8 -> {
                length(type, b, 8);
                yield in.getDouble();
            }
            case NUMERIC -> decodeNumeric(b);
            case BPCHAR, VARCHAR, TEXT, NAME, UNKNOWN -> new String(b, StandardCharsets.UTF_8);
            case DATE -> {
                length(type, b, 4);
                yield PG_EPOCH_DATE.plusDays(in.getInt());
            }
            case TIMESTAMP -> {
                length(type, b, 8);
                yield fromMicros(in.getLong()).toLocalDateTime();
            }
            case TIMESTAMPTZ -> {
                length(type, b, 8);
                yield fromMicros(in.getLong());
            }
            // Never asked for: SqlType.ofOid reads an array parameter as UNKNOWN text.
            case BOOL_ARRAY, INT2_ARRAY, INT4_ARRAY, INT8_ARRAY, TEXT_ARRAY -> throw badBinary(type);
        };
        return v;
    }

    static byte[] encodeNumeric(BigDecimal value) {
        int dscale = Math.max(value.scale(), 0);
        String digits = value.abs().setScale(dscale).unscaledValue().toString();
        int intLen = digits.length() - dscale;
        String intPart = intLen > 0 ? digits.substring(0, intLen) : "";
        String fracPart = intLen > 0 ? digits.substring(intLen) : "0".repeat(-intLen) + digits;
        intPart = "0".repeat((4 - intPart.length() % 4) % 4) + intPart;
        fracPart = fracPart + "0".repeat((4 - fracPart.length() % 4) % 4);
        String all = intPart + fracPart;
        int n = all.length() / 4;
        short[] groups = new short[n];
        for (int i = 0; i < n; i++) {
            groups[i] = Short.parseShort(all.substring(4 * i, 4 * i + 4));
        }
        int weight = intPart.length() / 4 - 1;
        int first = 0;
        int last = n;
        while (first < last && groups[first] == 0) {
            first++;
            weight--;
        }
        while (last > first && groups[last - 1] == 0) {
            last--;
        }
        if (first == last) {
            weight = 0;
        }
        ByteBuffer out = ByteBuffer.allocate(8 + 2 * (last - first));
        out.putShort((short) (last - first));
        out.putShort((short) weight);
        out.putShort(value.signum() < 0 ? NUMERIC_NEG : NUMERIC_POS);
        out.putShort((short) dscale);
        for (int i = first; i < last; i++) {
            out.putShort(groups[i]);
        }
        return out.array();
    }

    static BigDecimal decodeNumeric(byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b);
        if (b.length < 8) {
            throw badBinary(SqlType.NUMERIC);
        }
        int ndigits = in.getShort() & 0xffff;
        int weight = in.getShort();
        int sign = in.getShort() & 0xffff;
        int dscale = in.getShort() & 0xffff;
        if (b.length != 8 + 2 * ndigits || (sign != NUMERIC_POS && sign != NUMERIC_NEG) || dscale > 0x3fff) {
            throw badBinary(SqlType.NUMERIC);
        }
        BigInteger unscaled = BigInteger.ZERO;
        for (int i = 0; i < ndigits; i++) {
            int d = in.getShort();
            if (d < 0 || d >= 10_000) {
                throw badBinary(SqlType.NUMERIC);
            }
            unscaled = unscaled.multiply(NBASE).add(BigInteger.valueOf(d));
        }
        // unscaled holds digits d[0..n-1]; the last one is worth 10000^(weight - n + 1).
        BigDecimal v = new BigDecimal(unscaled).scaleByPowerOfTen(4 * (weight - ndigits + 1));
        v = v.setScale(dscale, RoundingMode.UNNECESSARY);
        return sign == NUMERIC_NEG ? v.negate() : v;
    }

    static String formatDouble(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
        }
        return shortest(Double.toString(d), d == 0 && 1 / d < 0, 15);
    }

    static String formatFloat(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f)) {
            return Float.isNaN(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity";
        }
        return shortest(Float.toString(f), f == 0 && 1 / f < 0, 6);
    }

    /**
     * Java's shortest round-trip digits, laid out as PostgreSQL's float output: plain for decimal exponents in
     * [-4, maxPlainExponent), else {@code d.ddde+XX}.
     */
    private static String shortest(String javaString, boolean negativeZero, int maxPlainExponent) {
        if (negativeZero) {
            return "-0";
        }
        BigDecimal bd = new BigDecimal(javaString).stripTrailingZeros();
        if (bd.signum() == 0) {
            return "0";
        }
        int exponent = bd.precision() - bd.scale() - 1;
        if (exponent >= -4 && exponent < maxPlainExponent) {
            return bd.toPlainString();
        }
        String digits = bd.unscaledValue().abs().toString();
        StringBuilder sb = new StringBuilder();
        if (bd.signum() < 0) {
            sb.append('-');
        }
        sb.append(digits.charAt(0));
        if (digits.length() > 1) {
            sb.append('.').append(digits, 1, digits.length());
        }
        sb.append('e').append(exponent < 0 ? '-' : '+');
        int abs = Math.abs(exponent);
        if (abs < 10) {
            sb.append('0');
        }
        return sb.append(abs).toString();
    }

    static String formatDate(LocalDate d) {
        int year = d.getYear();
        if (year <= 0) {
            return pad(1 - year, 4) + "-" + pad(d.getMonthValue(), 2) + "-" + pad(d.getDayOfMonth(), 2) + " BC";
        }
        return pad(year, 4) + "-" + pad(d.getMonthValue(), 2) + "-" + pad(d.getDayOfMonth(), 2);
    }

    static String formatTimestamp(LocalDateTime t) {
        LocalDate d = t.toLocalDate();
        String date = formatDate(d);
        boolean bc = date.endsWith(" BC");
        if (bc) {
            date = date.substring(0, date.length() - 3);
        }
        StringBuilder sb = new StringBuilder(date).append(' ');
        sb.append(pad(t.getHour(), 2))
                .append(':')
                .append(pad(t.getMinute(), 2))
                .append(':')
                .append(pad(t.getSecond(), 2));
        int micros = t.getNano() / 1000;
        if (micros != 0) {
            String f = pad(micros, 6);
            int end = f.length();
            while (f.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(f, 0, end);
        }
        return bc ? sb.append(" BC").toString() : sb.toString();
    }

    static String formatTimestampTz(OffsetDateTime t) {
        String local = formatTimestamp(t.toLocalDateTime());
        int total = t.getOffset().getTotalSeconds();
        int abs = Math.abs(total);
        StringBuilder off = new StringBuilder(total < 0 ? "-" : "+").append(pad(abs / 3600, 2));
        if (abs % 3600 != 0) {
            off.append(':').append(pad(abs % 3600 / 60, 2));
            if (abs % 60 != 0) {
                off.append(':').append(pad(abs % 60, 2));
            }
        }
        if (local.endsWith(" BC")) {
            return local.substring(0, local.length() - 3) + off + " BC";
        }
        return local + off;
    }

    /** Accepts {@code yyyy-mm-dd[( |T)hh:mm[:ss[.f]]][Z|±hh[:mm[:ss]]]}; no offset means UTC. */
    static OffsetDateTime parseTimestamp(String text) {
        String s = text.trim();
        if (s.length() < 10) {
            throw new DateTimeParseException("too short", s, 0);
        }
        LocalDate date = LocalDate.parse(s.substring(0, 10));
        if (s.length() == 10) {
            return date.atStartOfDay().atOffset(ZoneOffset.UTC);
        }
        char sep = s.charAt(10);
        if (sep != ' ' && sep != 'T') {
            throw new DateTimeParseException("expected a time", s, 10);
        }
        String rest = s.substring(11).trim();
        int offsetAt = -1;
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c == '+' || c == '-' || c == 'Z' || c == 'z') {
                offsetAt = i;
                break;
            }
        }
        String timePart = offsetAt < 0 ? rest : rest.substring(0, offsetAt).trim();
        ZoneOffset offset = offsetAt < 0 ? ZoneOffset.UTC : parseOffset(rest.substring(offsetAt));
        return LocalDateTime.of(date, LocalTime.parse(timePart)).atOffset(offset);
    }

    private static ZoneOffset parseOffset(String s) {
        if (s.equalsIgnoreCase("z")) {
            return ZoneOffset.UTC;
        }
        try {
            return ZoneOffset.of(s);
        } catch (DateTimeException e) {
            throw new DateTimeParseException("bad offset", s, 0);
        }
    }

    private static boolean parseBool(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "t", "true", "y", "yes", "on", "1" -> true;
            case "f", "false", "n", "no", "off", "0" -> false;
            default -> throw new NumberFormatException(s);
        };
    }

    private static double parseDouble(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "nan" -> Double.NaN;
            case "infinity", "+infinity", "inf", "+inf" -> Double.POSITIVE_INFINITY;
            case "-infinity", "-inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                if (s.contains("n") || s.endsWith("d") || s.endsWith("f") || s.startsWith("0x")) {
                    throw new NumberFormatException(s); // Java-only spellings PostgreSQL rejects.
                }
                yield Double.parseDouble(s);
            }
        };
    }

    private static long micros(long epochSecond, int nano) {
        return Math.addExact(Math.multiplyExact(epochSecond - PG_EPOCH_SECONDS, 1_000_000L), nano / 1000);
    }

    private static OffsetDateTime fromMicros(long micros) {
        long seconds = Math.floorDiv(micros, 1_000_000L) + PG_EPOCH_SECONDS;
        long microsOfSecond = Math.floorMod(micros, 1_000_000L);
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(seconds, microsOfSecond * 1000), ZoneOffset.UTC);
    }

    private static void length(SqlType type, byte[] b, int expected) {
        if (b.length != expected) {
            throw badBinary(type);
        }
    }

    private static PgException badBinary(SqlType type) {
        return new PgException(
                ErrorCode.INVALID_BINARY_REPRESENTATION,
                "incorrect binary data format for type " + typeName(type),
                false);
    }

    private static <T> T as(Class<T> cls, SqlType type, Object value) {
        if (!cls.isInstance(value)) {
            throw mismatch(type, value);
        }
        return cls.cast(value);
    }

    private static Number asNumber(SqlType type, Object value) {
        if (!(value instanceof Number n)) {
            throw mismatch(type, value);
        }
        return n;
    }

    private static BigDecimal asDecimal(SqlType type, Object value) {
        if (value instanceof BigDecimal d) {
            return d;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        if (value instanceof BigInteger i) {
            return new BigDecimal(i);
        }
        throw mismatch(type, value);
    }

    private static PgException mismatch(SqlType type, Object value) {
        return new PgException(
                ErrorCode.INTERNAL,
                "the SQL engine returned a " + value.getClass().getSimpleName() + " for a column of type "
                        + typeName(type),
                false);
    }

    private static String typeName(SqlType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    private static String clip(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    private static String pad(int v, int width) {
        String s = Integer.toString(v);
        return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }
}
