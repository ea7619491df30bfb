package io.strongroom.sql.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.session.SqlTestSession;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pg_catalog tables as the engine runs them, with the exact SQL texts drivers send: SQLAlchemy 2.0's
 * PostgreSQL dialect (has_table with and without a schema, the table-OID query reflection starts from), as
 * psycopg 3 sends them (server-side $n parameters), and the casts {@code ::regclass} and {@code ::regtype}.
 */
class PgCatalogTest {
    @TempDir
    Path dir;

    private SqlTestSession s;

    @BeforeEach
    void open() {
        s = new SqlTestSession(dir, InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z")));
        s.run("CREATE TABLE parent (id BIGINT PRIMARY KEY, code VARCHAR(5) UNIQUE)");
        s.run("CREATE TABLE child (id INT, line INT, pid BIGINT REFERENCES parent, PRIMARY KEY (id, line))");
    }

    @AfterEach
    void close() {
        s.close();
    }

    /** SQLAlchemy 2.0.54 PGDialect._has_table_query(schema), as psycopg sends it. */
    static final String HAS_TABLE_IN_SCHEMA = "SELECT pg_catalog.pg_class.relname \n"
            + "FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid ="
            + " pg_catalog.pg_class.relnamespace \n"
            + "WHERE pg_catalog.pg_class.relname = $1::VARCHAR AND pg_catalog.pg_class.relkind = ANY (ARRAY[$2::VARCHAR,"
            + " $3::VARCHAR, $4::VARCHAR, $5::VARCHAR, $6::VARCHAR]) AND pg_catalog.pg_namespace.nspname = $7::VARCHAR";

    /** SQLAlchemy 2.0.54 PGDialect._has_table_query(None). */
    static final String HAS_TABLE_VISIBLE = "SELECT pg_catalog.pg_class.relname \n"
            + "FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid ="
            + " pg_catalog.pg_class.relnamespace \n"
            + "WHERE pg_catalog.pg_class.relname = $1::VARCHAR AND pg_catalog.pg_class.relkind = ANY (ARRAY[$2::VARCHAR,"
            + " $3::VARCHAR, $4::VARCHAR, $5::VARCHAR, $6::VARCHAR]) AND"
            + " pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname !="
            + " $7::VARCHAR";

    @Test
    void sqlalchemyHasTable_isTrueForExistingTablesOnly() {
        assertThat(s.rows(HAS_TABLE_IN_SCHEMA, "parent", "r", "p", "f", "v", "m", "public"))
                .containsExactly(List.of("parent"));
        assertThat(s.rows(HAS_TABLE_IN_SCHEMA, "nope", "r", "p", "f", "v", "m", "public"))
                .isEmpty();
        assertThat(s.rows(HAS_TABLE_IN_SCHEMA, "parent", "r", "p", "f", "v", "m", "other"))
                .isEmpty();
        assertThat(s.rows(HAS_TABLE_VISIBLE, "child", "r", "p", "f", "v", "m", "pg_catalog"))
                .containsExactly(List.of("child"));
        assertThat(s.rows(HAS_TABLE_VISIBLE, "nope", "r", "p", "f", "v", "m", "pg_catalog"))
                .isEmpty();
        // The primary key's index is a relation too, but not a table.
        assertThat(s.rows(HAS_TABLE_IN_SCHEMA, "parent_pkey", "r", "p", "f", "v", "m", "public"))
                .isEmpty();
    }

    @Test
    void regclassAndRegtype() {
        assertThat(s.rows("SELECT relname FROM pg_class WHERE oid = 'child'::regclass"))
                .containsExactly(List.of("child"));
        s.assertFails("SELECT 'nope'::regclass", "42P01", "relation \"nope\" does not exist");
        assertThat(s.value("SELECT typname FROM pg_type WHERE oid = 'int4'::regtype"))
                .isEqualTo("int4");
    }

    /** pgjdbc 42.7's getPrimaryKeys(null, "public", "child") text, which the engine cannot parse. */
    static final String PGJDBC_PRIMARY_KEYS = "SELECT result.TABLE_CAT, result.TABLE_SCHEM, result.TABLE_NAME,"
            + " result.COLUMN_NAME, result.KEY_SEQ, result.PK_NAME FROM (SELECT NULL AS TABLE_CAT, n.nspname AS"
            + " TABLE_SCHEM,   ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,"
            + "   (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME,"
            + "   information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct"
            + "   JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)   JOIN pg_catalog.pg_namespace n ON"
            + " (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid)   JOIN"
            + " pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true  AND n.nspname = E'public' AND"
            + " ct.relname = E'%s' AND i.indisprimary  ) result where  result.A_ATTNUM = (result.KEYS).x  ORDER BY"
            + " result.table_name, result.pk_name, result.key_seq";

    @Test
    void pgjdbcGetPrimaryKeys_listsThePrimaryKeyColumnsInKeyOrder_andNothingForOtherTables() {
        assertThat(s.rows(PGJDBC_PRIMARY_KEYS.formatted("child")))
                .containsExactly(
                        Arrays.asList(null, "public", "child", "id", "1", "child_pkey"),
                        Arrays.asList(null, "public", "child", "line", "2", "child_pkey"));
        assertThat(s.rows(PGJDBC_PRIMARY_KEYS.formatted("nope"))).isEmpty();
        s.run("CREATE TABLE nokey (x INT)");
        assertThat(s.rows(PGJDBC_PRIMARY_KEYS.formatted("nokey"))).isEmpty();
    }

    @Test
    void namespaces_areTheSchemasThatExist_withAndWithoutThePrefix() {
        s.run("CREATE TABLE sales.orders (id INT)");
        List<List<Object>> expected =
                List.of(List.of("information_schema"), List.of("pg_catalog"), List.of("public"), List.of("sales"));
        assertThat(s.rows("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY nspname"))
                .isEqualTo(expected);
        assertThat(s.rows("SELECT nspname FROM pg_namespace ORDER BY nspname")).isEqualTo(expected);
        assertThat(s.rows("SELECT count(*) FROM pg_namespace WHERE nspname = 'nope'"))
                .containsExactly(List.of(0L));
    }

    /**
     * Every catalog view against the store's own tables: each table, column and constraint appears exactly once
     * with the right numbers, and a name that does not exist finds nothing anywhere.
     */
    @Test
    void everyCatalogView_saysExactlyWhatTheTablesColumnsAndConstraintsAre() {
        assertThat(s.rows("SELECT c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid ="
                        + " c.relnamespace ORDER BY c.relname"))
                .containsExactly(
                        List.of("child", "r", "public"),
                        List.of("child_pkey", "i", "public"),
                        List.of("parent", "r", "public"),
                        List.of("parent_code_key", "i", "public"),
                        List.of("parent_pkey", "i", "public"));
        assertThat(s.rows("SELECT a.attname, a.attnum, t.typname, a.atttypmod FROM pg_attribute a JOIN pg_class c"
                        + " ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid WHERE c.relname = 'parent'"
                        + " ORDER BY a.attnum"))
                .containsExactly(List.of("id", (short) 1, "int8", -1), List.of("code", (short) 2, "varchar", 9));
        assertThat(s.rows("SELECT i.indisprimary, i.indisunique, i.indkey, ci.relname FROM pg_index i JOIN pg_class"
                        + " c ON c.oid = i.indrelid JOIN pg_class ci ON ci.oid = i.indexrelid WHERE c.relname ="
                        + " 'child'"))
                .containsExactly(List.of(true, true, "1 2", "child_pkey"));
        assertThat(s.rows("SELECT con.conname, con.contype, con.conkey, con.confkey, f.relname FROM pg_constraint"
                        + " con JOIN pg_class c ON c.oid = con.conrelid LEFT JOIN pg_class f ON f.oid = con.confrelid"
                        + " ORDER BY con.conname"))
                .containsExactly(
                        Arrays.asList("child_pid_fkey", "f", "{3}", "{1}", "parent"),
                        Arrays.asList("child_pkey", "p", "{1,2}", null, null),
                        Arrays.asList("parent_code_key", "u", "{2}", null, null),
                        Arrays.asList("parent_pkey", "p", "{1}", null, null));
        assertThat(s.rows("SELECT constraint_name, table_name, constraint_type FROM"
                        + " information_schema.table_constraints ORDER BY constraint_name"))
                .containsExactly(
                        List.of("child_pid_fkey", "child", "FOREIGN KEY"),
                        List.of("child_pkey", "child", "PRIMARY KEY"),
                        List.of("parent_code_key", "parent", "UNIQUE"),
                        List.of("parent_pkey", "parent", "PRIMARY KEY"));
        assertThat(s.rows("SELECT constraint_name, column_name, ordinal_position FROM"
                        + " information_schema.key_column_usage WHERE table_name = 'child' ORDER BY constraint_name,"
                        + " ordinal_position"))
                .containsExactly(
                        List.of("child_pid_fkey", "pid", 1),
                        List.of("child_pkey", "id", 1),
                        List.of("child_pkey", "line", 2));
        // The pg_catalog OIDs agree with each other and with ::regclass.
        assertThat(s.value("SELECT count(*) FROM pg_constraint WHERE conrelid = 'child'::regclass"))
                .isEqualTo(2L);
        // Names that do not exist.
        for (String q : List.of(
                "SELECT count(*) FROM pg_class WHERE relname = 'nope'",
                "SELECT count(*) FROM pg_attribute WHERE attname = 'nope'",
                "SELECT count(*) FROM pg_constraint WHERE conname = 'nope'",
                "SELECT count(*) FROM information_schema.table_constraints WHERE table_name = 'nope'",
                "SELECT count(*) FROM information_schema.key_column_usage WHERE column_name = 'nope'",
                "SELECT count(*) FROM pg_description")) {
            assertThat(s.value(q)).as(q).isEqualTo(0L);
        }
        // After ALTER TABLE and DROP, the views follow.
        s.run("ALTER TABLE child RENAME COLUMN line TO seq");
        s.run("DROP TABLE parent CASCADE");
        assertThat(s.rows("SELECT con.conname, a.attname FROM pg_constraint con JOIN pg_attribute a ON a.attrelid ="
                        + " con.conrelid AND a.attnum = 2"))
                .containsExactly(List.of("child_pkey", "seq"));
    }
}
