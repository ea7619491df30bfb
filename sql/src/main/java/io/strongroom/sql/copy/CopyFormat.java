package io.strongroom.sql.copy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.RowText;
import io.strongroom.sql.exec.Batch;
import io.strongroom.sql.exec.Vec;
import io.strongroom.sql.exec.VecText;
import io.strongroom.sql.func.Types;
import io.strongroom.sql.parse.Tokens;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The text formats of COPY: PostgreSQL text (tab-delimited, {@code \N} for NULL, backslash escapes) and CSV
 * (quoted fields, empty unquoted field for NULL), with the DELIMITER, NULL AS, HEADER / IGNOREHEADER and GZIP
 * options. Parses one line at a time and formats rows for COPY TO. Immutable.
 *
 * @param csv CSV instead of text
 * @param delimiter the field separator
 * @param nullString the text of NULL
 * @param headerLines lines to skip at the start
 * @param gzip input is gzip-compressed
 * @param binary PostgreSQL's binary COPY format ({@code FORMAT binary}, or the legacy {@code BINARY} keyword);
 *     read by {@link CopyBinary}, and only for COPY ... FROM STDIN
 */
public record CopyFormat(
        boolean csv, char delimiter, String nullString, int headerLines, boolean gzip, boolean binary) {
    public static CopyFormat parse(Tokens t) {
        boolean csv = false;
        Character delimiter = null;
        String nullString = null;
        int header = 0;
        boolean gzip = false;
        boolean binary = false;
        t.accept("with");
        boolean parens = t.acceptSymbol("(");
        while (!t.atEnd() && !t.peekSymbol(")")) {
            if (t.accept("csv")) {
                csv = true;
            } else if (t.accept("binary")) {
                binary = true;
            } else if (t.accept("format")) {
                t.accept("as");
                String f = t.peek().kind() == Tokens.Kind.STRING ? t.string() : t.identifier();
                csv = f.equalsIgnoreCase("csv");
                binary = f.equalsIgnoreCase("binary");
                if (!csv && !binary && !f.equalsIgnoreCase("text")) {
                    throw new StrongroomException(
                            ErrorCode.NOT_IMPLEMENTED,
                            "COPY format " + f + " is not supported (use CSV, TEXT or BINARY)");
                }
            } else if (t.accept("delimiter")) {
                t.accept("as");
                String d = t.string();
                if (d.length() != 1) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT, "COPY delimiter must be a single character");
                }
                delimiter = d.charAt(0);
            } else if (t.accept("null")) {
                t.accept("as");
                nullString = t.string();
            } else if (t.accept("header")) {
                if (!t.accept("true")) {
                    t.accept("on");
                }
                header = 1;
            } else if (t.accept("ignoreheader")) {
                t.accept("as");
                header = t.integer();
            } else if (t.accept("gzip")) {
                gzip = true;
            } else if (t.acceptSymbol(",")) {
                // option separator in the parenthesised form
            } else {
                throw t.syntax("unknown COPY option");
            }
        }
        if (parens) {
            t.expectSymbol(")");
        }
        if (!t.atEnd()) {
            throw t.syntax("unexpected text after COPY options");
        }
        if (binary && (csv || delimiter != null || nullString != null || header > 0 || gzip)) {
            throw new StrongroomException(
                    ErrorCode.SYNTAX_ERROR, "COPY FORMAT binary takes no CSV, DELIMITER, NULL, HEADER or GZIP option");
        }
        return new CopyFormat(
                csv,
                delimiter != null ? delimiter : csv ? ',' : '\t',
                nullString != null ? nullString : csv ? "" : "\\N",
                header,
                gzip,
                binary);
    }

    /** Splits one line into fields, null for NULL. */
    List<@Nullable String> fields(String line) {
        List<@Nullable String> out = new ArrayList<>();
        if (!csv) {
            int from = 0;
            while (true) {
                int to = line.indexOf(delimiter, from);
                String raw = line.substring(from, to < 0 ? line.length() : to);
                out.add(raw.equals(nullString) ? null : unescape(raw));
                if (to < 0) {
                    return out;
                }
                from = to + 1;
            }
        }
        StringBuilder sb = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    sb.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    sb.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                wasQuoted = true;
            } else if (c == delimiter) {
                out.add(!wasQuoted && sb.toString().equals(nullString) ? null : sb.toString());
                sb.setLength(0);
                wasQuoted = false;
            } else {
                sb.append(c);
            }
        }
        if (quoted) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "unterminated CSV quoted field");
        }
        out.add(!wasQuoted && sb.toString().equals(nullString) ? null : sb.toString());
        return out;
    }

    /** True when a CSV line ends inside a quoted field, so the record continues on the next line. */
    boolean continues(String partial) {
        if (!csv) {
            return false;
        }
        boolean quoted = false;
        for (int i = 0; i < partial.length(); i++) {
            if (partial.charAt(i) == '"') {
                quoted = !quoted;
            }
        }
        return quoted;
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char e = s.charAt(++i);
                sb.append(
                        switch (e) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case 'r' -> '\r';
                            case 'b' -> '\b';
                            case 'f' -> '\f';
                            default -> e;
                        });
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** One row as a line (with its newline) for COPY TO. */
    String format(@Nullable Object[] row) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
            if (i > 0) {
                sb.append(delimiter);
            }
            Object v = row[i];
            if (v == null) {
                sb.append(nullString);
                continue;
            }
            String s = Types.text(v);
            if (csv) {
                boolean quote = s.isEmpty()
                        || s.indexOf(delimiter) >= 0
                        || s.indexOf('"') >= 0
                        || s.indexOf('\n') >= 0
                        || s.indexOf('\r') >= 0;
                sb.append(quote ? "\"" + s.replace("\"", "\"\"") + "\"" : s);
            } else {
                for (int j = 0; j < s.length(); j++) {
                    char c = s.charAt(j);
                    switch (c) {
                        case '\\' -> sb.append("\\\\");
                        case '\n' -> sb.append("\\n");
                        case '\r' -> sb.append("\\r");
                        case '\t' -> sb.append("\\t");
                        default -> {
                            if (c == delimiter) {
                                sb.append('\\');
                            }
                            sb.append(c);
                        }
                    }
                }
            }
        }
        return sb.append('\n').toString();
    }

    /** A column of a batch whose text needs no check for bytes to escape or quote ({@link #columnFlags}). */
    static final byte PLAIN = 1;
    /** A column of a batch whose strings are all ASCII ({@link VecText#ascii}). */
    static final byte ASCII = 2;

    /** What {@link #appendRow} may skip for each column of {@code batch}: {@link #PLAIN}, {@link #ASCII}. */
    public byte[] columnFlags(Batch batch) {
        byte[] flags = new byte[batch.cols().length];
        boolean digitsPlain = VecText.DIGITS_ONLY_CHARS.indexOf(delimiter) < 0;
        for (int c = 0; c < flags.length; c++) {
            Vec v = batch.col(c);
            flags[c] = (byte) ((digitsPlain && VecText.digitsOnly(v) ? PLAIN : 0) | (VecText.ascii(v) ? ASCII : 0));
        }
        return flags;
    }

    /**
     * Appends row {@code row} of {@code batch} to {@code out} as {@link #format} formats it, byte for byte, but
     * from the column vectors: each field's text is written straight into {@code out} ({@link VecText#copy}) and,
     * only when it holds a byte that needs escaping or quoting, moved through {@code field} and written again
     * escaped. Byte-wise escaping equals the char-wise one because every byte of a multi-byte UTF-8 character is at
     * least 0x80; a delimiter outside ASCII takes {@link #format} instead. {@code flags} are the batch's {@link
     * #columnFlags}.
     */
    public void appendRow(Batch batch, int row, byte[] flags, RowText field, RowText out) {
        if (delimiter > 0x7f) {
            out.appendString(format(batch.row(row)));
            return;
        }
        for (int c = 0; c < flags.length; c++) {
            if (c > 0) {
                out.appendByte(delimiter);
            }
            Vec v = batch.col(c);
            if (v.isNull(row)) {
                out.appendString(nullString);
                continue;
            }
            int start = out.length();
            VecText.copy(v, row, (flags[c] & ASCII) != 0, out);
            if ((flags[c] & PLAIN) != 0) {
                continue;
            }
            int plain = start + plainPrefix(out.bytes(), start, out.length());
            if (plain < out.length() || (csv && start == out.length())) {
                int from = csv ? start : plain;
                field.clear();
                field.appendBytes(out.bytes(), from, out.length() - from);
                out.truncate(from);
                if (csv) {
                    appendQuoted(field.bytes(), field.length(), out);
                } else {
                    appendEscaped(field.bytes(), field.length(), out);
                }
            }
        }
        out.appendByte('\n');
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGHS = 0x8080_8080_8080_8080L;

    /**
     * How many bytes of {@code b[from..to)} from the start need no escaping (text: backslash, newline, carriage
     * return, tab, the delimiter) or quoting (CSV: the delimiter, a quote, newline, carriage return). Eight bytes at
     * a time while none is below 0x20, the backslash or quote, or the delimiter (a flagged word is looked at byte by
     * byte, so a false alarm costs only time).
     */
    private int plainPrefix(byte[] b, int from, int to) {
        long other = (csv ? '"' : '\\') * ONES;
        long delim = delimiter * ONES;
        int k = from;
        while (k + 8 <= to) {
            long x = (long) LONGS.get(b, k);
            long low = (x - 0x20 * ONES) & ~x;
            long y = x ^ other;
            long z = x ^ delim;
            if (((low | ((y - ONES) & ~y) | ((z - ONES) & ~z)) & HIGHS) != 0) {
                break;
            }
            k += 8;
        }
        while (k < to && !special(b[k])) {
            k++;
        }
        return k - from;
    }

    private boolean special(byte c) {
        return c == delimiter || c == '\n' || c == '\r' || (csv ? c == '"' : c == '\\' || c == '\t');
    }

    private void appendEscaped(byte[] b, int len, RowText out) {
        for (int i = 0; i < len; i++) {
            byte c = b[i];
            switch (c) {
                case '\\' -> {
                    out.appendByte('\\');
                    out.appendByte('\\');
                }
                case '\n' -> {
                    out.appendByte('\\');
                    out.appendByte('n');
                }
                case '\r' -> {
                    out.appendByte('\\');
                    out.appendByte('r');
                }
                case '\t' -> {
                    out.appendByte('\\');
                    out.appendByte('t');
                }
                default -> {
                    if (c == delimiter) {
                        out.appendByte('\\');
                    }
                    out.appendByte(c);
                }
            }
        }
    }

    private static void appendQuoted(byte[] b, int len, RowText out) {
        out.appendByte('"');
        for (int i = 0; i < len; i++) {
            if (b[i] == '"') {
                out.appendByte('"');
            }
            out.appendByte(b[i]);
        }
        out.appendByte('"');
    }
}
