package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.session.SqlTestSession;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vectorised executor's paths that TPC-H does not reach: NULLs through every kernel, exact decimals that
 * overflow a long, lazy operators guarding errors, LIKE patterns, every join type with NULL keys and residuals,
 * string keys short and long, and parallel pipelines (tables over the parallel threshold) against answers
 * computed here.
 */
class VectorExecutorTest {
    private static final int BIG_ROWS = 60_000;

    @TempDir
    Path dir;

    private SqlTestSession sql;

    @BeforeEach
    void open() {
        sql = new SqlTestSession(dir, InstantSource.system());
    }

    @AfterEach
    void close() {
        sql.close();
    }

    private Result run(String statement, Object... params) {
        return sql.run(statement, params);
    }

    private List<List<Object>> rows(String query, Object... params) {
        return sql.rows(query, params);
    }

    @Test
    void kernels_keepNullsAndThreeValuedLogic() {
        run("CREATE TABLE t (a INTEGER, b INTEGER, s VARCHAR(20), x DECIMAL(10,2))");
        run("INSERT INTO t VALUES (1, 2, 'apple', 1.50), (NULL, 2, 'banana', NULL), (3, NULL, NULL, 2.25),"
                + " (0, 0, 'cherry pie', 0.00)");
        assertThat(rows("SELECT a + b, a * b, a < b, a = 1 OR b = 2, a = 1 AND b = 2, NOT (a = 1) FROM t"))
                .containsExactly(
                        Arrays.asList(3, 2, true, true, true, false),
                        Arrays.asList(null, null, null, true, null, null),
                        Arrays.asList(null, null, null, null, false, true),
                        Arrays.asList(0, 0, false, false, false, true));
        // Decimal compared with an integer literal and with another scale.
        assertThat(rows("SELECT a FROM t WHERE x = 1.5 OR x = 2.250 OR x > 100"))
                .containsExactly(List.of(1), List.of(3));
        assertThat(rows("SELECT a FROM t WHERE x * 2 = 3")).containsExactly(List.of(1));
        assertThat(rows("SELECT count(*) FROM t WHERE s IS NULL")).containsExactly(List.of(1L));
    }

    @Test
    void lazyOperators_guardErrorsLikeTheScalarPath() {
        run("CREATE TABLE t (a INTEGER, b INTEGER)");
        run("INSERT INTO t VALUES (0, 5), (2, 6), (NULL, 7)");
        assertThat(rows("SELECT CASE WHEN a = 0 THEN -1 ELSE b / a END FROM t"))
                .containsExactly(List.of(-1), List.of(3), Arrays.asList((Object) null));
        assertThat(rows("SELECT b FROM t WHERE a <> 0 AND b / a = 3")).containsExactly(List.of(6));
        assertThatThrownBy(() -> rows("SELECT b / a FROM t"))
                .isInstanceOf(StrongroomException.class)
                .extracting(e -> ((StrongroomException) e).code())
                .isEqualTo(ErrorCode.DIVISION_BY_ZERO);
    }

    @Test
    void caseWhen_takesEachRowFromItsBranch_forDoublesLongsAndNulls() {
        run("CREATE TABLE c (k INTEGER, d DOUBLE PRECISION, n BIGINT)");
        run("INSERT INTO c VALUES (1, 1.5, 10), (2, NULL, 20), (3, 3.5, NULL), (4, 4.5, 40)");
        // Row 2's branch value is NULL.
        assertThat(rows("SELECT CASE WHEN k = 1 THEN d WHEN k = 2 THEN d * 2 WHEN k = 3 THEN d - 10 ELSE d + 100 END"
                        + " FROM c ORDER BY k"))
                .containsExactly(List.of(1.5), Arrays.asList((Object) null), List.of(-6.5), List.of(104.5));
        assertThat(rows("SELECT CASE WHEN k = 2 THEN n * 2 WHEN k > 2 THEN n + 1 ELSE n END FROM c ORDER BY k"))
                .containsExactly(List.of(10L), List.of(40L), Arrays.asList((Object) null), List.of(41L));
        // Without an ELSE, rows no branch takes are NULL.
        assertThat(rows("SELECT CASE WHEN k = 1 THEN n WHEN k = 4 THEN n * 3 END FROM c ORDER BY k"))
                .containsExactly(
                        List.of(10L), Arrays.asList((Object) null), Arrays.asList((Object) null), List.of(120L));
    }

