package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.RowText;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.parse.Tokens;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;

/**
 * Server-side cursors, as PostgreSQL and Redshift have them: {@code DECLARE name [BINARY] [INSENSITIVE] [NO SCROLL]
 * CURSOR [WITHOUT HOLD] FOR query}, {@code FETCH [FORWARD] [n | ALL | NEXT] [FROM | IN] name}, {@code MOVE ...} and
 * {@code CLOSE name | ALL}. BI tools read large results this way, a batch at a time.
 *
 * <p>How this works. DECLARE prepares its query with it (the query's {@code $n} parameters are the DECLARE's, bound
 * like any statement's), runs it at once and keeps its rows as they stream from the executor (nothing is
 * materialised), so a FETCH reads the next rows of the same snapshot, however long after. A cursor lives until
 * CLOSE or the end of its transaction block (PostgreSQL's WITHOUT HOLD); DECLARE outside a block is refused, as
 * PostgreSQL does. A FETCH's rows are a view over the cursor: the wire layer closing them (a portal done) does not
 * close the cursor.
 *
 * <p>Not supported, and refused with a message that says so: WITH HOLD (a cursor outliving its block), SCROLL and
 * backward or absolute moves.
 *
 * <p>Not thread-safe: it belongs to one session.
 */
final class Cursors {
    /** One open cursor: its rows, and how many it has returned. */
    private static final class Cursor {
        final Result.Rows rows;
        long position;

        Cursor(Result.Rows rows) {
            this.rows = rows;
        }
    }

    private final Map<String, Cursor> open = new LinkedHashMap<>();

    /** Prepares a query's SQL with the parameter types the client declared ({@code QueryStatements}). */
    @FunctionalInterface
    interface QueryPreparer {
        SessionStatement prepare(String querySql, List<SqlType> declared);
    }

    /**
     * DECLARE: prepares the query with the statement, so its parameters are the DECLARE's ({@code $1} bound in the
     * extended protocol, as psycopg's named cursors send them); runs it at execution and keeps its rows under {@code
     * name}.
     */
    SessionStatement declare(String sql, boolean inBlock, List<SqlType> declared, QueryPreparer preparer) {
        Tokens t = new Tokens(sql);
        t.expect("declare");
        String name = t.identifier().toLowerCase(Locale.ROOT);
        while (!t.atEnd() && !t.peekIs("cursor")) {
            String w = t.next().lower();
            switch (w) {
                case "binary", "insensitive", "asensitive" -> {}
                case "no" -> t.expect("scroll");
                case "scroll" -> throw notSupported("SCROLL cursors are not supported: cursors here are forward-only");
                default -> throw t.syntax("DECLARE name [BINARY] [INSENSITIVE] [NO SCROLL] CURSOR FOR query");
            }
        }
        t.expect("cursor");
        if (t.accept("with")) {
            t.expect("hold");
            throw notSupported("WITH HOLD cursors are not supported: a cursor ends with its transaction block here;"
                    + " fetch inside the block");
        }
        if (t.accept("without")) {
            t.expect("hold");
        }
        t.expect("for");
        String query = t.rest();
        if (!inBlock) {
            throw new StrongroomException(
                    ErrorCode.NO_ACTIVE_TRANSACTION,
                    "DECLARE CURSOR can only be used in transaction blocks; BEGIN first");
        }
        SessionStatement inner = preparer.prepare(query, declared);
        if (inner.columns().isEmpty() || inner.isCopy()) {
            throw new StrongroomException(
                    ErrorCode.SYNTAX_ERROR, "DECLARE ... CURSOR FOR needs a query that returns rows");
        }
        return new SessionStatement(
                sql,
                inner.parameterTypes(),
                List.of(),
                false,
                params -> {
                    if (open.containsKey(name)) {
                        throw new StrongroomException(
                                ErrorCode.DUPLICATE_CURSOR, "cursor \"" + name + "\" already exists; CLOSE it first");
                    }
                    if (!(inner.runner().run(params) instanceof Result.Rows rows)) {
                        throw new StrongroomException(
                                ErrorCode.SYNTAX_ERROR, "DECLARE ... CURSOR FOR needs a query that returns rows");
                    }
                    open.put(name, new Cursor(rows));
                    return new Result.Command("DECLARE CURSOR");
                },
                false);
    }

