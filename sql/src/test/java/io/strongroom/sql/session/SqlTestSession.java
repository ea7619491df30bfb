package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A SQL session over a fresh encrypted store in a directory, for tests that run SQL and look at rows (values in
 * their wire classes: Integer for INT4, Long for INT8...). The clock is the test's. Not thread-safe.
 */
public final class SqlTestSession implements AutoCloseable {
    private final Store store;
    private final DatabaseKey dek;
    final SqlSession session;

    public SqlTestSession(Path dir, InstantSource clock) {
        dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "c/dek", 1), SecretBytes.copyOf(new byte[32]));
        store = Store.create(dir, "c", new ClusterLayout(2, 2), StoreKeys.of(dek));
        session = new StoreSqlEngine(store, clock).open(new SessionInfo("admin", "dev", Map.of()));
    }

    /** The store under the session. */
    public Store store() {
        return store;
    }

    public Result run(String sql, Object... params) {
        return session.execute(session.prepare(sql, List.of()), Arrays.asList(params));
    }

    public String tag(String sql) {
        return ((Result.Command) run(sql)).tag();
    }

    /** Loads {@code text} ('|'-delimited lines, \\N for NULL) into {@code table} with COPY FROM STDIN. */
    public void copy(String table, String text) {
        Result.CopyIn in = (Result.CopyIn) run("COPY " + table + " FROM STDIN WITH DELIMITER '|'");
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        in.sink().write(bytes, 0, bytes.length);
        in.sink().finish();
    }

    /** Every row of a query, each as a list (NULLs included). */
    public List<List<Object>> rows(String sql, Object... params) {
        List<List<Object>> out = new ArrayList<>();
        try (Result.Rows r = (Result.Rows) run(sql, params)) {
            while (r.hasNext()) {
                out.add(Arrays.asList(r.next()));
            }
        }
        return out;
    }

    /** The only value of a one-row, one-column query. */
    public Object value(String sql) {
        List<List<Object>> rows = rows(sql);
        if (rows.size() != 1 || rows.get(0).size() != 1) {
            throw new AssertionError("expected one value from " + sql + ", got " + rows);
        }
        return rows.get(0).get(0);
    }

    public List<ResultColumn> columns(String sql) {
        try (Result.Rows r = (Result.Rows) run(sql)) {
            return r.columns();
        }
    }

    public void assertFails(String sql, String sqlState, String message) {
        assertThatThrownBy(() -> rows(sql)).isInstanceOfSatisfying(StrongroomException.class, e -> {
            if (!e.code().sqlState().equals(sqlState)
                    || !String.valueOf(e.getMessage()).contains(message)) {
                throw new AssertionError(
                        "expected " + sqlState + " \"" + message + "\", got "
                                + e.code().sqlState() + " \"" + e.getMessage() + "\"",
                        e);
            }
        });
    }

    @Override
    public void close() {
        session.close();
        store.close();
        dek.close();
    }
}
