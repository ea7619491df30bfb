package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.session.SqlTestSession;
import java.math.BigDecimal;
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
 * Window functions, GROUPING SETS/ROLLUP/CUBE and DISTINCT ON through a session over an encrypted store; expected
 * values are PostgreSQL's.
 */
class WindowSqlTest {
    @TempDir
    Path dir;

    private SqlTestSession sql;

    @BeforeEach
    void open() {
        sql = new SqlTestSession(dir, InstantSource.fixed(Instant.parse("2024-01-01T00:00:00Z")));
        sql.tag("CREATE TABLE w (g VARCHAR(5), h VARCHAR(5), x INT, v DECIMAL(10,2), f DOUBLE PRECISION)");
        sql.tag(
                "INSERT INTO w VALUES ('a', 'p', 1, 10.00, 1.5), ('a', 'q', 2, 20.00, 2.5), ('a', 'p', 2, 5.00, NULL),"
                        + " ('a', 'q', 4, NULL, 4.0), ('b', 'p', 1, 7.00, 1.0), ('b', 'p', 3, 3.00, 3.0), (NULL, 'q', 9, 1.00, 9.0)");
    }

    @AfterEach
    void close() {
        sql.close();
    }

    private static List<Object> row(Object... values) {
        return Arrays.asList(values);
    }

    private static BigDecimal dec(String s) {
        return new BigDecimal(s);
    }

    @Test
    void rankingFunctions_numberRowsAndPeersPerPartition() {
        assertThat(sql.rows("SELECT g, x, ROW_NUMBER() OVER (PARTITION BY g ORDER BY x, v),"
                        + " RANK() OVER (PARTITION BY g ORDER BY x), DENSE_RANK() OVER (PARTITION BY g ORDER BY x),"
                        + " PERCENT_RANK() OVER (PARTITION BY g ORDER BY x), CUME_DIST() OVER (PARTITION BY g ORDER BY x),"
                        + " NTILE(3) OVER (PARTITION BY g ORDER BY x, v) FROM w ORDER BY g, x, v"))
                .containsExactly(
                        row("a", 1, 1L, 1L, 1L, 0.0, 0.25, 1L),
                        row("a", 2, 2L, 2L, 2L, 1.0 / 3, 0.75, 1L),
                        row("a", 2, 3L, 2L, 2L, 1.0 / 3, 0.75, 2L),
                        row("a", 4, 4L, 4L, 3L, 1.0, 1.0, 3L),
                        row("b", 1, 1L, 1L, 1L, 0.0, 0.5, 1L),
                        row("b", 3, 2L, 2L, 2L, 1.0, 1.0, 2L),
                        row(null, 9, 1L, 1L, 1L, 0.0, 1.0, 1L));
    }

    @Test
    void aggregatesOverTheDefaultFrame_includePeers_andWithoutOrderTheWholePartition() {
        assertThat(sql.rows("SELECT g, x, v, SUM(v) OVER (PARTITION BY g ORDER BY x), AVG(v) OVER (PARTITION BY g),"
                        + " COUNT(*) OVER (PARTITION BY g ORDER BY x), COUNT(v) OVER (),"
                        + " MIN(v) OVER (PARTITION BY g ORDER BY x DESC), MAX(x) OVER (PARTITION BY g)"
                        + " FROM w WHERE g = 'a' ORDER BY x, v"))
                .containsExactly(
                        row("a", 1, dec("10.00"), dec("10.00"), dec("11.6666666666666667"), 1L, 3L, dec("5.00"), 4),
                        row("a", 2, dec("5.00"), dec("35.00"), dec("11.6666666666666667"), 3L, 3L, dec("5.00"), 4),
                        row("a", 2, dec("20.00"), dec("35.00"), dec("11.6666666666666667"), 3L, 3L, dec("5.00"), 4),
                        row("a", 4, null, dec("35.00"), dec("11.6666666666666667"), 4L, 3L, null, 4));
    }

    @Test
    void rowsAndRangeFrames_boundTheRowsEachAggregateSees() {
        assertThat(sql.rows("SELECT x, v,"
                        + " SUM(v) OVER (ORDER BY x, v ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING),"
                        + " SUM(x) OVER (ORDER BY x, v ROWS UNBOUNDED PRECEDING),"
                        + " SUM(x) OVER (ORDER BY x, v ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING),"
                        + " COUNT(*) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING),"
                        + " SUM(f) OVER (ORDER BY x, v ROWS 1 PRECEDING)"
                        + " FROM w WHERE g = 'a' ORDER BY x, v"))
                .containsExactly(
                        row(1, dec("10.00"), dec("15.00"), 1L, 9L, 3L, 1.5),
                        row(2, dec("5.00"), dec("35.00"), 3L, 8L, 3L, 1.5),
                        row(2, dec("20.00"), dec("25.00"), 5L, 6L, 3L, 2.5),
                        row(4, null, dec("20.00"), 9L, 4L, 1L, 6.5));
    }

