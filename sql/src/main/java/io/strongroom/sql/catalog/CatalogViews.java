package io.strongroom.sql.catalog;

import io.strongroom.sql.catalog.SystemTables.Col;
import io.strongroom.sql.catalog.SystemTables.SystemTable;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;
import org.jspecify.annotations.Nullable;

/**
 * The catalog views drivers and tools read to list tables and columns, computed from the session's tables as any
 * system view is ({@link SystemTables}): Redshift's {@code svv_tables}, {@code svv_columns}, {@code svv_all_tables},
 * {@code svv_all_columns}, {@code svv_all_schemas} and the empty {@code svv_external_tables}, {@code
 * svv_external_columns} and {@code svv_external_schemas} (no external schemas exist here), in {@code pg_catalog};
 * and the SQL standard's {@code information_schema.tables}, {@code columns} and {@code schemata} (its {@code
 * table_constraints} and {@code key_column_usage} are {@link PgCatalogTables}'). Every row is a
 * table or column that exists, so a name that does not exist finds nothing (what a dialect's {@code has_table}
 * asks). Data types are named as PostgreSQL's information schema names them ({@code character varying}, {@code
 * timestamp without time zone}, ...).
 *
 * <p>Immutable once built; a query sees the catalog as of its plan.
 */
public final class CatalogViews {
    private CatalogViews() {}

    /** The views that live in {@code pg_catalog}, by name. */
    static Map<String, Table> redshiftViews(SystemTables.Source source) {
        Map<String, Table> out = new HashMap<>();
        List<TableSpec> tables = source.tables();
        String db = source.database();
        out.put("svv_tables", tables(tables, db, "table_catalog", "table_schema", "BASE TABLE", true));
        out.put("svv_all_tables", tables(tables, db, "database_name", "schema_name", "TABLE", true));
        out.put("svv_columns", columns(tables, db, "table_catalog", "table_schema", true));
        out.put("svv_all_columns", columns(tables, db, "database_name", "schema_name", true));
        out.put("svv_all_schemas", schemas(tables, db));
        out.put(
                "svv_external_tables",
                new SystemTable(
                        List.of(
                                Col.text("schemaname"),
                                Col.text("tablename"),
                                Col.text("location"),
                                Col.text("input_format")),
                        List.of()));
        out.put(
                "svv_external_columns",
                new SystemTable(
                        List.of(
                                Col.text("schemaname"),
                                Col.text("tablename"),
                                Col.text("columnname"),
                                Col.text("external_type"),
                                Col.int4("columnnum")),
                        List.of()));
        out.put(
                "svv_external_schemas",
                new SystemTable(
                        List.of(Col.int4("esoid"), Col.text("schemaname"), Col.text("databasename")), List.of()));
        return out;
    }

    /** The {@code information_schema} schema: {@code tables}, {@code columns}, {@code schemata}. */
    public static AbstractSchema informationSchema(SystemTables.Source source) {
        Map<String, Table> views = new HashMap<>();
        List<TableSpec> tables = source.tables();
        String db = source.database();
        views.put("tables", tables(tables, db, "table_catalog", "table_schema", "BASE TABLE", false));
        views.put("columns", columns(tables, db, "table_catalog", "table_schema", false));
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (String s : schemaNames(tables)) {
            rows.add(new Object[] {db, s, "rdsdb"});
        }
        views.putAll(PgCatalogTables.informationSchema(source));
        views.put(
                "schemata",
                new SystemTable(
                        List.of(Col.text("catalog_name"), Col.text("schema_name"), Col.text("schema_owner")), rows));
        return new AbstractSchema() {
            @Override
            protected Map<String, Table> getTableMap() {
                return views;
            }
        };
    }

    private static SystemTable tables(
            List<TableSpec> tables, String db, String catalogCol, String schemaCol, String type, boolean remarks) {
        List<Col> cols = new ArrayList<>(
                List.of(Col.text(catalogCol), Col.text(schemaCol), Col.text("table_name"), Col.text("table_type")));
        if (remarks) {
            cols.add(Col.text("remarks"));
        }
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (TableSpec t : tables) {
            rows.add(
                    remarks
                            ? new Object[] {db, t.schema(), t.name(), type, null}
                            : new Object[] {db, t.schema(), t.name(), type});
        }
        return new SystemTable(cols, rows);
    }

