package io.strongroom.sql.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.session.SqlTestSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The statements SQLAlchemy 2.0's PostgreSQL dialect sends to reflect a table, exactly as it sends them (captured
 * from PostgreSQL 15's statement log into {@code sqlalchemy/reflect-table-8.0.2.sql}), answered for tables with
 * a primary key, a composite key, a unique and a foreign key, and for a name that does not exist. The answers are
 * the ones PostgreSQL gives for the same tables, apart from OIDs and PostgreSQL's own information_schema domains.
 */
class SqlAlchemyReflectionTest {
    @TempDir
    Path dir;

    private SqlTestSession s;
    private Map<String, Statement> sent;

    record Statement(String sql, List<String> params) {
        /** The parameters for one table: its name, and its OID where the dialect sends the OID. */
        Object[] bind(String table, Object oid) {
            return params.stream()
                    .map(p -> p.equals("{oid}") ? oid : p.equals("sa_items") ? table : p)
                    .toArray();
        }
    }

    @BeforeEach
    void open() {
        s = new SqlTestSession(dir, InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z")));
        s.run("CREATE TABLE sa_items (id BIGINT NOT NULL, name VARCHAR(40) NOT NULL, price NUMERIC(12, 2),"
                + " PRIMARY KEY (id))");
        s.run("CREATE TABLE sa_lines (item_id BIGINT NOT NULL REFERENCES sa_items (id), line INT NOT NULL,"
                + " code CHAR(5) UNIQUE, note VARCHAR(256) DEFAULT 'none', PRIMARY KEY (item_id, line))");
        sent = load();
    }

    @AfterEach
    void close() {
        s.close();
    }

    private static Map<String, Statement> load() {
        String text;
        try (InputStream in = Objects.requireNonNull(
                SqlAlchemyReflectionTest.class.getResourceAsStream("/sqlalchemy/reflect-table-8.0.2.sql"),
                "sqlalchemy/reflect-table-8.0.2.sql")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Statement> out = new LinkedHashMap<>();
        for (String block : text.split("\n\n")) {
            String head = block.lines().findFirst().orElse("");
            int colon = head.indexOf(':');
            if (!head.startsWith("-- ") || colon < 0 || block.lines().count() < 2) {
                continue;
            }
            String what = head.substring(3, colon);
            if (what.contains("'")) {
                continue; // the file's own comment
            }
            List<String> params = Arrays.asList(head.substring(colon + 1).trim().split("\\|", -1));
            out.put(what, new Statement(block.substring(block.indexOf('\n') + 1), params));
        }
        assertThat(out).hasSize(10);
        return out;
    }

    private List<List<Object>> run(String what, String table) {
        Statement st = Objects.requireNonNull(sent.get(what), what);
        List<List<Object>> oids = s.rows("SELECT oid FROM pg_class WHERE relname = $1", table);
        return s.rows(st.sql(), st.bind(table, oids.isEmpty() ? 0L : oids.get(0).get(0)));
    }

    private Object oid(String table) {
        return s.value("SELECT oid FROM pg_class WHERE relname = '" + table + "'");
    }

    @Test
    void columns_withTheirTypesNullabilityAndDefaults() {
        assertThat(run("columns", "sa_items"))
                .containsExactly(
                        Arrays.asList("id", "bigint", null, true, "sa_items", null, null, null, null),
                        Arrays.asList("name", "character varying(40)", null, true, "sa_items", null, null, null, null),
                        Arrays.asList("price", "numeric(12,2)", null, false, "sa_items", null, null, null, null));
        assertThat(run("columns", "sa_lines"))
                .containsExactly(
                        Arrays.asList("item_id", "bigint", null, true, "sa_lines", null, null, null, null),
                        Arrays.asList("line", "integer", null, true, "sa_lines", null, null, null, null),
                        Arrays.asList("code", "character(5)", null, false, "sa_lines", null, null, null, null),
                        Arrays.asList(
                                "note",
                                "character varying(256)",
                                "'none'::character varying",
                                false,
                                "sa_lines",
                                null,
                                null,
                                null,
                                null));
        // A table that does not exist has no row at all (the dialect then raises NoSuchTableError).
        assertThat(run("columns", "sa_nope")).isEmpty();
    }

    @Test
    void domainsAndEnums_thereAreNone() {
        assertThat(run("domains", "sa_items")).isEmpty();
        assertThat(run("enums", "sa_items")).isEmpty();
    }

    @Test
    void tableOids_areTheTablesOwn() {
        assertThat(run("table oids", "sa_items")).containsExactly(List.of(oid("sa_items"), "sa_items"));
        assertThat(run("table oids", "sa_nope")).isEmpty();
    }

    @Test
    void primaryKeys_inKeyOrder() {
        assertThat(run("primary keys", "sa_items"))
                .containsExactly(
                        Arrays.asList(oid("sa_items"), List.of("id"), "sa_items_pkey", null, (short) 1, false));
        assertThat(run("primary keys", "sa_lines"))
                .containsExactly(Arrays.asList(
                        oid("sa_lines"), List.of("item_id", "line"), "sa_lines_pkey", null, (short) 2, false));
    }

    @Test
    void foreignKeys_withTheirDefinitions() {
        assertThat(run("foreign keys", "sa_items")).containsExactly(Arrays.asList("sa_items", null, null, null, null));
        assertThat(run("foreign keys", "sa_lines"))
                .containsExactly(Arrays.asList(
                        "sa_lines",
                        "sa_lines_item_id_fkey",
                        "FOREIGN KEY (item_id) REFERENCES sa_items(id)",
                        "public",
                        null));
    }

    @Test
    void uniqueConstraints_andTheIndexesBehindThem() {
        assertThat(run("unique constraints", "sa_items")).isEmpty();
        assertThat(run("unique constraints", "sa_lines"))
                .containsExactly(
                        Arrays.asList(oid("sa_lines"), List.of("code"), "sa_lines_code_key", null, (short) 1, false));
        assertThat(run("indexes", "sa_items")).isEmpty();
        List<List<Object>> indexes = run("indexes", "sa_lines");
        assertThat(indexes).hasSize(1);
        assertThat(indexes.get(0).subList(0, 4)).containsExactly(oid("sa_lines"), "sa_lines_code_key", true, true);
        assertThat(indexes.get(0).get(10)).isEqualTo(List.of("code"));
    }

    @Test
    void commentsAndChecks_thereAreNone() {
        assertThat(run("table comment", "sa_items")).containsExactly(Arrays.asList("sa_items", null));
        assertThat(run("check constraints", "sa_lines")).containsExactly(Arrays.asList("sa_lines", null, null, null));
    }

    /** The functions and constructs the statements use, on their own, with PostgreSQL 15's answers. */
    @Test
    void catalogFunctionsAndArrays_answerAsPostgreSqlDoes() {
        assertThat(s.rows("SELECT format_type(20, -1), pg_catalog.format_type(1043, 44), format_type(1700, 786438),"
                        + " format_type(1042, 9), format_type(1043, NULL), format_type(99999, -1)"))
                .containsExactly(List.of(
                        "bigint",
                        "character varying(40)",
                        "numeric(12,2)",
                        "character(5)",
                        "character varying",
                        "???"));
        assertThat(s.rows("SELECT c.conname, pg_catalog.pg_get_constraintdef(c.oid, true) FROM pg_constraint c"
                        + " ORDER BY c.conname"))
                .containsExactly(
                        List.of("sa_items_pkey", "PRIMARY KEY (id)"),
                        List.of("sa_lines_code_key", "UNIQUE (code)"),
                        List.of("sa_lines_item_id_fkey", "FOREIGN KEY (item_id) REFERENCES sa_items(id)"),
                        List.of("sa_lines_pkey", "PRIMARY KEY (item_id, line)"));
        assertThat(s.rows("SELECT pg_get_indexdef(i.indexrelid), pg_get_indexdef(i.indexrelid, 2, false) FROM"
                        + " pg_index i WHERE i.indrelid = 'sa_lines'::regclass AND i.indisprimary"))
                .containsExactly(List.of(
                        "CREATE UNIQUE INDEX sa_lines_pkey ON public.sa_lines USING btree (item_id, line)", "line"));
        assertThat(s.rows(
                        "SELECT CAST($1 AS REGCLASS) = 'sa_lines'::regclass, CAST($2 AS REGCLASS)",
                        "sa_lines",
                        "pg_class"))
                .containsExactly(List.of(true, 1259L));
        assertThat(s.rows("SELECT CAST($1 AS REGCLASS)", "sa_nope")).containsExactly(Arrays.asList((Object) null));
        // array_agg keeps NULLs, follows its ORDER BY (NULLs last ascending) and is NULL over no rows.
        assertThat(s.rows("SELECT array_agg(x ORDER BY y DESC), array_agg(y ORDER BY y) FROM (VALUES (1, 'a'), (2,"
                        + " NULL), (NULL, 'c')) AS t(x, y)"))
                .containsExactly(List.of(Arrays.asList(2, null, 1), Arrays.asList("a", "c", null)));
        assertThat(s.rows("SELECT array_agg(conname) FROM pg_constraint WHERE conname = 'nope'"))
                .containsExactly(Arrays.asList((Object) null));
        s.assertFails(
                "SELECT unnest(x) FROM (VALUES (1)) AS t(x)",
                "0A000",
                "unnest() in a select list is supported only over pg_index's indkey");
    }

    /** Keeps the statement list honest: every captured statement is one the tests above run. */
    @Test
    void everyCapturedStatementIsCovered() {
        List<String> covered = new ArrayList<>(List.of(
                "columns",
                "domains",
                "enums",
                "table oids",
                "primary keys",
                "foreign keys",
                "indexes",
                "unique constraints",
                "table comment",
                "check constraints"));
        assertThat(sent.keySet()).containsExactlyElementsOf(covered);
    }
}
