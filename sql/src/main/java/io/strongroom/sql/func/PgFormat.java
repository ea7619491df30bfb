package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL's text forms and template patterns: how a value reads when cast to text ({@code ::text}, {@code
 * ||}), {@code TO_CHAR} of a date, timestamp or number, and {@code TO_DATE}/{@code TO_TIMESTAMP} reading a
 * string by a template. The datetime patterns are PostgreSQL's (which Redshift shares): YYYY, MM, DD, HH24,
 * MI, SS, MS, US, Mon, Month, Day, AM, Q, WW, IW, J, quoted text and the FM prefix, among others. Numeric
 * templates take 9, 0, the decimal point (. or D), group separators (, or G), S, MI, PL, SG and FM. Stateless.
 */
final class PgFormat {
    private PgFormat() {}

    // ---- text forms ----

    /** The text PostgreSQL gives {@code v} cast to text; {@code real} marks a REAL (float4) value. */
    static String text(Object v, boolean real) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof Double d) {
            return real ? floatText(d.floatValue()) : doubleText(d);
        }
        if (v instanceof LocalDateTime t) {
            return timestampText(t);
        }
        if (v instanceof OffsetDateTime o) {
            return timestampText(o.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime()) + "+00";
        }
        return v.toString();
    }

    /** A timestamp as PostgreSQL prints it: {@code 2024-03-15 13:45:30.123}, the fraction without trailing zeros. */
    static String timestampText(LocalDateTime t) {
        StringBuilder sb = new StringBuilder(26);
        sb.append(t.toLocalDate()).append(' ');
        pad(sb, t.getHour(), 2);
        sb.append(':');
        pad(sb, t.getMinute(), 2);
        sb.append(':');
        pad(sb, t.getSecond(), 2);
        int micros = t.getNano() / 1000;
        if (micros != 0) {
            String f = String.format(Locale.ROOT, "%06d", micros);
            int end = f.length();
            while (f.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(f, 0, end);
        }
        return sb.toString();
    }

    /** A double as PostgreSQL 12+ prints it: the shortest exact digits, exponent form below 1e-4 or from 1e15. */
    static String doubleText(double d) {
        return shortest(Double.toString(d), d, 15);
    }

    static String floatText(float f) {
        return shortest(Float.toString(f), f, 6);
    }

    private static String shortest(String javaText, double d, int maxExponent) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0" : "0";
        }
        BigDecimal b = new BigDecimal(javaText).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - b.scale();
        String sign = b.signum() < 0 ? "-" : "";
        if (exponent < -4 || exponent >= maxExponent) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "")
                    + Math.abs(exponent);
        }
        return sign + b.abs().toPlainString();
    }

    private static void pad(StringBuilder sb, long v, int width) {
        String s = Long.toString(Math.abs(v));
        if (v < 0) {
            sb.append('-');
        }
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        sb.append(s);
    }

    // ---- TO_CHAR of dates and timestamps ----

    /** The datetime template keywords, longest first so that the longest match wins. */
    private static final String[] KEYWORDS = {
        "Y,YYY", "YYYY", "YYY", "YY", "Y", "IYYY", "IYY", "IY", "I", "HH24", "HH12", "HH", "MI", "SSSSS", "SSSS", "SS",
        "MS", "US", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "A.M.", "P.M.", "AM", "PM", "B.C.", "A.D.", "BC", "AD",
        "MONTH", "MON", "MM", "DAY", "DY", "DDD", "DD", "D", "IDDD", "ID", "IW", "WW", "W", "CC", "J", "Q", "RM", "TZH",
        "TZM", "TZ", "OF"
    };

    private static final String[] ROMAN = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"};

    /** TO_CHAR of a DATE, TIMESTAMP or TIMESTAMPTZ (in UTC). */
    static String toChar(Object value, String template) {
        LocalDateTime t = DatePart.local(value);
        boolean zoned = value instanceof OffsetDateTime;
        StringBuilder out = new StringBuilder();
        int i = 0;
        int n = template.length();
        while (i < n) {
            char c = template.charAt(i);
            if (c == '"') {
                int end = i + 1;
                while (end < n && template.charAt(end) != '"') {
                    if (template.charAt(end) == '\\' && end + 1 < n) {
                        end++;
                    }
                    out.append(template.charAt(end));
                    end++;
                }
                i = end + 1;
                continue;
            }
            if (c == '\\' && i + 1 < n) {
                out.append(template.charAt(i + 1));
                i += 2;
                continue;
            }
            boolean fm = false;
            if (template.regionMatches(true, i, "FM", 0, 2)) {
                fm = true;
                i += 2;
            } else if (template.regionMatches(true, i, "FX", 0, 2)) {
                i += 2;
                continue;
            }
            String kw = keywordAt(template, i);
            if (kw == null) {
                if (!fm) {
                    out.append(c);
                    i++;
                }
                continue;
            }
            String written = template.substring(i, i + kw.length());
            i += kw.length();
            String field = field(kw, written, t, zoned, fm);
            // An ordinal suffix: TH or th.
            if (i + 1 < n && (template.startsWith("TH", i) || template.startsWith("th", i))) {
                boolean upper = template.charAt(i) == 'T';
                i += 2;
                field = field + ordinal(field, upper);
            }
            out.append(field);
        }
        return out.toString();
    }

    private static @Nullable String keywordAt(String template, int i) {
        String best = null;
        for (String kw : KEYWORDS) {
            if (template.regionMatches(true, i, kw, 0, kw.length()) && (best == null || kw.length() > best.length())) {
                best = kw;
            }
        }
        return best;
    }

    private static String ordinal(String number, boolean upper) {
        String digits = number.trim();
        String s;
        if (digits.isEmpty() || !Character.isDigit(digits.charAt(digits.length() - 1))) {
            s = "th";
        } else {
            int last = digits.charAt(digits.length() - 1) - '0';
            int tens = digits.length() > 1 ? digits.charAt(digits.length() - 2) - '0' : 0;
            s = tens == 1 ? "th" : last == 1 ? "st" : last == 2 ? "nd" : last == 3 ? "rd" : "th";
        }
        return upper ? s.toUpperCase(Locale.ROOT) : s;
    }

    private static String field(String kw, String written, LocalDateTime t, boolean zoned, boolean fm) {
        int year = t.getYear();
        return switch (kw) {
            case "Y,YYY" -> String.format(Locale.ROOT, "%d,%03d", year / 1000, year % 1000);
            case "YYYY" -> num(year, 4, fm);
            case "YYY" -> num(year % 1000, 3, fm);
            case "YY" -> num(year % 100, 2, fm);
            case "Y" -> num(year % 10, 1, fm);
            case "IYYY" -> num(t.get(IsoFields.WEEK_BASED_YEAR), 4, fm);
            case "IYY" -> num(t.get(IsoFields.WEEK_BASED_YEAR) % 1000, 3, fm);
            case "IY" -> num(t.get(IsoFields.WEEK_BASED_YEAR) % 100, 2, fm);
            case "I" -> num(t.get(IsoFields.WEEK_BASED_YEAR) % 10, 1, fm);
            case "HH24" -> num(t.getHour(), 2, fm);
            case "HH12", "HH" -> num(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, fm);
            case "MI" -> num(t.getMinute(), 2, fm);
            case "SS" -> num(t.getSecond(), 2, fm);
            case "SSSS", "SSSSS" -> Integer.toString(t.toLocalTime().toSecondOfDay());
            case "MS" -> num(t.getNano() / 1_000_000, 3, fm);
            case "US" -> num(t.getNano() / 1_000, 6, fm);
            case "FF1", "FF2", "FF3", "FF4", "FF5", "FF6" -> {
                int digits = kw.charAt(2) - '0';
                yield num(t.getNano() / (int) Math.pow(10, 9 - digits), digits, false);
            }
            case "AM", "PM" -> cased(t.getHour() < 12 ? "AM" : "PM", written);
            case "A.M.", "P.M." -> cased(t.getHour() < 12 ? "A.M." : "P.M.", written);
            case "BC", "AD" -> cased(year > 0 ? "AD" : "BC", written);
            case "B.C.", "A.D." -> cased(year > 0 ? "A.D." : "B.C.", written);
            case "MONTH" -> name(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH), written, fm);
            case "MON" -> cased(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH), written);
            case "MM" -> num(t.getMonthValue(), 2, fm);
            case "DAY" -> name(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH), written, fm);
            case "DY" -> cased(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH), written);
            case "DDD" -> num(t.getDayOfYear(), 3, fm);
            case "IDDD" ->
                num(
                        (t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR) - 1) * 7
                                + t.getDayOfWeek().getValue(),
                        3,
                        fm);
            case "DD" -> num(t.getDayOfMonth(), 2, fm);
            case "D" -> Integer.toString(t.getDayOfWeek().getValue() % 7 + 1);
            case "ID" -> Integer.toString(t.getDayOfWeek().getValue());
            case "IW" -> num(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, fm);
            case "WW" -> num((t.getDayOfYear() - 1) / 7 + 1, 2, fm);
            case "W" -> Integer.toString((t.getDayOfMonth() - 1) / 7 + 1);
            case "CC" -> num(Math.floorDiv(year + 99, 100), 2, fm);
            case "J" -> Long.toString(t.toLocalDate().toEpochDay() + 2_440_588L);
            case "Q" -> Integer.toString((t.getMonthValue() - 1) / 3 + 1);
            case "RM" -> {
                String r = ROMAN[t.getMonthValue() - 1];
                r = written.equals("rm") ? r.toLowerCase(Locale.ROOT) : r;
                yield fm ? r : String.format(Locale.ROOT, "%-4s", r);
            }
            case "TZ" -> zoned ? cased("UTC", written) : "";
            case "TZH" -> zoned ? "+00" : "";
            case "TZM" -> zoned ? "00" : "";
            case "OF" -> zoned ? "+00" : "";
            default -> written;
        };
    }

    private static String num(long v, int width, boolean fm) {
        if (fm) {
            return Long.toString(v);
        }
        StringBuilder sb = new StringBuilder();
        pad(sb, v, width);
        return sb.toString();
    }

    /** A name in the case the keyword was written in: MONTH, Month or month. */
    private static String cased(String name, String written) {
        if (written.length() > 1
                && Character.isUpperCase(written.charAt(0))
                && Character.isUpperCase(written.charAt(1))) {
            return name.toUpperCase(Locale.ROOT);
        }
        if (Character.isUpperCase(written.charAt(0))) {
            return name;
        }
        return name.toLowerCase(Locale.ROOT);
    }

    /** A full month or day name, blank-padded to 9 characters unless FM. */
    private static String name(String name, String written, boolean fm) {
        String s = cased(name, written);
        return fm ? s : String.format(Locale.ROOT, "%-9s", s);
    }

    // ---- TO_CHAR of numbers ----

    /** TO_CHAR of a number by a numeric template. */
    static String toChar(Number value, String template) {
        String t = template;
        boolean fm = false;
        if (t.regionMatches(true, 0, "FM", 0, 2)) {
            fm = true;
            t = t.substring(2);
        }
        // The template's parts: digit positions before and after the decimal point, and everything else.
        List<String> parts = new ArrayList<>();
        int intDigits = 0;
        int fracDigits = 0;
        boolean seenPoint = false;
        boolean explicitSign = false;
        boolean plusSign = false;
        for (int i = 0; i < t.length(); ) {
            char c = t.charAt(i);
            String upper = t.substring(i).toUpperCase(Locale.ROOT);
            if (upper.startsWith("MI") || upper.startsWith("PL") || upper.startsWith("SG")) {
                parts.add(upper.substring(0, 2));
                explicitSign = true;
                i += 2;
            } else if (c == 'S' || c == 's') {
                if (parts.isEmpty()) {
                    plusSign = true; // S in front: the sign (+ or -) floats to just before the first digit
                } else {
                    parts.add("S");
                    explicitSign = true;
                }
                i++;
            } else if (c == '9' || c == '0') {
                parts.add(String.valueOf(c));
                if (seenPoint) {
                    fracDigits++;
                } else {
                    intDigits++;
                }
                i++;
            } else if ((c == '.' || c == 'D' || c == 'd') && !seenPoint) {
                parts.add(".");
                seenPoint = true;
                i++;
            } else if (c == ',' || c == 'G' || c == 'g') {
                parts.add(",");
                i++;
            } else if (c == '"') {
                int end = t.indexOf('"', i + 1);
                end = end < 0 ? t.length() : end;
                parts.add("'" + t.substring(i + 1, end));
                i = end + 1;
            } else {
                parts.add("'" + c);
                i++;
            }
        }
        BigDecimal v = value instanceof BigDecimal b
                ? b
                : value instanceof Double d ? BigDecimal.valueOf(d) : BigDecimal.valueOf(value.longValue());
        boolean negative = v.signum() < 0;
        v = v.abs().setScale(fracDigits, RoundingMode.HALF_UP);
        String plain = v.toPlainString();
        int dot = plain.indexOf('.');
        String intPart = dot < 0 ? plain : plain.substring(0, dot);
        String fracPart = dot < 0 ? "" : plain.substring(dot + 1);
        if (intPart.equals("0") && (seenPoint || v.signum() != 0)) {
            intPart = "";
        }
        boolean overflow = intPart.length() > intDigits;
        // Digits of the integer part aligned right on the template's integer positions.
        StringBuilder out = new StringBuilder();
        int intPos = 0;
        int fracPos = 0;
        boolean started = false;
        boolean signWritten = explicitSign;
        // After a 0 position, every digit position prints a digit (zero padding), as in PostgreSQL.
        boolean zeroStarted = false;
        for (String p : parts) {
            switch (p) {
                case "9", "0" -> {
                    if (intPos < intDigits) {
                        int digitIndex = intPart.length() - (intDigits - intPos);
                        intPos++;
                        if (overflow) {
                            out.append('#');
                        } else if (digitIndex >= 0) {
                            if (!signWritten) {
                                out.append(negative ? "-" : plusSign ? "+" : fm ? "" : " ");
                                signWritten = true;
                            }
                            out.append(intPart.charAt(digitIndex));
                            started = true;
                        } else if (p.equals("0") || zeroStarted) {
                            zeroStarted = true;
                            if (!signWritten) {
                                out.append(negative ? "-" : plusSign ? "+" : fm ? "" : " ");
                                signWritten = true;
                            }
                            out.append('0');
                            started = true;
                        } else if (!fm) {
                            out.append(' ');
                        }
                    } else {
                        char d = overflow ? '#' : fracPart.charAt(fracPos);
                        fracPos++;
                        out.append(d);
                    }
                }
                case "." -> {
                    if (!signWritten) {
                        out.append(negative ? "-" : plusSign ? "+" : fm ? "" : " ");
                        signWritten = true;
                    }
                    out.append('.');
                }
                case "," -> {
                    if (started) {
                        out.append(',');
                    } else if (!fm) {
                        out.append(' ');
                    }
                }
                case "S" -> out.append(negative ? '-' : '+');
                case "MI" -> out.append(negative ? "-" : fm ? "" : " ");
                case "PL" -> out.append(negative ? "" : "+");
                case "SG" -> out.append(negative ? '-' : '+');
                default -> out.append(p.substring(1));
            }
        }
        if (!signWritten) {
            out.insert(0, negative ? "-" : plusSign ? "+" : fm ? "" : " ");
        }
        String s = out.toString();
        if (fm && seenPoint) {
            // FM drops trailing zeros that 9s produced after the point.
            int end = s.length();
            int nines = 0;
            for (int k = parts.size() - 1; k >= 0 && (parts.get(k).equals("9")); k--) {
                nines++;
            }
            while (nines > 0 && end > 0 && s.charAt(end - 1) == '0') {
                end--;
                nines--;
            }
            s = s.substring(0, end);
        }
        return s;
    }

    // ---- TO_DATE and TO_TIMESTAMP ----

    /** Reads a date-time from {@code text} by a datetime template, as TO_DATE and TO_TIMESTAMP do. */
    static LocalDateTime parse(String text, String template) {
        int year = 1;
        int month = 1;
        int day = 1;
        int hour = 0;
        int minute = 0;
        int second = 0;
        int nanos = 0;
        int dayOfYear = -1;
        Boolean pm = null;
        int i = 0;
        int p = 0;
        int n = template.length();
        try {
            while (p < n) {
                char c = template.charAt(p);
                if (c == '"') {
                    int end = template.indexOf('"', p + 1);
                    end = end < 0 ? n : end;
                    i = Math.min(text.length(), i + (end - p - 1));
                    p = end + 1;
                    continue;
                }
                if (template.regionMatches(true, p, "FM", 0, 2) || template.regionMatches(true, p, "FX", 0, 2)) {
                    p += 2;
                    continue;
                }
                String kw = keywordAt(template, p);
                if (kw == null) {
                    p++;
                    // A separator in the template skips one separator (or blank) in the text.
                    if (i < text.length() && !Character.isLetterOrDigit(text.charAt(i))) {
                        i++;
                    }
                    continue;
                }
                p += kw.length();
                while (i < text.length() && text.charAt(i) == ' ' && !kw.equals("MON") && !kw.equals("MONTH")) {
                    i++;
                }
                switch (kw) {
                    case "YYYY", "IYYY" -> {
                        int[] r = digits(text, i, 4);
                        year = r[0];
                        i = r[1];
                    }
                    case "YYY", "IYY" -> {
                        int[] r = digits(text, i, 3);
                        year = 2000 + r[0];
                        i = r[1];
                    }
                    case "YY", "IY" -> {
                        int[] r = digits(text, i, 2);
                        year = r[0] < 70 ? 2000 + r[0] : 1900 + r[0];
                        i = r[1];
                    }
                    case "MM" -> {
                        int[] r = digits(text, i, 2);
                        month = r[0];
                        i = r[1];
                    }
                    case "DD" -> {
                        int[] r = digits(text, i, 2);
                        day = r[0];
                        i = r[1];
                    }
                    case "DDD" -> {
                        int[] r = digits(text, i, 3);
                        dayOfYear = r[0];
                        i = r[1];
                    }
                    case "HH24", "HH12", "HH" -> {
                        int[] r = digits(text, i, 2);
                        hour = r[0];
                        i = r[1];
                    }
                    case "MI" -> {
                        int[] r = digits(text, i, 2);
                        minute = r[0];
                        i = r[1];
                    }
                    case "SS" -> {
                        int[] r = digits(text, i, 2);
                        second = r[0];
                        i = r[1];
                    }
                    case "MS", "US", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6" -> {
                        int width = kw.equals("MS") ? 3 : kw.equals("US") ? 6 : kw.charAt(2) - '0';
                        int start = i;
                        int[] r = digits(text, i, width);
                        int len = r[1] - start;
                        nanos = (int) (r[0] * Math.pow(10, 9 - len));
                        i = r[1];
                    }
                    case "AM", "PM", "A.M.", "P.M." -> {
                        String rest = text.substring(i).toUpperCase(Locale.ROOT);
                        pm = rest.startsWith("P");
                        i += rest.startsWith("A.M.") || rest.startsWith("P.M.") ? 4 : 2;
                    }
                    case "MON", "MONTH" -> {
                        String rest = text.substring(i).toLowerCase(Locale.ROOT);
                        int found = -1;
                        for (Month m : Month.values()) {
                            String full = m.getDisplayName(TextStyle.FULL, Locale.ENGLISH)
                                    .toLowerCase(Locale.ROOT);
                            String shortName = m.getDisplayName(TextStyle.SHORT, Locale.ENGLISH)
                                    .toLowerCase(Locale.ROOT);
                            if (rest.startsWith(full)) {
                                found = m.getValue();
                                i += full.length();
                                break;
                            }
                            if (rest.startsWith(shortName)) {
                                found = m.getValue();
                                i += shortName.length();
                                break;
                            }
                        }
                        if (found < 0) {
                            throw new IllegalArgumentException("month name");
                        }
                        month = found;
                    }
                    case "DAY", "DY" -> {
                        while (i < text.length() && Character.isLetter(text.charAt(i))) {
                            i++;
                        }
                    }
                    default -> throw new IllegalArgumentException(kw);
                }
            }
            if (pm != null) {
                hour = hour % 12 + (pm ? 12 : 0);
            }
            LocalDate date = dayOfYear > 0 ? LocalDate.ofYearDay(year, dayOfYear) : LocalDate.of(year, month, day);
            return date.atTime(hour, minute, second, nanos);
        } catch (RuntimeException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "invalid value \"" + text + "\" for the template \"" + template + "\"",
                    e);
        }
    }

    /** Up to {@code max} digits from {@code i}: the value and the index after them. */
    private static int[] digits(String s, int i, int max) {
        int start = i;
        boolean negative = i < s.length() && s.charAt(i) == '-';
        if (negative) {
            i++;
            start++;
        }
        while (i < s.length() && Character.isDigit(s.charAt(i)) && i - start < max) {
            i++;
        }
        if (i == start) {
            throw new IllegalArgumentException("digits expected at " + start);
        }
        int v = Integer.parseInt(s.substring(start, i));
        return new int[] {negative ? -v : v, i};
    }
}
