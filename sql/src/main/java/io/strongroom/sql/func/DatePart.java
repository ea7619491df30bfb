package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.time.temporal.TemporalAdjusters;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.calcite.avatica.util.TimeUnitRange;
import org.jspecify.annotations.Nullable;

/**
 * A date or time part as Redshift names them for {@code DATEADD}, {@code DATEDIFF}, {@code DATE_PART}, {@code
 * EXTRACT} and {@code DATE_TRUNC} (names, plurals and abbreviations from Redshift's "Date parts for date or
 * timestamp functions"), with what each function does with it. Values are the engine's in-memory temporal
 * forms ({@link LocalDate}, {@link LocalDateTime}, {@link OffsetDateTime} in UTC); the arithmetic is on the
 * local date-time, so a TIMESTAMPTZ is worked on in UTC, the only session time zone. Immutable.
 */
public enum DatePart {
    MILLENNIUM("millennium", "millennia", "millenniums", "mil", "mils"),
    CENTURY("century", "centuries", "c", "cent", "cents"),
    DECADE("decade", "decades", "dec", "decs"),
    YEAR("year", "years", "y", "yr", "yrs", "yy", "yyyy"),
    QUARTER("quarter", "quarters", "qtr", "qtrs", "q"),
    MONTH("month", "months", "mon", "mons", "mm"),
    WEEK("week", "weeks", "w", "wk"),
    DAY("day", "days", "d", "dd"),
    DOW("dow", "dayofweek", "dw", "weekday"),
    ISODOW("isodow"),
    DOY("doy", "dayofyear", "dy", "yearday"),
    ISOYEAR("isoyear"),
    HOUR("hour", "hours", "h", "hr", "hrs", "hh"),
    MINUTE("minute", "minutes", "m", "min", "mins", "mi"),
    SECOND("second", "seconds", "s", "sec", "secs"),
    MILLISECOND(
            "millisecond",
            "milliseconds",
            "ms",
            "msec",
            "msecs",
            "msecond",
            "mseconds",
            "millisec",
            "millisecs",
            "millisecon"),
    MICROSECOND("microsecond", "microseconds", "us", "usec", "usecs", "usecond", "useconds", "microsec", "microsecs"),
    EPOCH("epoch");

    private static final Map<String, DatePart> BY_NAME = new HashMap<>();

    static {
        for (DatePart p : values()) {
            for (String n : p.names) {
                BY_NAME.put(n, p);
            }
        }
    }

    private final String[] names;

    DatePart(String... names) {
        this.names = names;
    }