    private static SystemTable columns(
            List<TableSpec> tables, String db, String catalogCol, String schemaCol, boolean remarks) {
        List<Col> cols = new ArrayList<>(List.of(
                Col.text(catalogCol),
                Col.text(schemaCol),
                Col.text("table_name"),
                Col.text("column_name"),
                Col.int4("ordinal_position"),
                Col.text("column_default"),
                Col.text("is_nullable"),
                Col.text("data_type"),
                Col.int4("character_maximum_length"),
                Col.int4("numeric_precision"),
                Col.int4("numeric_precision_radix"),
                Col.int4("numeric_scale")));
        if (remarks) {
            cols.add(Col.text("remarks"));
        }
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (TableSpec t : tables) {
            long ordinal = 0;
            for (Column c : t.columns()) {
                ordinal++;
                ColumnType ty = c.type();
                List<@Nullable Object> row = new ArrayList<>(List.of(db, t.schema(), t.name(), c.name()));
                row.add(ordinal);
                row.add(defaultText(c));
                row.add(c.notNull() ? "NO" : "YES");
                row.add(dataType(ty));
                row.add(length(ty));
                row.add(precision(ty));
                row.add(radix(ty));
                row.add(scale(ty));
                if (remarks) {
                    row.add(null);
                }
                rows.add(row.toArray());
            }
        }
        return new SystemTable(cols, rows);
    }

    private static SystemTable schemas(List<TableSpec> tables, String db) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (String s : schemaNames(tables)) {
            boolean system = s.equals("pg_catalog") || s.equals("information_schema");
            rows.add(new Object[] {db, s, 1L, system ? "system" : "local", null, null, null});
        }
        return new SystemTable(
                List.of(
                        Col.text("database_name"),
                        Col.text("schema_name"),
                        Col.int4("schema_owner"),
                        Col.text("schema_type"),
                        Col.text("schema_acl"),
                        Col.text("source_database"),
                        Col.text("schema_option")),
                rows);
    }

    private static TreeSet<String> schemaNames(List<TableSpec> tables) {
        TreeSet<String> names = new TreeSet<>(List.of("public", "pg_catalog", "information_schema"));
        tables.forEach(t -> names.add(t.schema()));
        return names;
    }

    /** The type as PostgreSQL's information schema names it. */
    static String dataType(ColumnType t) {
        return switch (t.kind()) {
            case BOOLEAN -> "boolean";
            case SMALLINT -> "smallint";
            case INTEGER -> "integer";
            case BIGINT -> "bigint";
            case DECIMAL -> "numeric";
            case REAL -> "real";
            case DOUBLE -> "double precision";
            case CHAR -> "character";
            case VARCHAR -> "character varying";
            case DATE -> "date";
            case TIMESTAMP -> "timestamp without time zone";
            case TIMESTAMPTZ -> "timestamp with time zone";
        };
    }

    private static @Nullable Long length(ColumnType t) {
        return switch (t.kind()) {
            case CHAR, VARCHAR -> (long) t.length();
            default -> null;
        };
    }

    private static @Nullable Long precision(ColumnType t) {
        return switch (t.kind()) {
            case SMALLINT -> 16L;
            case INTEGER -> 32L;
            case BIGINT -> 64L;
            case DECIMAL -> (long) t.precision();
            case REAL -> 24L;
            case DOUBLE -> 53L;
            default -> null;
        };
    }

    private static @Nullable Long radix(ColumnType t) {
        return switch (t.kind()) {
            case SMALLINT, INTEGER, BIGINT, REAL, DOUBLE -> 2L;
            case DECIMAL -> 10L;
            default -> null;
        };
    }

    private static @Nullable Long scale(ColumnType t) {
        return switch (t.kind()) {
            case SMALLINT, INTEGER, BIGINT -> 0L;
            case DECIMAL -> (long) t.scale();
            default -> null;
        };
    }

    private static @Nullable String defaultText(Column c) {
        Object d = c.defaultValue();
        if (d == null) {
            return null;
        }
        return d instanceof String s ? "'" + s.replace("'", "''") + "'::" + dataType(c.type()) : String.valueOf(d);
    }
}