    @Test
    void exactDecimals_beyondALong_stayExact() {
        run("CREATE TABLE d (v DECIMAL(18,2))");
        run("INSERT INTO d VALUES (9999999999999999.99), (9999999999999999.99), (0.01)");
        // The sum overflows a long of cents; the product needs more than 18 digits.
        assertThat(rows("SELECT sum(v), max(v * v) FROM d"))
                .containsExactly(List.of(
                        new BigDecimal("19999999999999999.99"),
                        new BigDecimal("99999999999999999800000000000000.0001")));
        assertThat(rows("SELECT v + v FROM d ORDER BY 1 LIMIT 1")).containsExactly(List.of(new BigDecimal("0.02")));
    }

    @Test
    void like_withTextAndPercentPatterns_andFallbacks() {
        run("CREATE TABLE w (s VARCHAR(40))");
        run("INSERT INTO w VALUES ('PROMO BRUSHED TIN'), ('STANDARD POLISHED BRASS'), ('promo'), (NULL),"
                + " ('forest green antique'), ('ä_x')");
        assertThat(rows("SELECT s FROM w WHERE s LIKE 'PROMO%'")).containsExactly(List.of("PROMO BRUSHED TIN"));
        assertThat(rows("SELECT s FROM w WHERE s LIKE '%BRASS'")).containsExactly(List.of("STANDARD POLISHED BRASS"));
        assertThat(rows("SELECT s FROM w WHERE s LIKE '%green%'")).containsExactly(List.of("forest green antique"));
        assertThat(rows("SELECT s FROM w WHERE s LIKE 'f%g%e'")).containsExactly(List.of("forest green antique"));
        assertThat(rows("SELECT s FROM w WHERE s NOT LIKE '%o%' ORDER BY 1"))
                .containsExactly(List.of("PROMO BRUSHED TIN"), List.of("STANDARD POLISHED BRASS"), List.of("ä_x"));
        assertThat(rows("SELECT s FROM w WHERE s LIKE '__x'")).containsExactly(List.of("ä_x"));
        assertThat(rows("SELECT s FROM w WHERE s ILIKE 'PROMO'")).containsExactly(List.of("promo"));
    }

    @Test
    void joins_everyType_withNullKeysAndResiduals() {
        run("CREATE TABLE l (k INTEGER, name VARCHAR(30), v INTEGER)");
        run("CREATE TABLE r (k INTEGER, label VARCHAR(30), w INTEGER)");
        run("INSERT INTO l VALUES (1, 'one', 10), (2, 'two', 20), (NULL, 'none', 30), (4, 'four', 40)");
        run("INSERT INTO r VALUES (1, 'uno', 5), (1, 'eins', 50), (3, 'tres', 5), (NULL, 'nada', 5)");
        assertThat(rows("SELECT l.name, r.label FROM l JOIN r ON l.k = r.k AND r.w < l.v ORDER BY 1, 2"))
                .containsExactly(List.of("one", "uno"));
        assertThat(rows("SELECT l.name, r.label FROM l LEFT JOIN r ON l.k = r.k ORDER BY 1, 2"))
                .containsExactly(
                        Arrays.asList("four", null),
                        Arrays.asList("none", null),
                        List.of("one", "eins"),
                        List.of("one", "uno"),
                        Arrays.asList("two", null));
        assertThat(rows("SELECT l.name, r.label FROM l RIGHT JOIN r ON l.k = r.k ORDER BY 2"))
                .containsExactly(
                        List.of("one", "eins"),
                        Arrays.asList(null, "nada"),
                        Arrays.asList(null, "tres"),
                        List.of("one", "uno"));
        assertThat(rows("SELECT count(*), count(l.k), count(r.k) FROM l FULL JOIN r ON l.k = r.k"))
                .containsExactly(List.of(7L, 4L, 3L));
        assertThat(rows("SELECT name FROM l WHERE EXISTS (SELECT 1 FROM r WHERE r.k = l.k AND r.w > 10)"))
                .containsExactly(List.of("one"));
        assertThat(rows("SELECT name FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE r.k = l.k AND r.w > 10)"
                        + " ORDER BY 1"))
                .containsExactly(List.of("four"), List.of("none"), List.of("two"));
        assertThat(rows("SELECT name FROM l WHERE k NOT IN (SELECT k FROM r WHERE k IS NOT NULL) ORDER BY 1"))
                .containsExactly(List.of("four"), List.of("two"));
    }

