package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.catalog.ClientCatalog;
import io.strongroom.sql.exec.Executor;
import io.strongroom.sql.exec.ResultRows;
import io.strongroom.sql.parse.RewrittenSql;
import io.strongroom.sql.parse.Tokens;
import io.strongroom.sql.plan.PlanCache;
import io.strongroom.sql.plan.QueryPlanner;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The statements that return rows: queries planned by {@link QueryPlanner} (through the session's {@link
 * PlanCache}) and run by {@link Executor}, EXPLAIN, and the pg_catalog queries of psql and pgjdbc that {@link
 * ClientCatalog} answers. A query is planned when prepared, to describe its parameters and columns, and planned
 * again (usually from the cache) when it runs; its rows stream from a view that stays open until they are read.
 *
 * <p>Not thread-safe: one per session, used by the session's thread only.
 */
final class QueryStatements {
    private final TransactionBlock block;
    private final Cancellation cancel;
    private final SessionInfo info;
    private final PlanCache plans = new PlanCache();
    private final LongSupplier workMem;

    QueryStatements(TransactionBlock block, Cancellation cancel, SessionInfo info, LongSupplier workMem) {
        this.block = block;
        this.cancel = cancel;
        this.info = info;
        this.workMem = workMem;
    }

    /** A psql or pgjdbc query about pg_catalog, answered by {@link ClientCatalog}. */
    SessionStatement catalogQuery(String sql, ClientCatalog.Query q) {
        RewrittenSql rw = RewrittenSql.of(sql);
        List<SqlType> paramTypes = new ArrayList<>();
        for (int i = 0; i < rw.parameterCount(); i++) {
            paramTypes.add(SqlType.TEXT);
        }
        List<ResultColumn> columns = q.columns();
        return new SessionStatement(
                sql,
                paramTypes,
                columns,
                false,
                params -> {
                    try (TransactionBlock.View v = block.view()) {
                        return ResultRows.of(
                                columns,
                                ClientCatalog.rows(q, v, info.user(), rw.bind(params))
                                        .iterator(),
                                null);
                    }
                },
                false);
    }

    SessionStatement query(String sql, List<SqlType> declared) {
        RewrittenSql rw = RewrittenSql.of(sql);
        QueryPlanner.Plan described;
        try (TransactionBlock.View v = block.view()) {
            described = plans.plan(rw.sql(), v);
        }
        List<SqlType> paramTypes = parameterTypes(rw, described.parameterTypes(), declared);
        return new SessionStatement(
                sql,
                paramTypes,
                described.columns(),
                false,
                params -> runQuery(rw, params, described.columns()),
                false);
    }

    /**
     * Each $n's type: as the client declared it, else as the planner inferred it at the first use of $n it could
     * type, else UNKNOWN.
     */
    private static List<SqlType> parameterTypes(RewrittenSql rw, List<SqlType> inferred, List<SqlType> declared) {
        List<SqlType> out = new ArrayList<>();
        for (int n = 0; n < rw.parameterCount(); n++) {
            SqlType t = n < declared.size() && declared.get(n) != SqlType.UNKNOWN ? declared.get(n) : SqlType.UNKNOWN;
            for (int i = 0; i < rw.order().length && t == SqlType.UNKNOWN; i++) {
                if (rw.order()[i] == n && i < inferred.size()) {
                    t = inferred.get(i);
                }
            }
            out.add(t);
        }
        return out;
    }

    private Result runQuery(RewrittenSql rw, List<@Nullable Object> params, List<ResultColumn> described) {
        TransactionBlock.View v = block.view();
        try {
            QueryPlanner.Plan plan = plans.plan(rw.sql(), v);
            if (!sameShape(described, plan.columns())) {
                // The client was told other columns when it prepared the statement (an ALTER TABLE came between):
                // refuse, as PostgreSQL does, rather than send rows its RowDescription does not describe.
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED,
                        "cached plan must not change result type (a table changed since the statement was prepared;"
                                + " prepare it again)");
            }
            Executor.Source batches = new Executor(
                            v, block.context(rw.bind(params)), cancel::isRequested, workMem.getAsLong())
                    .batches(plan.rel());
            // The view stays open while the rows stream; the rows close it when they end.
            return ResultRows.ofBatches(plan.columns(), batches, v);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    private static boolean sameShape(List<ResultColumn> a, List<ResultColumn> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).name().equals(b.get(i).name())
                    || a.get(i).type() != b.get(i).type()) {
                return false;
            }
        }
        return true;
    }

    SessionStatement explain(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("explain");
        String inner = t.rest();
        RewrittenSql rw = RewrittenSql.of(inner);
        List<ResultColumn> cols = List.of(ResultColumn.of("QUERY PLAN", SqlType.TEXT));
        return new SessionStatement(
                sql,
                List.of(),
                cols,
                false,
                params -> {
                    try (TransactionBlock.View v = block.view()) {
                        String text = QueryPlanner.explain(
                                QueryPlanner.plan(rw.sql(), v).rel());
                        List<@Nullable Object[]> lines = new ArrayList<>();
                        for (String line : text.split("\n")) {
                            lines.add(new Object[] {line});
                        }
                        return ResultRows.of(cols, lines.iterator(), null);
                    }
                },
                false);
    }
}
