package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SQL text is Unicode end to end: literals outside Latin-1 in the select list, in comparisons, in LIKE and in
 * inserted rows plan, compare and come back unchanged (they used to fail in the planner's ISO-8859-1 charset).
 */
class UnicodeSqlTest {
    @TempDir
    Path dir;

    SqlTestSession sql;

    @BeforeEach
    void open() {
        sql = new SqlTestSession(dir, InstantSource.fixed(Instant.parse("2024-03-15T10:20:30Z")));
        sql.run("CREATE TABLE u (id INT, s VARCHAR(40))");
        sql.run("INSERT INTO u VALUES (1, '日本語'), (2, 'žluťoučký kůň'), (3, 'plain'), (4, '🔒 locked')");
    }

    @AfterEach
    void close() {
        sql.close();
    }

    private static List<Object> row(Object... values) {
        return List.of(values);
    }

    @Test
    void literalsOutsideLatin1_selectCompareAndMatch() {
        assertThat(sql.value("SELECT 'ž'")).isEqualTo("ž");
        assertThat(sql.value("SELECT '日本語' || '!'")).isEqualTo("日本語!");
        assertThat(sql.rows("SELECT id FROM u WHERE s = '日本語'")).containsExactly(row(1));
        assertThat(sql.rows("SELECT id FROM u WHERE s LIKE 'žluť%'")).containsExactly(row(2));
        assertThat(sql.rows("SELECT id FROM u WHERE s <> '日本語' ORDER BY id")).containsExactly(row(2), row(3), row(4));
        assertThat(sql.rows("SELECT s FROM u WHERE id = 4")).containsExactly(row("🔒 locked"));
        assertThat(sql.rows("SELECT id FROM u WHERE s IN ('🔒 locked', 'plain') ORDER BY id"))
                .containsExactly(row(3), row(4));
        assertThat(sql.value("SELECT LENGTH('日本語')")).isEqualTo(3);
        assertThat(sql.value("SELECT UPPER('žluť')")).isEqualTo("ŽLUŤ");
    }
}
