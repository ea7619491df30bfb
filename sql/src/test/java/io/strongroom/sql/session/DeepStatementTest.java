package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A statement too deep for the parser is STATEMENT_TOO_COMPLEX (54001) with a message that says what to do, not a
 * syntax error with an empty message; the session goes on.
 */
class DeepStatementTest {
    @TempDir
    Path dir;

    @Test
    void aTwentyThousandTermSum_isTooComplex_andTheSessionGoesOn() {
        try (SqlTestSession sql = new SqlTestSession(dir, InstantSource.fixed(Instant.EPOCH))) {
            assertThatThrownBy(() -> sql.value("SELECT " + "1 + ".repeat(20_000) + "1"))
                    .isInstanceOfSatisfying(StrongroomException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.STATEMENT_TOO_COMPLEX);
                        assertThat(e.code().sqlState()).isEqualTo("54001");
                        assertThat(e.getMessage()).contains("split it into simpler statements");
                    });
            assertThat(sql.value("SELECT 1 + 1")).isEqualTo(2);
        }
    }

    @Test
    void aSelectListWiderThanPostgresAllows_is54011_beforeItCostsAnyPlanning() {
        try (SqlTestSession sql = new SqlTestSession(dir, InstantSource.fixed(Instant.EPOCH))) {
            StringBuilder wide = new StringBuilder("SELECT 0 AS c0");
            for (int i = 1; i < 20_000; i++) {
                wide.append(", ").append(i).append(" AS c").append(i);
            }
            assertThatThrownBy(() -> sql.rows(wide.toString())).isInstanceOfSatisfying(StrongroomException.class, e -> {
                assertThat(e.code().sqlState()).isEqualTo("54011");
                assertThat(e.getMessage()).contains("at most 1664 entries");
            });
            StringBuilder ok = new StringBuilder("SELECT 0 AS c0");
            for (int i = 1; i < 1664; i++) {
                ok.append(", ").append(i).append(" AS c").append(i);
            }
            assertThat(sql.rows(ok.toString()).get(0)).hasSize(1664);
        }
    }
}
