package io.strongroom.sql.catalog;

import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.func.Expressions;
import io.strongroom.sql.func.PgTypes;
import io.strongroom.sql.func.Types;
import io.strongroom.sql.parse.Tokens;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.TableConstraint;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.jdbc.JavaTypeFactoryImpl;
import org.jspecify.annotations.Nullable;

/**
 * Answers the catalog queries that psql 15 ({@code \dt}, {@code \d table}, {@code \l}) and pgjdbc 42.7
 * ({@code DatabaseMetaData.getTables}, {@code getColumns}) send about {@code pg_catalog.pg_*}.
 *
 * <p>How this works: those queries use PostgreSQL constructs Calcite cannot parse or we do not run ({@code
 * OPERATOR(pg_catalog.~)}, {@code COLLATE pg_catalog.default}, {@code ::regclass}, {@code format_type}, {@code
 * pg_get_expr}, window functions, correlated catalog subqueries). Instead of implementing PostgreSQL's catalog,
 * a query whose FROM names a {@code pg_catalog.pg_*} relation is recognised by its main relation
 * ({@code pg_class}, {@code pg_attribute}, {@code pg_database}; any other, such as {@code pg_inherits} or
 * {@code pg_policy} footers, is empty), its filters are read from the text (regular-expression, LIKE,
 * equality on oid), and each select-list item is answered from the entity's fields, by alias first and then
 * by column name; literals answer themselves; anything else is NULL. Every column is text, which is what psql
 * reads and what pgjdbc converts from. Alternatives rejected: rewriting the constructs before Calcite (each
 * client query still needs a dozen catalog functions and tables that would exist only for it); a real
 * PostgreSQL catalog (out of proportion for a warehouse whose clients only browse tables and columns).
 *
 * <p>Since the catalog became real tables ({@link PgCatalogTables}), a catalog query goes to the planner first and
 * comes here only when the planner refuses it. What still comes here, and why: psql's {@code \\d} family ({@code
 * OPERATOR(pg_catalog.~)}, {@code COLLATE}, {@code pg_get_userbyid}, correlated {@code pg_get_expr} subqueries);
 * pgjdbc's and Redshift JDBC's {@code getTables} ({@code ~} regular expressions, {@code E'...'} strings, {@code
 * 'pg_class'::regclass} inside a LEFT JOIN), {@code getColumns} ({@code format_type}, window functions, {@code
 * pg_get_expr}) and {@code getPrimaryKeys} ({@code information_schema._pg_expandarray(i.indkey)}, a composite field
 * access, answered here from each table's PRIMARY KEY). SQLAlchemy's reflection no longer comes here: {@link
 * PgCatalogRewrite} makes its queries ones the planner runs.
 * Filters read here: regular expressions and LIKE on relname and nspname, equality with a literal ({@code relname =
 * 'x'}, {@code E'x'}), and the oid.
 *
 * <p>Stateless; thread-safe.
 */
public final class ClientCatalog {
    private ClientCatalog() {}

    /** OID of the first table; table OIDs are this plus the store's table id. */
    public static final long FIRST_TABLE_OID = 100_000;

    private static final Pattern FROM_PG = Pattern.compile("(?is)\\bfrom\\s+(?:pg_catalog\\.)?(pg_\\w+)");
    private static final Pattern EQUALS_FILTER =
            Pattern.compile("(?is)\\b(?:\\w+\\.)?(relname|nspname)\\s*=\\s*E?'((?:[^']|'')*)'");
    /**
     * pgjdbc's and Redshift JDBC's getPrimaryKeys: an outer select over a subquery expanding the key of the
     * primary key's index ({@code indisprimary}, older drivers) or constraint ({@code contype = 'p'}, pgjdbc 42.7).
     */
    private static final Pattern PRIMARY_KEYS = Pattern.compile(
            "(?is)\\bfrom\\s*\\(\\s*select\\b.*_pg_expandarray.*(?:\\bindisprimary\\b|\\bcontype\\s*=\\s*'p').*");

