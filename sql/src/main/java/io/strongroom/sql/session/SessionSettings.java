package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.exec.QueryMemory;
import io.strongroom.sql.exec.ResultRows;
import io.strongroom.sql.parse.Tokens;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A session's run-time parameters and the SET, RESET and SHOW statements over them. Starts with the values a
 * PostgreSQL 8.0-compatible server reports (Redshift's), the client's application_name and the session user. Names
 * are matched without regard to case and kept in the spelling they were first given (DateStyle, TimeZone). Values
 * are recorded, shown and reported to the client; the engine reads work_mem (the memory an operator may hold
 * before it spills), nothing else.
 *
 * <p>Not thread-safe: one per session.
 */
final class SessionSettings {
    private final Map<String, String> settings = new LinkedHashMap<>();
    /** The values the session started with: what RESET and DISCARD ALL go back to. */
    private final Map<String, String> defaults;

    SessionSettings(SessionInfo info) {
        settings.put("server_version", "8.0.2");
        settings.put("server_encoding", "UTF8");
        settings.put("client_encoding", "UTF8");
        settings.put("DateStyle", "ISO, MDY");
        settings.put("TimeZone", "UTC");
        settings.put("integer_datetimes", "on");
        settings.put("standard_conforming_strings", "on");
        settings.put("IntervalStyle", "postgres");
        settings.put("is_superuser", "on");
        settings.put("session_authorization", info.user());
        settings.put("application_name", info.startupParameters().getOrDefault("application_name", ""));
        settings.put("search_path", "$user, public");
        settings.put("extra_float_digits", "1");
        // Every transaction reads one snapshot and commits or conflicts whole: snapshot isolation, which PostgreSQL
        // calls repeatable read (SHOW TRANSACTION ISOLATION LEVEL reads this).
        settings.put("transaction_isolation", "repeatable read");
        // What one operator of a query may hold before it spills to disk (read by every SELECT).
        settings.put("work_mem", QueryMemory.format(QueryMemory.defaultBytes()));
        defaults = Map.copyOf(settings);
    }

    /** work_mem in bytes: what one operator of a query may hold in memory before it spills. */
    long workMemBytes() {
        return QueryMemory.parse(settings.getOrDefault("work_mem", QueryMemory.format(QueryMemory.defaultBytes())));
    }

    /** The settings the client is told about with ParameterStatus, in a fixed order. */
    Map<String, String> reported() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : List.of(
                "server_version",
                "server_encoding",
                "client_encoding",
                "DateStyle",
                "TimeZone",
                "integer_datetimes",
                "standard_conforming_strings",
                "IntervalStyle",
                "is_superuser",
                "session_authorization",
                "application_name")) {
            out.put(k, settings.getOrDefault(k, ""));
        }
        return out;
    }

    /**
     * Applies SET or RESET and returns the command tag. SET TRANSACTION and SET SESSION CHARACTERISTICS are accepted
     * and ignored: the store has one isolation level, snapshot isolation.
     */
    String set(Tokens t) {
        if (t.accept("reset")) {
            if (t.accept("all")) {
                settings.clear();
                settings.putAll(defaults);
                return "RESET";
            }
            String key = canonical(t.identifier());
            String initial = defaults.get(key);
            if (initial != null) {
                settings.put(key, initial); // back to the session's start value, as PostgreSQL's RESET
            } else {
                settings.remove(key);
            }
            return "RESET";
        }
        t.expect("set");
        if (!t.accept("session")) {
            t.accept("local");
        }
        if (t.accept("transaction") || t.accept("characteristics")) {
            return "SET";
        }
        String name = t.identifier();
        if (name.equals("time") && t.accept("zone")) {
            name = "timezone";
        } else if (!t.acceptSymbol("=") && !t.accept("to")) {
            throw t.syntax("expected TO or =");
        }
        StringBuilder value = new StringBuilder();
        boolean toDefault = false;
        while (!t.atEnd()) {
            Tokens.Token v = t.next();
            toDefault = value.isEmpty()
                    && t.atEnd()
                    && v.kind() != Tokens.Kind.STRING
                    && v.text().equalsIgnoreCase("default");
            if (!value.isEmpty() && !v.isSymbol(",")) {
                value.append(v.kind() == Tokens.Kind.SYMBOL ? "" : " ");
            }
            value.append(v.text());
        }
        String key = canonical(name);
        if (toDefault) {
            // SET name TO DEFAULT is RESET name, as in PostgreSQL.
            String initial = defaults.get(key);
            if (initial != null) {
                settings.put(key, initial);
            } else {
                settings.remove(key);
            }
            return "SET";
        }
        if (key.equals("work_mem")) {
            QueryMemory.parse(value.toString()); // refuses a value SELECT could not use
        }
        settings.put(key, value.toString());
        return "SET";
    }

    private String canonical(String name) {
        for (String k : settings.keySet()) {
            if (k.equalsIgnoreCase(name)) {
                return k;
            }
        }
        return name.equals("timezone") ? "TimeZone" : name.equals("datestyle") ? "DateStyle" : name;
    }

    /** SHOW name or SHOW ALL, read when the statement runs so that a later SET shows. */
    SessionStatement show(String sql, Tokens t) {
        t.expect("show");
        String word = t.atEnd() ? "" : t.identifier();
        // SHOW TRANSACTION ISOLATION LEVEL is PostgreSQL's other spelling of SHOW transaction_isolation.
        String name = word.equalsIgnoreCase("transaction") && !t.atEnd() ? "transaction_isolation" : word;
        String key = canonical(name);
        List<ResultColumn> cols = List.of(ResultColumn.of(name, SqlType.TEXT));
        return new SessionStatement(
                sql,
                List.of(),
                cols,
                false,
                p -> {
                    if (name.equals("all")) {
                        List<@Nullable Object[]> rows = new ArrayList<>();
                        settings.forEach((k, v) -> rows.add(new Object[] {k + " = " + v}));
                        return ResultRows.of(cols, rows.iterator(), null);
                    }
                    String v = settings.get(key);
                    if (v == null) {
                        throw new StrongroomException(
                                ErrorCode.NOT_FOUND, "unrecognized configuration parameter \"" + name + "\"");
                    }
                    List<@Nullable Object[]> one = new ArrayList<>();
                    one.add(new Object[] {v});
                    return ResultRows.of(cols, one.iterator(), null);
                },
                false);
    }
}