    @Test
    void stringKeys_shortAndLong_groupAndJoinByValue() {
        run("CREATE TABLE s (a VARCHAR(40), n INTEGER)");
        run("INSERT INTO s VALUES ('ab', 1), ('ab', 2), ('abcdefg', 3), ('abcdefgh', 4), ('abcdefgh', 5),"
                + " ('abcdefgi', 6), ('', 7), (NULL, 8), (NULL, 9)");
        assertThat(rows("SELECT a, sum(n) FROM s GROUP BY a ORDER BY a NULLS FIRST"))
                .containsExactly(
                        Arrays.asList(null, 17L),
                        List.of("", 7L),
                        List.of("ab", 3L),
                        List.of("abcdefg", 3L),
                        List.of("abcdefgh", 9L),
                        List.of("abcdefgi", 6L));
        assertThat(rows("SELECT count(*) FROM s x JOIN s y ON x.a = y.a")).containsExactly(List.of(11L));
    }

    @Test
    void parallelPipelines_matchAnswersComputedHere() {
        run("CREATE TABLE big (id BIGINT, g INTEGER, name VARCHAR(20), amount DECIMAL(18,2), ratio DOUBLE PRECISION)");
        run("CREATE TABLE dim (g INTEGER, label VARCHAR(10))");
        StringBuilder text = new StringBuilder();
        TreeMap<Integer, long[]> expect = new TreeMap<>(); // g -> count, count(amount), sum(cents), min, max
        for (int i = 0; i < BIG_ROWS; i++) {
            int g = i % 37;
            boolean nullAmount = i % 11 == 0;
            long cents = (i * 7919L) % 100_000;
            text.append(i)
                    .append('|')
                    .append(g)
                    .append('|')
                    .append("name-")
                    .append(i % 1000)
                    .append('|');
            text.append(nullAmount ? "\\N" : BigDecimal.valueOf(cents, 2).toPlainString());
            text.append('|').append(i % 5 * 0.5).append('\n');
            long[] e = expect.computeIfAbsent(g, k -> new long[] {0, 0, 0, Long.MAX_VALUE, Long.MIN_VALUE});
            e[0]++;
            if (!nullAmount) {
                e[1]++;
                e[2] += cents;
                e[3] = Math.min(e[3], cents);
                e[4] = Math.max(e[4], cents);
            }
        }
        sql.copy("big", text.toString());
        run("INSERT INTO dim VALUES (0, 'zero'), (1, 'one'), (2, 'two')");
        List<List<Object>> got = rows(
                "SELECT g, count(*), count(amount), sum(amount), min(amount), max(amount) FROM big GROUP BY g ORDER BY g");
        assertThat(got).hasSize(37);
        for (List<Object> row : got) {
            long[] e = expect.get(((Number) row.get(0)).intValue());
            assertThat(row.subList(1, 6))
                    .containsExactly(
                            e[0],
                            e[1],
                            BigDecimal.valueOf(e[2], 2),
                            BigDecimal.valueOf(e[3], 2),
                            BigDecimal.valueOf(e[4], 2));
        }
        long total = expect.values().stream().mapToLong(e -> e[2]).sum();
        assertThat(rows("SELECT sum(amount), count(DISTINCT name) FROM big"))
                .containsExactly(List.of(BigDecimal.valueOf(total, 2), 1000L));
        long zeroToTwo =
                expect.headMap(3).values().stream().mapToLong(e -> e[0]).sum();
        assertThat(rows("SELECT count(*) FROM big b JOIN dim d ON b.g = d.g")).containsExactly(List.of(zeroToTwo));
        assertThat(rows("SELECT d.label, count(*) FROM big b JOIN dim d ON b.g = d.g GROUP BY d.label ORDER BY 1"))
                .containsExactly(
                        List.of("one", expect.get(1)[0]),
                        List.of("two", expect.get(2)[0]),
                        List.of("zero", expect.get(0)[0]));
        assertThat(rows("SELECT count(*) FROM big b WHERE NOT EXISTS (SELECT 1 FROM dim d WHERE d.g = b.g)"))
                .containsExactly(List.of(BIG_ROWS - zeroToTwo));
        assertThat(rows("SELECT count(*), sum(ratio) FROM big WHERE name LIKE 'name-99%' AND ratio > 0"))
                .containsExactly(List.of(
                        (long) countWhere(i -> String.valueOf(i % 1000).startsWith("99") && i % 5 > 0),
                        sumRatio(i -> String.valueOf(i % 1000).startsWith("99") && i % 5 > 0)));
    }