    /** The part named {@code name} (any case, surrounding blanks ignored); 22023 naming it when unknown. */
    public static DatePart of(String name) {
        DatePart p = BY_NAME.get(name.trim().toLowerCase(Locale.ROOT));
        if (p == null) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "date part \"" + name + "\" is not recognized; use one of year, quarter, month, week, day, hour,"
                            + " minute, second, millisecond, microsecond (or their abbreviations)");
        }
        return p;
    }

    /** A DATE, TIMESTAMP or TIMESTAMPTZ value as a local date-time (TIMESTAMPTZ in UTC). */
    static LocalDateTime local(Object v) {
        if (v instanceof LocalDateTime t) {
            return t;
        }
        if (v instanceof LocalDate d) {
            return d.atStartOfDay();
        }
        if (v instanceof OffsetDateTime o) {
            return o.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
        }
        if (v instanceof String s) {
            try {
                return Types.parseTimestamp(s.trim());
            } catch (DateTimeParseException e) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "invalid input syntax for type timestamp: \"" + s + "\"", e);
            }
        }
        throw new StrongroomException(
                ErrorCode.INVALID_ARGUMENT,
                "expected a date or timestamp, got " + v.getClass().getSimpleName());
    }

    /** {@code t} in the temporal form of {@code like} (a TIMESTAMPTZ stays one; anything else is a TIMESTAMP). */
    static Object sameKind(LocalDateTime t, Object like) {
        return like instanceof OffsetDateTime ? t.atOffset(ZoneOffset.UTC) : t;
    }

    /**
     * EXTRACT as Redshift defines it: the integer value of this part alone (SECOND without its fraction,
     * MILLISECOND and MICROSECOND only the fraction of the second); EPOCH in whole seconds.
     */
    long extract(Object v) {
        LocalDateTime t = local(v);
        int nano = t.getNano();
        return switch (this) {
            case MILLENNIUM -> Math.floorDiv(t.getYear() + 999, 1000);
            case CENTURY -> Math.floorDiv(t.getYear() + 99, 100);
            case DECADE -> Math.floorDiv(t.getYear(), 10);
            case YEAR -> t.getYear();
            case ISOYEAR -> t.get(IsoFields.WEEK_BASED_YEAR);
            case QUARTER -> (t.getMonthValue() - 1) / 3 + 1;
            case MONTH -> t.getMonthValue();
            case WEEK -> t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
            case DAY -> t.getDayOfMonth();
            case DOW -> t.getDayOfWeek().getValue() % 7;
            case ISODOW -> t.getDayOfWeek().getValue();
            case DOY -> t.getDayOfYear();
            case HOUR -> t.getHour();
            case MINUTE -> t.getMinute();
            case SECOND -> t.getSecond();
            case MILLISECOND -> nano / 1_000_000;
            case MICROSECOND -> nano / 1_000;
            case EPOCH -> t.toEpochSecond(ZoneOffset.UTC);
        };
    }

    /**
     * DATE_PART: as {@link #extract} except that SECOND, MILLISECOND, MICROSECOND and EPOCH keep the fraction of
     * the second, as PostgreSQL's {@code date_part} does (seconds, milliseconds or microseconds of the minute).
     */
    double datePart(Object v) {
        LocalDateTime t = local(v);
        double seconds = t.getSecond() + t.getNano() / 1e9;
        return switch (this) {
            case SECOND -> seconds;
            case MILLISECOND -> seconds * 1e3;
            case MICROSECOND -> seconds * 1e6;
            case EPOCH -> t.toEpochSecond(ZoneOffset.UTC) + t.getNano() / 1e9;
            default -> extract(v);
        };
    }

    /** DATE_TRUNC: {@code t} truncated to the start of this part (weeks start on Monday). */
    LocalDateTime trunc(LocalDateTime t) {
        LocalDate d = t.toLocalDate();
        return switch (this) {
            case MILLENNIUM ->
                LocalDate.of(Math.floorDiv(t.getYear() - 1, 1000) * 1000 + 1, 1, 1)
                        .atStartOfDay();
            case CENTURY ->
                LocalDate.of(Math.floorDiv(t.getYear() - 1, 100) * 100 + 1, 1, 1)
                        .atStartOfDay();
            case DECADE ->
                LocalDate.of(Math.floorDiv(t.getYear(), 10) * 10, 1, 1).atStartOfDay();
            case YEAR -> d.withDayOfYear(1).atStartOfDay();
            case QUARTER ->
                LocalDate.of(t.getYear(), (t.getMonthValue() - 1) / 3 * 3 + 1, 1)
                        .atStartOfDay();
            case MONTH -> d.withDayOfMonth(1).atStartOfDay();
            case WEEK ->
                d.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).atStartOfDay();
            case DAY, DOW, ISODOW, DOY -> d.atStartOfDay();
            case HOUR -> t.truncatedTo(ChronoUnit.HOURS);
            case MINUTE -> t.truncatedTo(ChronoUnit.MINUTES);
            case SECOND -> t.truncatedTo(ChronoUnit.SECONDS);
            case MILLISECOND -> t.truncatedTo(ChronoUnit.MILLIS);
            case MICROSECOND -> t.truncatedTo(ChronoUnit.MICROS);
            case ISOYEAR, EPOCH -> throw cannot("DATE_TRUNC");
        };
    }

    /** DATEADD: {@code n} of this part added to {@code t}; months that lack the day end on their last day. */
    LocalDateTime add(LocalDateTime t, long n) {
        return switch (this) {
            case MILLENNIUM -> t.plusYears(Math.multiplyExact(n, 1000));
            case CENTURY -> t.plusYears(Math.multiplyExact(n, 100));
            case DECADE -> t.plusYears(Math.multiplyExact(n, 10));
            case YEAR, ISOYEAR -> t.plusYears(n);
            case QUARTER -> t.plusMonths(Math.multiplyExact(n, 3));
            case MONTH -> t.plusMonths(n);
            case WEEK -> t.plusWeeks(n);
            case DAY, DOW, ISODOW, DOY -> t.plusDays(n);
            case HOUR -> t.plusHours(n);
            case MINUTE -> t.plusMinutes(n);
            case SECOND -> t.plusSeconds(n);
            case MILLISECOND -> t.plus(n, ChronoUnit.MILLIS);
            case MICROSECOND -> t.plus(n, ChronoUnit.MICROS);
            case EPOCH -> throw cannot("DATEADD");
        };
    }

    /**
     * DATEDIFF as Redshift counts: the number of boundaries of this part crossed going from {@code a} to {@code
     * b} (so one day from 23:59 to 00:01, one year from Dec 31 to Jan 1), negative when {@code b} is earlier.
     */
    long diff(LocalDateTime a, LocalDateTime b) {
        return switch (this) {
            case MILLENNIUM -> Math.floorDiv(b.getYear() - 1, 1000) - Math.floorDiv(a.getYear() - 1, 1000);
            case CENTURY -> Math.floorDiv(b.getYear() - 1, 100) - Math.floorDiv(a.getYear() - 1, 100);
            case DECADE -> Math.floorDiv(b.getYear(), 10) - Math.floorDiv(a.getYear(), 10);
            case YEAR, ISOYEAR -> (long) b.getYear() - a.getYear();
            case QUARTER -> quarters(b) - quarters(a);
            case MONTH -> months(b) - months(a);
            case WEEK -> ChronoUnit.WEEKS.between(WEEK.trunc(a), WEEK.trunc(b));
            case DAY, DOW, ISODOW, DOY ->
                b.toLocalDate().toEpochDay() - a.toLocalDate().toEpochDay();
            case HOUR -> ChronoUnit.HOURS.between(HOUR.trunc(a), HOUR.trunc(b));
            case MINUTE -> ChronoUnit.MINUTES.between(MINUTE.trunc(a), MINUTE.trunc(b));
            case SECOND -> ChronoUnit.SECONDS.between(SECOND.trunc(a), SECOND.trunc(b));
            case MILLISECOND -> ChronoUnit.MILLIS.between(MILLISECOND.trunc(a), MILLISECOND.trunc(b));
            case MICROSECOND -> ChronoUnit.MICROS.between(MICROSECOND.trunc(a), MICROSECOND.trunc(b));
            case EPOCH -> throw cannot("DATEDIFF");
        };
    }

    private static long months(LocalDateTime t) {
        return t.getYear() * 12L + t.getMonthValue() - 1;
    }

    private static long quarters(LocalDateTime t) {
        return t.getYear() * 4L + (t.getMonthValue() - 1) / 3;
    }

    private StrongroomException cannot(String function) {
        return new StrongroomException(
                ErrorCode.INVALID_ARGUMENT,
                function + " does not take the date part " + name().toLowerCase(Locale.ROOT));
    }

    /** The part a Calcite time unit names (EXTRACT's argument), or null when it has no counterpart here. */
    static @Nullable DatePart of(TimeUnitRange unit) {
        return switch (unit) {
            case MILLENNIUM -> MILLENNIUM;
            case CENTURY -> CENTURY;
            case DECADE -> DECADE;
            case YEAR -> YEAR;
            case ISOYEAR -> ISOYEAR;
            case QUARTER -> QUARTER;
            case MONTH -> MONTH;
            case WEEK -> WEEK;
            case DAY -> DAY;
            case DOW -> DOW;
            case ISODOW -> ISODOW;
            case DOY -> DOY;
            case HOUR -> HOUR;
            case MINUTE -> MINUTE;
            case SECOND -> SECOND;
            case MILLISECOND -> MILLISECOND;
            case MICROSECOND -> MICROSECOND;
            case EPOCH -> EPOCH;
            default -> null;
        };
    }
}