    /** FETCH or MOVE: the next rows of the cursor (MOVE skips them and says how many). */
    SessionStatement fetchOrMove(String sql) {
        Tokens t = new Tokens(sql);
        boolean move = t.accept("move");
        if (!move) {
            t.expect("fetch");
        }
        long count = 1;
        if (t.accept("forward")) {
            count = countOrAll(t);
        } else if (t.accept("next")) {
            count = 1;
        } else if (t.accept("all")) {
            count = Long.MAX_VALUE;
        } else if (!t.atEnd() && t.peek().kind() == Tokens.Kind.NUMBER) {
            count = t.integer();
        } else if (t.peekIs("backward")
                || t.peekIs("prior")
                || t.peekIs("first")
                || t.peekIs("last")
                || t.peekIs("absolute")
                || t.peekIs("relative")) {
            throw notSupported(t.peek().lower().toUpperCase(Locale.ROOT)
                    + " is not supported: cursors here are forward-only (FETCH [FORWARD] [n | ALL | NEXT])");
        }
        if (!t.accept("from")) {
            t.accept("in");
        }
        String name = t.identifier().toLowerCase(Locale.ROOT);
        if (!t.atEnd()) {
            throw t.syntax((move ? "MOVE" : "FETCH") + " [FORWARD] [n | ALL | NEXT] [FROM | IN] name");
        }
        long n = count;
        if (move) {
            return SessionStatement.utility(sql, () -> {
                Cursor c = cursor(name);
                long skipped = 0;
                while (skipped < n && c.rows.hasNext()) {
                    c.rows.next();
                    skipped++;
                }
                c.position += skipped;
                return "MOVE " + skipped;
            });
        }
        Cursor described = open.get(name);
        List<ResultColumn> columns = described == null ? List.of() : described.rows.columns();
        return new SessionStatement(sql, List.of(), columns, false, p -> view(cursor(name), n), false);
    }

    private static long countOrAll(Tokens t) {
        if (t.accept("all")) {
            return Long.MAX_VALUE;
        }
        if (!t.atEnd() && t.peek().kind() == Tokens.Kind.NUMBER) {
            return t.integer();
        }
        return 1;
    }

    /** CLOSE name | ALL. */
    SessionStatement close(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("close");
        String name = t.identifier().toLowerCase(Locale.ROOT);
        if (!t.atEnd()) {
            throw t.syntax("CLOSE {name | ALL}");
        }
        return SessionStatement.utility(sql, () -> {
            if (name.equals("all")) {
                closeAll();
            } else {
                cursor(name).rows.close();
                open.remove(name);
            }
            return "CLOSE CURSOR";
        });
    }

    /** The columns of the open cursor {@code name} (named as DECLARE names it, case folded), or null. */
    @Nullable
    List<ResultColumn> columns(String name) {
        Cursor c = open.get(name.toLowerCase(Locale.ROOT));
        return c == null ? null : c.rows.columns();
    }

    /** Closes every cursor: the end of a transaction block. */
    void closeAll() {
        List<Cursor> all = new ArrayList<>(open.values());
        open.clear();
        for (Cursor c : all) {
            c.rows.close();
        }
    }

    private Cursor cursor(String name) {
        Cursor c = open.get(name);
        if (c == null) {
            throw new StrongroomException(ErrorCode.INVALID_CURSOR_NAME, "cursor \"" + name + "\" does not exist");
        }
        return c;
    }

    /** At most {@code n} next rows of {@code c}; closing the view leaves the cursor open. */
    private static Result.Rows view(Cursor c, long n) {
        return new Result.Rows() {
            private long taken;

            @Override
            public List<ResultColumn> columns() {
                return c.rows.columns();
            }

            @Override
            public String tag(long rowsSent) {
                return "FETCH " + rowsSent;
            }

            @Override
            public boolean hasNext() {
                return taken < n && c.rows.hasNext();
            }

            @Override
            public @Nullable Object[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                taken++;
                c.position++;
                return c.rows.next();
            }

            @Override
            public boolean nextText(RowText out) {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                if (!c.rows.nextText(out)) {
                    return false;
                }
                taken++;
                c.position++;
                return true;
            }

            @Override
            public void close() {
                // The cursor stays open for the next FETCH.
            }
        };
    }

    private static StrongroomException notSupported(String message) {
        return new StrongroomException(ErrorCode.NOT_IMPLEMENTED, message);
    }
}