    private static final Pattern REGEX_FILTER =
            Pattern.compile("(?is)\\b(\\w+)\\.(relname|nspname)\\s+operator\\(pg_catalog\\.~\\)\\s+'((?:[^']|'')*)'");
    private static final Pattern OID_FILTER = Pattern.compile("(?is)\\b(?:c\\.oid|a\\.attrelid)\\s*=\\s*'?(\\d+)'?");
    private static final Pattern LIKE_PARAM =
            Pattern.compile("(?is)\\b(?:\\w+\\.)?(nspname|relname|attname)\\s+like\\s+(\\?|\\$\\d+)");
    /** {@code TABLE_SCHEM LIKE 'public'}: Redshift JDBC filters on its output names, as Redshift allows. */
    private static final Pattern LIKE_LITERAL = Pattern.compile(
            "(?is)\\b(?:\\w+\\.)?(nspname|relname|attname|table_schem|table_name|column_name)\\s+like\\s+E?'((?:[^']|'')*)'");

    private static final Pattern EQUALS_PARAM =
            Pattern.compile("(?is)\\b(?:\\w+\\.)?(nspname|relname|attname)\\s*=\\s*(\\?|\\$\\d+)");

    /**
     * A {@code name LIKE $n} (or {@code name = $n}, {@code exact}) filter: which name, and which parameter (its place
     * among the text's parameters).
     */
    record LikeFilter(String target, int parameter, boolean exact) {}

    /** A recognised catalog query: its result columns and how to compute its rows. */
    public record Query(
            String relation, List<String> names, List<String> items, List<LikeFilter> likeTargets, String sql) {
        public List<ResultColumn> columns() {
            List<ResultColumn> out = new ArrayList<>();
            for (String n : names) {
                out.add(ResultColumn.of(n, SqlType.TEXT));
            }
            return out;
        }
    }

    /** The catalog query {@code sql} is, or null when it is not one (it then goes to the planner). */
    public static @Nullable Query recognise(String sql) {
        SelectList select = selectList(sql);
        if (select == null) {
            return null;
        }
        // The main relation is the first one of the outermost FROM (subqueries in the select list name others).
        Matcher m = FROM_PG.matcher(select.rest());
        String relation;
        if (m.lookingAt()) {
            relation = m.group(1).toLowerCase(Locale.ROOT);
        } else if (PRIMARY_KEYS.matcher(select.rest()).lookingAt()) {
            relation = "primary_keys";
        } else {
            return null;
        }
        List<String> items = select.items();
        List<String> names = new ArrayList<>();
        for (String item : items) {
            names.add(outputName(item));
        }
        // Clients send $n (pgjdbc turns its ? into $n); the session binds parameters in the order they occur.
        List<Integer> parameterStarts = new ArrayList<>();
        for (Tokens.Token t : Tokens.tokenize(sql)) {
            if (t.kind() == Tokens.Kind.PARAM || t.isSymbol("?")) {
                parameterStarts.add(t.start());
            }
        }
        List<LikeFilter> like = new ArrayList<>();
        for (Pattern p : List.of(LIKE_PARAM, EQUALS_PARAM)) {
            Matcher l = p.matcher(sql);
            while (l.find()) {
                int at = parameterStarts.indexOf(l.start(2));
                int index = at >= 0 ? at : like.size();
                like.add(new LikeFilter(l.group(1).toLowerCase(Locale.ROOT), index, p == EQUALS_PARAM));
            }
        }
        return new Query(relation, names, items, like, sql);
    }

