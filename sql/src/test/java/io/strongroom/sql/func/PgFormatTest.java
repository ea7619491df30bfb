package io.strongroom.sql.func;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

/** PostgreSQL text forms and TO_CHAR / TO_DATE templates, against outputs taken from PostgreSQL's documentation. */
class PgFormatTest {
    @Test
    void doubles_printTheShortestDigits_withPostgresExponents() {
        assertThat(PgFormat.doubleText(0.1)).isEqualTo("0.1");
        assertThat(PgFormat.doubleText(2.5)).isEqualTo("2.5");
        assertThat(PgFormat.doubleText(10.0)).isEqualTo("10");
        assertThat(PgFormat.doubleText(1e20)).isEqualTo("1e+20");
        assertThat(PgFormat.doubleText(123456789012345.0)).isEqualTo("123456789012345");
        assertThat(PgFormat.doubleText(1e15)).isEqualTo("1e+15");
        assertThat(PgFormat.doubleText(0.0001)).isEqualTo("0.0001");
        assertThat(PgFormat.doubleText(0.00001234)).isEqualTo("1.234e-05");
        assertThat(PgFormat.doubleText(-0.0)).isEqualTo("-0");
        assertThat(PgFormat.doubleText(Double.NaN)).isEqualTo("NaN");
        assertThat(PgFormat.doubleText(Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
        assertThat(PgFormat.floatText(1.1f)).isEqualTo("1.1");
        assertThat(PgFormat.floatText(1234567f)).isEqualTo("1.234567e+06");
    }

    @Test
    void temporalText_isIso_withoutTrailingZerosInTheFraction() {
        assertThat(PgFormat.text(LocalDateTime.parse("2024-03-15T13:45:30.120"), false))
                .isEqualTo("2024-03-15 13:45:30.12");
        assertThat(PgFormat.text(LocalDateTime.parse("2024-03-15T13:45"), false))
                .isEqualTo("2024-03-15 13:45:00");
        assertThat(PgFormat.text(OffsetDateTime.parse("2024-03-15T13:45:30+02:00"), false))
                .isEqualTo("2024-03-15 11:45:30+00");
        assertThat(PgFormat.text(LocalDate.parse("2024-03-15"), false)).isEqualTo("2024-03-15");
        assertThat(PgFormat.text(true, false)).isEqualTo("true");
        assertThat(PgFormat.text(new BigDecimal("1E+3"), false)).isEqualTo("1000");
    }

    @Test
    void toChar_datetimeTemplates() {
        LocalDateTime t = LocalDateTime.parse("2002-04-20T17:31:12.66");
        assertThat(PgFormat.toChar(t, "Day, DD  HH12:MI:SS")).isEqualTo("Saturday , 20  05:31:12");
        assertThat(PgFormat.toChar(t, "FMDay, FMDD  HH12:MI:SS")).isEqualTo("Saturday, 20  05:31:12");
        assertThat(PgFormat.toChar(t, "HH24:MI:SS.MS")).isEqualTo("17:31:12.660");
        assertThat(PgFormat.toChar(t, "YYYY-MM-DD\"T\"HH24 am")).isEqualTo("2002-04-20T17 pm");
        assertThat(PgFormat.toChar(t, "mon MON Mon RM DDD J")).isEqualTo("apr APR Apr IV   110 2452385");
        assertThat(PgFormat.toChar(LocalDate.parse("2024-01-01"), "IYYY-IW-ID WW"))
                .isEqualTo("2024-01-1 01");
    }

    @Test
    void toChar_numericTemplates() {
        assertThat(PgFormat.toChar(-0.1, "99.99")).isEqualTo("  -.10");
        assertThat(PgFormat.toChar(-0.1, "FM9.99")).isEqualTo("-.1");
        assertThat(PgFormat.toChar(0.1, "0.9")).isEqualTo(" 0.1");
        assertThat(PgFormat.toChar(12L, "9990999.9")).isEqualTo("    0012.0");
        assertThat(PgFormat.toChar(12L, "FM9990999.9")).isEqualTo("0012.");
        assertThat(PgFormat.toChar(485L, "999")).isEqualTo(" 485");
        assertThat(PgFormat.toChar(-485L, "999")).isEqualTo("-485");
        assertThat(PgFormat.toChar(1485L, "9,999")).isEqualTo(" 1,485");
        assertThat(PgFormat.toChar(148.5, "999.999")).isEqualTo(" 148.500");
        assertThat(PgFormat.toChar(148.5, "FM999.999")).isEqualTo("148.5");
        assertThat(PgFormat.toChar(-485L, "999S")).isEqualTo("485-");
        assertThat(PgFormat.toChar(-485L, "999MI")).isEqualTo("485-");
        assertThat(PgFormat.toChar(485L, "999MI")).isEqualTo("485 ");
        assertThat(PgFormat.toChar(485L, "PL999")).isEqualTo("+485");
        assertThat(PgFormat.toChar(-485L, "S999")).isEqualTo("-485");
        assertThat(PgFormat.toChar(1234L, "99")).isEqualTo(" ##");
    }

    @Test
    void parse_readsTextByTemplate() {
        assertThat(PgFormat.parse("05 Dec 2000", "DD Mon YYYY")).isEqualTo(LocalDateTime.parse("2000-12-05T00:00"));
        assertThat(PgFormat.parse("2000-12-05 11:07:09 PM", "YYYY-MM-DD HH12:MI:SS AM"))
                .isEqualTo(LocalDateTime.parse("2000-12-05T23:07:09"));
        assertThat(PgFormat.parse("20001205", "YYYYMMDD")).isEqualTo(LocalDateTime.parse("2000-12-05T00:00"));
        assertThatThrownBy(() -> PgFormat.parse("2000-13-05", "YYYY-MM-DD"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("2000-13-05");
    }
}
