package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.session.SqlTestSession;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key filters passed from an inner join down to the scan of a fact table below another join drop rows there, and
 * the answers are those computed here: NULL keys, keys outside the build side's span, duplicate build keys, a
 * residual condition, and an outer join, which passes nothing down.
 */
class RuntimeFiltersTest {
    private static final int FACTS = 100_000;

    @TempDir
    Path dir;

    private SqlTestSession sql;

    @BeforeEach
    void open() {
        sql = new SqlTestSession(dir, InstantSource.system());
        sql.run("CREATE TABLE f (id BIGINT, dk1 INTEGER, dk2 INTEGER, v BIGINT)");
        sql.run("CREATE TABLE d1 (k INTEGER, name VARCHAR(10))");
        sql.run("CREATE TABLE d2 (k INTEGER, cat VARCHAR(10))");
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < FACTS; i++) {
            t.append(i).append('|').append(dk1(i)).append('|');
            t.append(dk2(i) == null ? "\\N" : dk2(i).toString())
                    .append('|')
                    .append(i)
                    .append('\n');
        }
        sql.copy("f", t.toString());
        t.setLength(0);
        for (int i = 0; i < 1000; i++) {
            t.append(i).append('|').append("n").append(i % 10).append('\n');
        }
        sql.copy("d1", t.toString());
        t.setLength(0);
        for (int i = 0; i < 2000; i++) {
            t.append(i * 3).append('|').append(i % 10 == 0 ? "x" : "y").append('\n');
        }
        t.append(30).append('|').append("x").append('\n'); // key 30 twice among the x rows
        sql.copy("d2", t.toString());
    }

    private static int dk1(int i) {
        return i % 1000;
    }

    /** Keys up to 6,999 (d2 has multiples of 3 below 6,000), NULL for every 101st row. */
    private static Integer dk2(int i) {
        return i % 101 == 0 ? null : (i / 10 * 7) % 7000;
    }

    private static boolean d1Has3(int k) {
        return k % 10 == 3;
    }

    /** How many d2 rows with cat 'x' have key k. */
    private static int d2x(Integer k) {
        if (k == null || k % 3 != 0 || k / 3 >= 2000 || (k / 3) % 10 != 0) {
            return 0;
        }
        return k == 30 ? 2 : 1;
    }

    @AfterEach
    void close() {
        sql.close();
    }

    @Test
    void innerJoins_dropRowsAtTheScan_andGiveTheRowsComputedHere() {
        long count = 0;
        long sum = 0;
        long residualCount = 0;
        for (int i = 0; i < FACTS; i++) {
            int times = d1Has3(dk1(i)) ? d2x(dk2(i)) : 0;
            count += times;
            sum += (long) times * i;
            residualCount += i % 2 == 0 ? times : 0;
        }
        assertThat(count).isPositive();
        String plan = String.valueOf(
                sql.rows("EXPLAIN SELECT count(*), sum(f.v) FROM f JOIN d1 ON f.dk1 = d1.k JOIN d2 ON f.dk2 = d2.k"
                        + " WHERE d1.name = 'n3' AND d2.cat = 'x'"));
        long before = RuntimeFilters.DROPPED.sum();
        List<List<Object>> rows =
                sql.rows("SELECT count(*), sum(f.v) FROM f JOIN d1 ON f.dk1 = d1.k JOIN d2 ON f.dk2 = d2.k"
                        + " WHERE d1.name = 'n3' AND d2.cat = 'x'");
        assertThat(rows).containsExactly(List.of(count, sum));
        // Whichever dimension is joined second passes its keys down through the first join to f's scan.
        assertThat(RuntimeFilters.DROPPED.sum() - before).as(plan).isPositive();
        rows = sql.rows("SELECT count(*) FROM f JOIN d1 ON f.dk1 = d1.k JOIN d2 ON f.dk2 = d2.k AND f.v % 2 = d2.k % 1"
                + " WHERE d1.name = 'n3' AND d2.cat = 'x'");
        assertThat(rows).containsExactly(List.of(residualCount));
    }

    @Test
    void anOuterJoin_passesNothingDown() {
        long count = 0;
        for (int i = 0; i < FACTS; i++) {
            if (d1Has3(dk1(i))) {
                count += Math.max(1, d2x(dk2(i)));
            }
        }
        List<List<Object>> rows = sql.rows("SELECT count(*) FROM f JOIN d1 ON f.dk1 = d1.k"
                + " LEFT JOIN (SELECT * FROM d2 WHERE cat = 'x') d ON f.dk2 = d.k WHERE d1.name = 'n3'");
        assertThat(rows).containsExactly(List.of(count));
    }

    @Test
    void throughAnAggregation_onOneKeyAndOnAPair_dropRowsAndGiveTheGroupsComputedHere() {
        long sum = 0;
        Set<Integer> pairGroups = new HashSet<>();
        long pairSum = 0;
        for (int i = 0; i < FACTS; i++) {
            if (d1Has3(dk1(i))) {
                sum += i;
                Integer k2 = dk2(i);
                if (k2 != null && k2 == 7 * dk1(i)) {
                    pairGroups.add(dk1(i));
                    pairSum += i;
                }
            }
        }
        assertThat(pairGroups).isNotEmpty();
        long before = RuntimeFilters.DROPPED.sum();
        assertThat(sql.rows("SELECT count(*), sum(g.s) FROM (SELECT dk1, sum(v) AS s FROM f GROUP BY dk1) g"
                        + " JOIN d1 ON g.dk1 = d1.k WHERE d1.name = 'n3'"))
                .containsExactly(List.of(100L, sum));
        assertThat(RuntimeFilters.DROPPED.sum() - before).isPositive();
        assertThat(sql.rows("SELECT count(*), sum(g.s) FROM (SELECT dk1, dk2, sum(v) AS s FROM f GROUP BY dk1, dk2) g"
                        + " JOIN d1 ON g.dk1 = d1.k AND g.dk2 = d1.k * 7 WHERE d1.name = 'n3'"))
                .containsExactly(List.of((long) pairGroups.size(), pairSum));
    }
}
