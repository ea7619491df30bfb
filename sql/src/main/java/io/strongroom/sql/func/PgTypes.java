package io.strongroom.sql.func;

import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL's built-in types as the engine reports them: their OIDs and names (the rows the catalog serves as
 * {@code pg_type}), {@code 'name'::regtype}, and {@code format_type()}. Kept apart from the catalog views so that
 * the functions over types ({@code format_type}, {@code pg_type_is_visible}) do not depend on the catalog.
 * Stateless.
 */
public final class PgTypes {
    private PgTypes() {}

    /** One PostgreSQL type: OID, name, length, category, array type. */
    public record PgType(long oid, String name, long len, String category, long array) {}

    /** The types a table column or a result can have, plus the ones the catalog itself uses. */
    public static final List<PgType> TYPES = List.of(
            new PgType(16, "bool", 1, "B", 1000),
            new PgType(18, "char", 1, "S", 1002),
            new PgType(19, "name", 64, "S", 1003),
            new PgType(20, "int8", 8, "N", 1016),
            new PgType(21, "int2", 2, "N", 1005),
            new PgType(22, "int2vector", -1, "A", 1006),
            new PgType(23, "int4", 4, "N", 1007),
            new PgType(25, "text", -1, "S", 1009),
            new PgType(26, "oid", 4, "N", 1028),
            new PgType(700, "float4", 4, "N", 1021),
            new PgType(701, "float8", 8, "N", 1022),
            new PgType(1042, "bpchar", -1, "S", 1014),
            new PgType(1043, "varchar", -1, "S", 1015),
            new PgType(1082, "date", 4, "D", 1182),
            new PgType(1114, "timestamp", 8, "D", 1115),
            new PgType(1184, "timestamptz", 8, "D", 1185),
            new PgType(1700, "numeric", -1, "N", 1231));

    /** PostgreSQL's name of the type with OID {@code oid} ({@code int4}, {@code varchar}...), or null. */
    public static @Nullable String typeName(long oid) {
        for (PgType t : TYPES) {
            if (t.oid() == oid) {
                return t.name();
            }
        }
        return null;
    }

    /** The OID {@code 'name'::regtype} names (PostgreSQL's and SQL's spellings), or null. */
    public static @Nullable Long regtype(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        String canonical = switch (n) {
            case "boolean" -> "bool";
            case "bigint" -> "int8";
            case "smallint" -> "int2";
            case "integer", "int" -> "int4";
            case "real" -> "float4";
            case "double precision" -> "float8";
            case "character", "char(1)" -> "bpchar";
            case "character varying" -> "varchar";
            case "decimal" -> "numeric";
            case "timestamp without time zone" -> "timestamp";
            case "timestamp with time zone" -> "timestamptz";
            case "\"char\"" -> "char";
            default -> n;
        };
        for (PgType t : TYPES) {
            if (t.name().equals(canonical)) {
                return t.oid();
            }
        }
        return null;
    }

    /**
     * PostgreSQL's {@code format_type(type, typmod)} for the types the catalog has: {@code character varying(40)},
     * {@code numeric(12,2)}, {@code bigint}...; a typmod of -1 or NULL prints the type without modifiers, an
     * unknown type {@code ???}, as PostgreSQL does.
     */
    static @Nullable String formatType(@Nullable Long type, @Nullable Long typmod) {
        if (type == null) {
            return null;
        }
        long mod = typmod == null ? -1 : typmod;
        String name = typeName(type);
        if (name == null) {
            return "???";
        }
        return switch (name) {
            case "bool" -> "boolean";
            case "int2" -> "smallint";
            case "int4" -> "integer";
            case "int8" -> "bigint";
            case "float4" -> "real";
            case "float8" -> "double precision";
            case "bpchar" -> mod >= 4 ? "character(" + (mod - 4) + ")" : "character";
            case "varchar" -> mod >= 4 ? "character varying(" + (mod - 4) + ")" : "character varying";
            case "numeric" ->
                mod >= 4 ? "numeric(" + (((mod - 4) >> 16) & 0xFFFF) + "," + ((mod - 4) & 0xFFFF) + ")" : "numeric";
            case "timestamp" -> "timestamp without time zone";
            case "timestamptz" -> "timestamp with time zone";
            case "char" -> "\"char\"";
            default -> name;
        };
    }
}
