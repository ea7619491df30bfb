package io.strongroom.sql.catalog;

import io.strongroom.sql.catalog.PgCatalogTables.Rel;
import io.strongroom.sql.catalog.SystemTables.Col;
import io.strongroom.sql.catalog.SystemTables.SystemTable;
import io.strongroom.storage.Column;
import io.strongroom.storage.TableConstraint;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.calcite.schema.Table;
import org.jspecify.annotations.Nullable;

/**
 * The rest of the PostgreSQL catalog SQLAlchemy's reflection reads ({@code pg_collation}, {@code pg_enum}, {@code
 * pg_am}, {@code pg_opclass}), and the relations {@link
 * PgCatalogRewrite} turns PostgreSQL's catalog functions into, which are not PostgreSQL's own and are named {@code
 * strongroom_*}:
 *
 * <ul>
 *   <li>{@code strongroom_regclass(name, oid)}: every name a {@code ::regclass} cast can take: each table as
 *       {@code schema.table}, and as {@code table} when it is in {@code public}; each catalog relation as {@code
 *       pg_class} and {@code pg_catalog.pg_class};
 *   <li>{@code strongroom_constraintdef(oid, def)}: what {@code pg_get_constraintdef(oid)} prints, PostgreSQL's
 *       text ({@code PRIMARY KEY (id)}, {@code FOREIGN KEY (a) REFERENCES t(id)});
 *   <li>{@code strongroom_index_keys(indexrelid, ord, attnum, opclass, option)}: one row per key column of each
 *       index, 1-based {@code ord}: what {@code unnest(indkey)}, {@code unnest(indclass)}, {@code
 *       unnest(indoption)} and {@code generate_subscripts(indkey, 1)} give;
 *   <li>{@code strongroom_indexdef(indexrelid, colno, def)}: {@code pg_get_indexdef(oid, colno)}, the key column's
 *       name, and for {@code colno} 0 the whole index's {@code CREATE UNIQUE INDEX} statement.
 * </ul>
 *
 * <p>Immutable once built, like the rest of the catalog.
 */
final class PgCatalogSupport {
    private PgCatalogSupport() {}

    /** {@code pg_collation}'s rows PostgreSQL 15 always has: default, C and POSIX. */
    static final long DEFAULT_COLLATION_OID = 100;

    /** B-tree, as pg_am has it. */
    static final long BTREE_OID = 403;

    /** One default B-tree operator class: OID, name, input type OID (PostgreSQL 15's). */
    private record OpClass(long oid, String name, long type) {}

    private static final List<OpClass> OPCLASSES = List.of(
            new OpClass(424, "bool_ops", 16),
            new OpClass(426, "bpchar_ops", 1042),
            new OpClass(1970, "float4_ops", 700),
            new OpClass(1971, "float8_ops", 701),
            new OpClass(1979, "int2_ops", 21),
            new OpClass(1978, "int4_ops", 23),
            new OpClass(3124, "int8_ops", 20),
            new OpClass(3125, "numeric_ops", 1700),
            new OpClass(3126, "text_ops", 25),
            new OpClass(3122, "date_ops", 1082),
            new OpClass(3128, "timestamp_ops", 1114),
            new OpClass(3127, "timestamptz_ops", 1184));

    /** The default B-tree operator class of a column type (varchar's is text_ops, as in PostgreSQL). */
    static long opclass(long typeOid) {
        long type = typeOid == 1043 ? 25 : typeOid;
        for (OpClass c : OPCLASSES) {
            if (c.type() == type) {
                return c.oid();
            }
        }
        return 0;
    }

    static void addTables(List<Rel> rels, Map<String, Table> out) {
        out.put(
                "pg_collation",
                new SystemTable(
                        List.of(
                                Col.int8("oid"),
                                Col.text("collname"),
                                Col.int8("collnamespace"),
                                Col.text("collprovider"),
                                Col.int4("collencoding"),
                                Col.text("collcollate"),
                                Col.text("collctype")),
                        List.of(
                                new Object[] {
                                    DEFAULT_COLLATION_OID,
                                    "default",
                                    PgCatalogTables.PG_CATALOG_OID,
                                    "d",
                                    -1L,
                                    null,
                                    null
                                },
                                new Object[] {950L, "C", PgCatalogTables.PG_CATALOG_OID, "c", -1L, "C", "C"},
                                new Object[] {951L, "POSIX", PgCatalogTables.PG_CATALOG_OID, "c", -1L, "POSIX", "POSIX"
                                })));
        out.put(
                "pg_enum",
                new SystemTable(
                        List.of(
                                Col.int8("oid"),
                                Col.int8("enumtypid"),
                                Col.int4("enumsortorder"),
                                Col.text("enumlabel")),
                        List.of()));
        out.put(
                "pg_am",
                new SystemTable(
                        List.of(Col.int8("oid"), Col.text("amname"), Col.text("amhandler"), Col.text("amtype")),
                        List.of(
                                new Object[] {2L, "heap", "heap_tableam_handler", "t"},
                                new Object[] {BTREE_OID, "btree", "bthandler", "i"})));
        List<@Nullable Object[]> opclasses = new ArrayList<>();
        for (OpClass c : OPCLASSES) {
            opclasses.add(new Object[] {c.oid(), BTREE_OID, c.name(), PgCatalogTables.PG_CATALOG_OID, c.type(), true});
        }
        out.put(
                "pg_opclass",
                new SystemTable(
                        List.of(
                                Col.int8("oid"),
                                Col.int8("opcmethod"),
                                Col.text("opcname"),
                                Col.int8("opcnamespace"),
                                Col.int8("opcintype"),
                                Col.bool("opcdefault")),
                        opclasses));
        out.put("strongroom_regclass", regclass(rels));
        out.put("strongroom_constraintdef", constraintDefs(rels));
        out.put("strongroom_index_keys", indexKeys(rels, true));
        out.put("strongroom_indexdef", indexKeys(rels, false));
    }