    /**
     * The rows of {@code q} over the session's tables; {@code params} are the statement's parameters in the order
     * they occur in its text (they bind the {@code LIKE $n} filters).
     */
    public static List<@Nullable Object[]> rows(
            Query q, SystemTables.Source source, String user, List<@Nullable Object> params) {
        Map<String, Pattern> filters = new HashMap<>();
        Matcher r = REGEX_FILTER.matcher(q.sql());
        while (r.find()) {
            filters.put(
                    r.group(2).toLowerCase(Locale.ROOT),
                    Pattern.compile(r.group(3).replace("''", "'")));
        }
        Matcher eq = EQUALS_FILTER.matcher(q.sql());
        while (eq.find()) {
            // dc.relname = 'pg_class' inside a LEFT JOIN ... ON (...) is about the joined row, not a filter.
            if (!insideJoinCondition(q.sql(), eq.start())) {
                filters.put(
                        eq.group(1).toLowerCase(Locale.ROOT),
                        Pattern.compile("^" + Pattern.quote(eq.group(2).replace("''", "'")) + "$"));
            }
        }
        Matcher like = LIKE_LITERAL.matcher(q.sql());
        while (like.find()) {
            String target = switch (like.group(1).toLowerCase(Locale.ROOT)) {
                case "table_schem" -> "nspname";
                case "table_name" -> "relname";
                case "column_name" -> "attname";
                default -> like.group(1).toLowerCase(Locale.ROOT);
            };
            filters.put(target, Expressions.likePattern(like.group(2).replace("''", "'"), '\\', true));
        }
        for (LikeFilter f : q.likeTargets()) {
            Object p = f.parameter() < params.size() ? params.get(f.parameter()) : null;
            if (p != null) {
                filters.put(
                        f.target(),
                        f.exact()
                                ? Pattern.compile("^" + Pattern.quote(p.toString()) + "$")
                                : Expressions.likePattern(p.toString(), '\\', true));
            }
        }
        Matcher o = OID_FILTER.matcher(q.sql());
        Long oid = o.find() ? Long.valueOf(o.group(1)) : null;
        boolean visibleOnly = q.sql().toLowerCase(Locale.ROOT).contains("pg_table_is_visible");

        List<Map<String, @Nullable String>> entities = new ArrayList<>();
        // pgjdbc's getColumns and Redshift JDBC's getTables start FROM pg_namespace and join their way to the
        // relations: a query that asks for
        // relations or columns is about them, whatever its first relation.
        String relation = q.relation();
        if (relation.equals("pg_namespace")
                && q.names().stream()
                        .anyMatch(n -> List.of("relname", "attname", "table_name", "column_name")
                                .contains(n.toLowerCase(Locale.ROOT)))) {
            relation = "pg_class";
        }
        switch (relation) {
            case "pg_namespace" -> {
                TreeSet<String> schemas = new TreeSet<>(List.of("pg_catalog", "information_schema", "public"));
                source.tables().forEach(t -> schemas.add(t.schema()));
                Map<String, Long> oids = PgCatalogTables.schemaOids(PgCatalogTables.relations(source));
                for (String schema : schemas) {
                    if (matches(filters.get("nspname"), schema)) {
                        Map<String, @Nullable String> ns = new HashMap<>();
                        ns.put("oid", String.valueOf(oids.get(schema.toLowerCase(Locale.ROOT))));
                        ns.put("nspname", schema);
                        ns.put("table_schem", schema);
                        ns.put("table_catalog", source.database());
                        ns.put("owner", user);
                        entities.add(ns);
                    }
                }
            }
            case "primary_keys" -> {
                for (PgCatalogTables.Rel rel : PgCatalogTables.relations(source)) {
                    TableSpec spec = rel.spec();
                    TableConstraint pk = spec.primaryKey();
                    if (pk == null
                            || !matches(filters.get("relname"), spec.name())
                            || !matches(filters.get("nspname"), spec.schema())) {
                        continue;
                    }
                    for (int i = 0; i < pk.columns().size(); i++) {
                        Map<String, @Nullable String> key = new HashMap<>();
                        key.put(
                                "table_cat",
                                q.sql().toLowerCase(Locale.ROOT).contains("current_database() as table_cat")
                                        ? source.database()
                                        : null);
                        key.put("table_schem", spec.schema());
                        key.put("table_name", spec.name());
                        key.put(
                                "column_name",
                                spec.columns()
                                        .get(spec.indexOf(pk.columns().get(i)))
                                        .name());
                        key.put("key_seq", Integer.toString(i + 1));
                        key.put("pk_name", pk.name());
                        entities.add(key);
                    }
                }
            }
            case "pg_class", "pg_attribute" -> {
                boolean attributes = q.relation().equals("pg_attribute")
                        || q.names().stream()
                                .anyMatch(n -> n.equalsIgnoreCase("attname") || n.equalsIgnoreCase("column_name"));
                List<TableSpec> tables = new ArrayList<>(source.tables());
                tables.sort(Comparator.comparing(TableSpec::schema).thenComparing(TableSpec::name));
                for (TableSpec spec : tables) {
                    TableReader reader = source.reader(spec);
                    long tableOid = FIRST_TABLE_OID + reader.tableId();
                    if ((oid != null && oid != tableOid)
                            || (visibleOnly && !spec.schema().equalsIgnoreCase("public"))
                            || !matches(filters.get("relname"), spec.name())
                            || !matches(filters.get("nspname"), spec.schema())) {
                        continue;
                    }
                    Map<String, @Nullable String> rel = relation(spec, tableOid, source.database(), user);
                    if (!attributes) {
                        entities.add(rel);
                        continue;
                    }
                    List<Column> cols = spec.columns();
                    for (int i = 0; i < cols.size(); i++) {
                        if (matches(filters.get("attname"), cols.get(i).name())) {
                            Map<String, @Nullable String> att = new HashMap<>(rel);
                            att.putAll(attribute(cols.get(i), i + 1));
                            entities.add(att);
                        }
                    }
                }
            }
            case "pg_database" -> {
                Map<String, @Nullable String> db = new HashMap<>();
                db.put("name", source.database());
                db.put("datname", source.database());
                db.put("table_cat", source.database());
                db.put("owner", user);
                db.put("encoding", "UTF8");
                db.put("collate", "C");
                db.put("ctype", "C");
                db.put("datcollate", "C");
                db.put("datctype", "C");
                db.put("locale provider", "libc");
                db.put("datallowconn", "t");
                entities.add(db);
            }
            default -> {
                // Indexes, constraints, inheritance, policies, publications...: Strongroom has none.
            }
        }
        List<@Nullable Object[]> out = new ArrayList<>();
        for (Map<String, @Nullable String> e : entities) {
            Object[] row = new Object[q.items().size()];
            for (int i = 0; i < row.length; i++) {
                row[i] = value(q.items().get(i), q.names().get(i), e);
            }
            out.add(row);
        }
        return out;
    }

