package io.strongroom.sql.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.exec.Appends;
import io.strongroom.sql.session.StoreSqlEngine;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads larger than a batch, whose later lines {@link CopyLoader} parses on other threads: every row arrives with
 * its values, and a bad line far into the input fails the whole load with the message the same
 * line gets in a small load, naming its line number.
 */
class CopyLoaderParallelTest {
    private static final int ROWS = Appends.BATCH_ROWS * 3 + 12_345;

    @TempDir
    Path dir;

    private Store store;
    private DatabaseKey dek;
    private SqlSession session;

    @BeforeEach
    void open() {
        dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "c/dek", 1), SecretBytes.copyOf(new byte[32]));
        store = Store.create(dir, "c", new ClusterLayout(1, 2), StoreKeys.of(dek));
        session = new StoreSqlEngine(store).open(new SessionInfo("admin", "dev", Map.of()));
        run("CREATE TABLE t (id BIGINT NOT NULL, d DATE, amount DECIMAL(12,2), s VARCHAR(40)) DISTSTYLE EVEN");
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

    private List<List<Object>> rows(String sql) {
        List<List<Object>> out = new ArrayList<>();
        try (Result.Rows r = (Result.Rows) run(sql)) {
            while (r.hasNext()) {
                out.add(Arrays.asList(r.next()));
            }
        }
        return out;
    }

    private static String line(int i) {
        LocalDate d = LocalDate.of(1992, 1, 1).plusDays(i % 2500);
        return i + "|" + d + "|" + (i % 100_000) + "." + (i % 100 < 10 ? "0" : "") + (i % 100) + "|s" + i + "\n";
    }

    /** Writes the lines in uneven pieces, so lines straddle writes; then finishes. */
    private String copy(List<String> lines) {
        Result.CopyIn in = (Result.CopyIn) run("COPY t FROM STDIN WITH DELIMITER '|'");
        byte[] all = String.join("", lines).getBytes(StandardCharsets.UTF_8);
        int piece = 7_777;
        for (int off = 0; off < all.length; off += piece) {
            in.sink().write(all, off, Math.min(piece, all.length - off));
        }
        return in.sink().finish();
    }

    @Test
    void largeLoad_keepsEveryRowWithItsValues() {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= ROWS; i++) {
            lines.add(line(i));
        }
        assertThat(copy(lines)).isEqualTo("COPY " + ROWS);
        long n = ROWS;
        assertThat(rows("SELECT count(*), sum(id), min(d), max(d) FROM t"))
                .containsExactly(List.of(
                        n,
                        n * (n + 1) / 2,
                        LocalDate.of(1992, 1, 1),
                        LocalDate.of(1992, 1, 1).plusDays(2499)));
        int last = ROWS - 7;
        assertThat(rows("SELECT id, d, amount, s FROM t WHERE id = " + last))
                .containsExactly(List.of(
                        (long) last,
                        LocalDate.of(1992, 1, 1).plusDays(last % 2500),
                        new BigDecimal((last % 100_000) + "." + String.format("%02d", last % 100)),
                        "s" + last));
        // Every row holds its own line's values, whichever chunk parsed it.
        assertThat(rows("SELECT count(*) FROM t WHERE s <> 's' || CAST(id AS VARCHAR)"))
                .containsExactly(List.of(0L));
    }

    @Test
    void badLineFarIn_failsTheLoadWithTheMessageOfASmallLoad() {
        String bad = "7|2023-02-30|1.00|x\n";
        Throwable small = catchThrowable(() -> copy(List.of(bad)));
        assertThat(small).hasMessageContaining("line 1, column d: ");
        String reason =
                small.getMessage().substring(small.getMessage().indexOf("line 1, column d: ") + "line 1".length());

        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= ROWS; i++) {
            lines.add(line(i));
        }
        int at = Appends.BATCH_ROWS * 2 + 99;
        lines.set(at - 1, bad);
        Throwable large = catchThrowable(() -> copy(lines));
        assertThat(large).hasMessage("COPY t, line " + at + reason);
        assertThat(rows("SELECT count(*) FROM t")).containsExactly(List.of(0L));
    }
}
