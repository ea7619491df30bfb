package io.strongroom.sql.session;

import io.strongroom.sql.PreparedStatement;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SqlType;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A statement prepared by a {@link StoreSession}: what Describe answers, and the {@link Runner} that executes it
 * with the parameter values of a Bind. Parsing and checking happen when the statement is made; the runner looks
 * tables up again when it runs, since DDL may come between.
 *
 * <p>{@code transactionControl} marks BEGIN, COMMIT and ROLLBACK, whose runner only names the command: the
 * session applies them itself, and they are the statements still accepted in a failed transaction block.
 *
 * <p>Immutable; the runner belongs to the session that made it and runs on that session's thread.
 */
record SessionStatement(
        String sql,
        List<SqlType> parameterTypes,
        List<ResultColumn> columns,
        boolean isCopy,
        Runner runner,
        boolean transactionControl)
        implements PreparedStatement {

    /** How a statement runs, given its parameter values. */
    @FunctionalInterface
    interface Runner {
        Result run(List<@Nullable Object> params);
    }

    /** An empty statement: it does nothing and reports an empty command tag. */
    static SessionStatement empty(String sql) {
        return new SessionStatement(sql, List.of(), List.of(), false, p -> new Result.Command(""), false);
    }

    /** BEGIN, COMMIT or ROLLBACK ({@code tag}), applied by the session. */
    static SessionStatement control(String sql, String tag) {
        return new SessionStatement(sql, List.of(), List.of(), false, p -> new Result.Command(tag), true);
    }

    /** A statement without parameters or result rows, whose {@code action} does the work and returns its tag. */
    static SessionStatement utility(String sql, Supplier<String> action) {
        return new SessionStatement(sql, List.of(), List.of(), false, p -> new Result.Command(action.get()), false);
    }
}