    /** Whether {@code at} lies inside the parentheses of a JOIN's {@code ON (...)}. */
    private static boolean insideJoinCondition(String sql, int at) {
        String before = sql.substring(0, at).toLowerCase(Locale.ROOT);
        int on = Math.max(before.lastIndexOf(" on ("), before.lastIndexOf(" on("));
        if (on < 0) {
            return false;
        }
        int depth = 0;
        for (int i = before.indexOf('(', on); i >= 0 && i < before.length(); i++) {
            char c = before.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            }
        }
        return depth > 0;
    }

    private static boolean matches(@Nullable Pattern p, String s) {
        return p == null || p.matcher(s).find();
    }

    private static Map<String, @Nullable String> relation(TableSpec spec, long oid, String database, String user) {
        Map<String, @Nullable String> m = new HashMap<>();
        m.put("oid", Long.toString(oid));
        m.put("attrelid", Long.toString(oid));
        m.put("nspname", spec.schema());
        m.put("relname", spec.name());
        m.put("relkind", "r");
        m.put("relchecks", "0");
        for (String f : List.of(
                "relhasindex",
                "relhasrules",
                "relhastriggers",
                "relrowsecurity",
                "relforcerowsecurity",
                "relhasoids",
                "relispartition")) {
            m.put(f, "f");
        }
        m.put("reltablespace", "0");
        m.put("relpersistence", "p");
        m.put("relreplident", "d");
        m.put("amname", "heap");
        m.put("current_database", database);
        // psql \dt and pgjdbc getTables name their columns.
        m.put("schema", spec.schema());
        m.put("name", spec.name());
        m.put("type", "table");
        m.put("owner", user);
        m.put("table_cat", database);
        m.put("table_schem", spec.schema());
        m.put("table_name", spec.name());
        m.put("table_type", "TABLE");
        return m;
    }

    private static Map<String, @Nullable String> attribute(Column c, int position) {
        Map<String, @Nullable String> m = new HashMap<>();
        ColumnType t = c.type();
        SqlType wire = Types.toWire(Types.toCalcite(t, new JavaTypeFactoryImpl()));
        m.put("attname", c.name());
        m.put("column_name", c.name());
        m.put("typname", PgTypes.typeName(wire.oid()));
        m.put("atttypid", Integer.toString(wire.oid()));
        m.put("attlen", Integer.toString(wire.size()));
        m.put("atttypmod", Integer.toString(typmod(t)));
        m.put("attnum", Integer.toString(position));
        m.put("attnotnull", c.notNull() ? "t" : "f");
        m.put("attisdropped", "f");
        @Nullable Object dflt = c.defaultValue();
        m.put("atthasdef", dflt != null ? "t" : "f");
        // pg_get_expr(adbin, ...) of the default: psql's \d "Default" column, pgjdbc's COLUMN_DEF.
        m.put("adsrc", dflt != null ? defaultText(dflt, t) : null);
        m.put("attidentity", "");
        m.put("attgenerated", "");
        m.put("typtypmod", "-1");
        m.put("typbasetype", "0");
        m.put("typtype", "b");
        m.put("format_type", formatType(t));
        return m;
    }

    /** A DEFAULT as PostgreSQL's {@code pg_get_expr} prints it: {@code 7}, {@code 'x'::character varying}. */
    static String defaultText(Object v, ColumnType t) {
        return switch (t.kind()) {
            case BOOLEAN -> Boolean.TRUE.equals(v) ? "true" : "false";
            case SMALLINT, INTEGER, BIGINT, REAL, DOUBLE -> v.toString();
            case DECIMAL -> ((BigDecimal) v).toPlainString();
            case CHAR -> quoted(v.toString()) + "::bpchar";
            case VARCHAR -> quoted(v.toString()) + "::character varying";
            case DATE -> quoted(v.toString()) + "::date";
            case TIMESTAMP -> quoted(v.toString().replace('T', ' ')) + "::timestamp without time zone";
            case TIMESTAMPTZ -> quoted(v.toString().replace('T', ' ')) + "::timestamp with time zone";
        };
    }

    private static String quoted(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    private static int typmod(ColumnType t) {
        return switch (t.kind()) {
            case CHAR, VARCHAR -> t.length() + 4;
            case DECIMAL -> ((t.precision() << 16) | t.scale()) + 4;
            default -> -1;
        };
    }

    /** PostgreSQL's {@code format_type}: what psql's {@code \d} prints. */
    static String formatType(ColumnType t) {
        return switch (t.kind()) {
            case BOOLEAN -> "boolean";
            case SMALLINT -> "smallint";
            case INTEGER -> "integer";
            case BIGINT -> "bigint";
            case DECIMAL -> "numeric(" + t.precision() + "," + t.scale() + ")";
            case REAL -> "real";
            case DOUBLE -> "double precision";
            case CHAR -> "character(" + t.length() + ")";
            case VARCHAR -> "character varying(" + t.length() + ")";
            case DATE -> "date";
            case TIMESTAMP -> "timestamp without time zone";
            case TIMESTAMPTZ -> "timestamp with time zone";
        };
    }

    private static @Nullable String value(String item, String name, Map<String, @Nullable String> e) {
        String expr = stripAlias(item).trim();
        String lower = expr.toLowerCase(Locale.ROOT);
        // psql \d asks for a column's default with a correlated subquery on pg_attrdef.
        if (lower.replaceAll("\\s+", " ").startsWith("(select pg_catalog.pg_get_expr(d.adbin")) {
            return e.get("adsrc");
        }
        if (lower.startsWith("nullif(") || lower.startsWith("(select") || lower.equals("null")) {
            return null;
        }
        if (lower.startsWith("pg_catalog.format_type(")) {
            return e.get("format_type");
        }
        if (lower.startsWith("pg_catalog.pg_get_userbyid(")) {
            return e.get("owner");
        }
        String key = name.toLowerCase(Locale.ROOT);
        if (e.containsKey(key) && !name.equals("?column?")) {
            return e.get(key);
        }
        if (lower.equals("true") || lower.equals("false")) {
            return lower.substring(0, 1);
        }
        if (lower.startsWith("'") && lower.endsWith("'")) {
            return expr.substring(1, expr.length() - 1).replace("''", "'");
        }
        if (lower.matches("-?\\d+")) {
            return expr;
        }
        if (lower.equals("current_database()")) {
            return e.get("current_database");
        }
        Matcher col = Pattern.compile("(?:\\w+\\.)?(\\w+)").matcher(lower);
        if (col.matches()) {
            return e.get(col.group(1));
        }
        return null;
    }

    private static final Pattern ALIAS = Pattern.compile("(?is)^(.*?)\\s+as\\s+(\"(?:[^\"]|\"\")*\"|\\w+)\\s*$");

    private static String stripAlias(String item) {
        Matcher m = ALIAS.matcher(item.trim());
        return m.matches() ? m.group(1) : item;
    }

    /** The column name PostgreSQL gives a select item: its alias, its column name, a function's name, ?column?. */
    static String outputName(String item) {
        Matcher m = ALIAS.matcher(item.trim());
        if (m.matches()) {
            String a = m.group(2);
            return a.startsWith("\"")
                    ? a.substring(1, a.length() - 1).replace("\"\"", "\"")
                    : a.toLowerCase(Locale.ROOT);
        }
        String s = item.trim();
        Matcher col = Pattern.compile("(?:\\w+\\.)?(\\w+)").matcher(s);
        if (col.matches()) {
            return col.group(1).toLowerCase(Locale.ROOT);
        }
        Matcher fn =
                Pattern.compile("(?:\\w+\\.)?(\\w+)\\s*\\(.*", Pattern.DOTALL).matcher(s);
        if (fn.matches() && !s.startsWith("(")) {
            return fn.group(1).toLowerCase(Locale.ROOT);
        }
        if (s.regionMatches(true, 0, "case", 0, 4)) {
            return "case";
        }
        return "?column?";
    }

    /** A SELECT's top-level items and the text from its FROM on. */
    record SelectList(List<String> items, String rest) {}

    /** The top-level select list of the outermost SELECT, split at top-level commas; null if none. */
    static @Nullable SelectList selectList(String sql) {
        String s = sql.trim();
        int start = indexOfWord(s, "select", 0, true);
        if (start < 0) {
            return null;
        }
        // pgjdbc's getColumns wraps its query: SELECT * FROM (SELECT ...) c — answer the inner select list.
        if (s.substring(start + 6).trim().startsWith("*")) {
            int inner = indexOfWord(s, "select", start + 6, false);
            return inner < 0 ? null : selectList(s.substring(inner));
        }
        List<String> items = new ArrayList<>();
        int depth = 0;
        int from = start + 6;
        boolean quoted = false;
        boolean ident = false;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted) {
                quoted = c != '\'';
                continue;
            }
            if (ident) {
                ident = c != '"';
                continue;
            }
            switch (c) {
                case '\'' -> quoted = true;
                case '"' -> ident = true;
                case '(' -> depth++;
                case ')' -> depth--;
                case ',' -> {
                    if (depth == 0) {
                        items.add(s.substring(from, i).trim());
                        from = i + 1;
                    }
                }
                default -> {
                    if (depth == 0 && isWordAt(s, i, "from")) {
                        items.add(s.substring(from, i).trim());
                        return new SelectList(items, s.substring(i));
                    }
                }
            }
        }
        return null;
    }

    private static int indexOfWord(String s, String word, int from, boolean first) {
        for (int i = from; i <= s.length() - word.length(); i++) {
            if (isWordAt(s, i, word)) {
                return i;
            }
            if (first && !Character.isWhitespace(s.charAt(i))) {
                return -1;
            }
        }
        return -1;
    }

    private static boolean isWordAt(String s, int i, String word) {
        return s.regionMatches(true, i, word, 0, word.length())
                && (i == 0 || !Character.isLetterOrDigit(s.charAt(i - 1)) && s.charAt(i - 1) != '_')
                && (i + word.length() == s.length()
                        || !Character.isLetterOrDigit(s.charAt(i + word.length()))
                                && s.charAt(i + word.length()) != '_');
    }
}
