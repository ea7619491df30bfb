package io.strongroom.control.api;

import io.strongroom.base.ErrorCode;
import io.strongroom.control.cluster.RedshiftApiException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The parameters of a Query-protocol request: {@code application/x-www-form-urlencoded} pairs, flattened as
 * botocore and the Java SDK flatten them ({@code Tags.Tag.1.Key=...}; an empty list arrives as {@code Name=}).
 * Typed getters answer the Redshift validation errors. Immutable after parsing.
 */
final class QueryParams {
    static final int MAX_PARAMS = 1000;

    private final Map<String, String> values;

    private QueryParams(Map<String, String> values) {
        this.values = values;
    }

    static QueryParams parse(@Nullable String form) {
        Map<String, String> m = new LinkedHashMap<>();
        if (form != null && !form.isEmpty()) {
            for (String pair : form.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                if (m.size() >= MAX_PARAMS) {
                    throw RedshiftApiException.invalidParameter("Too many parameters (at most " + MAX_PARAMS + ").");
                }
                int eq = pair.indexOf('=');
                String k = decode(eq < 0 ? pair : pair.substring(0, eq));
                String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
                m.put(k, v);
            }
        }
        return new QueryParams(m);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw RedshiftApiException.invalidParameter("The request body is not valid form encoding.");
        }
    }

    @Nullable
    String get(String name) {
        String v = values.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    String required(String name) {
        String v = get(name);
        if (v == null) {
            throw RedshiftApiException.missing(name);
        }
        return v;
    }

    @Nullable
    Integer integer(String name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw RedshiftApiException.invalidParameter("Value for " + name + " must be an integer.");
        }
    }

    @Nullable
    Boolean bool(String name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw RedshiftApiException.invalidParameter("Value for " + name + " must be true or false.");
        };
    }

    @Nullable
    Instant timestamp(String name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(v.trim()).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.ofEpochSecond(Long.parseLong(v.trim()));
            } catch (NumberFormatException | DateTimeException n) {
                // DateTimeException: epoch seconds beyond the range of Instant (about ±31.5 billion years).
                throw RedshiftApiException.invalidParameter("Value for " + name + " must be an ISO 8601 timestamp.");
            }
        }
    }

    /** The members {@code <prefix>.1}, {@code <prefix>.2}, ... in order (a query-protocol list). */
    List<String> members(String prefix) {
        List<String> out = new ArrayList<>();
        for (int i = 1; ; i++) {
            String v = get(prefix + "." + i);
            if (v == null) {
                return out;
            }
            out.add(v);
        }
    }

    /** The most tags a resource takes, as Redshift allows. */
    static final int MAX_TAGS = 50;

    /**
     * {@code Tags.Tag.N.Key} / {@code .Value}, in order, checked against Redshift's tag rules: a key of 1 to 128
     * characters not starting with {@code aws:}, a value of at most 256, both only letters, digits, white space and
     * {@code _ . : / = + - @} (InvalidTagFault); at most 50 (TagLimitExceededFault).
     */
    Map<String, String> tags() {
        Map<String, String> tags = new LinkedHashMap<>();
        for (int i = 1; ; i++) {
            String k = get("Tags.Tag." + i + ".Key");
            if (k == null) {
                break;
            }
            if (i > MAX_TAGS) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_ARGUMENT,
                        "TagLimitExceededFault",
                        400,
                        "A resource takes at most " + MAX_TAGS + " tags.");
            }
            String v = values.getOrDefault("Tags.Tag." + i + ".Value", "");
            checkTag(k, 1, 128, "key");
            checkTag(v, 0, 256, "value");
            if (k.startsWith("aws:")) {
                throw invalidTag("Tag keys starting with aws: are reserved for AWS use.");
            }
            tags.put(k, v);
        }
        return tags;
    }

    private static void checkTag(String s, int min, int max, String what) {
        int n = s.codePointCount(0, s.length());
        if (n < min || n > max) {
            throw invalidTag("A tag " + what + " must be " + min + " to " + max + " characters long.");
        }
        s.codePoints().forEach(c -> {
            if (!(Character.isLetterOrDigit(c) || Character.isWhitespace(c) || "_.:/=+-@".indexOf(c) >= 0)
                    || Character.isISOControl(c)) {
                throw invalidTag("A tag " + what + " may hold only letters, digits, white space and _ . : / = + - @;"
                        + " character U+" + String.format(Locale.ROOT, "%04X", c) + " is not allowed.");
            }
        });
    }

    private static RedshiftApiException invalidTag(String message) {
        return new RedshiftApiException(ErrorCode.INVALID_ARGUMENT, "InvalidTagFault", 400, message);
    }

    boolean has(String name) {
        return get(name) != null;
    }

    @Override
    public String toString() {
        // Names only: values can hold passwords.
        return "QueryParams" + values.keySet();
    }
}
