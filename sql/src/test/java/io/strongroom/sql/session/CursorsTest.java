package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.SqlType;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DECLARE, FETCH, MOVE and CLOSE over an encrypted store, as BI tools use them; and SQL PREPARE/EXECUTE. */
class CursorsTest {
    @TempDir
    Path dir;

    private Store store;
    private DatabaseKey dek;
    private SqlSession session;

    @BeforeEach
    void open() {
        dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "c/dek", 1), SecretBytes.copyOf(new byte[32]));
        store = Store.create(dir, "c", new ClusterLayout(2, 2), StoreKeys.of(dek));
        session = new StoreSqlEngine(store).open(new SessionInfo("admin", "dev", Map.of()));
        tag("CREATE TABLE t (id BIGINT, s VARCHAR(10))");
        StringBuilder values = new StringBuilder("INSERT INTO t VALUES ");
        for (int i = 1; i <= 1000; i++) {
            values.append(i == 1 ? "" : ", ")
                    .append("(")
                    .append(i)
                    .append(", 'r")
                    .append(i)
                    .append("')");
        }
        tag(values.toString());
    }

    @AfterEach
    void close() {
        session.close();
        store.close();
        dek.close();
    }

    private Result run(String sql) {
        return session.execute(session.prepare(sql, List.of()), List.of());
    }

    private String tag(String sql) {
        return ((Result.Command) run(sql)).tag();
    }

    /** The rows and the tag the wire layer would send. */
    private List<Object> fetch(String sql) {
        List<Object> ids = new ArrayList<>();
        try (Result.Rows r = (Result.Rows) run(sql)) {
            while (r.hasNext()) {
                ids.add(r.next()[0]);
            }
            ids.add(r.tag(ids.size()));
        }
        return ids;
    }

    private static StrongroomException failure(Runnable r) {
        try {
            r.run();
        } catch (StrongroomException e) {
            return e;
        }
        throw new AssertionError("no error");
    }

    @Test
    void aCursor_streamsItsQueryInBatches_skipsWithMove_andEndsWithItsBlock() {
        assertThat(tag("BEGIN")).isEqualTo("BEGIN");
        assertThat(tag("DECLARE c NO SCROLL CURSOR FOR SELECT id FROM t ORDER BY id"))
                .isEqualTo("DECLARE CURSOR");
        assertThat(fetch("FETCH 3 FROM c")).containsExactly(1L, 2L, 3L, "FETCH 3");
        assertThat(fetch("FETCH c")).containsExactly(4L, "FETCH 1");
        assertThat(tag("MOVE FORWARD 990 IN c")).isEqualTo("MOVE 990");
        assertThat(fetch("FETCH NEXT FROM c")).containsExactly(995L, "FETCH 1");
        assertThat(fetch("FETCH ALL FROM c")).containsExactly(996L, 997L, 998L, 999L, 1000L, "FETCH 5");
        assertThat(fetch("FETCH 10 FROM c")).containsExactly("FETCH 0");
        // Rows written after DECLARE are not in the cursor: it reads the snapshot it began on.
        assertThat(tag("DECLARE d CURSOR FOR SELECT count(*) FROM t")).isEqualTo("DECLARE CURSOR");
        tag("INSERT INTO t VALUES (1001, 'late')");
        assertThat(fetch("FETCH 1 FROM d")).containsExactly(1000L, "FETCH 1");
        assertThat(tag("CLOSE d")).isEqualTo("CLOSE CURSOR");
        assertThat(failure(() -> run("FETCH 1 FROM d")).code()).isEqualTo(ErrorCode.INVALID_CURSOR_NAME);
        tag("ROLLBACK");
        // The block ended: its cursors are gone.
        tag("BEGIN");
        assertThat(failure(() -> run("FETCH 1 FROM c")).getMessage()).contains("cursor \"c\" does not exist");
        tag("ROLLBACK");
    }

    @Test
    void refusals_sayWhatIsSupported() {
        assertThat(failure(() -> run("DECLARE c CURSOR FOR SELECT id FROM t")).code())
                .isEqualTo(ErrorCode.NO_ACTIVE_TRANSACTION);
        tag("BEGIN");
        assertThat(failure(() -> run("DECLARE c CURSOR WITH HOLD FOR SELECT id FROM t"))
                        .getMessage())
                .contains("WITH HOLD");
        assertThat(failure(() -> run("DECLARE c SCROLL CURSOR FOR SELECT id FROM t"))
                        .getMessage())
                .contains("forward-only");
        tag("ROLLBACK");
        tag("BEGIN");
        tag("DECLARE c CURSOR FOR SELECT id FROM t");
        assertThat(failure(() -> run("DECLARE c CURSOR FOR SELECT id FROM t")).code())
                .isEqualTo(ErrorCode.DUPLICATE_CURSOR);
        tag("ROLLBACK");
        tag("BEGIN");
        tag("DECLARE c CURSOR FOR SELECT id FROM t");
        assertThat(tag("CLOSE ALL")).isEqualTo("CLOSE CURSOR");
        assertThat(failure(() -> run("FETCH 1 FROM c")).code()).isEqualTo(ErrorCode.INVALID_CURSOR_NAME);
        tag("ROLLBACK");
        tag("BEGIN");
        tag("DECLARE c CURSOR FOR SELECT id FROM t");
        assertThat(failure(() -> run("FETCH BACKWARD 1 FROM c")).getMessage()).contains("forward-only");
        // As in PostgreSQL, an error fails the block; ROLLBACK ends it and its cursors.
        assertThat(tag("ROLLBACK")).isEqualTo("ROLLBACK");
        assertThat(Arrays.asList(ErrorCode.INVALID_CURSOR_NAME.sqlState(), ErrorCode.DUPLICATE_CURSOR.sqlState()))
                .containsExactly("34000", "42P03");
    }

    @Test
    void sqlPrepareAndExecute_withTypedArguments_andDeallocate() {
        assertThat(tag("PREPARE q (int, text) AS SELECT id FROM t WHERE id <= $1 AND s <> $2 ORDER BY id"))
                .isEqualTo("PREPARE");
        assertThat(fetch("EXECUTE q (3, 'r' || '2')")).containsExactly(1L, 3L, "SELECT 2");
        assertThat(tag("PREPARE ins (bigint, varchar(10)) AS INSERT INTO t VALUES ($1, $2)"))
                .isEqualTo("PREPARE");
        assertThat(tag("EXECUTE ins (2000 + 1, 'new')")).isEqualTo("INSERT 0 1");
        assertThat(fetch("EXECUTE q (2001, 'nothing')")).hasSize(1002);
        assertThat(failure(() -> run("EXECUTE q (1)")).getMessage())
                .contains("wrong number of parameters for prepared statement \"q\": expected 2, got 1");
        assertThat(failure(() -> run("PREPARE q AS SELECT 1")).code())
                .isEqualTo(ErrorCode.DUPLICATE_PREPARED_STATEMENT);
        assertThat(failure(() -> run("PREPARE x (money) AS SELECT 1")).code()).isEqualTo(ErrorCode.UNDEFINED_OBJECT);
        Result dropped = run("DEALLOCATE q");
        assertThat(dropped).isEqualTo(new Result.Command("DEALLOCATE"));
        assertThat(failure(() -> run("EXECUTE q (1, 'a')")).code()).isEqualTo(ErrorCode.INVALID_SQL_STATEMENT_NAME);
        // DEALLOCATE ALL drops the rest here, and tells the wire layer to drop the protocol's named statements.
        assertThat(run("DEALLOCATE ALL")).isInstanceOf(Result.Deallocate.class);
        assertThat(failure(() -> run("EXECUTE ins (1, 'a')")).code()).isEqualTo(ErrorCode.INVALID_SQL_STATEMENT_NAME);
    }

    @Test
    void copyToStdout_streamsChunksAsTheExecutorProducesThem_andCountsAtTheEnd() {
        for (int i = 0; i < 5; i++) {
            tag("INSERT INTO t SELECT id + (SELECT max(id) FROM t), s FROM t");
        }
        Result.CopyOut copy = (Result.CopyOut) run("COPY t TO STDOUT");
        int chunks = 0;
        long lines = 0;
        while (copy.chunks().hasNext()) {
            byte[] c = copy.chunks().next();
            assertThat(c.length).isLessThan(70_000);
            chunks++;
            for (byte b : c) {
                if (b == '\n') {
                    lines++;
                }
            }
        }
        assertThat(lines).isEqualTo(32_000);
        assertThat(chunks)
                .as("rows go out in chunks of about 64 KiB, not all at once")
                .isGreaterThan(3);
        assertThat(copy.tag().get()).isEqualTo("COPY 32000");
    }

    @Test
    void anOpenCursor_describesItsColumns_asThePortalOfItsName_untilClosed() {
        assertThat(session.cursorColumns("c")).isNull();
        tag("BEGIN");
        tag("DECLARE \"C\" CURSOR FOR SELECT s, id FROM t ORDER BY id");
        assertThat(session.cursorColumns("c")).extracting(col -> col.name()).containsExactly("s", "id");
        assertThat(session.cursorColumns("other")).isNull();
        tag("CLOSE c");
        assertThat(session.cursorColumns("c")).isNull();
        tag("DECLARE d CURSOR FOR SELECT id FROM t");
        tag("COMMIT");
        assertThat(session.cursorColumns("d"))
                .as("a cursor ends with its block")
                .isNull();
    }

    @Test
    void declare_takesTheQuerysParameters_boundAtExecution() {
        tag("BEGIN");
        var declare = session.prepare("DECLARE p CURSOR FOR SELECT id FROM t WHERE id > $1 ORDER BY id", List.of());
        assertThat(declare.parameterTypes()).containsExactly(SqlType.INT8);
        assertThat(declare.columns()).as("DECLARE itself returns no rows").isEmpty();
        assertThat(((Result.Command) session.execute(declare, List.of(995L))).tag())
                .isEqualTo("DECLARE CURSOR");
        assertThat(fetch("FETCH ALL FROM p")).containsExactly(996L, 997L, 998L, 999L, 1000L, "FETCH 5");
        tag("COMMIT");
    }
}
