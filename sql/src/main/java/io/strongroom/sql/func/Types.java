package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SqlType;
import io.strongroom.storage.ColumnType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.type.SqlTypeName;
import org.jspecify.annotations.Nullable;

/**
 * Type mapping between storage columns, Calcite and the wire, and the one in-memory form values take while a
 * query runs: exact integers as {@link Long}, DECIMAL as {@link BigDecimal}, REAL and DOUBLE as {@link
 * Double}, strings as {@link String}, BOOLEAN as {@link Boolean}, DATE as {@link LocalDate}, TIMESTAMP as
 * {@link LocalDateTime}, TIMESTAMPTZ as {@link OffsetDateTime} in UTC. Stateless.
 */
public final class Types {
    private Types() {}

    public static RelDataType toCalcite(ColumnType t, RelDataTypeFactory f) {
        RelDataType base = switch (t.kind()) {
            case BOOLEAN -> f.createSqlType(SqlTypeName.BOOLEAN);
            case SMALLINT -> f.createSqlType(SqlTypeName.SMALLINT);
            case INTEGER -> f.createSqlType(SqlTypeName.INTEGER);
            case BIGINT -> f.createSqlType(SqlTypeName.BIGINT);
            case DECIMAL -> f.createSqlType(SqlTypeName.DECIMAL, t.precision(), t.scale());
            case REAL -> f.createSqlType(SqlTypeName.REAL);
            case DOUBLE -> f.createSqlType(SqlTypeName.DOUBLE);
            case CHAR -> f.createSqlType(SqlTypeName.CHAR, t.length());
            case VARCHAR -> f.createSqlType(SqlTypeName.VARCHAR, t.length());
            case DATE -> f.createSqlType(SqlTypeName.DATE);
            case TIMESTAMP -> f.createSqlType(SqlTypeName.TIMESTAMP, 6);
            case TIMESTAMPTZ -> f.createSqlType(SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE, 6);
        };
        return f.createTypeWithNullability(base, true);
    }

    /** The storage type for a column whose values have Calcite type {@code t} (CREATE TABLE AS). */
    public static ColumnType toStorage(RelDataType t) {
        return switch (t.getSqlTypeName()) {
            case BOOLEAN -> ColumnType.BOOLEAN;
            case TINYINT, SMALLINT -> ColumnType.SMALLINT;
            case INTEGER -> ColumnType.INTEGER;
            case BIGINT -> ColumnType.BIGINT;
            case DECIMAL ->
                ColumnType.decimal(
                        Math.max(1, Math.min(38, t.getPrecision())),
                        Math.max(0, Math.min(t.getScale(), Math.min(38, t.getPrecision()))));
            case REAL -> ColumnType.REAL;
            case FLOAT, DOUBLE -> ColumnType.DOUBLE;
            case CHAR -> ColumnType.charType(Math.max(1, Math.min(ColumnType.MAX_CHAR_LENGTH, t.getPrecision())));
            case VARCHAR ->
                ColumnType.varchar(
                        t.getPrecision() <= 0 ? 256 : Math.min(ColumnType.MAX_CHAR_LENGTH, t.getPrecision()));
            case DATE -> ColumnType.DATE;
            case TIMESTAMP -> ColumnType.TIMESTAMP;
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE -> ColumnType.TIMESTAMPTZ;
            default -> ColumnType.varchar(256);
        };
    }

    public static SqlType toWire(RelDataType t) {
        return switch (t.getSqlTypeName()) {
            case BOOLEAN -> SqlType.BOOL;
            case TINYINT, SMALLINT -> SqlType.INT2;
            case INTEGER -> SqlType.INT4;
            case BIGINT -> SqlType.INT8;
            case DECIMAL -> SqlType.NUMERIC;
            case REAL -> SqlType.FLOAT4;
            case FLOAT, DOUBLE -> SqlType.FLOAT8;
            case CHAR -> SqlType.BPCHAR;
            case VARCHAR -> SqlType.VARCHAR;
            case DATE -> SqlType.DATE;
            case TIMESTAMP -> SqlType.TIMESTAMP;
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE -> SqlType.TIMESTAMPTZ;
            case ARRAY -> arrayOf(toWire(Objects.requireNonNull(t.getComponentType(), "array component")));
            default -> SqlType.TEXT;
        };
    }

    /** The array type of elements of {@code element}: text for any element without an array type of its own. */
    private static SqlType arrayOf(SqlType element) {
        return switch (element) {
            case BOOL -> SqlType.BOOL_ARRAY;
            case INT2 -> SqlType.INT2_ARRAY;
            case INT4 -> SqlType.INT4_ARRAY;
            case INT8 -> SqlType.INT8_ARRAY;
            default -> SqlType.TEXT_ARRAY;
        };
    }

    public static ResultColumn column(String name, RelDataType t) {
        int mod = switch (t.getSqlTypeName()) {
            case CHAR, VARCHAR ->
                t.getPrecision() > 0 && t.getPrecision() != RelDataType.PRECISION_NOT_SPECIFIED
                        ? t.getPrecision() + 4
                        : -1;
            case DECIMAL -> ((t.getPrecision() << 16) | Math.max(0, t.getScale())) + 4;
            default -> -1;
        };
        return new ResultColumn(name, toWire(t), mod, 0, (short) 0);
    }

    /** A value read from storage ({@code ColumnVector.get}) in its in-memory form. */
    public static @Nullable Object fromStorage(@Nullable Object v) {
        if (v instanceof Short s) {
            return (long) s;
        }
        if (v instanceof Integer i) {
            return (long) i;
        }
        if (v instanceof Float f) {
            return (double) f;
        }
        return v;
    }

