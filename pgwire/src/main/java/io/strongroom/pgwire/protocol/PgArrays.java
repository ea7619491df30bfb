package io.strongroom.pgwire.protocol;

import io.strongroom.sql.SqlType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One-dimensional arrays ({@link SqlType#element()} not null) in PostgreSQL's text and binary forms, as {@code
 * array_out} and {@code array_send} write them.
 *
 * <p>Text: {@code {a,b,NULL}}; an element is double-quoted when it is empty, is {@code NULL} in any case, or holds a
 * double quote, a backslash, a brace, a comma or white space, with {@code "} and {@code \} escaped by a backslash.
 * Binary: dimensions (0 for an empty array, else 1), a has-NULL flag, the element type's OID, then for one dimension
 * its length and lower bound 1, then each element as a length (-1 for NULL) and its binary value. Stateless.
 */
final class PgArrays {
    private PgArrays() {}

    static String text(SqlType type, List<?> values) {
        SqlType element = Objects.requireNonNull(type.element(), type::name);
        StringBuilder out = new StringBuilder("{");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            Object v = values.get(i);
            if (v == null) {
                out.append("NULL");
                continue;
            }
            String s = PgValues.text(element, v);
            if (needsQuotes(s)) {
                out.append('"');
                for (int k = 0; k < s.length(); k++) {
                    char c = s.charAt(k);
                    if (c == '"' || c == '\\') {
                        out.append('\\');
                    }
                    out.append(c);
                }
                out.append('"');
            } else {
                out.append(s);
            }
        }
        return out.append('}').toString();
    }

    private static boolean needsQuotes(String s) {
        if (s.isEmpty() || s.toUpperCase(Locale.ROOT).equals("NULL")) {
            return true;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c == '{' || c == '}' || c == ',' || Character.isWhitespace(c)) {
                return true;
            }
        }
        return false;
    }

    static byte[] binary(SqlType type, List<?> values) {
        SqlType element = Objects.requireNonNull(type.element(), type::name);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean nulls = values.stream().anyMatch(Objects::isNull);
        putInt(out, values.isEmpty() ? 0 : 1);
        putInt(out, nulls ? 1 : 0);
        putInt(out, element.oid());
        if (!values.isEmpty()) {
            putInt(out, values.size());
            putInt(out, 1);
        }
        for (Object v : values) {
            if (v == null) {
                putInt(out, -1);
            } else {
                byte[] b = PgValues.encodeBinary(element, v);
                putInt(out, b.length);
                out.writeBytes(b);
            }
        }
        return out.toByteArray();
    }

    private static void putInt(ByteArrayOutputStream out, int v) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(v).array());
    }
}
