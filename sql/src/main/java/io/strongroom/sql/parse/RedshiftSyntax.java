package io.strongroom.sql.parse;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.DatePart;
import io.strongroom.sql.func.PgFunctions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.calcite.avatica.util.TimeUnit;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlIntervalQualifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.fun.SqlLibraryOperators;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.util.SqlShuttle;
import org.jspecify.annotations.Nullable;

/**
 * Redshift and PostgreSQL spellings the Babel parser does not take as they are, made into ones it does:
 *
 * <ul>
 *   <li>before parsing, on the text: the date part of DATEADD, DATEDIFF and DATE_PART written as a string or as a
 *       reserved word ({@code DATEADD('day', ...)}, {@code DATEDIFF(min, ...)}) becomes a quoted identifier,
 *       which the parser's date-function grammar accepts; PostgreSQL's interval shorthand {@code INTERVAL '7
 *       days'} becomes {@code INTERVAL '7' DAY};
 *   <li>after parsing, on the tree: those date functions become {@link PgFunctions}' own (the part as a string,
 *       with Redshift's abbreviations), and EXTRACT of an abbreviated part ({@code EXTRACT(ms FROM t)}) names
 *       the standard unit.
 * </ul>
 *
 * <p>A token-level rewrite was chosen over extending the parser's grammar (FMPP templates and a generated
 * parser): the changes are local and keep string literals and comments intact since they work on {@link
 * Tokens}. Stateless.
 */
public final class RedshiftSyntax {
    private RedshiftSyntax() {}

    private static final List<String> DATE_FUNCTIONS = List.of("dateadd", "datediff", "date_part", "datepart");

    /** Interval shorthand units and the SQL unit (with a multiplier) they mean. */
    private static final Map<String, String> INTERVAL_UNITS = Map.ofEntries(
            Map.entry("year", "YEAR"),
            Map.entry("years", "YEAR"),
            Map.entry("y", "YEAR"),
            Map.entry("yr", "YEAR"),
            Map.entry("yrs", "YEAR"),
            Map.entry("month", "MONTH"),
            Map.entry("months", "MONTH"),
            Map.entry("mon", "MONTH"),
            Map.entry("mons", "MONTH"),
            Map.entry("week", "WEEK"),
            Map.entry("weeks", "WEEK"),
            Map.entry("w", "WEEK"),
            Map.entry("day", "DAY"),
            Map.entry("days", "DAY"),
            Map.entry("d", "DAY"),
            Map.entry("hour", "HOUR"),
            Map.entry("hours", "HOUR"),
            Map.entry("h", "HOUR"),
            Map.entry("hr", "HOUR"),
            Map.entry("hrs", "HOUR"),
            Map.entry("minute", "MINUTE"),
            Map.entry("minutes", "MINUTE"),
            Map.entry("m", "MINUTE"),
            Map.entry("min", "MINUTE"),
            Map.entry("mins", "MINUTE"),
            Map.entry("second", "SECOND"),
            Map.entry("seconds", "SECOND"),
            Map.entry("s", "SECOND"),
            Map.entry("sec", "SECOND"),
            Map.entry("secs", "SECOND"));