    @Test
    void offsetAndValueFunctions_lookAtNeighboursAndTheFrame() {
        assertThat(sql.rows("SELECT x, LAG(x) OVER (ORDER BY x, v), LEAD(x, 2, -1) OVER (ORDER BY x, v),"
                        + " FIRST_VALUE(v) OVER (ORDER BY x, v), LAST_VALUE(v) OVER (ORDER BY x, v),"
                        + " LAST_VALUE(v) OVER (ORDER BY x, v ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),"
                        + " NTH_VALUE(x, 2) OVER (ORDER BY x, v) FROM w WHERE g = 'a' ORDER BY x, v"))
                .containsExactly(
                        row(1, null, 2, dec("10.00"), dec("10.00"), null, null),
                        row(2, 1, 4, dec("10.00"), dec("5.00"), null, 2),
                        row(2, 2, -1, dec("10.00"), dec("20.00"), null, 2),
                        row(4, 2, -1, dec("10.00"), null, null, 2));
    }

    @Test
    void windows_overGroupsAndInSubqueries_giveTopNPerGroup() {
        assertThat(sql.rows("SELECT g, SUM(x), RANK() OVER (ORDER BY SUM(x) DESC) FROM w GROUP BY g ORDER BY 3, 1"))
                .containsExactly(row("a", 9L, 1L), row(null, 9L, 1L), row("b", 4L, 3L));
        assertThat(sql.rows("SELECT g, x FROM (SELECT g, x, ROW_NUMBER() OVER (PARTITION BY g ORDER BY x DESC) AS rn"
                        + " FROM w) q WHERE rn = 1 ORDER BY g"))
                .containsExactly(row("a", 4), row("b", 3), row(null, 9));
        assertThat(sql.columns("SELECT ROW_NUMBER() OVER (), SUM(x) OVER () FROM w").stream()
                        .map(c -> c.name())
                        .toList())
                .containsExactly("row_number", "sum");
    }

    @Test
    void rollupCubeAndGroupingSets_aggregateOncePerSet() {
        assertThat(sql.rows("SELECT g, SUM(x) FROM w GROUP BY ROLLUP(g) ORDER BY 1, 2"))
                .containsExactly(row("a", 9L), row("b", 4L), row(null, 9L), row(null, 22L));
        assertThat(sql.rows("SELECT g, h, SUM(x), GROUPING(g), GROUPING(g, h) FROM w GROUP BY CUBE(g, h)"
                        + " ORDER BY 5, 1, 2"))
                .containsExactly(
                        row("a", "p", 3L, 0L, 0L),
                        row("a", "q", 6L, 0L, 0L),
                        row("b", "p", 4L, 0L, 0L),
                        row(null, "q", 9L, 0L, 0L),
                        row("a", null, 9L, 0L, 1L),
                        row("b", null, 4L, 0L, 1L),
                        row(null, null, 9L, 0L, 1L),
                        row(null, "p", 7L, 1L, 2L),
                        row(null, "q", 15L, 1L, 2L),
                        row(null, null, 22L, 1L, 3L));
        assertThat(sql.rows("SELECT g, h, COUNT(DISTINCT x) FROM w GROUP BY GROUPING SETS ((g), (h)) ORDER BY 1, 2"))
                .containsExactly(
                        row("a", null, 3L),
                        row("b", null, 2L),
                        row(null, "p", 3L),
                        row(null, "q", 3L),
                        row(null, null, 1L));
        assertThat(sql.rows("SELECT g, h, SUM(x) FROM w GROUP BY ROLLUP(g, h) HAVING SUM(x) > 8 ORDER BY 1, 2, 3"))
                .containsExactly(row("a", null, 9L), row(null, "q", 9L), row(null, null, 9L), row(null, null, 22L));
        // The empty set gives its row over no input, as an aggregate without GROUP BY does.
        assertThat(sql.rows("SELECT g, COUNT(*) FROM w WHERE x > 100 GROUP BY ROLLUP(g)"))
                .containsExactly(row(null, 0L));
    }

    @Test
    void distinctOn_keepsTheFirstRowOfEachKeyInOrderByOrder() {
        assertThat(sql.rows("SELECT DISTINCT ON (g) g, x, v FROM w ORDER BY g, x DESC, v"))
                .containsExactly(row("a", 4, null), row("b", 3, dec("3.00")), row(null, 9, dec("1.00")));
        assertThat(sql.rows("SELECT DISTINCT ON (g, h) * FROM w ORDER BY g, h, v DESC LIMIT 2"))
                .containsExactly(row("a", "p", 1, dec("10.00"), 1.5), row("a", "q", 4, null, 4.0));
        assertThat(sql.rows("SELECT DISTINCT ON (1) g AS grp, x FROM w ORDER BY 1, 2"))
                .containsExactly(row("a", 1), row("b", 1), row(null, 9));
        assertThat(sql.rows("SELECT DISTINCT ON (grp) g AS grp, x FROM w ORDER BY grp, x DESC"))
                .containsExactly(row("a", 4), row("b", 3), row(null, 9));
        assertThat(sql.columns("SELECT DISTINCT ON (upper(g)) g, x FROM w ORDER BY upper(g), x").stream()
                        .map(c -> c.name())
                        .toList())
                .containsExactly("g", "x");
        sql.assertFails("SELECT * FROM (SELECT DISTINCT ON (g) g FROM w) q", "0A000", "DISTINCT ON in a subquery");
    }
}
