package io.strongroom.sql.engine;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.engine.SystemTables.Col;
import io.strongroom.sql.engine.SystemTables.SystemTable;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    private static final Pattern REG_CAST =
            Pattern.compile("(?i)'((?:[^']|'')*)'\\s*::\\s*(?:pg_catalog\\.)?(regclass|regtype)\\b");
    private static final Pattern PARAM_CAST =
            Pattern.compile("(?i)\\?\\s*::\\s*([a-z_][a-z0-9_]*(?:\\s*\\(\\s*\\d+\\s*(?:,\\s*\\d+\\s*)?\\))?)");
    private static final Pattern ANY_ARRAY = Pattern.compile("(?i)=\\s*any\\s*\\(\\s*array\\s*\\[");
    private static final Pattern VISIBLE = Pattern.compile("(?i)\\b(?:pg_catalog\\.)?pg_table_is_visible\\s*\\(");

    /** The catalog's own relations {@code 'pg_class'::regclass} may name, with PostgreSQL's OIDs. */
    private static final Map<String, Long> CATALOG_RELATIONS = Map.of(
            "pg_class", PG_CLASS_OID,
            "pg_type", 1247L,
            "pg_attribute", 1249L,
            "pg_namespace", 2615L,
            "pg_constraint", 2606L,
            "pg_index", 2610L,
            "pg_attrdef", 2604L,
            "pg_description", 2609L);

    /**
     * The query with what the planner cannot evaluate itself replaced by what it means, before parsing: a literal
     * cast to {@code regclass} becomes the relation's OID (error 42P01 when there is none, as PostgreSQL), a literal
     * cast to {@code regtype} the type's OID (42704), and {@code pg_table_is_visible(oid)} a test that the relation
     * lives in {@code public} or {@code pg_catalog}, the search path; {@code = ANY (ARRAY[...])} becomes {@code IN
     * (...)}. A cast of a column to {@code regclass} is left
     * as it is: the planner refuses it and a driver query using it is answered by {@link ClientCatalog}.
     */
    static String rewrite(String sql, SystemTables.Source source) {
        if (sql.indexOf("::") < 0
                && !VISIBLE.matcher(sql).find()
                && !ANY_ARRAY.matcher(sql).find()) {
            return sql;
        }
        Matcher m = REG_CAST.matcher(sql);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String literal = m.group(1).replace("''", "'");
            long oid = m.group(2).equalsIgnoreCase("regclass") ? regclassOf(source, literal) : regtypeOf(literal);
            m.appendReplacement(out, Long.toString(oid));
        }
        m.appendTail(out);
        // ?::type as CAST(? AS type): the parser's :: node takes literals and columns but not parameters, which
        // psycopg and SQLAlchemy send this way ($1::VARCHAR).
        Matcher p = PARAM_CAST.matcher(out.toString());
        StringBuilder casts = new StringBuilder();
        while (p.find()) {
            p.appendReplacement(casts, Matcher.quoteReplacement("CAST(? AS " + p.group(1) + ")"));
        }
        p.appendTail(casts);
        String s = casts.toString();
        Matcher v = VISIBLE.matcher(s);
        while (v.find()) {
            int open = v.end() - 1;
            int close = closing(s, open);
            if (close < 0) {
                break;
            }
            String arg = s.substring(open + 1, close);
            String test = "((" + arg + ") IN (SELECT pg_vis_c.oid FROM pg_catalog.pg_class AS pg_vis_c WHERE"
                    + " pg_vis_c.relnamespace IN (" + PUBLIC_OID + ", " + PG_CATALOG_OID + ")))";
            s = s.substring(0, v.start()) + test + s.substring(close + 1);
            v = VISIBLE.matcher(s);
        }
        return anyArrayAsIn(s);
    }

    /** {@code x = ANY (ARRAY[a, b])} as {@code x IN (a, b)}, which it means (the planner has no arrays of $n). */
    private static String anyArrayAsIn(String sql) {
        String s = sql;
        Matcher m = ANY_ARRAY.matcher(s);
        while (m.find()) {
            int close = s.indexOf(']', m.end());
            int paren = close < 0 ? -1 : s.indexOf(')', close);
            if (paren < 0 || !s.substring(close + 1, paren).isBlank()) {
                break;
            }
            s = s.substring(0, m.start()) + "IN (" + s.substring(m.end(), close) + ")" + s.substring(paren + 1);
            m = ANY_ARRAY.matcher(s);
        }
        return s;
    }

    private static int closing(String s, int open) {
        int depth = 0;
        boolean quoted = false;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && c == '(') {
                depth++;
            } else if (!quoted && c == ')' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static long regclassOf(SystemTables.Source source, String literal) {
        List<String> parts = new ArrayList<>();
        for (String p : literal.split("\\.", -1)) {
            String t = p.trim();
            parts.add(
                    t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")
                            ? t.substring(1, t.length() - 1)
                            : t.toLowerCase(Locale.ROOT));
        }
        Long oid = null;
        if (parts.size() == 1) {
            oid = regclass(source, "public", parts.get(0));
            if (oid == null) {
                oid = CATALOG_RELATIONS.get(parts.get(0));
            }
        } else if (parts.size() == 2) {
            oid = parts.get(0).equals("pg_catalog")
                    ? CATALOG_RELATIONS.get(parts.get(1))
                    : regclass(source, parts.get(0), parts.get(1));
        }
        if (oid == null) {
            throw new StrongroomException(ErrorCode.NOT_FOUND, "relation \"" + literal + "\" does not exist");
        }
        return oid;
    }

    private static long regtypeOf(String literal) {
        Long oid = regtype(literal);
        if (oid == null) {
            throw new StrongroomException(ErrorCode.UNDEFINED_OBJECT, "type \"" + literal + "\" does not exist");
        }
        return oid;
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

    /** One PostgreSQL type: OID, name, length, category, array type. */
    private record PgType(long oid, String name, long len, String category, long array) {}

    /** The types a table column or a result can have, plus the ones the catalog itself uses. */
    static final List<PgType> TYPES = List.of(
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
    static @Nullable String typeName(long oid) {
        for (PgType t : TYPES) {
            if (t.oid() == oid) {
                return t.name();
            }
        }
        return null;
    }

    /** The OID {@code 'name'::regtype} names (PostgreSQL's and SQL's spellings), or null. */
    static @Nullable Long regtype(String name) {
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

    private static SystemTable type() {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (PgType t : TYPES) {
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
                t.category().equals("S") ? 100L : 0L
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
                        Col.int8("typcollation")),
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
                    ref == null ? null : array(attnums(ref.spec(), c.referencedColumns()))
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
                        Col.text("confkey")),
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
