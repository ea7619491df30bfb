package io.strongroom.sql.func;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

/** Date parts: Redshift's names, EXTRACT, DATE_TRUNC, DATEADD and DATEDIFF's boundary counting. */
class DatePartTest {
    private static LocalDateTime t(String s) {
        return LocalDateTime.parse(s);
    }

    @Test
    void names_acceptRedshiftsAbbreviationsInAnyCase() {
        assertThat(DatePart.of("YRS")).isEqualTo(DatePart.YEAR);
        assertThat(DatePart.of(" qtr ")).isEqualTo(DatePart.QUARTER);
        assertThat(DatePart.of("mons")).isEqualTo(DatePart.MONTH);
        assertThat(DatePart.of("w")).isEqualTo(DatePart.WEEK);
        assertThat(DatePart.of("m")).isEqualTo(DatePart.MINUTE);
        assertThat(DatePart.of("millisecon")).isEqualTo(DatePart.MILLISECOND);
        assertThat(DatePart.of("usecs")).isEqualTo(DatePart.MICROSECOND);
        assertThat(DatePart.of("mils")).isEqualTo(DatePart.MILLENNIUM);
        assertThatThrownBy(() -> DatePart.of("fortnight"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("22023"));
    }

    @Test
    void diff_countsBoundariesCrossed() {
        assertThat(DatePart.YEAR.diff(t("2023-12-31T23:59"), t("2024-01-01T00:00")))
                .isEqualTo(1);
        assertThat(DatePart.YEAR.diff(t("2024-01-01T00:00"), t("2024-12-31T23:59")))
                .isZero();
        assertThat(DatePart.MONTH.diff(t("2024-03-31T00:00"), t("2024-01-01T00:00")))
                .isEqualTo(-2);
        assertThat(DatePart.DAY.diff(t("2024-01-01T23:59"), t("2024-01-02T00:00")))
                .isEqualTo(1);
        assertThat(DatePart.HOUR.diff(t("2024-01-01T10:59:59"), t("2024-01-01T11:00:00")))
                .isEqualTo(1);
        assertThat(DatePart.SECOND.diff(t("2024-01-01T10:00:00.999"), t("2024-01-01T10:00:01")))
                .isEqualTo(1);
        assertThat(DatePart.QUARTER.diff(t("2024-03-31T00:00"), t("2024-04-01T00:00")))
                .isEqualTo(1);
        assertThat(DatePart.CENTURY.diff(t("2000-12-31T00:00"), t("2001-01-01T00:00")))
                .isEqualTo(1);
    }

    @Test
    void truncAndAdd_followPostgresAndRedshift() {
        assertThat(DatePart.WEEK.trunc(t("2024-03-17T10:00"))).isEqualTo(t("2024-03-11T00:00"));
        assertThat(DatePart.CENTURY.trunc(t("2000-06-01T00:00"))).isEqualTo(t("1901-01-01T00:00"));
        assertThat(DatePart.DECADE.trunc(t("2029-06-01T00:00"))).isEqualTo(t("2020-01-01T00:00"));
        assertThat(DatePart.MONTH.add(t("2024-01-31T08:00"), 1)).isEqualTo(t("2024-02-29T08:00"));
        assertThat(DatePart.QUARTER.add(t("2024-11-30T00:00"), 1)).isEqualTo(t("2025-02-28T00:00"));
    }

    @Test
    void extract_takesOnlyItsOwnPart() {
        LocalDateTime v = t("2009-09-09T12:08:43.101");
        assertThat(DatePart.MILLISECOND.extract(v)).isEqualTo(101);
        assertThat(DatePart.SECOND.extract(v)).isEqualTo(43);
        assertThat(DatePart.SECOND.datePart(v)).isEqualTo(43.101);
        assertThat(DatePart.DOW.extract(LocalDate.parse("2024-03-17"))).isZero();
        assertThat(DatePart.ISODOW.extract(LocalDate.parse("2024-03-17"))).isEqualTo(7);
        assertThat(DatePart.WEEK.extract(LocalDate.parse("2021-01-01"))).isEqualTo(53);
        assertThat(DatePart.ISOYEAR.extract(LocalDate.parse("2021-01-01"))).isEqualTo(2020);
        assertThat(DatePart.MILLENNIUM.extract(LocalDate.parse("2000-12-31"))).isEqualTo(2);
        assertThat(DatePart.EPOCH.extract(t("1970-01-02T00:00"))).isEqualTo(86400);
    }
}
