package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.Locale;

/**
 * A column's SQL type as Redshift names it. Values are held in one of four physical forms: {@code long}
 * (BOOLEAN as 0/1, SMALLINT, INTEGER, BIGINT, DECIMAL up to precision 18 as the unscaled value, DATE as days
 * since 1970-01-01, TIMESTAMP and TIMESTAMPTZ as microseconds since 1970-01-01T00:00 in UTC), {@code double}
 * (REAL, DOUBLE PRECISION), UTF-8 bytes (CHAR, VARCHAR) and {@link java.math.BigInteger} (DECIMAL of precision
 * 19 to 38, unscaled).
 *
 * @param kind the type
 * @param precision DECIMAL precision (1..38), else 0
 * @param scale DECIMAL scale (0..precision), else 0
 * @param length CHAR/VARCHAR length in bytes (1..65535), else 0
 */
public record ColumnType(Kind kind, int precision, int scale, int length) {
    /** The types; {@link #id()} is what formats store. */
    public enum Kind {
        BOOLEAN(1, Physical.LONG),
        SMALLINT(2, Physical.LONG),
        INTEGER(3, Physical.LONG),
        BIGINT(4, Physical.LONG),
        DECIMAL(5, Physical.LONG),
        REAL(6, Physical.DOUBLE),
        DOUBLE(7, Physical.DOUBLE),
        CHAR(8, Physical.BYTES),
        VARCHAR(9, Physical.BYTES),
        DATE(10, Physical.LONG),
        TIMESTAMP(11, Physical.LONG),
        TIMESTAMPTZ(12, Physical.LONG);

        private final int id;
        private final Physical physical;

        Kind(int id, Physical physical) {
            this.id = id;
            this.physical = physical;
        }

        public int id() {
            return id;
        }

        public static Kind fromId(int id) {
            for (Kind k : values()) {
                if (k.id == id) {
                    return k;
                }
            }
            throw new StrongroomException(ErrorCode.UNSUPPORTED_FORMAT, "unknown column type id " + id);
        }
    }

    /** How values are held in memory and encoded. */
    public enum Physical {
        LONG,
        DOUBLE,
        BYTES,
        BIG
    }

    public static final int MAX_DECIMAL_PRECISION = 38;
    public static final int MAX_LONG_DECIMAL_PRECISION = 18;
    public static final int MAX_CHAR_LENGTH = 65535;

    public ColumnType {
        switch (kind) {
            case DECIMAL -> {
                if (precision < 1 || precision > MAX_DECIMAL_PRECISION || scale < 0 || scale > precision) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT,
                            "DECIMAL(" + precision + "," + scale + ") is out of range: precision must be 1..38 and"
                                    + " scale 0..precision");
                }
                if (length != 0) {
                    throw new IllegalArgumentException("DECIMAL has no length");
                }
            }
            case CHAR, VARCHAR -> {
                if (length < 1 || length > MAX_CHAR_LENGTH) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT,
                            kind + "(" + length + ") is out of range: length must be 1..65535");
                }
                if (precision != 0 || scale != 0) {
                    throw new IllegalArgumentException(kind + " has no precision");
                }
            }
            default -> {
                if (precision != 0 || scale != 0 || length != 0) {
                    throw new IllegalArgumentException(kind + " takes no parameters");
                }
            }
        }
    }

    public static final ColumnType BOOLEAN = new ColumnType(Kind.BOOLEAN, 0, 0, 0);
    public static final ColumnType SMALLINT = new ColumnType(Kind.SMALLINT, 0, 0, 0);
    public static final ColumnType INTEGER = new ColumnType(Kind.INTEGER, 0, 0, 0);
    public static final ColumnType BIGINT = new ColumnType(Kind.BIGINT, 0, 0, 0);
    public static final ColumnType REAL = new ColumnType(Kind.REAL, 0, 0, 0);
    public static final ColumnType DOUBLE = new ColumnType(Kind.DOUBLE, 0, 0, 0);
    public static final ColumnType DATE = new ColumnType(Kind.DATE, 0, 0, 0);
    public static final ColumnType TIMESTAMP = new ColumnType(Kind.TIMESTAMP, 0, 0, 0);
    public static final ColumnType TIMESTAMPTZ = new ColumnType(Kind.TIMESTAMPTZ, 0, 0, 0);

    public static ColumnType decimal(int precision, int scale) {
        return new ColumnType(Kind.DECIMAL, precision, scale, 0);
    }

    public static ColumnType charType(int length) {
        return new ColumnType(Kind.CHAR, 0, 0, length);
    }

    public static ColumnType varchar(int length) {
        return new ColumnType(Kind.VARCHAR, 0, 0, length);
    }

    public Physical physical() {
        if (kind == Kind.DECIMAL && precision > MAX_LONG_DECIMAL_PRECISION) {
            return Physical.BIG;
        }
        return kind.physical;
    }

    /** The SQL spelling, e.g. {@code DECIMAL(12,2)}, {@code VARCHAR(256)}, {@code DOUBLE PRECISION}. */
    public String sql() {
        return switch (kind) {
            case DECIMAL -> "DECIMAL(" + precision + "," + scale + ")";
            case CHAR, VARCHAR -> kind.name() + "(" + length + ")";
            case DOUBLE -> "DOUBLE PRECISION";
            default -> kind.name().toUpperCase(Locale.ROOT);
        };
    }

    @Override
    public String toString() {
        return sql();
    }
}
