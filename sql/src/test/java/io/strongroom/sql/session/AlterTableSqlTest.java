package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.PreparedStatement;
import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.catalog.ClientCatalog;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ALTER TABLE, DEFAULT and NOT NULL through SQL sessions over an encrypted store. */
class AlterTableSqlTest {
    @TempDir
    Path dir;

    private Store store;
    private DatabaseKey dek;
    private SqlSession session;
    private final List<SqlSession> others = new ArrayList<>();

    @BeforeEach
    void open() {
        dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "c/dek", 1), SecretBytes.copyOf(new byte[32]));
        store = Store.create(dir, "c", new ClusterLayout(2, 2), StoreKeys.of(dek));
        session = newSession();
    }

    private SqlSession newSession() {
        SqlSession s = new StoreSqlEngine(store).open(new SessionInfo("admin", "dev", Map.of()));
        others.add(s);
        return s;
    }

    @AfterEach
    void close() {
        others.forEach(SqlSession::close);
        store.close();
        dek.close();
    }

    private static Result run(SqlSession s, String sql, Object... params) {
        return s.execute(s.prepare(sql, List.of()), Arrays.asList(params));
    }

    private String tag(String sql, Object... params) {
        return tag(session, sql, params);
    }

    private static String tag(SqlSession s, String sql, Object... params) {
        return ((Result.Command) run(s, sql, params)).tag();
    }

    private List<List<Object>> rows(String sql, Object... params) {
        return rows(session, sql, params);
    }

    private static List<List<Object>> rows(SqlSession s, String sql, Object... params) {
        List<List<Object>> out = new ArrayList<>();
        try (Result.Rows r = (Result.Rows) run(s, sql, params)) {
            while (r.hasNext()) {
                out.add(Arrays.asList(r.next()));
            }
        }
        return out;
    }

    private static List<String> columnNames(SqlSession s, String sql) {
        try (Result.Rows r = (Result.Rows) run(s, sql)) {
            List<String> names = r.columns().stream().map(c -> c.name()).toList();
            while (r.hasNext()) {
                r.next();
            }
            return names;
        }
    }

    private static void assertSqlState(ThrowableAssert.ThrowingCallable call, String sqlState, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StrongroomException.class, e -> {
            assertThat(e.code().sqlState()).isEqualTo(sqlState);
            assertThat(e.getMessage()).contains(message);
        });
    }

    private String copyIn(String sql, String data) {
        Result.CopyIn in = (Result.CopyIn) run(session, sql);
        byte[] b = data.getBytes(StandardCharsets.UTF_8);
        in.sink().write(b, 0, b.length);
        return in.sink().finish();
    }

    private void events() {
        tag("CREATE TABLE events (id BIGINT, kind VARCHAR(10), amount DECIMAL(10,2)) "
                + "DISTSTYLE KEY DISTKEY (kind) SORTKEY (id)");
        tag("INSERT INTO events VALUES (1, 'a', 1.00), (2, 'b', 2.00), (3, 'a', 3.00)");
    }

    @Test
    void renameTableAndColumn_queriesUseTheNewNames_andSystemViewsFollow() {
        tag("CREATE SCHEMA sales");
        tag("CREATE TABLE sales.events (id BIGINT, kind VARCHAR(10)) DISTSTYLE KEY DISTKEY (kind) SORTKEY (id)");
        tag("INSERT INTO sales.events VALUES (1, 'a'), (2, 'b')");
        assertThat(tag("ALTER TABLE sales.events RENAME TO happenings")).isEqualTo("ALTER TABLE");
        assertThat(tag("ALTER TABLE sales.happenings RENAME COLUMN kind TO category"))
                .isEqualTo("ALTER TABLE");
        assertThat(tag("ALTER TABLE sales.happenings RENAME id TO event_id")).isEqualTo("ALTER TABLE");
        assertThat(rows("SELECT event_id, category FROM sales.happenings ORDER BY event_id"))
                .containsExactly(List.of(1L, "a"), List.of(2L, "b"));
        assertSqlState(() -> rows("SELECT * FROM sales.events"), "42P01", "");
        assertThatThrownBy(() -> rows("SELECT kind FROM sales.happenings"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("kind");
        assertThat(rows("SELECT schema, \"table\", diststyle, sortkey1, tbl_rows FROM svv_table_info"))
                .containsExactly(List.of("sales", "happenings", "KEY(category)", "event_id", 2L));
        assertThat(rows("SELECT DISTINCT col_name FROM stv_blocklist ORDER BY 1"))
                .containsExactly(List.of("category"), List.of("event_id"));
        // Rows inserted after the rename still distribute by the renamed DISTKEY.
        tag("INSERT INTO sales.happenings (category, event_id) VALUES ('c', 3)");
        assertThat(rows("SELECT count(*) FROM sales.happenings")).containsExactly(List.of(3L));
    }

    @Test
    void addColumn_oldRowsReadTheDefaultOrNull_andInsertUpdateCopyFillIt() {
        events();
        assertThat(tag("ALTER TABLE events ADD COLUMN note VARCHAR(20)")).isEqualTo("ALTER TABLE");
        assertThat(tag("ALTER TABLE events ADD status VARCHAR(8) DEFAULT 'new' NOT NULL"))
                .isEqualTo("ALTER TABLE");
        assertThat(tag("ALTER TABLE events ADD COLUMN score INTEGER DEFAULT -1"))
                .isEqualTo("ALTER TABLE");
        assertThat(columnNames(session, "SELECT * FROM events"))
                .containsExactly("id", "kind", "amount", "note", "status", "score");
        assertThat(rows("SELECT id, note, status, score FROM events ORDER BY id"))
                .containsExactly(
                        Arrays.asList(1L, null, "new", -1),
                        Arrays.asList(2L, null, "new", -1),
                        Arrays.asList(3L, null, "new", -1));
        // INSERT without the new columns takes their defaults; with them, the given values.
        tag("INSERT INTO events (id, kind, amount) VALUES (4, 'b', 4.00)");
        tag("INSERT INTO events VALUES (5, 'a', 5.00, 'hello', 'done', 50)");
        tag("INSERT INTO events VALUES (6, 'a', 6.00, DEFAULT, DEFAULT, 60)");
        tag("INSERT INTO events (id, kind) SELECT id + 100, kind FROM events WHERE id = 1");
        assertThat(copyIn("COPY events (id, kind, score) FROM STDIN WITH CSV", "7,a,70\n"))
                .isEqualTo("COPY 1");
        assertThat(tag("UPDATE events SET status = 'seen', score = score + 1 WHERE id <= 2"))
                .isEqualTo("UPDATE 2");
        assertThat(rows("SELECT id, note, status, score FROM events ORDER BY id"))
                .containsExactly(
                        Arrays.asList(1L, null, "seen", 0),
                        Arrays.asList(2L, null, "seen", 0),
                        Arrays.asList(3L, null, "new", -1),
                        Arrays.asList(4L, null, "new", -1),
                        Arrays.asList(5L, "hello", "done", 50),
                        Arrays.asList(6L, null, "new", 60),
                        Arrays.asList(7L, null, "new", 70),
                        Arrays.asList(101L, null, "new", -1));
        // Filters on the added column see the default of the old rows.
        assertThat(rows("SELECT id FROM events WHERE score = -1 ORDER BY id"))
                .containsExactly(List.of(3L), List.of(4L), List.of(101L));
        assertThat(rows("SELECT count(*) FROM events WHERE note IS NULL")).containsExactly(List.of(7L));
    }

    @Test
    void dropColumn_leavesQueriesAndBlockList_andDataOfOtherColumnsIntact() {
        events();
        tag("ALTER TABLE events ADD COLUMN extra INTEGER DEFAULT 9");
        assertThat(tag("ALTER TABLE events DROP COLUMN amount")).isEqualTo("ALTER TABLE");
        assertThat(tag("ALTER TABLE events DROP extra CASCADE")).isEqualTo("ALTER TABLE");
        assertThat(columnNames(session, "SELECT * FROM events")).containsExactly("id", "kind");
        assertThat(rows("SELECT * FROM events ORDER BY id"))
                .containsExactly(List.of(1L, "a"), List.of(2L, "b"), List.of(3L, "a"));
        assertThatThrownBy(() -> rows("SELECT amount FROM events"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("amount");
        assertThat(rows("SELECT DISTINCT col_name FROM stv_blocklist ORDER BY 1"))
                .containsExactly(List.of("id"), List.of("kind"));
        tag("INSERT INTO events VALUES (4, 'c')");
        // A column added again under a dropped column's name starts empty: old values never come back.
        tag("ALTER TABLE events ADD COLUMN amount DECIMAL(10,2)");
        assertThat(rows("SELECT count(*) FROM events WHERE amount IS NULL")).containsExactly(List.of(4L));
    }

    @Test
    void aTransactionThatBeganBeforeTheAlter_keepsReadingTheOldShape_untilItEnds() {
        events();
        SqlSession reader = newSession();
        tag(reader, "BEGIN");
        assertThat(rows(reader, "SELECT * FROM events WHERE id = 1"))
                .containsExactly(List.of(1L, "a", new BigDecimal("1.00")));
        tag("ALTER TABLE events DROP COLUMN amount");
        tag("ALTER TABLE events ADD COLUMN flag BOOLEAN DEFAULT true");
        tag("ALTER TABLE events RENAME TO renamed");
        assertThat(rows("SELECT * FROM renamed WHERE id = 1")).containsExactly(List.of(1L, "a", true));
        // Same snapshot, same shape, and the dropped column's blocks are still there to read.
        assertThat(columnNames(reader, "SELECT * FROM events")).containsExactly("id", "kind", "amount");
        assertThat(rows(reader, "SELECT sum(amount) FROM events")).containsExactly(List.of(new BigDecimal("6.00")));
        assertThat(tag(reader, "COMMIT")).isEqualTo("COMMIT");
        assertThat(columnNames(reader, "SELECT * FROM renamed")).containsExactly("id", "kind", "flag");
    }

    @Test
    void alterInsideATransactionBlock_isAtomicWithItsWrites_andRollsBack() {
        events();
        tag("BEGIN");
        tag("ALTER TABLE events ADD COLUMN n INTEGER DEFAULT 0");
        tag("INSERT INTO events VALUES (4, 'b', 4.00, 4)");
        assertThat(rows("SELECT sum(n) FROM events")).containsExactly(List.of(4L));
        tag("ALTER TABLE events DROP COLUMN amount");
        tag("ROLLBACK");
        assertThat(columnNames(session, "SELECT * FROM events")).containsExactly("id", "kind", "amount");
        assertThat(rows("SELECT count(*) FROM events")).containsExactly(List.of(3L));
        tag("BEGIN");
        tag("ALTER TABLE events RENAME COLUMN amount TO total");
        tag("UPDATE events SET total = total * 10 WHERE kind = 'a'");
        tag("COMMIT");
        assertThat(rows("SELECT sum(total) FROM events")).containsExactly(List.of(new BigDecimal("42.00")));
    }

    @Test
    void concurrentWriteToTheAlteredTable_getsASerializationFailure_andNothingIsLost() {
        events();
        SqlSession writer = newSession();
        tag(writer, "BEGIN");
        tag(writer, "INSERT INTO events VALUES (4, 'b', 4.00)");
        tag("ALTER TABLE events ADD COLUMN n INTEGER DEFAULT 1");
        assertSqlState(() -> tag(writer, "COMMIT"), "40001", "serialization failure");
        assertThat(writer.transactionState()).isEqualTo(SqlSession.TransactionState.IDLE);
        tag(writer, "INSERT INTO events VALUES (4, 'b', 4.00, 2)");
        assertThat(rows("SELECT id, n FROM events ORDER BY id"))
                .containsExactly(List.of(1L, 1), List.of(2L, 1), List.of(3L, 1), List.of(4L, 2));

        tag(writer, "BEGIN");
        tag(writer, "ALTER TABLE events DROP COLUMN n");
        tag("DELETE FROM events WHERE id = 4");
        assertSqlState(() -> tag(writer, "COMMIT"), "40001", "");
        assertThat(rows("SELECT count(*), sum(n) FROM events")).containsExactly(List.of(3L, 3L));
    }

    @Test
    void errors_carryPostgresSqlstates_ifExistsSkips_andTheSessionGoesOn() {
        events();
        assertSqlState(() -> tag("ALTER TABLE nope RENAME TO x"), "42P01", "relation \"nope\" does not exist");
        assertThat(tag("ALTER TABLE IF EXISTS nope RENAME TO x")).isEqualTo("ALTER TABLE");
        assertSqlState(
                () -> tag("ALTER TABLE events RENAME COLUMN nope TO x"),
                "42703",
                "column \"nope\" of relation \"events\" does not exist");
        assertSqlState(() -> tag("ALTER TABLE events DROP COLUMN nope"), "42703", "does not exist");
        assertThat(tag("ALTER TABLE events DROP COLUMN IF EXISTS nope")).isEqualTo("ALTER TABLE");
        assertSqlState(
                () -> tag("ALTER TABLE events ADD COLUMN kind INTEGER"),
                "42701",
                "column \"kind\" of relation \"events\" already exists");
        assertThat(tag("ALTER TABLE events ADD COLUMN IF NOT EXISTS kind INTEGER"))
                .isEqualTo("ALTER TABLE");
        assertSqlState(() -> tag("ALTER TABLE events RENAME COLUMN id TO kind"), "42701", "already exists");
        tag("CREATE TABLE other (x INTEGER)");
        assertSqlState(() -> tag("ALTER TABLE events RENAME TO other"), "42P07", "relation \"other\" already exists");
        assertSqlState(() -> tag("ALTER TABLE events DROP COLUMN kind"), "22023", "cannot drop distkey column");
        assertSqlState(() -> tag("ALTER TABLE events DROP COLUMN id"), "22023", "cannot drop sortkey column");
        assertSqlState(() -> tag("ALTER TABLE other DROP COLUMN x"), "22023", "only column");
        assertSqlState(
                () -> tag("ALTER TABLE events ADD COLUMN n INTEGER NOT NULL"),
                "23502",
                "NOT NULL must have a non-null default");
        assertSqlState(() -> tag("ALTER TABLE events ADD COLUMN n INTEGER DEFAULT NULL NOT NULL"), "23502", "");
        assertSqlState(() -> tag("ALTER TABLE events ADD COLUMN d DATE DEFAULT getdate()"), "0A000", "literal");
        assertSqlState(() -> tag("ALTER TABLE events ADD COLUMN n SMALLINT DEFAULT 'x'"), "22023", "SMALLINT");
        assertSqlState(() -> tag("ALTER TABLE events ADD COLUMN n INTEGER SORTKEY"), "22023", "SORTKEY");
        assertSqlState(() -> tag("ALTER TABLE events ADD COLUMN a INT, ADD COLUMN b INT"), "0A000", "one ALTER");
        assertSqlState(() -> tag("ALTER TABLE events ALTER COLUMN kind TYPE VARCHAR(20)"), "0A000", "ALTER");
        assertSqlState(() -> tag("ALTER TABLE events RENAME TO a.b"), "42601", "schema");
        assertSqlState(() -> run(session, "COPY nope FROM STDIN"), "42P01", "relation \"nope\" does not exist");
        assertSqlState(() -> run(session, "COPY events (id, nope) FROM STDIN"), "42703", "\"nope\"");
        assertSqlState(() -> tag("INSERT INTO events (id, nope) VALUES (1, 2)"), "42703", "\"nope\"");
        // Nothing above changed the table, and the session is still usable.
        assertThat(columnNames(session, "SELECT * FROM events")).containsExactly("id", "kind", "amount");
        assertThat(rows("SELECT count(*) FROM events")).containsExactly(List.of(3L));
        // Inside a transaction block an error fails the block until ROLLBACK, as in PostgreSQL.
        tag("BEGIN");
        assertSqlState(() -> tag("ALTER TABLE events DROP COLUMN kind"), "22023", "distkey");
        assertThat(session.transactionState()).isEqualTo(SqlSession.TransactionState.FAILED);
        assertSqlState(() -> tag("ALTER TABLE events DROP COLUMN amount"), "25P02", "aborted");
        tag("ROLLBACK");
        assertThat(tag("ALTER TABLE events DROP COLUMN amount")).isEqualTo("ALTER TABLE");
    }

    @Test
    void encryptedStore_reopenedAfterAlter_readsIdentically() {
        events();
        tag("ALTER TABLE events ADD COLUMN note VARCHAR(10) DEFAULT 'x' NOT NULL");
        tag("ALTER TABLE events DROP COLUMN amount");
        tag("ALTER TABLE events RENAME COLUMN kind TO k");
        tag("ALTER TABLE events RENAME TO ev");
        tag("INSERT INTO ev VALUES (4, 'b', 'y')");
        String query = "SELECT * FROM ev ORDER BY id";
        List<List<Object>> before = rows(query);
        others.forEach(SqlSession::close);
        others.clear();
        store.close();
        store = Store.open(dir, StoreKeys.of(dek));
        session = newSession();
        assertThat(rows(query)).isEqualTo(before).hasSize(4);
        assertThat(rows(query).get(0)).containsExactly(1L, "a", "x");
        assertSqlState(() -> tag("INSERT INTO ev (id, k, note) VALUES (5, 'c', NULL)"), "23502", "\"note\"");
    }

    @Test
    void notNull_isEnforcedOnInsertUpdateAndCopy_withSqlstate23502_andTheSessionGoesOn() {
        tag("CREATE TABLE people (id INTEGER NOT NULL, name VARCHAR(20) NOT NULL, city VARCHAR(20) DEFAULT 'Oslo')");
        tag("INSERT INTO people VALUES (1, 'Ada', NULL), (2, 'Grace', 'Rome')");
        tag("INSERT INTO people (id, name) VALUES (3, 'Edsger')");

        assertSqlState(
                () -> tag("INSERT INTO people VALUES (4, NULL, 'x')"),
                "23502",
                "null value in column \"name\" violates not-null constraint");
        assertSqlState(() -> tag("INSERT INTO people (id) VALUES (4)"), "23502", "column \"name\"");
        assertSqlState(() -> tag("INSERT INTO people VALUES ($1, $2, 'x')", null, "Bob"), "23502", "\"id\"");
        assertSqlState(() -> tag("INSERT INTO people SELECT id + 10, NULL, city FROM people"), "23502", "\"name\"");
        assertSqlState(() -> tag("UPDATE people SET name = NULL WHERE id = 2"), "23502", "\"name\"");
        assertSqlState(
                () -> copyIn("COPY people FROM STDIN WITH CSV", "5,Alan,Leeds\n6,,Bath\n"),
                "23502",
                "line 2: null value in column \"name\" violates not-null constraint");
        assertSqlState(() -> copyIn("COPY people (id, city) FROM STDIN", "7\tNice\n"), "23502", "\"name\"");

        assertThat(rows("SELECT id, name, city FROM people ORDER BY id"))
                .containsExactly(
                        Arrays.asList(1, "Ada", null), List.of(2, "Grace", "Rome"), List.of(3, "Edsger", "Oslo"));
        tag("UPDATE people SET name = 'Hopper' WHERE id = 2");
        assertThat(copyIn("COPY people (id, name) FROM STDIN", "8\tBarbara\n")).isEqualTo("COPY 1");
        assertThat(rows("SELECT name, city FROM people WHERE id IN (2, 8) ORDER BY id"))
                .containsExactly(List.of("Hopper", "Rome"), List.of("Barbara", "Oslo"));

        tag("BEGIN");
        assertSqlState(() -> tag("INSERT INTO people (id) VALUES (9)"), "23502", "");
        assertThat(session.transactionState()).isEqualTo(SqlSession.TransactionState.FAILED);
        assertThat(tag("COMMIT")).isEqualTo("ROLLBACK");
        assertThat(rows("SELECT count(*) FROM people")).containsExactly(List.of(4L));
    }

    @Test
    void createTableDefaults_areUsedByInsertAndShownByTheClientCatalog() {
        tag("CREATE TABLE d (id INTEGER, made DATE DEFAULT DATE '2024-01-31', ok BOOLEAN DEFAULT TRUE NOT NULL,"
                + " price DECIMAL(8,2) DEFAULT 9.5, label CHAR(3) DEFAULT 'ab'::char(3))");
        tag("INSERT INTO d (id) VALUES (1)");
        assertThat(rows("SELECT * FROM d"))
                .containsExactly(List.of(1, LocalDate.of(2024, 1, 31), true, new BigDecimal("9.50"), "ab"));
        // What psql's \d sends: name, type, default (a pg_attrdef subquery), NOT NULL.
        long oid = (Long) rows("SELECT table_id FROM svv_table_info WHERE \"table\" = 'd'")
                        .get(0)
                        .get(0)
                + ClientCatalog.FIRST_TABLE_OID;
        String describe = "SELECT a.attname,\n  pg_catalog.format_type(a.atttypid, a.atttypmod),\n"
                + "  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)\n   FROM pg_catalog.pg_attrdef d\n"
                + "   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),\n  a.attnotnull\n"
                + "FROM pg_catalog.pg_attribute a\nWHERE a.attrelid = '" + oid + "' AND a.attnum > 0 AND NOT"
                + " a.attisdropped\nORDER BY a.attnum;";
        assertThat(rows(describe))
                .containsExactly(
                        Arrays.asList("id", "integer", null, "f"),
                        List.of("made", "date", "'2024-01-31'::date", "f"),
                        List.of("ok", "boolean", "true", "t"),
                        List.of("price", "numeric(8,2)", "9.50", "f"),
                        List.of("label", "character(3)", "'ab'::bpchar", "f"));
        tag("ALTER TABLE d DROP COLUMN made");
        tag("ALTER TABLE d RENAME COLUMN ok TO fine");
        assertThat(rows(describe).stream().map(r -> r.get(0)).toList()).containsExactly("id", "fine", "price", "label");
    }

    @Test
    void statementsPreparedBeforeAnAlter_insertByName_andAQueryWhoseColumnsChangedIsRefused() {
        events();
        PreparedStatement insert = session.prepare("INSERT INTO events (id, kind) VALUES ($1, $2)", List.of());
        PreparedStatement select = session.prepare("SELECT * FROM events WHERE id = $1", List.of());
        tag("ALTER TABLE events ADD COLUMN n INTEGER DEFAULT 5");
        tag("ALTER TABLE events DROP COLUMN amount");
        assertThat(((Result.Command) session.execute(insert, Arrays.asList(4L, "d"))).tag())
                .isEqualTo("INSERT 0 1");
        assertThat(rows("SELECT id, kind, n FROM events WHERE id = 4")).containsExactly(List.of(4L, "d", 5));
        assertSqlState(() -> session.execute(select, List.of(1L)), "0A000", "cached plan must not change result type");
        assertThat(rows("SELECT count(*) FROM events")).containsExactly(List.of(4L));
    }
}