    /** An in-memory value as the wire type's Java class. */
    public static @Nullable Object toWireValue(@Nullable Object v, SqlType t) {
        if (v == null) {
            return null;
        }
        return switch (t) {
            case INT2 -> ((Number) v).shortValue();
            case INT4 -> ((Number) v).intValue();
            case INT8 -> ((Number) v).longValue();
            case FLOAT4 -> ((Number) v).floatValue();
            case FLOAT8 -> ((Number) v).doubleValue();
            case NUMERIC -> v instanceof BigDecimal b ? b : new BigDecimal(v.toString());
            case BOOL -> v;
            case DATE -> v;
            case TIMESTAMP -> v instanceof OffsetDateTime o ? o.toLocalDateTime() : v;
            case TIMESTAMPTZ -> v instanceof LocalDateTime l ? l.atOffset(ZoneOffset.UTC) : v;
            case BOOL_ARRAY, INT2_ARRAY, INT4_ARRAY, INT8_ARRAY, TEXT_ARRAY -> {
                SqlType element = Objects.requireNonNull(t.element());
                List<@Nullable Object> out = new ArrayList<>();
                for (Object e : (List<?>) v) {
                    out.add(toWireValue(e, element));
                }
                yield Collections.unmodifiableList(out);
            }
            default -> text(v);
        };
    }

    /** PostgreSQL's text form of an in-memory value. */
    public static String text(Object v) {
        if (v instanceof Boolean b) {
            return b ? "t" : "f";
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof List<?> list) {
            return arrayText(list);
        }
        return v.toString();
    }

    /** PostgreSQL's text form of a one-dimensional array ({@code array_out}): {@code {a,"b c",NULL}}. */
    private static String arrayText(List<?> list) {
        StringBuilder out = new StringBuilder("{");
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            Object e = list.get(i);
            String s = e == null ? null : text(e);
            if (s == null) {
                out.append("NULL");
            } else if (s.isEmpty() || s.equalsIgnoreCase("NULL") || s.matches("(?s).*[\\s\"\\\\{},].*")) {
                out.append('"')
                        .append(s.replace("\\", "\\\\").replace("\"", "\\\""))
                        .append('"');
            } else {
                out.append(s);
            }
        }
        return out.append('}').toString();
    }

    /** An in-memory value converted to the storage column type's Java value ({@code ColumnVector.append}). */
    public static @Nullable Object toStorage(@Nullable Object v, ColumnType t) {
        if (v == null) {
            return null;
        }
        try {
            return switch (t.kind()) {
                case BOOLEAN -> v instanceof Boolean ? v : parseBoolean(v.toString());
                case SMALLINT, INTEGER, BIGINT ->
                    v instanceof Number n
                            ? exactLong(n)
                            : Long.parseLong(v.toString().trim());
                case DECIMAL ->
                    v instanceof BigDecimal ? v : new BigDecimal(v.toString().trim());
                case REAL, DOUBLE ->
                    v instanceof Number n
                            ? n.doubleValue()
                            : Double.parseDouble(v.toString().trim());
                case CHAR, VARCHAR -> v instanceof String ? v : text(v);
                case DATE ->
                    v instanceof LocalDate
                            ? v
                            : v instanceof LocalDateTime l
                                    ? l.toLocalDate()
                                    : LocalDate.parse(v.toString().trim());
                case TIMESTAMP ->
                    v instanceof LocalDateTime
                            ? v
                            : v instanceof LocalDate d
                                    ? d.atStartOfDay()
                                    : parseTimestamp(v.toString().trim());
                case TIMESTAMPTZ ->
                    v instanceof OffsetDateTime
                            ? v
                            : v instanceof LocalDateTime l
                                    ? l.atOffset(ZoneOffset.UTC)
                                    : parseTimestampTz(v.toString().trim());
            };
        } catch (RuntimeException e) {
            if (e instanceof StrongroomException se) {
                throw se;
            }
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "invalid input syntax for type " + t.sql() + ": \"" + v + "\"", e);
        }
    }

    private static long exactLong(Number n) {
        if (n instanceof BigDecimal b) {
            return b.setScale(0, RoundingMode.HALF_UP).longValueExact();
        }
        if (n instanceof Double || n instanceof Float) {
            return Math.round(n.doubleValue());
        }
        return n.longValue();
    }

    static boolean parseBoolean(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "t", "true", "y", "yes", "on", "1" -> true;
            case "f", "false", "n", "no", "off", "0" -> false;
            default ->
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "invalid input syntax for type boolean: \"" + s + "\"");
        };
    }

    static LocalDateTime parseTimestamp(String s) {
        String t = s.replace('T', ' ');
        if (t.length() == 10) {
            return LocalDate.parse(t).atStartOfDay();
        }
        return LocalDateTime.parse(t.replace(' ', 'T'));
    }

    static OffsetDateTime parseTimestampTz(String s) {
        String t = s.replace(' ', 'T');
        try {
            return OffsetDateTime.parse(
                    t.endsWith("Z") || t.matches(".*[+-]\\d\\d(:?\\d\\d)?$") ? normalizeOffset(t) : t + "Z");
        } catch (DateTimeParseException e) {
            return Instant.parse(t).atOffset(ZoneOffset.UTC);
        }
    }

    private static String normalizeOffset(String t) {
        // PostgreSQL prints +00; java.time wants +00:00.
        if (t.matches(".*[+-]\\d\\d$")) {
            return t + ":00";
        }
        return t;
    }
}
