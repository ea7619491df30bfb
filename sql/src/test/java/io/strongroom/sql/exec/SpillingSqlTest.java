package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.session.SqlTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hash joins of every type (semi and anti joins built on either side) and hash aggregations give the same rows when they spill to disk (work_mem at its
 * 64 kB minimum) as in memory, over tables large enough for parallel pipelines, with NULL keys, string keys and
 * groups that several partitions hold; a query's spill files are gone when it ends.
 */
class SpillingSqlTest {
    private static final int ROWS = 60_000;

    @TempDir
    Path dir;

    private SqlTestSession sql;

    @BeforeEach
    void open() {
        sql = new SqlTestSession(dir, InstantSource.system());
        sql.run("CREATE TABLE a (k INTEGER, s VARCHAR(30), v DECIMAL(12,2))");
        sql.run("CREATE TABLE b (k INTEGER, s VARCHAR(30), w BIGINT)");
        StringBuilder ta = new StringBuilder();
        StringBuilder tb = new StringBuilder();
        for (int i = 0; i < ROWS; i++) {
            ta.append(i % 101 == 0 ? "\\N" : String.valueOf(i % 20_000))
                    .append('|')
                    .append(i % 7 == 0 ? "\\N" : "name-" + (i * 31 % 5_000) + "-of-a-longer-string")
                    .append('|')
                    .append(i % 13 == 0 ? "\\N" : (i % 1000) + "." + (i % 100))
                    .append('\n');
            // b's keys overlap half of a's, so every outer join has unmatched rows on both sides.
            tb.append(i % 97 == 0 ? "\\N" : String.valueOf(10_000 + i % 25_000))
                    .append('|')
                    .append("name-" + (i * 17 % 6_000) + "-of-a-longer-string")
                    .append('|')
                    .append(i)
                    .append('\n');
        }
        sql.copy("a", ta.toString());
        sql.copy("b", tb.toString());
    }

    @AfterEach
    void close() {
        sql.close();
    }

    @Test
    void everyJoinTypeAndAggregation_givesTheSameRows_spilledAsInMemory() throws Exception {
        List<String> queries = List.of(
                "SELECT a.k, a.v, b.w FROM a JOIN b ON a.k = b.k",
                "SELECT a.k, a.s, b.w FROM a JOIN b ON a.s = b.s AND a.k < b.k",
                "SELECT a.k, b.w FROM a LEFT JOIN b ON a.k = b.k",
                "SELECT a.k, b.w FROM a RIGHT JOIN b ON a.k = b.k",
                "SELECT a.k, b.k, b.w FROM a FULL JOIN b ON a.k = b.k",
                "SELECT count(*), sum(v) FROM a WHERE k IN (SELECT k FROM b)",
                "SELECT count(*), sum(v) FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.k = a.k)",
                "SELECT k, count(*), sum(v), min(v), max(v), avg(v) FROM a GROUP BY k",
                "SELECT s, count(*), min(k), max(k) FROM a GROUP BY s",
                "SELECT k, s, count(*) FROM a GROUP BY k, s",
                "SELECT k, count(DISTINCT s) FROM a GROUP BY k",
                "SELECT a.k, sum(b.w), count(*) FROM a JOIN b ON a.k = b.k GROUP BY a.k",
                // The smaller input on the left: the semi join builds on it and the right marks it (MarkingSemiJoin);
                // the anti join (NOT EXISTS, planned with the aggregated right) builds on the right.
                "SELECT x.k, x.v FROM (SELECT k, v FROM a WHERE k < 15000) x"
                        + " WHERE EXISTS (SELECT 1 FROM b WHERE b.k = x.k)",
                "SELECT x.k, x.v FROM (SELECT k, v FROM a WHERE k < 15000 OR k IS NULL) x"
                        + " WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.k = x.k)");
        long before = sql.store().spillFilesCreated();
        List<List<List<Object>>> inMemory = new ArrayList<>();
        for (String q : queries) {
            inMemory.add(sorted(sql.rows(q)));
        }
        assertThat(sql.store().spillFilesCreated())
                .as("spill files under the default work_mem")
                .isEqualTo(before);
        sql.run("SET work_mem = '64kB'");
        for (int i = 0; i < queries.size(); i++) {
            long filesBefore = sql.store().spillFilesCreated();
            assertThat(sorted(sql.rows(queries.get(i)))).as(queries.get(i)).isEqualTo(inMemory.get(i));
            assertThat(sql.store().spillFilesCreated())
                    .as("spilled: " + queries.get(i))
                    .isGreaterThan(filesBefore);
        }
        try (Stream<Path> left = Files.list(dir.resolve("tmp"))) {
            assertThat(left).as("spill files left after the queries ended").isEmpty();
        }
        sql.run("RESET work_mem");
        long after = sql.store().spillFilesCreated();
        sql.rows(queries.get(0));
        assertThat(sql.store().spillFilesCreated())
                .as("spill files after RESET work_mem")
                .isEqualTo(after);
    }

    @Test
    void semiAndAntiJoins_withTheSmallerInputOnTheLeft_keepExactlyTheRowsTheyShould() {
        // b's keys are exactly 10,000..34,999 (and NULLs); c has 300 rows, every tenth key NULL.
        sql.run("CREATE TABLE c (k INTEGER, tag VARCHAR(10))");
        StringBuilder text = new StringBuilder();
        List<List<Object>> in = new ArrayList<>();
        List<List<Object>> out = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Integer k = i % 10 == 0 ? null : i * 150;
            text.append(k == null ? "\\N" : k.toString())
                    .append('|')
                    .append("t")
                    .append(i)
                    .append('\n');
            List<Object> row = Arrays.asList(k, "t" + i);
            (k != null && k >= 10_000 && k < 35_000 ? in : out).add(row);
        }
        sql.copy("c", text.toString());
        for (String workMem : List.of("DEFAULT", "'64kB'")) {
            sql.run("SET work_mem = " + workMem);
            assertThat(sorted(sql.rows("SELECT k, tag FROM c WHERE EXISTS (SELECT 1 FROM b WHERE b.k = c.k)")))
                    .isEqualTo(sorted(in));
            assertThat(sorted(sql.rows("SELECT k, tag FROM c WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.k = c.k)")))
                    .isEqualTo(sorted(out));
            assertThat(sorted(sql.rows("SELECT k, tag FROM c WHERE k IN (SELECT k FROM b)")))
                    .isEqualTo(sorted(in));
            // b has NULL keys, so NOT IN is never true.
            assertThat(sql.rows("SELECT k, tag FROM c WHERE k NOT IN (SELECT k FROM b)"))
                    .isEmpty();
        }
    }

    private static List<List<Object>> sorted(List<List<Object>> rows) {
        List<List<Object>> out = new ArrayList<>(rows);
        out.sort(Comparator.comparing(Object::toString));
        return out;
    }
}