    @Test
    void aggregateJoinedOnItsGroupKeys_toASmallInput_keepsExactlyTheMatchingGroups() {
        run("CREATE TABLE facts (g INTEGER, v INTEGER)");
        run("CREATE TABLE picks (g INTEGER, label VARCHAR(10))");
        StringBuilder text = new StringBuilder();
        long[] sums = new long[100];
        long[] counts = new long[100];
        for (int i = 0; i < BIG_ROWS; i++) {
            int g = i % 100;
            text.append(i % 997 == 0 ? "\\N" : String.valueOf(g))
                    .append('|')
                    .append(i % 13)
                    .append('\n');
            if (i % 997 != 0) {
                sums[g] += i % 13;
                counts[g]++;
            }
        }
        sql.copy("facts", text.toString());
        run("INSERT INTO picks VALUES (7, 'seven'), (42, 'forty-two'), (NULL, 'none'), (1000, 'absent')");
        // Three inputs, so the join orderer sees the aggregate and the small table together.
        String sql = "SELECT p.label, a.s, count(*) FROM picks p"
                + " JOIN (SELECT g, sum(v) AS s FROM facts GROUP BY g) a ON a.g = p.g"
                + " JOIN facts f ON f.g = p.g GROUP BY p.label, a.s ORDER BY 1";
        assertThat(rows("EXPLAIN " + sql).toString()).contains("joinType=[semi]");
        assertThat(rows(sql))
                .containsExactly(List.of("forty-two", sums[42], counts[42]), List.of("seven", sums[7], counts[7]));
    }

    @Test
    void distinctAggregates_overGroups_countNullsOutAndMatchPerGroupSets() {
        run("CREATE TABLE d (g INTEGER, x INTEGER, y DECIMAL(10,2))");
        StringBuilder text = new StringBuilder();
        TreeMap<Integer, Set<Integer>> xs = new TreeMap<>();
        Set<Integer> all = new HashSet<>();
        for (int i = 0; i < BIG_ROWS; i++) {
            int g = i % 7;
            Integer x = i % 13 == 0 ? null : (i * 31) % 501;
            text.append(g)
                    .append('|')
                    .append(x == null ? "\\N" : x.toString())
                    .append('|')
                    .append(i % 3)
                    .append('\n');
            if (x != null) {
                xs.computeIfAbsent(g, k -> new HashSet<>()).add(x);
                all.add(x);
            }
        }
        sql.copy("d", text.toString());
        String grouped = "SELECT g, count(DISTINCT x), sum(DISTINCT x) FROM d GROUP BY g ORDER BY g";
        List<List<Object>> got = rows(grouped);
        assertThat(got).hasSize(7);
        for (List<Object> row : got) {
            Set<Integer> e = xs.get(((Number) row.get(0)).intValue());
            assertThat(((Number) row.get(1)).longValue()).isEqualTo(e.size());
            assertThat(((Number) row.get(2)).longValue())
                    .isEqualTo(e.stream().mapToLong(Integer::longValue).sum());
        }
        assertThat(((Number) rows("SELECT count(DISTINCT x) FROM d").get(0).get(0)).longValue())
                .isEqualTo(all.size());
        // Over no rows: one row, count 0 and sum NULL.
        assertThat(rows("SELECT count(DISTINCT x), sum(DISTINCT x) FROM d WHERE g > 100"))
                .containsExactly(Arrays.asList(0L, null));
        // The calls become an aggregate over groups; a mix with a plain call keeps its per-group sets.
        assertThat(rows("EXPLAIN " + grouped).toString()).doesNotContain("DISTINCT");
        assertThat(rows("SELECT count(DISTINCT x), count(*) FROM d").get(0))
                .containsExactly((long) all.size(), (long) BIG_ROWS);
        assertThat(rows("SELECT count(DISTINCT y), count(DISTINCT x) FROM d").get(0))
                .containsExactly(3L, (long) all.size());
    }