    /** The text with the rewrites above applied; unchanged when none applies. */
    public static String rewrite(String sql) {
        List<Tokens.Token> tokens;
        try {
            tokens = Tokens.tokenize(sql);
        } catch (StrongroomException e) {
            return sql; // the parser reports the error with its position
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int i = 0; i < tokens.size(); i++) {
            Tokens.Token t = tokens.get(i);
            if (t.kind() == Tokens.Kind.WORD
                    && DATE_FUNCTIONS.contains(t.lower())
                    && i + 3 < tokens.size()
                    && tokens.get(i + 1).isSymbol("(")
                    && (tokens.get(i + 2).kind() == Tokens.Kind.WORD
                            || tokens.get(i + 2).kind() == Tokens.Kind.STRING)
                    && tokens.get(i + 3).isSymbol(",")) {
                Tokens.Token unit = tokens.get(i + 2);
                String name = unit.text().trim().toLowerCase(Locale.ROOT).replace("\"", "");
                out.append(sql, from, unit.start()).append('"').append(name).append('"');
                from = unit.end();
                i += 2;
            } else if (t.is("pg_catalog")
                    && i + 3 < tokens.size()
                    && tokens.get(i + 1).isSymbol(".")
                    && tokens.get(i + 2).kind() == Tokens.Kind.WORD
                    && tokens.get(i + 3).isSymbol("(")) {
                // pg_catalog.version(), pg_catalog.current_schema(): the functions are the same unqualified (clients
                // such as the SQLAlchemy Redshift dialect qualify them).
                out.append(sql, from, t.start());
                from = tokens.get(i + 2).start();
                i += 1;
            } else if (t.is("interval")
                    && i + 1 < tokens.size()
                    && tokens.get(i + 1).kind() == Tokens.Kind.STRING
                    && (i + 2 >= tokens.size() || !isIntervalUnit(tokens.get(i + 2)))) {
                Tokens.Token literal = tokens.get(i + 1);
                String replaced = interval(literal.text());
                if (replaced != null) {
                    out.append(sql, from, t.start()).append(replaced);
                    from = literal.end();
                    i += 1;
                }
            }
        }
        if (from == 0) {
            return sql;
        }
        return out.append(sql.substring(from)).toString();
    }

    private static boolean isIntervalUnit(Tokens.Token t) {
        return t.kind() == Tokens.Kind.WORD
                && List.of("year", "month", "week", "day", "hour", "minute", "second", "quarter")
                        .contains(t.lower());
    }

