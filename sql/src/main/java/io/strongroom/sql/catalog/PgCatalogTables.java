package io.strongroom.sql.catalog;

import io.strongroom.sql.SqlType;
import io.strongroom.sql.catalog.SystemTables.Col;
import io.strongroom.sql.catalog.SystemTables.SystemTable;
import io.strongroom.sql.func.PgTypes;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.TableConstraint;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeSet;
import org.apache.calcite.schema.Table;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL's system catalog as the engine's own virtual tables, computed from the session's tables like any
 * system view ({@link SystemTables}): {@code pg_namespace}, {@code pg_class} (tables, and one index per PRIMARY KEY
 * or UNIQUE constraint, named like it, as PostgreSQL makes them), {@code pg_attribute}, {@code pg_attrdef}, {@code
 * pg_type} (the warehouse's types with PostgreSQL's OIDs), {@code pg_index}, {@code pg_constraint}, the empty
 * {@code pg_description}; and {@code information_schema.table_constraints} and {@code key_column_usage}. A query
 * the planner can run over them (joins, filters, {@code 'name'::regclass}) is answered by the engine; the driver
 * queries it cannot parse (PostgreSQL operators and functions) fall back to {@link ClientCatalog}.
 *
 * <p>OIDs: schemas {@code pg_catalog} 11, {@code public} 2200, {@code information_schema} 13000 (as in a
 * PostgreSQL 15 cluster), other schemas {@link #FIRST_SCHEMA_OID} on in name order; a table {@link
 * ClientCatalog#FIRST_TABLE_OID} + its store id (stable across renames); the {@code i}-th constraint of table
 * {@code id} {@link #FIRST_CONSTRAINT_OID} + id * 1000 + i and its index {@link #FIRST_INDEX_OID} + id * 1000 + i.
 * Arrays ({@code indkey}, {@code conkey}, {@code confkey}) are text in PostgreSQL's output form ({@code "1 2"} for
 * int2vector, {@code "{1,2}"} for int2[]), which is what a client reads. Immutable once built.
 */
final class PgCatalogTables {
    private PgCatalogTables() {}

    static final long PG_CATALOG_OID = 11;
    static final long PUBLIC_OID = 2200;
    static final long INFORMATION_SCHEMA_OID = 13000;
    static final long FIRST_SCHEMA_OID = 16_000;
    static final long FIRST_CONSTRAINT_OID = 200_000_000;
    static final long FIRST_INDEX_OID = 300_000_000;
    /** pg_class's own OID, for {@code classoid} columns. */
    static final long PG_CLASS_OID = 1259;

    /** A table with its store OID, as every view here needs both. */
    record Rel(TableSpec spec, long oid) {}

    /** The session's tables with OIDs, by schema then name. */
    static List<Rel> relations(SystemTables.Source source) {
        List<Rel> out = new ArrayList<>();
        for (TableSpec t : source.tables()) {
            out.add(new Rel(t, ClientCatalog.FIRST_TABLE_OID + source.reader(t).tableId()));
        }
        out.sort(Comparator.comparing((Rel r) -> r.spec().schema())
                .thenComparing(r -> r.spec().name()));
        return out;
    }

    /** Schema name (lower case) to OID: the three PostgreSQL has, then every schema a table lives in. */
    static Map<String, Long> schemaOids(List<Rel> rels) {
        Map<String, Long> out = new HashMap<>();
        out.put("pg_catalog", PG_CATALOG_OID);
        out.put("public", PUBLIC_OID);
        out.put("information_schema", INFORMATION_SCHEMA_OID);
        TreeSet<String> others = new TreeSet<>();
        rels.forEach(r -> others.add(r.spec().schema().toLowerCase(Locale.ROOT)));
        long next = FIRST_SCHEMA_OID;
        for (String s : others) {
            if (!out.containsKey(s)) {
                out.put(s, next++);
            }
        }
        return out;
    }

    /** The OID {@code 'schema.name'::regclass} names, or null when no such relation exists. */
    static @Nullable Long regclass(SystemTables.Source source, String schema, String name) {
        for (Rel r : relations(source)) {
            if (r.spec().schema().equalsIgnoreCase(schema) && r.spec().name().equalsIgnoreCase(name)) {
                return r.oid();
            }
        }
        return null;
    }

    /** The tables of {@code pg_catalog}, by name. */
    static Map<String, Table> pgCatalog(SystemTables.Source source) {
        List<Rel> rels = relations(source);
        Map<String, Long> schemas = schemaOids(rels);
        Map<String, Table> out = new HashMap<>();
        out.put("pg_namespace", namespace(schemas));
        out.put("pg_class", pgClass(rels, schemas));
        out.put("pg_attribute", attribute(rels));
        out.put("pg_attrdef", attrdef(rels));
        out.put("pg_type", type());
        out.put("pg_index", index(rels));
        out.put("pg_constraint", constraint(rels, schemas));
        PgCatalogSupport.addTables(rels, out);
        out.put(
                "pg_description",
                new SystemTable(
                        List.of(
                                Col.int8("objoid"),
                                Col.int8("classoid"),
                                Col.int4("objsubid"),
                                Col.text("description")),
                        List.of()));
        return out;
    }

    private static SystemTable namespace(Map<String, Long> schemas) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        schemas.entrySet().stream()
                .sorted(Map.Entry.comparingByValue())
                .forEach(e -> rows.add(new Object[] {e.getValue(), e.getKey(), 10L, null}));
        return new SystemTable(
                List.of(Col.int8("oid"), Col.text("nspname"), Col.int8("nspowner"), Col.text("nspacl")), rows);
    }

    private static SystemTable pgClass(List<Rel> rels, Map<String, Long> schemas) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (Rel r : rels) {
            TableSpec t = r.spec();
            long ns = schemas.getOrDefault(t.schema().toLowerCase(Locale.ROOT), PUBLIC_OID);
            boolean indexed = t.constraints().stream().anyMatch(c -> c.kind() != TableConstraint.Kind.FOREIGN_KEY);
            rows.add(classRow(r.oid(), t.name(), ns, "r", t.columns().size(), indexed, 2L));
            List<TableConstraint> cs = t.constraints();
            for (int i = 0; i < cs.size(); i++) {
                if (cs.get(i).kind() != TableConstraint.Kind.FOREIGN_KEY) {
                    rows.add(classRow(
                            indexOid(r, i),
                            cs.get(i).name(),
                            ns,
                            "i",
                            cs.get(i).columns().size(),
                            false,
                            403L));
                }
            }
        }
        return new SystemTable(
                List.of(
                        Col.int8("oid"),
                        Col.text("relname"),
                        Col.int8("relnamespace"),
                        Col.int8("reltype"),
                        Col.int8("reloftype"),
                        Col.int8("relowner"),
                        Col.int8("relam"),
                        Col.int8("reltablespace"),
                        Col.text("relkind"),
                        Col.text("relpersistence"),
                        Col.int2("relnatts"),
                        Col.int2("relchecks"),
                        Col.bool("relhasindex"),
                        Col.bool("relhasrules"),
                        Col.bool("relhastriggers"),
                        Col.bool("relrowsecurity"),
                        Col.bool("relforcerowsecurity"),
                        Col.bool("relispartition"),
                        Col.text("reloptions"),
                        Col.text("relacl")),
                rows);
    }

    private static @Nullable Object[] classRow(
            long oid, String name, long ns, String kind, int attributes, boolean indexed, long am) {
        return new Object[] {
            oid,
            name,
            ns,
            0L,
            0L,
            10L,
            kind.equals("i") ? am : 2L,
            0L,
            kind,
            "p",
            (long) attributes,
            0L,
            indexed,
            false,
            false,
            false,
            false,
            false,
            null,
            null
        };
    }

    static long constraintOid(Rel r, int i) {
        return FIRST_CONSTRAINT_OID + (r.oid() - ClientCatalog.FIRST_TABLE_OID) * 1000 + i;
    }

    static long indexOid(Rel r, int i) {
        return FIRST_INDEX_OID + (r.oid() - ClientCatalog.FIRST_TABLE_OID) * 1000 + i;
    }

    private static SystemTable attribute(List<Rel> rels) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (Rel r : rels) {
            List<Column> cols = r.spec().columns();
            for (int i = 0; i < cols.size(); i++) {
                Column c = cols.get(i);
                SqlType wire = wire(c.type());
                rows.add(new Object[] {
                    r.oid(),
                    c.name(),
                    (long) wire.oid(),
                    (long) wire.size(),
                    (long) (i + 1),
                    (long) typmod(c.type()),
                    c.notNull(),
                    c.defaultValue() != null,
                    false,
                    "",
                    "",
                    0L,
                    false
                });
            }
            // An index has its own attributes, one per key column (Redshift JDBC's getPrimaryKeys reads them).
            List<TableConstraint> cs = r.spec().constraints();
            for (int i = 0; i < cs.size(); i++) {
                if (cs.get(i).kind() == TableConstraint.Kind.FOREIGN_KEY) {
                    continue;
                }
                List<String> key = cs.get(i).columns();
                for (int k = 0; k < key.size(); k++) {
                    Column c = cols.get(r.spec().indexOf(key.get(k)));
                    SqlType wire = wire(c.type());
                    rows.add(new Object[] {
                        indexOid(r, i),
                        c.name(),
                        (long) wire.oid(),
                        (long) wire.size(),
                        (long) (k + 1),
                        (long) typmod(c.type()),
                        c.notNull(),
                        false,
                        false,
                        "",
                        "",
                        0L,
                        true
                    });
                }
            }
        }
        return new SystemTable(
                List.of(
                        Col.int8("attrelid"),
                        Col.text("attname"),
                        Col.int8("atttypid"),
                        Col.int2("attlen"),
                        Col.int2("attnum"),
                        Col.int4("atttypmod"),
                        Col.bool("attnotnull"),
                        Col.bool("atthasdef"),
                        Col.bool("attisdropped"),
                        Col.text("attidentity"),
                        Col.text("attgenerated"),
                        Col.int8("attcollation"),
                        Col.bool("attislocal")),
                rows);
    }

    private static SystemTable attrdef(List<Rel> rels) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (Rel r : rels) {
            List<Column> cols = r.spec().columns();
            for (int i = 0; i < cols.size(); i++) {
                Object d = cols.get(i).defaultValue();
                if (d != null) {
                    rows.add(new Object[] {
                        r.oid() * 10_000 + i,
                        r.oid(),
                        (long) (i + 1),
                        ClientCatalog.defaultText(d, cols.get(i).type())
                    });
                }
            }
        }
        // adbin is PostgreSQL's node tree; here it holds what pg_get_expr would print, which is all a client reads.
        return new SystemTable(
                List.of(Col.int8("oid"), Col.int8("adrelid"), Col.int2("adnum"), Col.text("adbin")), rows);
    }

    private static SystemTable type() {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (PgTypes.PgType t : PgTypes.TYPES) {
            rows.add(new Object[] {
                t.oid(),
                t.name(),
                PG_CATALOG_OID,
                10L,
                t.len(),
                t.len() > 0 && t.len() <= 8,
                "b",
                t.category(),
                ",",
                0L,
                0L,
                t.array(),
                0L,
                -1L,
                false,
                0L,
                t.category().equals("S") ? PgCatalogSupport.DEFAULT_COLLATION_OID : 0L,
                null
            });
        }
        return new SystemTable(
                List.of(
                        Col.int8("oid"),
                        Col.text("typname"),
                        Col.int8("typnamespace"),
                        Col.int8("typowner"),
                        Col.int2("typlen"),
                        Col.bool("typbyval"),
                        Col.text("typtype"),
                        Col.text("typcategory"),
                        Col.text("typdelim"),
                        Col.int8("typrelid"),
                        Col.int8("typelem"),
                        Col.int8("typarray"),
                        Col.int8("typbasetype"),
                        Col.int4("typtypmod"),
                        Col.bool("typnotnull"),
                        Col.int4("typndims"),
                        Col.int8("typcollation"),
                        Col.text("typdefault")),
                rows);
    }

    private static SystemTable index(List<Rel> rels) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (Rel r : rels) {
            List<TableConstraint> cs = r.spec().constraints();
            for (int i = 0; i < cs.size(); i++) {
                TableConstraint c = cs.get(i);
                if (c.kind() == TableConstraint.Kind.FOREIGN_KEY) {
                    continue;
                }
                StringJoiner key = new StringJoiner(" ");
                attnums(r.spec(), c.columns()).forEach(n -> key.add(Long.toString(n)));
                long n = c.columns().size();
                rows.add(new Object[] {
                    indexOid(r, i),
                    r.oid(),
                    n,
                    n,
                    true,
                    c.kind() == TableConstraint.Kind.PRIMARY_KEY,
                    false,
                    true,
                    true,
                    key.toString(),
                    PgCatalogSupport.indclass(r.spec(), c.columns()),
                    "0 ".repeat(c.columns().size()).trim(),
                    null,
                    null
                });
            }
        }
        return new SystemTable(
                List.of(
                        Col.int8("indexrelid"),
                        Col.int8("indrelid"),
                        Col.int2("indnatts"),
                        Col.int2("indnkeyatts"),
                        Col.bool("indisunique"),
                        Col.bool("indisprimary"),
                        Col.bool("indnullsnotdistinct"),
                        Col.bool("indisvalid"),
                        Col.bool("indimmediate"),
                        Col.text("indkey"),
                        Col.text("indclass"),
                        Col.text("indoption"),
                        Col.text("indexprs"),
                        Col.text("indpred")),
                rows);
    }

    private static SystemTable constraint(List<Rel> rels, Map<String, Long> schemas) {
        Map<String, Rel> byName = new HashMap<>();
        rels.forEach(r -> byName.put(r.spec().qualifiedName().toLowerCase(Locale.ROOT), r));
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (Rel r : rels) {
            List<TableConstraint> cs = r.spec().constraints();
            for (int i = 0; i < cs.size(); i++) {
                TableConstraint c = cs.get(i);
                String refName = c.referencedTable();
                Rel ref = refName == null ? null : byName.get(refName.toLowerCase(Locale.ROOT));
                long conindid = 0;
                if (c.kind() != TableConstraint.Kind.FOREIGN_KEY) {
                    conindid = indexOid(r, i);
                } else if (ref != null) {
                    // A foreign key's conindid is the referenced key's index.
                    List<TableConstraint> rc = ref.spec().constraints();
                    for (int j = 0; j < rc.size(); j++) {
                        if (rc.get(j).kind() != TableConstraint.Kind.FOREIGN_KEY
                                && sameNames(rc.get(j).columns(), c.referencedColumns())) {
                            conindid = indexOid(ref, j);
                        }
                    }
                }
                boolean fk = c.kind() == TableConstraint.Kind.FOREIGN_KEY;
                rows.add(new Object[] {
                    constraintOid(r, i),
                    c.name(),
                    schemas.get(r.spec().schema().toLowerCase(Locale.ROOT)),
                    String.valueOf(c.kind().contype()),
                    false,
                    false,
                    true,
                    r.oid(),
                    conindid,
                    ref == null ? 0L : ref.oid(),
                    fk ? "a" : " ",
                    fk ? "a" : " ",
                    fk ? "s" : " ",
                    array(attnums(r.spec(), c.columns())),
                    ref == null ? null : array(attnums(ref.spec(), c.referencedColumns())),
                    0L
                });
            }
        }
        return new SystemTable(
                List.of(
                        Col.int8("oid"),
                        Col.text("conname"),
                        Col.int8("connamespace"),
                        Col.text("contype"),
                        Col.bool("condeferrable"),
                        Col.bool("condeferred"),
                        Col.bool("convalidated"),
                        Col.int8("conrelid"),
                        Col.int8("conindid"),
                        Col.int8("confrelid"),
                        Col.text("confupdtype"),
                        Col.text("confdeltype"),
                        Col.text("confmatchtype"),
                        Col.text("conkey"),
                        Col.text("confkey"),
                        Col.int8("contypid")),
                rows);
    }

    private static boolean sameNames(List<String> a, List<String> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).equalsIgnoreCase(b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** 1-based column numbers of {@code names} in {@code spec}. */
    static List<Long> attnums(TableSpec spec, List<String> names) {
        return names.stream().map(n -> (long) spec.indexOf(n) + 1).toList();
    }

    private static String array(List<Long> values) {
        StringJoiner j = new StringJoiner(",", "{", "}");
        values.forEach(v -> j.add(Long.toString(v)));
        return j.toString();
    }

    /** {@code information_schema.table_constraints} and {@code key_column_usage}, by name. */
    static Map<String, Table> informationSchema(SystemTables.Source source) {
        List<Rel> rels = relations(source);
        String db = source.database();
        List<@Nullable Object[]> constraints = new ArrayList<>();
        List<@Nullable Object[]> keys = new ArrayList<>();
        for (Rel r : rels) {
            TableSpec t = r.spec();
            for (TableConstraint c : t.constraints()) {
                String type = switch (c.kind()) {
                    case PRIMARY_KEY -> "PRIMARY KEY";
                    case UNIQUE -> "UNIQUE";
                    case FOREIGN_KEY -> "FOREIGN KEY";
                };
                constraints.add(new Object[] {db, t.schema(), c.name(), db, t.schema(), t.name(), type, "NO", "NO"});
                for (int k = 0; k < c.columns().size(); k++) {
                    Long inUnique = c.kind() == TableConstraint.Kind.FOREIGN_KEY ? (long) k + 1 : null;
                    keys.add(new Object[] {
                        db,
                        t.schema(),
                        c.name(),
                        db,
                        t.schema(),
                        t.name(),
                        c.columns().get(k),
                        (long) k + 1,
                        inUnique
                    });
                }
            }
        }
        Map<String, Table> out = new HashMap<>();
        out.put(
                "table_constraints",
                new SystemTable(
                        List.of(
                                Col.text("constraint_catalog"),
                                Col.text("constraint_schema"),
                                Col.text("constraint_name"),
                                Col.text("table_catalog"),
                                Col.text("table_schema"),
                                Col.text("table_name"),
                                Col.text("constraint_type"),
                                Col.text("is_deferrable"),
                                Col.text("initially_deferred")),
                        constraints));
        out.put(
                "key_column_usage",
                new SystemTable(
                        List.of(
                                Col.text("constraint_catalog"),
                                Col.text("constraint_schema"),
                                Col.text("constraint_name"),
                                Col.text("table_catalog"),
                                Col.text("table_schema"),
                                Col.text("table_name"),
                                Col.text("column_name"),
                                Col.int4("ordinal_position"),
                                Col.int4("position_in_unique_constraint")),
                        keys));
        return out;
    }

    static SqlType wire(ColumnType t) {
        return switch (t.kind()) {
            case BOOLEAN -> SqlType.BOOL;
            case SMALLINT -> SqlType.INT2;
            case INTEGER -> SqlType.INT4;
            case BIGINT -> SqlType.INT8;
            case DECIMAL -> SqlType.NUMERIC;
            case REAL -> SqlType.FLOAT4;
            case DOUBLE -> SqlType.FLOAT8;
            case CHAR -> SqlType.BPCHAR;
            case VARCHAR -> SqlType.VARCHAR;
            case DATE -> SqlType.DATE;
            case TIMESTAMP -> SqlType.TIMESTAMP;
            case TIMESTAMPTZ -> SqlType.TIMESTAMPTZ;
        };
    }

    /** PostgreSQL's atttypmod: length + 4 for character types, (precision << 16 | scale) + 4 for numeric. */
    static int typmod(ColumnType t) {
        return switch (t.kind()) {
            case CHAR, VARCHAR -> t.length() + 4;
            case DECIMAL -> ((t.precision() << 16) | t.scale()) + 4;
            default -> -1;
        };
    }
}