    @Test
    void orderBy_nullsDirectionsStringsAndTopN_matchASortDoneHere() {
        run("CREATE TABLE s (id INTEGER, k INTEGER, name VARCHAR(10), r DOUBLE PRECISION)");
        StringBuilder text = new StringBuilder();
        List<Object[]> expect = new ArrayList<>();
        for (int i = 0; i < BIG_ROWS; i++) {
            Integer k = i % 17 == 0 ? null : (i * 7919) % 1000;
            String name = "n" + (i % 300);
            double r = (i % 101) / 4.0;
            text.append(i)
                    .append('|')
                    .append(k == null ? "\\N" : k.toString())
                    .append('|')
                    .append(name);
            text.append('|').append(r).append('\n');
            expect.add(new Object[] {i, k, name, r});
        }
        sql.copy("s", text.toString());
        // k DESC puts NULLs first (PostgreSQL's default for DESC), then name ASC, then id DESC.
        Comparator<Object[]> byK =
                Comparator.comparing((Object[] x) -> (Integer) x[1], Comparator.nullsFirst(Comparator.reverseOrder()));
        Comparator<Object[]> order = byK.thenComparing(x -> (String) x[2]).thenComparing(x -> -(Integer) x[0]);
        expect.sort(order);
        List<Integer> ids = expect.stream().map(x -> (Integer) x[0]).toList();
        List<List<Object>> all = rows("SELECT id FROM s ORDER BY k DESC, name, id DESC");
        assertThat(all.stream().map(r -> ((Number) r.get(0)).intValue()).toList())
                .isEqualTo(ids);
        List<List<Object>> top = rows("SELECT id FROM s ORDER BY k DESC, name, id DESC LIMIT 25 OFFSET 40");
        assertThat(top.stream().map(r -> ((Number) r.get(0)).intValue()).toList())
                .isEqualTo(ids.subList(40, 65));
        // NULLS LAST on a descending key, and a double key ascending.
        long nonNull = expect.stream().filter(x -> x[1] != null).count();
        List<List<Object>> last = rows("SELECT k FROM s ORDER BY k DESC NULLS LAST, r LIMIT 3 OFFSET " + (nonNull - 1));
        assertThat(last.get(0).get(0)).isNotNull();
        assertThat(last.get(1).get(0)).isNull();
        assertThat(last.get(2).get(0)).isNull();
        List<List<Object>> byR = rows("SELECT r FROM s ORDER BY r DESC, id LIMIT 2");
        assertThat(byR).containsExactly(List.of(25.0), List.of(25.0));
        assertThat(rows("SELECT id FROM s WHERE k > 5000 ORDER BY k, name")).isEmpty();
        assertThat(rows("SELECT id FROM s WHERE k > 5000 ORDER BY k LIMIT 3")).isEmpty();
    }

    private static int countWhere(IntPredicate p) {
        int n = 0;
        for (int i = 0; i < BIG_ROWS; i++) {
            if (p.test(i)) {
                n++;
            }
        }
        return n;
    }

    private static double sumRatio(IntPredicate p) {
        double s = 0;
        for (int i = 0; i < BIG_ROWS; i++) {
            if (p.test(i)) {
                s += i % 5 * 0.5;
            }
        }
        return s;
    }
}