    /** {@code INTERVAL '<n> <unit>'} in standard form, or null when the text is not one signed integer and unit. */
    private static @Nullable String interval(String text) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length != 2 || !parts[0].matches("[+-]?\\d{1,9}")) {
            return null;
        }
        String unit = INTERVAL_UNITS.get(parts[1].toLowerCase(Locale.ROOT));
        if (unit == null) {
            return null;
        }
        long n = Long.parseLong(parts[0]);
        if (unit.equals("WEEK")) {
            n *= 7;
            unit = "DAY";
        }
        String digits = Long.toString(Math.abs(n));
        return "INTERVAL '" + n + "' " + unit + "(" + Math.max(2, digits.length()) + ")";
    }

    /**
     * A query's {@code SELECT DISTINCT ON (k1, k2, ...)} taken out of its text: the text without it and with the keys
     * that are expressions appended to the select list ({@code k AS "$distinct_on_0"}); each key is the output
     * column it is (a position or output name, as PostgreSQL allows) or the appended one.
     */
    public record DistinctOn(String sql, List<Key> keys, int appended) {}

    /** A DISTINCT ON key: output column {@code index}, or (when {@code appended}) the index-th appended column. */
    public record Key(int index, boolean appended) {}

    /**
     * The DISTINCT ON of the outermost SELECT, or null when the query has none. 0A000 when DISTINCT ON appears
     * where it is not supported (a subquery, a set operation).
     */
    public static @Nullable DistinctOn distinctOn(String sql) {
        List<Tokens.Token> tokens;
        try {
            tokens = Tokens.tokenize(sql);
        } catch (StrongroomException e) {
            return null;
        }
        int depth = 0;
        int at = -1;
        for (int i = 0; i + 2 < tokens.size(); i++) {
            Tokens.Token t = tokens.get(i);
            if (t.isSymbol("(")) {
                depth++;
            } else if (t.isSymbol(")")) {
                depth--;
            } else if (t.is("select")
                    && tokens.get(i + 1).is("distinct")
                    && tokens.get(i + 2).is("on")) {
                if (depth != 0 || at >= 0) {
                    throw unsupported("DISTINCT ON in a subquery (only the outermost SELECT may have it)");
                }
                at = i;
            }
        }
        if (at < 0) {
            return null;
        }
        int open = at + 3;
        if (open >= tokens.size() || !tokens.get(open).isSymbol("(")) {
            throw new StrongroomException(ErrorCode.SYNTAX_ERROR, "syntax error at or near DISTINCT ON: expected (");
        }
        // The key expressions, split at commas outside parentheses.
        List<String> keys = new ArrayList<>();
        int d = 0;
        int from = tokens.get(open).end();
        int close = -1;
        for (int i = open + 1; i < tokens.size(); i++) {
            Tokens.Token t = tokens.get(i);
            if (t.isSymbol("(")) {
                d++;
            } else if (t.isSymbol(")") && d > 0) {
                d--;
            } else if (t.isSymbol(")")) {
                keys.add(sql.substring(from, t.start()).trim());
                close = i;
                break;
            } else if (t.isSymbol(",") && d == 0) {
                keys.add(sql.substring(from, t.start()).trim());
                from = t.end();
            }
        }
        if (close < 0 || keys.stream().anyMatch(String::isEmpty)) {
            throw new StrongroomException(ErrorCode.SYNTAX_ERROR, "syntax error in DISTINCT ON (...)");
        }
        // The select list: up to FROM (or the end of the statement) at depth 0.
        List<String> items = new ArrayList<>();
        d = 0;
        int itemStart = tokens.get(close).end();
        int listEnd = sql.length();
        boolean star = false;
        for (int i = close + 1; i < tokens.size(); i++) {
            Tokens.Token t = tokens.get(i);
            if (t.isSymbol("(")) {
                d++;
            } else if (t.isSymbol(")")) {
                d--;
            } else if (d == 0 && (t.isSymbol(",") || isClause(t))) {
                items.add(sql.substring(itemStart, t.start()).trim());
                itemStart = t.end();
                if (isClause(t)) {
                    listEnd = t.start();
                    break;
                }
            } else if (d == 0 && t.isSymbol("*")) {
                star = true;
            }
            if (i == tokens.size() - 1) {
                items.add(sql.substring(itemStart).trim());
            }
        }
        for (int i = close + 1; i < tokens.size(); i++) {
            Tokens.Token t = tokens.get(i);
            if (t.is("union") || t.is("intersect") || t.is("except") || t.is("minus")) {
                throw unsupported("DISTINCT ON with " + t.text().toUpperCase(Locale.ROOT));
            }
        }
        List<Key> out = new ArrayList<>();
        StringBuilder extra = new StringBuilder();
        int appended = 0;
        for (String k : keys) {
            int output = outputColumn(k, items, star);
            if (output >= 0) {
                out.add(new Key(output, false));
            } else {
                extra.append(", ")
                        .append(k)
                        .append(" AS \"$distinct_on_")
                        .append(appended)
                        .append('"');
                out.add(new Key(appended++, true));
            }
        }
        String rewritten = sql.substring(0, tokens.get(at + 1).start())
                + sql.substring(tokens.get(close).end(), listEnd).stripTrailing()
                + extra
                + " "
                + sql.substring(listEnd);
        return new DistinctOn(rewritten, out, appended);
    }

    private static boolean isClause(Tokens.Token t) {
        return t.is("from")
                || t.is("where")
                || t.is("group")
                || t.is("having")
                || t.is("order")
                || t.is("limit")
                || t.is("offset")
                || t.is("window");
    }

    /**
     * The output column a DISTINCT ON key names by position ({@code 2}) or output name (an item's alias), or -1
     * when it is an expression of its own.
     */
    private static int outputColumn(String key, List<String> items, boolean star) {
        if (key.matches("\\d+")) {
            int n = Integer.parseInt(key);
            if (star || n < 1 || n > items.size()) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "DISTINCT ON position " + key + " is not in the select list");
            }
            return n - 1;
        }
        if (!key.matches("[A-Za-z_][A-Za-z0-9_$]*")) {
            return -1;
        }
        for (int i = 0; i < items.size(); i++) {
            String[] words = items.get(i).split("\\s+");
            String last = words[words.length - 1];
            boolean aliased =
                    words.length >= 2 && (words[words.length - 2].equalsIgnoreCase("as") || words.length == 2);
            if (aliased && last.equalsIgnoreCase(key) && !items.get(i).equalsIgnoreCase(key)) {
                if (star) {
                    throw unsupported("DISTINCT ON an output name with * in the select list");
                }
                return i;
            }
        }
        return -1;
    }

    /** The parsed statement with the date functions made into {@link PgFunctions}' own. */
    public static SqlNode rewrite(SqlNode node) {
        SqlNode out = node.accept(new SqlShuttle() {
            @Override
            public @Nullable SqlNode visit(SqlCall call) {
                SqlOperator op = call.getOperator();
                SqlOperator own = op == SqlLibraryOperators.DATEADD
                        ? PgFunctions.DATEADD
                        : op == SqlLibraryOperators.DATEDIFF
                                ? PgFunctions.DATEDIFF
                                : op == SqlLibraryOperators.DATE_PART || op == SqlLibraryOperators.DATEPART
                                        ? PgFunctions.DATE_PART
                                        : null;
                if (own != null && call.operandCount() > 0 && call.operand(0) instanceof SqlIntervalQualifier q) {
                    List<SqlNode> operands = new ArrayList<>(call.getOperandList());
                    operands.set(0, SqlLiteral.createCharString(partName(q), q.getParserPosition()));
                    List<SqlNode> visited = new ArrayList<>();
                    for (SqlNode o : operands) {
                        visited.add(o == null ? null : o.accept(this));
                    }
                    return own.createCall(call.getParserPosition(), visited);
                }
                if (op == SqlLibraryOperators.DATE_TRUNC && call.operandCount() == 2) {
                    // PostgreSQL's DATE_TRUNC('unit', t), or BigQuery's DATE_TRUNC(t, unit) as the parser reads it.
                    SqlNode unit = call.operand(0);
                    SqlNode value = call.operand(1);
                    if (value instanceof SqlIntervalQualifier q) {
                        unit = SqlLiteral.createCharString(partName(q), q.getParserPosition());
                        value = call.operand(0);
                    }
                    SqlNode u = unit.accept(this);
                    SqlNode v = value.accept(this);
                    return PgFunctions.DATE_TRUNC.createCall(call.getParserPosition(), u, v);
                }
                if (call.getKind() == SqlKind.EXTRACT
                        && call.operand(0) instanceof SqlIntervalQualifier q
                        && q.timeFrameName != null) {
                    TimeUnit unit = timeUnit(DatePart.of(q.timeFrameName));
                    SqlNode arg = call.operand(1).accept(this);
                    return SqlStdOperatorTable.EXTRACT.createCall(
                            call.getParserPosition(), new SqlIntervalQualifier(unit, null, q.getParserPosition()), arg);
                }
                return super.visit(call);
            }
        });
        return out == null ? node : out;
    }

    private static String partName(SqlIntervalQualifier q) {
        if (q.timeFrameName != null) {
            return q.timeFrameName;
        }
        return q.timeUnitRange.startUnit.name().toLowerCase(Locale.ROOT);
    }

    private static TimeUnit timeUnit(DatePart p) {
        return switch (p) {
            case MILLENNIUM -> TimeUnit.MILLENNIUM;
            case CENTURY -> TimeUnit.CENTURY;
            case DECADE -> TimeUnit.DECADE;
            case YEAR -> TimeUnit.YEAR;
            case ISOYEAR -> TimeUnit.ISOYEAR;
            case QUARTER -> TimeUnit.QUARTER;
            case MONTH -> TimeUnit.MONTH;
            case WEEK -> TimeUnit.WEEK;
            case DAY -> TimeUnit.DAY;
            case DOW -> TimeUnit.DOW;
            case ISODOW -> TimeUnit.ISODOW;
            case DOY -> TimeUnit.DOY;
            case HOUR -> TimeUnit.HOUR;
            case MINUTE -> TimeUnit.MINUTE;
            case SECOND -> TimeUnit.SECOND;
            case MILLISECOND -> TimeUnit.MILLISECOND;
            case MICROSECOND -> TimeUnit.MICROSECOND;
            case EPOCH -> TimeUnit.EPOCH;
        };
    }

    private static StrongroomException unsupported(String what) {
        return new StrongroomException(ErrorCode.NOT_IMPLEMENTED, what + " is not supported yet");
    }
}
