package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What client libraries send on their own (the SQLAlchemy Redshift dialect, psycopg, pgjdbc): a qualified
 * pg_catalog.version(), SHOW TRANSACTION ISOLATION LEVEL, DEALLOCATE and DISCARD ALL.
 */
class ClientStatementsTest {
    @TempDir
    Path dir;

    @Test
    void theStatementsClientsSendOnTheirOwn_work() {
        try (SqlTestSession sql = new SqlTestSession(dir, InstantSource.fixed(Instant.EPOCH))) {
            assertThat((String) sql.value("select pg_catalog.version()")).startsWith("PostgreSQL 8.0.2");
            assertThat(sql.value("SELECT pg_catalog.current_schema()")).isEqualTo("public");
            assertThat(sql.value("show transaction isolation level")).isEqualTo("repeatable read");
            assertThat(sql.value("SHOW transaction_isolation")).isEqualTo("repeatable read");
            assertThat(sql.run("DEALLOCATE ALL")).isEqualTo(new Result.Deallocate(null, false, "DEALLOCATE ALL"));
            assertThat(sql.run("DEALLOCATE PREPARE _pg3_0"))
                    .isEqualTo(new Result.Deallocate("_pg3_0", false, "DEALLOCATE"));
            assertThat(sql.run("DISCARD PLANS")).isEqualTo(new Result.Command("DISCARD PLANS"));
        }
    }

    @Test
    void discardAll_resetsSettings_andIsRefusedInsideATransactionBlock() {
        try (SqlTestSession sql = new SqlTestSession(dir, InstantSource.fixed(Instant.EPOCH))) {
            sql.run("SET TimeZone TO 'Europe/Prague'");
            sql.run("BEGIN");
            assertThatThrownBy(() -> sql.run("DISCARD ALL"))
                    .isInstanceOf(StrongroomException.class)
                    .hasMessageContaining("inside a transaction block");
            sql.run("ROLLBACK");
            assertThat(sql.run("DISCARD ALL")).isEqualTo(new Result.Deallocate(null, true, "DISCARD ALL"));
            assertThat(sql.rows("SHOW TimeZone")).isEqualTo(List.of(List.of("UTC")));
            sql.run("SET TimeZone TO 'Europe/Prague'");
            sql.run("RESET TimeZone");
            assertThat(sql.rows("SHOW TimeZone")).isEqualTo(List.of(List.of("UTC")));
        }
    }
}
