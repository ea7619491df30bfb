package io.strongroom.sql.catalog;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.PgTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL catalog constructs the planner cannot run, rewritten on the query's text into ones it can, before
 * parsing ({@link #rewrite}). Each rewrite keeps every {@code ?} parameter in place and in order, so the
 * parameters a client binds still line up. A construct that cannot be rewritten is left as it is: the planner
 * then refuses it, and a driver catalog query falls back to {@link ClientCatalog}. Stateless.
 */
public final class PgCatalogRewrite {
    private PgCatalogRewrite() {}

    /** Anything beyond {@code ::} and the patterns below that a rewrite here looks for. */
    private static final Pattern PG_FUNCTIONS =
            Pattern.compile("(?i)\\b(?:regclass|pg_get_constraintdef|pg_get_indexdef|unnest|generate_subscripts)\\b");

    private static final Pattern REG_CAST =
            Pattern.compile("(?i)'((?:[^']|'')*)'\\s*::\\s*(?:pg_catalog\\.)?(regclass|regtype)\\b");
    private static final Pattern PARAM_CAST =
            Pattern.compile("(?i)\\?\\s*::\\s*([a-z_][a-z0-9_]*(?:\\s*\\(\\s*\\d+\\s*(?:,\\s*\\d+\\s*)?\\))?)");
    private static final Pattern ANY_ARRAY = Pattern.compile("(?i)=\\s*any\\s*\\(\\s*array\\s*\\[");
    private static final Pattern VISIBLE = Pattern.compile("(?i)\\b(?:pg_catalog\\.)?pg_table_is_visible\\s*\\(");

    /** The catalog's own relations {@code 'pg_class'::regclass} may name, with PostgreSQL's OIDs. */
    static final Map<String, Long> CATALOG_RELATIONS = Map.of(
            "pg_class", PgCatalogTables.PG_CLASS_OID,
            "pg_type", 1247L,
            "pg_attribute", 1249L,
            "pg_namespace", 2615L,
            "pg_constraint", 2606L,
            "pg_index", 2610L,
            "pg_attrdef", 2604L,
            "pg_description", 2609L);

    /**
     * The query with what the planner cannot evaluate itself replaced by what it means, before parsing: a literal
     * cast to {@code regclass} becomes the relation's OID (error 42P01 when there is none, as PostgreSQL), a literal
     * cast to {@code regtype} the type's OID (42704); {@code ?::type} becomes {@code CAST(? AS type)}; {@code
     * pg_table_is_visible(oid)} a test that the relation lives in {@code public} or {@code pg_catalog}, the search
     * path; any other cast to {@code regclass} and the functions {@code pg_get_constraintdef} and {@code
     * pg_get_indexdef} scalar subqueries over {@link PgCatalogSupport}'s relations; {@code unnest} and {@code
     * generate_subscripts} of {@code pg_index}'s key arrays in a select list a join with {@code
     * strongroom_index_keys} ({@link #indexKeySets}); {@code = ANY (ARRAY[...])} becomes {@code IN (...)}.
     */
    public static String rewrite(String sql, SystemTables.Source source) {
        if (sql.indexOf("::") < 0
                && !VISIBLE.matcher(sql).find()
                && !ANY_ARRAY.matcher(sql).find()
                && !PG_FUNCTIONS.matcher(sql).find()) {
            return sql;
        }
        Matcher m = REG_CAST.matcher(sql);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String literal = m.group(1).replace("''", "'");
            long oid = m.group(2).equalsIgnoreCase("regclass") ? regclassOf(source, literal) : regtypeOf(literal);
            m.appendReplacement(out, Long.toString(oid));
        }
        m.appendTail(out);
        // ?::type as CAST(? AS type): the parser's :: node takes literals and columns but not parameters, which
        // psycopg and SQLAlchemy send this way ($1::VARCHAR).
        Matcher p = PARAM_CAST.matcher(out.toString());
        StringBuilder casts = new StringBuilder();
        while (p.find()) {
            p.appendReplacement(casts, Matcher.quoteReplacement("CAST(? AS " + p.group(1) + ")"));
        }
        p.appendTail(casts);
        String s = casts.toString();
        Matcher v = VISIBLE.matcher(s);
        while (v.find()) {
            int open = v.end() - 1;
            int close = closing(s, open);
            if (close < 0) {
                break;
            }
            String arg = s.substring(open + 1, close);
            String test = "((" + arg + ") IN (SELECT pg_vis_c.oid FROM pg_catalog.pg_class AS pg_vis_c WHERE"
                    + " pg_vis_c.relnamespace IN (" + PgCatalogTables.PUBLIC_OID + ", " + PgCatalogTables.PG_CATALOG_OID
                    + ")))";
            s = s.substring(0, v.start()) + test + s.substring(close + 1);
            v = VISIBLE.matcher(s);
        }
        s = regclassCasts(s);
        s = catalogFunctions(s);
        s = indexKeySets(s);
        return anyArrayAsIn(s);
    }

    /** {@code x = ANY (ARRAY[a, b])} as {@code x IN (a, b)}, which it means (the planner has no arrays of $n). */
    private static String anyArrayAsIn(String sql) {
        String s = sql;
        Matcher m = ANY_ARRAY.matcher(s);
        while (m.find()) {
            int close = s.indexOf(']', m.end());
            int paren = close < 0 ? -1 : s.indexOf(')', close);
            if (paren < 0 || !s.substring(close + 1, paren).isBlank()) {
                break;
            }
            s = s.substring(0, m.start()) + "IN (" + s.substring(m.end(), close) + ")" + s.substring(paren + 1);
            m = ANY_ARRAY.matcher(s);
        }
        return s;
    }

    private static int closing(String s, int open) {
        int depth = 0;
        boolean quoted = false;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && c == '(') {
                depth++;
            } else if (!quoted && c == ')' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static long regclassOf(SystemTables.Source source, String literal) {
        List<String> parts = new ArrayList<>();
        for (String p : literal.split("\\.", -1)) {
            String t = p.trim();
            parts.add(
                    t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")
                            ? t.substring(1, t.length() - 1)
                            : t.toLowerCase(Locale.ROOT));
        }
        Long oid = null;
        if (parts.size() == 1) {
            oid = PgCatalogTables.regclass(source, "public", parts.get(0));
            if (oid == null) {
                oid = CATALOG_RELATIONS.get(parts.get(0));
            }
        } else if (parts.size() == 2) {
            oid = parts.get(0).equals("pg_catalog")
                    ? CATALOG_RELATIONS.get(parts.get(1))
                    : PgCatalogTables.regclass(source, parts.get(0), parts.get(1));
        }
        if (oid == null) {
            throw new StrongroomException(ErrorCode.NOT_FOUND, "relation \"" + literal + "\" does not exist");
        }
        return oid;
    }

    private static long regtypeOf(String literal) {
        Long oid = PgTypes.regtype(literal);
        if (oid == null) {
            throw new StrongroomException(ErrorCode.UNDEFINED_OBJECT, "type \"" + literal + "\" does not exist");
        }
        return oid;
    }

    private static final Pattern CAST_OPEN = Pattern.compile("(?i)\\bcast\\s*\\(");
    private static final Pattern AS_REGCLASS = Pattern.compile("(?is)^(.*)\\s+as\\s+(?:pg_catalog\\.)?regclass\\s*$");

    /**
     * {@code CAST(x AS REGCLASS)} of anything but a literal (a parameter, a column) as the OID its name has in
     * {@code strongroom_regclass}: NULL, not an error, for a name that names nothing.
     */
    static String regclassCasts(String sql) {
        String s = sql;
        int from = 0;
        while (true) {
            Matcher m = CAST_OPEN.matcher(s);
            if (!m.find(from)) {
                return s;
            }
            int open = m.end() - 1;
            int close = closing(s, open);
            if (close < 0) {
                return s;
            }
            Matcher as = AS_REGCLASS.matcher(s.substring(open + 1, close));
            if (!as.matches()) {
                from = open + 1;
                continue;
            }
            String subquery = "(SELECT strongroom_rc.oid FROM pg_catalog.strongroom_regclass AS strongroom_rc"
                    + " WHERE strongroom_rc.name = CAST(" + as.group(1) + " AS VARCHAR))";
            s = s.substring(0, m.start()) + subquery + s.substring(close + 1);
            from = 0;
        }
    }

    private static final Pattern CATALOG_FUNCTION =
            Pattern.compile("(?i)\\b(?:pg_catalog\\s*\\.\\s*)?(pg_get_constraintdef|pg_get_indexdef)\\s*\\(");

    /**
     * {@code pg_get_constraintdef(oid [, pretty])} and {@code pg_get_indexdef(oid [, column, pretty])} as scalar
     * subqueries; a {@code pretty} argument is kept, evaluated and ignored (our definitions have one form).
     */
    static String catalogFunctions(String sql) {
        String s = sql;
        while (true) {
            Matcher m = CATALOG_FUNCTION.matcher(s);
            if (!m.find()) {
                return s;
            }
            int open = m.end() - 1;
            int close = closing(s, open);
            if (close < 0) {
                return s;
            }
            List<String> args = arguments(s.substring(open + 1, close));
            boolean constraint = m.group(1).equalsIgnoreCase("pg_get_constraintdef");
            int max = constraint ? 2 : 3;
            if (args.isEmpty() || args.size() > max || (!constraint && args.size() == 2)) {
                throw new StrongroomException(
                        ErrorCode.UNDEFINED_FUNCTION,
                        "function " + m.group(1).toLowerCase(Locale.ROOT) + " with " + args.size()
                                + " arguments does not exist; it takes (oid"
                                + (constraint ? " [, pretty])" : " [, column, pretty])"));
            }
            String pretty =
                    args.size() == max ? " AND (CAST(" + args.get(max - 1) + " AS BOOLEAN) IS NULL OR TRUE)" : "";
            String subquery = constraint
                    ? "(SELECT strongroom_cd.def FROM pg_catalog.strongroom_constraintdef AS strongroom_cd WHERE"
                            + " strongroom_cd.oid = (" + args.get(0) + ")" + pretty + ")"
                    : "(SELECT strongroom_id.def FROM pg_catalog.strongroom_indexdef AS strongroom_id WHERE"
                            + " strongroom_id.indexrelid = (" + args.get(0) + ") AND strongroom_id.colno = "
                            + (args.size() == 1 ? "0" : "(" + args.get(1) + ")") + pretty + ")";
            s = s.substring(0, m.start()) + subquery + s.substring(close + 1);
        }
    }

    private static final Pattern SET_FUNCTION = Pattern.compile("(?i)\\b(unnest|generate_subscripts)\\s*\\(");
    private static final Pattern KEY_ARRAY =
            Pattern.compile("(?is)^\\s*(.+?)\\s*\\.\\s*(indkey|indclass|indoption)\\s*$");
    private static final Pattern CLAUSE_END =
            Pattern.compile("(?i)\\b(?:where|group|having|order|limit|offset|union|intersect|except|window)\\b");

    /**
     * {@code unnest(q.indkey)}, {@code unnest(q.indclass)}, {@code unnest(q.indoption)} and {@code
     * generate_subscripts(q.indkey, 1)} in a select list over {@code pg_index} {@code q}, as PostgreSQL runs them
     * (one row per key column, the arrays side by side): the select's FROM clause joins {@code
     * strongroom_index_keys} on {@code q.indexrelid}, and each call becomes that relation's column. Other set
     * functions in a select list are refused: the engine has no arrays to unnest.
     */
    static String indexKeySets(String sql) {
        String s = sql;
        int n = 0;
        while (true) {
            Matcher m = SET_FUNCTION.matcher(s);
            if (!m.find()) {
                return s;
            }
            String alias = "strongroom_ik" + n++;
            int open = m.end() - 1;
            int close = closing(s, open);
            List<String> args = close < 0 ? List.of() : arguments(s.substring(open + 1, close));
            Matcher key = args.isEmpty() ? null : KEY_ARRAY.matcher(args.get(0));
            if (key == null || !key.matches()) {
                throw setFunction(m.group(1));
            }
            String qualifier = key.group(1);
            // The FROM clause of the select this call is in: the next FROM at the call's depth, to the end of it.
            int fromAt = keywordAtDepth(s, close + 1, "from");
            if (fromAt < 0) {
                throw setFunction(m.group(1));
            }
            int end = clauseEnd(s, fromAt + 4);
            String join = " JOIN pg_catalog.strongroom_index_keys AS " + alias + " ON " + alias + ".indexrelid = "
                    + qualifier + ".indexrelid ";
            String selectPart = replaceCalls(s.substring(0, fromAt), qualifier, alias, m.start());
            s = selectPart + s.substring(fromAt, end) + join + s.substring(end);
        }
    }

    /** The calls over {@code qualifier}'s key arrays from {@code start} on, as columns of {@code alias}. */
    private static String replaceCalls(String select, String qualifier, String alias, int start) {
        StringBuilder out = new StringBuilder(select.substring(0, start));
        String s = select.substring(start);
        Matcher m = SET_FUNCTION.matcher(s);
        int at = 0;
        while (m.find(at)) {
            int open = m.end() - 1;
            int close = closing(s, open);
            List<String> args = close < 0 ? List.of() : arguments(s.substring(open + 1, close));
            Matcher key = args.isEmpty() ? null : KEY_ARRAY.matcher(args.get(0));
            if (key == null || !key.matches() || !key.group(1).equals(qualifier)) {
                throw setFunction(m.group(1));
            }
            String column = key.group(2).toLowerCase(Locale.ROOT);
            String replacement;
            if (m.group(1).equalsIgnoreCase("unnest") && args.size() == 1) {
                replacement = alias + "."
                        + switch (column) {
                            case "indkey" -> "attnum";
                            case "indclass" -> "opclass";
                            default -> "option";
                        };
            } else if (m.group(1).equalsIgnoreCase("generate_subscripts") && args.size() == 2) {
                // Only the first dimension exists; PostgreSQL gives no subscripts for any other.
                replacement = "(CASE WHEN (" + args.get(1) + ") = 1 THEN " + alias + ".ord END)";
            } else {
                throw setFunction(m.group(1));
            }
            out.append(s, at, m.start()).append(replacement);
            at = close + 1;
        }
        return out.append(s.substring(at)).toString();
    }

    private static StrongroomException setFunction(String name) {
        return new StrongroomException(
                ErrorCode.NOT_IMPLEMENTED,
                name.toLowerCase(Locale.ROOT) + "() in a select list is supported only over pg_index's indkey,"
                        + " indclass and indoption; the engine has no other arrays to expand");
    }

    /** The first {@code word} at nesting depth 0 from {@code from} on (outside quotes), or -1. */
    private static int keywordAtDepth(String s, int from, String word) {
        int at = scanAtDepth(s, from, i -> isWordAt(s, i, word));
        return at < s.length() && s.charAt(at) != ')' ? at : -1;
    }

    /** Where the clause starting at {@code from} ends: the next clause keyword at its depth, or its closing. */
    private static int clauseEnd(String s, int from) {
        return scanAtDepth(s, from, i -> {
            if (!Character.isLetter(s.charAt(i)) || (i > 0 && isWordChar(s.charAt(i - 1)))) {
                return false;
            }
            Matcher m = CLAUSE_END.matcher(s);
            return m.find(i) && m.start() == i;
        });
    }

    /**
     * The first position from {@code from} on, outside quotes, that is at nesting depth 0 and {@code matches}, or
     * the closing parenthesis of the enclosing nesting, or the text's end.
     */
    private static int scanAtDepth(String s, int from, IntPredicate matches) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipQuoted(s, i);
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                if (--depth < 0) {
                    return i;
                }
            } else if (depth == 0 && matches.test(i)) {
                return i;
            }
        }
        return s.length();
    }

    private static boolean isWordAt(String s, int i, String word) {
        return s.regionMatches(true, i, word, 0, word.length())
                && (i == 0 || !isWordChar(s.charAt(i - 1)))
                && (i + word.length() >= s.length() || !isWordChar(s.charAt(i + word.length())));
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    private static int skipQuoted(String s, int open) {
        char q = s.charAt(open);
        int i = open + 1;
        while (i < s.length()) {
            if (s.charAt(i) == q) {
                if (i + 1 < s.length() && s.charAt(i + 1) == q) {
                    i += 2;
                    continue;
                }
                return i;
            }
            i++;
        }
        return s.length() - 1;
    }

    /** The top-level, comma-separated arguments of a call's text between its parentheses. */
    private static List<String> arguments(String inside) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < inside.length(); i++) {
            char c = inside.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipQuoted(inside, i);
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(inside.substring(start, i).trim());
                start = i + 1;
            }
        }
        String last = inside.substring(start).trim();
        if (!last.isEmpty() || !out.isEmpty()) {
            out.add(last);
        }
        return out;
    }
}
