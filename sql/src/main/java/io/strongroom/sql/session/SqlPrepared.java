package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.parse.Tokens;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * SQL-level prepared statements: {@code PREPARE name [(type, ...)] AS statement} and {@code EXECUTE name [(value,
 * ...)]}, as PostgreSQL and Redshift have them beside the protocol's Parse/Bind. {@code DEALLOCATE name} drops one
 * made here (else the wire layer looks among the protocol's named statements, which share the namespace in
 * PostgreSQL); {@code DEALLOCATE ALL} and {@code DISCARD ALL} drop both kinds.
 *
 * <p>How this works. PREPARE parses and plans the statement once, with the declared parameter types. EXECUTE
 * evaluates its argument expressions in one {@code SELECT CAST((arg) AS type), ...} (so literals, expressions and
 * casts behave as in any query, and each value arrives as its parameter's type), then runs the prepared statement
 * with them. Statements outlive transactions and end with the session.
 *
 * <p>Not thread-safe: it belongs to one session.
 */
final class SqlPrepared {
    /** Prepares a statement's text with declared parameter types (the session's own prepare). */
    @FunctionalInterface
    interface Preparer {
        SessionStatement prepare(String sql, List<SqlType> declared);
    }

    private final Map<String, SessionStatement> statements = new HashMap<>();
    private final Preparer preparer;

    SqlPrepared(Preparer preparer) {
        this.preparer = preparer;
    }

    SessionStatement prepare(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("prepare");
        String name = t.identifier().toLowerCase(Locale.ROOT);
        List<SqlType> types = new ArrayList<>();
        if (t.acceptSymbol("(")) {
            do {
                types.add(type(t));
            } while (t.acceptSymbol(","));
            t.expectSymbol(")");
        }
        t.expect("as");
        String body = t.rest();
        return SessionStatement.utility(sql, () -> {
            if (statements.containsKey(name)) {
                throw new StrongroomException(
                        ErrorCode.DUPLICATE_PREPARED_STATEMENT,
                        "prepared statement \"" + name + "\" already exists; DEALLOCATE it first");
            }
            statements.put(name, preparer.prepare(body, types));
            return "PREPARE";
        });
    }

    /** EXECUTE name [(args)]: {@code evaluate} runs the SELECT that computes the arguments. */
    SessionStatement execute(String sql, Preparer evaluate) {
        Tokens t = new Tokens(sql);
        t.expect("execute");
        String name = t.identifier().toLowerCase(Locale.ROOT);
        List<String> args = new ArrayList<>();
        if (t.acceptSymbol("(")) {
            args = arguments(t.rest());
        } else if (!t.atEnd()) {
            throw t.syntax("EXECUTE name [(value, ...)]");
        }
        List<String> arguments = args;
        SessionStatement described = statements.get(name);
        return new SessionStatement(
                sql,
                List.of(),
                described == null ? List.of() : described.columns(),
                false,
                p -> {
                    SessionStatement s = statement(name);
                    List<SqlType> types = s.parameterTypes();
                    if (arguments.size() != types.size()) {
                        throw new StrongroomException(
                                ErrorCode.SYNTAX_ERROR,
                                "wrong number of parameters for prepared statement \"" + name + "\": expected "
                                        + types.size() + ", got " + arguments.size());
                    }
                    return s.runner().run(values(arguments, types, evaluate));
                },
                false);
    }

    /** The comma-separated expressions of {@code text} (what follows EXECUTE name's "("), up to its ")". */
    private static List<String> arguments(String text) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (Tokens.Token tok : Tokens.tokenize(text)) {
            if (tok.isSymbol("(")) {
                depth++;
            } else if (tok.isSymbol(")")) {
                if (depth == 0) {
                    out.add(text.substring(start, tok.start()).strip());
                    if (!text.substring(tok.end()).isBlank()) {
                        throw new StrongroomException(
                                ErrorCode.SYNTAX_ERROR, "syntax error after EXECUTE's argument list");
                    }
                    if (out.size() == 1 && out.get(0).isEmpty()) {
                        out.clear();
                    }
                    return out;
                }
                depth--;
            } else if (tok.isSymbol(",") && depth == 0) {
                out.add(text.substring(start, tok.start()).strip());
                start = tok.end();
            }
        }
        throw new StrongroomException(ErrorCode.SYNTAX_ERROR, "EXECUTE's argument list has no closing parenthesis");
    }

    /** DEALLOCATE name: true when it was one of these (dropped now). */
    boolean deallocate(String name) {
        return statements.remove(name.toLowerCase(Locale.ROOT)) != null;
    }

    void clear() {
        statements.clear();
    }

    private SessionStatement statement(String name) {
        SessionStatement s = statements.get(name);
        if (s == null) {
            throw new StrongroomException(
                    ErrorCode.INVALID_SQL_STATEMENT_NAME, "prepared statement \"" + name + "\" does not exist");
        }
        return s;
    }

    private static List<@Nullable Object> values(List<String> args, List<SqlType> types, Preparer evaluate) {
        if (args.isEmpty()) {
            return List.of();
        }
        StringBuilder select = new StringBuilder("SELECT ");
        for (int i = 0; i < args.size(); i++) {
            String cast = castName(types.get(i));
            select.append(i == 0 ? "" : ", ")
                    .append(
                            cast == null
                                    ? "CAST((" + args.get(i) + ") AS VARCHAR)"
                                    : "CAST((" + args.get(i) + ") AS " + cast + ")");
        }
        Result r = evaluate.prepare(select.toString(), List.of()).runner().run(List.of());
        if (!(r instanceof Result.Rows rows)) {
            throw new StrongroomException(ErrorCode.INTERNAL, "the arguments of EXECUTE gave no row");
        }
        try (rows) {
            List<@Nullable Object> out = new ArrayList<>();
            @Nullable Object[] row = rows.next();
            for (int i = 0; i < args.size(); i++) {
                out.add(row[i]);
            }
            return out;
        }
    }

    /** The type a parameter's argument is cast to; null for an untyped parameter (its text is passed). */
    private static @Nullable String castName(SqlType type) {
        return switch (type) {
            case BOOL -> "BOOLEAN";
            case INT2 -> "SMALLINT";
            case INT4, OID -> "INTEGER";
            case INT8 -> "BIGINT";
            case NUMERIC -> "DECIMAL(38, 10)";
            case FLOAT4 -> "REAL";
            case FLOAT8 -> "DOUBLE PRECISION";
            case BPCHAR, VARCHAR, TEXT, NAME, UNKNOWN, BOOL_ARRAY, INT2_ARRAY, INT4_ARRAY, INT8_ARRAY, TEXT_ARRAY ->
                null;
            case DATE -> "DATE";
            case TIMESTAMP -> "TIMESTAMP";
            case TIMESTAMPTZ -> "TIMESTAMPTZ";
        };
    }

    /** A parameter type as PREPARE names it. */
    private static SqlType type(Tokens t) {
        String w = t.identifier().toLowerCase(Locale.ROOT);
        SqlType type = switch (w) {
            case "bool", "boolean" -> SqlType.BOOL;
            case "smallint", "int2" -> SqlType.INT2;
            case "int", "integer", "int4" -> SqlType.INT4;
            case "bigint", "int8" -> SqlType.INT8;
            case "numeric", "decimal" -> SqlType.NUMERIC;
            case "real", "float4" -> SqlType.FLOAT4;
            case "float", "float8" -> SqlType.FLOAT8;
            case "double" -> {
                t.expect("precision");
                yield SqlType.FLOAT8;
            }
            case "text" -> SqlType.TEXT;
            case "varchar" -> SqlType.VARCHAR;
            case "character" -> {
                yield t.accept("varying") ? SqlType.VARCHAR : SqlType.BPCHAR;
            }
            case "char", "bpchar" -> SqlType.BPCHAR;
            case "date" -> SqlType.DATE;
            case "timestamp" -> SqlType.TIMESTAMP;
            case "timestamptz" -> SqlType.TIMESTAMPTZ;
            default ->
                throw new StrongroomException(
                        ErrorCode.UNDEFINED_OBJECT, "type \"" + w + "\" does not exist (in PREPARE's parameter list)");
        };
        if (t.acceptSymbol("(")) { // a length or precision: not needed for a parameter
            while (!t.acceptSymbol(")")) {
                t.next();
            }
        }
        return type;
    }
}
