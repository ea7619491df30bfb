package io.strongroom.sql;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;

/**
 * The SQL types a result column or parameter can have, with their PostgreSQL type OIDs and sizes (what
 * RowDescription and ParameterDescription carry), and the Java class of their values.
 *
 * <p>Values: BOOL {@link Boolean}; INT2 {@link Short}; INT4 {@link Integer}; INT8 {@link Long}; NUMERIC
 * {@link java.math.BigDecimal}; FLOAT4 {@link Float}; FLOAT8 {@link Double}; BPCHAR, VARCHAR, TEXT, NAME
 * {@link String}; DATE {@link java.time.LocalDate}; TIMESTAMP {@link java.time.LocalDateTime}; TIMESTAMPTZ
 * {@link java.time.OffsetDateTime}; OID {@link Integer}; UNKNOWN (an untyped parameter) {@link String}.
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
    UNKNOWN(705, -2, String.class);

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

    /** The type of an OID a client sent (Parse parameter types), or UNKNOWN for 0 and unsupported OIDs. */
    public static SqlType ofOid(int oid) {
        for (SqlType t : values()) {
            if (t.oid == oid) {
                return t;
            }
        }
        return UNKNOWN;
    }
}
