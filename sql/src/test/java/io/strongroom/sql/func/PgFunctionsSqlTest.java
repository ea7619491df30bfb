package io.strongroom.sql.func;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.SqlType;
import io.strongroom.sql.session.SqlTestSession;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redshift and PostgreSQL scalar functions, casts and spellings a Redshift user reaches for first, through a
 * session over an encrypted store; expected values are what PostgreSQL (or Redshift, for its own functions)
 * returns.
 */
class PgFunctionsSqlTest {
    @TempDir
    Path dir;

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2024-03-15T10:20:30.123456Z"));
    private SqlTestSession sql;

    @BeforeEach
    void open() {
        sql = new SqlTestSession(dir, now::get);
        sql.tag("CREATE TABLE t (id INT, s VARCHAR(20), d DATE, ts TIMESTAMP, n DECIMAL(10,2), f DOUBLE PRECISION,"
                + " b BOOLEAN, bi BIGINT, tz TIMESTAMPTZ, r REAL, c CHAR(4), si SMALLINT)");
        sql.tag("INSERT INTO t VALUES (1, 'abc', '2024-02-29', '2024-02-29 13:45:30.123456', 12.34, 2.5, true, 10,"
                + " '2024-03-15 13:45:30+00', 1.1, 'ab', 7),"
                + " (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
    }

    @AfterEach
    void close() {
        sql.close();
    }

    private static List<Object> row(Object... values) {
        return Arrays.asList(values);
    }

    @Test
    void nullFunctions_followRedshift() {
        assertThat(sql.rows("SELECT NVL(s, 'none'), NVL2(s, 'has', 'none'), DECODE(id, 1, 'one', 'other'),"
                        + " DECODE(s, NULL, 'null!', 'x'), COALESCE(s, 'y'), NULLIF(id, 2) FROM t ORDER BY id"))
                .containsExactly(
                        row("abc", "has", "one", "x", "abc", 1), row("none", "none", "other", "null!", "y", null));
        assertThat(sql.rows("SELECT GREATEST(1, NULL, 3), LEAST(NULL, 2)")).containsExactly(row(3, 2));
        assertThat(sql.columns("SELECT NVL(s, 'x'), NULLIF(id, 2), COALESCE(s, 'y'), CONCAT(s, 'z') FROM t").stream()
                        .map(c -> c.name())
                        .toList())
                .containsExactly("nvl", "nullif", "coalesce", "concat");
    }

    @Test
    void currentTime_isTheStatementsOrTheTransactionsStart_inUtc() {
        assertThat(sql.rows("SELECT GETDATE(), SYSDATE, CURRENT_DATE, NOW()"))
                .containsExactly(row(
                        LocalDateTime.parse("2024-03-15T10:20:30"),
                        LocalDateTime.parse("2024-03-15T10:20:30.123456"),
                        LocalDate.parse("2024-03-15"),
                        OffsetDateTime.parse("2024-03-15T10:20:30.123456Z")));
        assertThat(sql.columns("SELECT GETDATE(), NOW()").stream().map(c -> c.type()))
                .containsExactly(SqlType.TIMESTAMP, SqlType.TIMESTAMPTZ);

        sql.tag("BEGIN");
        now.set(Instant.parse("2024-03-16T00:00:05Z"));
        // Inside a block SYSDATE, CURRENT_DATE and NOW() stay at its start; GETDATE() moves with each statement.
        assertThat(sql.rows("SELECT GETDATE(), SYSDATE, CURRENT_DATE"))
                .containsExactly(row(
                        LocalDateTime.parse("2024-03-16T00:00:05"),
                        LocalDateTime.parse("2024-03-15T10:20:30.123456"),
                        LocalDate.parse("2024-03-15")));
        sql.tag("COMMIT");
        assertThat(sql.value("SELECT CURRENT_DATE")).isEqualTo(LocalDate.parse("2024-03-16"));
        // The time functions are not folded into a cached plan.
        now.set(Instant.parse("2024-04-01T00:00:00Z"));
        assertThat(sql.value("SELECT CURRENT_DATE")).isEqualTo(LocalDate.parse("2024-04-01"));
        assertThat(sql.rows("SELECT s FROM t WHERE d < CURRENT_DATE - INTERVAL '30 days'"))
                .containsExactly(row("abc"));
    }

    @Test
    void dateTruncAddDiff_takeRedshiftsDatePartsAndAbbreviations() {
        assertThat(sql.rows("SELECT DATE_TRUNC('month', ts), DATE_TRUNC('week', d), DATE_TRUNC('quarter', ts),"
                        + " DATE_TRUNC('hour', ts), DATE_TRUNC('year', tz), DATE_TRUNC('day', '2024-05-06 07:08:09')"
                        + " FROM t WHERE id = 1"))
                .containsExactly(row(
                        LocalDateTime.parse("2024-02-01T00:00"),
                        LocalDateTime.parse("2024-02-26T00:00"),
                        LocalDateTime.parse("2024-01-01T00:00"),
                        LocalDateTime.parse("2024-02-29T13:00"),
                        OffsetDateTime.parse("2024-01-01T00:00Z"),
                        LocalDateTime.parse("2024-05-06T00:00")));
        assertThat(
                        sql.rows(
                                "SELECT DATEADD(month, 1, DATE '2024-01-31'), DATEADD('day', -1, d), DATEADD(h, 2, ts),"
                                        + " DATEADD(year, 1, d), DATEADD(qtr, 1, '2024-01-01'), DATEADD(min, 5, ts) FROM t WHERE id = 1"))
                .containsExactly(row(
                        LocalDateTime.parse("2024-02-29T00:00"),
                        LocalDateTime.parse("2024-02-28T00:00"),
                        LocalDateTime.parse("2024-02-29T15:45:30.123456"),
                        LocalDateTime.parse("2025-02-28T00:00"),
                        LocalDateTime.parse("2024-04-01T00:00"),
                        LocalDateTime.parse("2024-02-29T13:50:30.123456")));
        // DATEDIFF counts the boundaries crossed, not whole units.
        assertThat(sql.rows("SELECT DATEDIFF(day, '2024-01-31 23:59', '2024-02-01 00:01'),"
                        + " DATEDIFF(year, '2023-12-31', '2024-01-01'), DATEDIFF(month, d, '2024-02-01'),"
                        + " DATEDIFF(hour, ts, '2024-02-29 15:00'), DATEDIFF('qtr', '2024-03-31', '2024-04-01'),"
                        + " DATEDIFF(day, d, NULL) FROM t WHERE id = 1"))
                .containsExactly(row(1L, 1L, 0L, 2L, 1L, null));
        sql.assertFails("SELECT DATEADD(fortnight, 1, d) FROM t", "22023", "date part \"fortnight\" is not recognized");
    }

    @Test
    void extractAndDatePart_coverMoreUnits() {
        assertThat(
                        sql.rows(
                                "SELECT EXTRACT(year FROM d), EXTRACT(quarter FROM d), EXTRACT(week FROM d),"
                                        + " EXTRACT(dow FROM d), EXTRACT(doy FROM d), EXTRACT(epoch FROM ts), EXTRACT(ms FROM ts),"
                                        + " EXTRACT(second FROM ts), EXTRACT(century FROM d), EXTRACT(isodow FROM d) FROM t WHERE id = 1"))
                .containsExactly(row(2024L, 1L, 9L, 4L, 60L, 1709214330L, 123L, 30L, 21L, 4L));
        assertThat(sql.rows("SELECT DATE_PART('month', d), DATE_PART(dow, ts), DATE_PART('second', ts),"
                        + " DATE_PART(epoch, d), DATE_PART('y', tz) FROM t WHERE id = 1"))
                .containsExactly(row(2.0, 4.0, 30.123456, 1709164800.0, 2024.0));
    }

    @Test
    void toChar_formatsDatesAndNumbersAsPostgres() {
        assertThat(
                        sql.rows(
                                "SELECT TO_CHAR(ts, 'YYYY-MM-DD HH24:MI:SS.US'), TO_CHAR(ts, 'Dy, DD Mon YYYY HH12:MI:SS AM'),"
                                        + " TO_CHAR(d, 'FMDay, FMMonth FMDD'), TO_CHAR(d, 'YYYY\"Q\"Q'), TO_CHAR(d, 'Month'),"
                                        + " TO_CHAR(tz, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), TO_CHAR(d, 'DDth IW') FROM t WHERE id = 1"))
                .containsExactly(row(
                        "2024-02-29 13:45:30.123456",
                        "Thu, 29 Feb 2024 01:45:30 PM",
                        "Thursday, February 29",
                        "2024Q1",
                        "February ",
                        "2024-03-15T13:45:30+00",
                        "29th 09"));
        assertThat(sql.rows("SELECT TO_CHAR(n, '999D99'), TO_CHAR(n, 'FM9999.999'), TO_CHAR(-n, '9999.9'),"
                        + " TO_CHAR(1234567, '9G999G999'), TO_CHAR(f, '0.00'), TO_CHAR(bi, '00000'),"
                        + " TO_CHAR(0.5, '999.99'), TO_CHAR(123456, '999'), TO_CHAR(-5, '999MI') FROM t WHERE id = 1"))
                .containsExactly(
                        row("  12.34", "12.34", "  -12.3", " 1,234,567", " 2.50", " 00010", "    .50", " ###", "  5-"));
        assertThat(sql.rows("SELECT TO_DATE('05/06/2024', 'MM/DD/YYYY'),"
                        + " TO_TIMESTAMP('2024-05-06 07:08:09.5 PM', 'YYYY-MM-DD HH12:MI:SS.MS AM')"))
                .containsExactly(row(LocalDate.parse("2024-05-06"), OffsetDateTime.parse("2024-05-06T19:08:09.5Z")));
    }

    @Test
    void stringFunctions_countCharactersAndHandleEdges() {
        assertThat(sql.rows("SELECT LEFT('hello', 2), RIGHT('hello', 2), LEFT('hello', -2), RIGHT('hello', -2),"
                        + " LPAD('7', 3, '0'), RPAD('ab', 5, 'xy'), LPAD('hello', 3), REPLACE('a-b-c', '-', ''),"
                        + " SPLIT_PART('a,b,c', ',', 2), SPLIT_PART('a,b,c', ',', 5), STRPOS('hello', 'l'),"
                        + " BTRIM('xxhixx', 'x'), LTRIM('  hi '), RTRIM(' hi  ')"))
                .containsExactly(
                        row("he", "lo", "hel", "llo", "007", "abxyx", "hel", "abc", "b", "", 3, "hi", "hi ", " hi"));
        assertThat(sql.rows("SELECT CONCAT('a', NULL, 1, true), CONCAT_WS('-', 'a', NULL, 'b'), REPEAT('ab', 2),"
                        + " REVERSE('abc'), INITCAP('hello wORLD-foo'), ASCII('A'), CHR(97), MD5('hello'),"
                        + " TRANSLATE('12345', '143', 'ax'), LEN('h\u00e9llo'), OCTET_LENGTH('h\u00e9llo')"))
                .containsExactly(row(
                        "a1t",
                        "a-b",
                        "abab",
                        "cba",
                        "Hello World-Foo",
                        65,
                        "a",
                        "5d41402abc4b2a76b9719d911017c592",
                        "a2x5",
                        5,
                        6));
        assertThat(sql.rows("SELECT LEFT(s, 1), LPAD(s, 5), SPLIT_PART(s, ',', 1), MD5(s) FROM t WHERE id = 2"))
                .containsExactly(row(null, null, null, null));
        sql.assertFails("SELECT SPLIT_PART('a', ',', 0)", "22023", "field position must not be zero");
    }

    @Test
    void mathFunctions_matchPostgres() {
        assertThat(sql.rows("SELECT MOD(10, 3), MOD(-10, 3), POWER(2, 10), SQRT(16), CBRT(27), LN(1), LOG(1000),"
                        + " LOG(2, 8), EXP(0), SIGN(-5), SIGN(2.5::float8), TRUNC(12.789), TRUNC(12.789, 1),"
                        + " TRUNC(-12.7::float8), TRUNC(ts) FROM t WHERE id = 1"))
                .containsExactly(row(
                        1,
                        -1,
                        1024.0,
                        4.0,
                        3.0,
                        0.0,
                        3.0,
                        3.0,
                        1.0,
                        -1,
                        1.0,
                        new BigDecimal("12"),
                        new BigDecimal("12.7"),
                        -12.0,
                        LocalDate.parse("2024-02-29")));
        sql.assertFails("SELECT SQRT(-1)", "22023", "cannot take square root of a negative number");
        sql.assertFails("SELECT LN(0)", "22023", "cannot take logarithm of zero");
        // RANDOM() is evaluated per row, in [0, 1).
        sql.tag("INSERT INTO t (id) SELECT id + 2 FROM t");
        assertThat(sql.rows("SELECT min(r) >= 0, max(r) < 1, count(DISTINCT r) FROM (SELECT RANDOM() AS r FROM t) q"))
                .containsExactly(row(true, true, 4L));
    }

    @Test
    void castToAndFromText_worksForEveryType() {
        assertThat(sql.rows("SELECT id::text, s::text, d::text, ts::text, n::text, f::text, b::text, bi::text,"
                        + " tz::text, r::text, c::text, si::text FROM t ORDER BY id"))
                .containsExactly(
                        row(
                                "1",
                                "abc",
                                "2024-02-29",
                                "2024-02-29 13:45:30.123456",
                                "12.34",
                                "2.5",
                                "true",
                                "10",
                                "2024-03-15 13:45:30+00",
                                "1.1",
                                "ab",
                                "7"),
                        Arrays.asList(
                                new Object[] {"2", null, null, null, null, null, null, null, null, null, null, null}));
        assertThat(sql.rows("SELECT CAST(1e20 AS DOUBLE PRECISION)::text, 1e-5::float8::text, true::varchar,"
                        + " 'x' || 1.50 || true || DATE '2024-01-02'"))
                .containsExactly(row("1e+20", "1e-05", "true", "x1.50true2024-01-02"));
        assertThat(sql.rows("SELECT '42'::int, '42'::int8, '4'::int2, ' 1.50 '::decimal(5,2), '2.5'::float8,"
                        + " '1.5'::float4, 'yes'::bool, '2024-02-29'::date, '2024-02-29 01:02:03.5'::timestamp,"
                        + " '2024-02-29 01:02:03+00'::timestamptz, 'x'::char(3), CAST(12345 AS VARCHAR(3))"))
                .containsExactly(row(
                        42,
                        42L,
                        (short) 4,
                        new BigDecimal("1.50"),
                        2.5,
                        1.5f,
                        true,
                        LocalDate.parse("2024-02-29"),
                        LocalDateTime.parse("2024-02-29T01:02:03.5"),
                        OffsetDateTime.of(2024, 2, 29, 1, 2, 3, 0, ZoneOffset.UTC),
                        "x  ",
                        "123"));
        sql.assertFails("SELECT 'abc'::int", "22023", "invalid input syntax for type integer: \"abc\"");
    }

    @Test
    void intervalShorthand_andTimestamptzComparisons_work() {
        assertThat(sql.rows("SELECT DATE '2024-01-31' + INTERVAL '1 month', TIMESTAMP '2024-01-01 00:00:00' -"
                        + " INTERVAL '90 minutes', DATE '2024-01-01' + interval '2 weeks'"))
                .containsExactly(row(
                        LocalDate.parse("2024-02-29"),
                        LocalDateTime.parse("2023-12-31T22:30"),
                        LocalDate.parse("2024-01-15")));
        assertThat(sql.rows("SELECT d + 1, d - 30, 2 + d, CURRENT_DATE - 7 FROM t WHERE id = 1"))
                .containsExactly(row(
                        LocalDate.parse("2024-03-01"),
                        LocalDate.parse("2024-01-30"),
                        LocalDate.parse("2024-03-02"),
                        LocalDate.parse("2024-03-08")));
        assertThat(sql.rows("SELECT id FROM t WHERE d > CURRENT_DATE - 30")).containsExactly(row(1));
        assertThat(sql.rows("SELECT tz > ts, NOW() > ts FROM t ORDER BY id"))
                .containsExactly(row(true, true), row(null, null));
    }

    @Test
    void unknownColumn_is42703_andUnknownTable42P01() {
        sql.assertFails("SELECT nosuch FROM t", "42703", "column \"nosuch\" does not exist");
        sql.assertFails("SELECT t.nosuch FROM t", "42703", "column t.nosuch does not exist");
        sql.assertFails("SELECT * FROM nosuch", "42P01", "relation \"nosuch\" does not exist");
    }

    @Test
    void unknownFunction_is42883_withItsArgumentTypes() {
        sql.assertFails("SELECT nosuchfn(1) FROM t", "42883", "function nosuchfn(numeric) does not exist");
        sql.assertFails(
                "SELECT upper(id, id) FROM t",
                "42883",
                "function upper does not exist with these arguments: it takes 1");
    }
}
