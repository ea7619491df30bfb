package io.strongroom.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
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
}