    private static SystemTable regclass(List<Rel> rels) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (Rel r : rels) {
            TableSpec t = r.spec();
            rows.add(new Object[] {t.schema() + "." + t.name(), r.oid()});
            if (t.schema().equalsIgnoreCase("public")) {
                rows.add(new Object[] {t.name(), r.oid()});
            }
        }
        PgCatalogRewrite.CATALOG_RELATIONS.forEach((name, oid) -> {
            rows.add(new Object[] {name, oid});
            rows.add(new Object[] {"pg_catalog." + name, oid});
        });
        return new SystemTable(List.of(Col.text("name"), Col.int8("oid")), rows);
    }

    private static SystemTable constraintDefs(List<Rel> rels) {
        Map<String, Rel> byName = new HashMap<>();
        rels.forEach(r -> byName.put(r.spec().qualifiedName().toLowerCase(Locale.ROOT), r));
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (Rel r : rels) {
            List<TableConstraint> cs = r.spec().constraints();
            for (int i = 0; i < cs.size(); i++) {
                TableConstraint c = cs.get(i);
                String def = switch (c.kind()) {
                    case PRIMARY_KEY -> "PRIMARY KEY " + names(c.columns());
                    case UNIQUE -> "UNIQUE " + names(c.columns());
                    case FOREIGN_KEY -> {
                        String ref = c.referencedTable();
                        Rel target = ref == null ? null : byName.get(ref.toLowerCase(Locale.ROOT));
                        String table = target == null
                                ? String.valueOf(ref)
                                : target.spec().schema().equalsIgnoreCase("public")
                                        ? ident(target.spec().name())
                                        : ident(target.spec().schema()) + "."
                                                + ident(target.spec().name());
                        yield "FOREIGN KEY " + names(c.columns()) + " REFERENCES " + table
                                + names(c.referencedColumns());
                    }
                };
                rows.add(new Object[] {PgCatalogTables.constraintOid(r, i), def});
            }
        }
        return new SystemTable(List.of(Col.int8("oid"), Col.text("def")), rows);
    }

    /** {@code strongroom_index_keys} when {@code keys}, else {@code strongroom_indexdef}. */
    private static SystemTable indexKeys(List<Rel> rels, boolean keys) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (Rel r : rels) {
            TableSpec t = r.spec();
            List<TableConstraint> cs = t.constraints();
            for (int i = 0; i < cs.size(); i++) {
                TableConstraint c = cs.get(i);
                if (c.kind() == TableConstraint.Kind.FOREIGN_KEY) {
                    continue;
                }
                long index = PgCatalogTables.indexOid(r, i);
                if (!keys) {
                    rows.add(new Object[] {
                        index,
                        0L,
                        "CREATE UNIQUE INDEX " + ident(c.name()) + " ON " + ident(t.schema()) + "." + ident(t.name())
                                + " USING btree " + names(c.columns())
                    });
                }
                for (int k = 0; k < c.columns().size(); k++) {
                    int at = t.indexOf(c.columns().get(k));
                    Column col = t.columns().get(at);
                    long type = PgCatalogTables.wire(col.type()).oid();
                    rows.add(
                            keys
                                    ? new Object[] {index, (long) k + 1, (long) at + 1, opclass(type), 0L}
                                    : new Object[] {index, (long) k + 1, ident(col.name())});
                }
            }
        }
        return new SystemTable(
                keys
                        ? List.of(
                                Col.int8("indexrelid"),
                                Col.int4("ord"),
                                Col.int2("attnum"),
                                Col.int8("opclass"),
                                Col.int2("option"))
                        : List.of(Col.int8("indexrelid"), Col.int4("colno"), Col.text("def")),
                rows);
    }

    /** {@code pg_index.indclass}: the key columns' operator classes as an oidvector's text. */
    static String indclass(TableSpec t, List<String> key) {
        StringJoiner out = new StringJoiner(" ");
        for (String n : key) {
            long type =
                    PgCatalogTables.wire(t.columns().get(t.indexOf(n)).type()).oid();
            out.add(Long.toString(opclass(type)));
        }
        return out.toString();
    }

    private static String names(List<String> columns) {
        StringJoiner out = new StringJoiner(", ", "(", ")");
        columns.forEach(n -> out.add(ident(n)));
        return out.toString();
    }

    /** An identifier as PostgreSQL prints it: double-quoted unless it is lower case letters, digits and _. */
    static String ident(String name) {
        return name.matches("[a-z_][a-z0-9_$]*") ? name : "\"" + name.replace("\"", "\"\"") + "\"";
    }
}
