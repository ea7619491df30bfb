package io.strongroom.sql;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The SQL types a result column or parameter can have, with their PostgreSQL type OIDs and sizes (what
 * RowDescription and ParameterDescription carry), and the Java class of their values.
 *
 * <p>Values: BOOL {@link Boolean}; INT2 {@link Short}; INT4 {@link Integer}; INT8 {@link Long}; NUMERIC
 * {@link java.math.BigDecimal}; FLOAT4 {@link Float}; FLOAT8 {@link Double}; BPCHAR, VARCHAR, TEXT, NAME
 * {@link String}; DATE {@link java.time.LocalDate}; TIMESTAMP {@link java.time.LocalDateTime}; TIMESTAMPTZ
 * {@link java.time.OffsetDateTime}; OID {@link Integer}; UNKNOWN (an untyped parameter) {@link String}; the
 * one-dimensional arrays BOOL_ARRAY, INT2_ARRAY, INT4_ARRAY, INT8_ARRAY and TEXT_ARRAY a {@link List} of their
 * element type's values, NULLs included (results only: {@code array_agg}; a parameter declared as an array is
 * read as UNKNOWN text, see {@link #ofOid}).
 */
public enum SqlType {
    BOOL(16, 1, Boolean.class),
    INT2(21, 2, Short.class),
    INT4(23, 4, Integer.class),
    INT8(20, 8, Long.class),
    NUMERIC(1700, -1, BigDecimal.class),
    FLOAT4(700, 4, Float.class),
    FLOAT8(701, 8, Double.class),
    BPCHAR(1042, -1, String.class),
    VARCHAR(1043, -1, String.class),
    TEXT(25, -1, String.class),
    NAME(19, 64, String.class),
    OID(26, 4, Integer.class),
    DATE(1082, 4, LocalDate.class),
    TIMESTAMP(1114, 8, LocalDateTime.class),
    TIMESTAMPTZ(1184, 8, OffsetDateTime.class),
    UNKNOWN(705, -2, String.class),
    BOOL_ARRAY(1000, -1, List.class),
    INT2_ARRAY(1005, -1, List.class),
    INT4_ARRAY(1007, -1, List.class),
    INT8_ARRAY(1016, -1, List.class),
    TEXT_ARRAY(1009, -1, List.class);

    private final int oid;
    private final int size;
    private final Class<?> javaClass;

    SqlType(int oid, int size, Class<?> javaClass) {
        this.oid = oid;
        this.size = size;
        this.javaClass = javaClass;
    }

    /** The PostgreSQL type OID. */
    public int oid() {
        return oid;
    }

    /** pg_type.typlen: bytes, -1 for variable length, -2 for C strings. */
    public int size() {
        return size;
    }

    public Class<?> javaClass() {
        return javaClass;
    }

    /** The element type of an array type, or null for a scalar type. */
    public @Nullable SqlType element() {
        return switch (this) {
            case BOOL_ARRAY -> BOOL;
            case INT2_ARRAY -> INT2;
            case INT4_ARRAY -> INT4;
            case INT8_ARRAY -> INT8;
            case TEXT_ARRAY -> TEXT;
            default -> null;
        };
    }

    /**
     * The type of an OID a client sent (Parse parameter types), or UNKNOWN for 0, unsupported OIDs and arrays (an
     * array parameter reaches the engine as its text).
     */
    public static SqlType ofOid(int oid) {
        for (SqlType t : values()) {
            if (t.oid == oid && t.element() == null) {
                return t;
            }
        }
        return UNKNOWN;
    }
}
