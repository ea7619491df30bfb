package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.PreparedStatement;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.catalog.ClientCatalog;
import io.strongroom.sql.exec.Executor;
import io.strongroom.sql.parse.RewrittenSql;
import io.strongroom.sql.parse.StatementParser;
import io.strongroom.sql.parse.Tokens;
import io.strongroom.storage.Store;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A SQL session over a cluster's store.
 *
 * <p>How this works. Outside a transaction block every statement runs alone: reads on a fresh snapshot,
 * writes in their own store transaction committed at the end (autocommit). BEGIN opens one store transaction
 * that every later statement reads and writes through (it sees its own writes) until COMMIT or ROLLBACK; an
 * error inside it marks the block failed, as PostgreSQL does. That state lives in {@link TransactionBlock}. This
 * class prepares a statement by its first word, handing it to the class for its kind ({@link QueryStatements},
 * {@link DmlStatements}, {@link DdlStatements}, {@link CopyStatements}, {@link SessionSettings}), and executes
 * the resulting {@link SessionStatement}, failing the open block when it throws. Queries go through {@link
 * QueryPlanner} and {@link Executor}; Redshift DDL, COPY, SET/SHOW and transaction control are parsed with
 * {@link Tokens}. {@code $n} parameters are rewritten to Calcite's {@code ?} ({@link RewrittenSql}).
 *
 * <p>Not thread-safe, except {@link #cancel()}.
 */
final class StoreSession implements SqlSession {
    private final SessionSettings settings;
    private final TransactionBlock block;
    private final Cancellation cancel = new Cancellation();
    private final QueryStatements queries;
    private final DmlStatements dml;
    private final DdlStatements ddl;
    private final CopyStatements copy;
    private final Cursors cursors = new Cursors();
    private final SqlPrepared prepared = new SqlPrepared(this::prepareStatement);

    StoreSession(Store store, SessionInfo info, InstantSource clock) {
        this.settings = new SessionSettings(info);
        this.block = new TransactionBlock(store, info, clock);
        this.queries = new QueryStatements(block, cancel, info, settings::workMemBytes);
        this.dml = new DmlStatements(block, cancel);
        this.ddl = new DdlStatements(block, cancel);
        this.copy = new CopyStatements(block, cancel);
    }

    @Override
    public List<String> split(String sqlText) {
        return Tokens.split(sqlText);
    }

    @Override
    public Map<String, String> reportedSettings() {
        return settings.reported();
    }

    @Override
    public TransactionState transactionState() {
        return block.state();
    }

    @Override
    public @Nullable List<ResultColumn> cursorColumns(String name) {
        return cursors.columns(name);
    }

    @Override
    public void cancel() {
        cancel.request();
    }

    @Override
    public void close() {
        cursors.closeAll();
        block.close();
    }

    // ---- statements ----

    @Override
    public PreparedStatement prepare(String sql, List<SqlType> declared) {
        try {
            SessionStatement p = prepareStatement(sql, declared);
            if (block.isFailed() && !p.transactionControl()) {
                throw inFailedTransaction();
            }
            return p;
        } catch (RuntimeException e) {
            block.failIfOpen();
            throw e;
        } catch (StackOverflowError e) {
            block.failIfOpen(); // as any failure: a block never commits half a statement
            throw StatementParser.tooComplex();
        }
    }

    /**
     * DEALLOCATE [PREPARE] {name | ALL}: a statement SQL's PREPARE made is dropped here; otherwise (and for ALL, too)
     * by the wire layer, which holds the protocol's prepared statements.
     */
    private SessionStatement deallocate(String sql, Tokens t) {
        t.expect("deallocate");
        t.accept("prepare");
        String name = t.identifier();
        if (!t.atEnd()) {
            throw new StrongroomException(ErrorCode.SYNTAX_ERROR, "syntax error: DEALLOCATE [PREPARE] {name | ALL}");
        }
        boolean all = name.equalsIgnoreCase("all");
        Result r = new Result.Deallocate(all ? null : name, false, all ? "DEALLOCATE ALL" : "DEALLOCATE");
        return new SessionStatement(
                sql,
                List.of(),
                List.of(),
                false,
                p -> {
                    if (all) {
                        prepared.clear();
                        return r;
                    }
                    return prepared.deallocate(name) ? new Result.Command("DEALLOCATE") : r;
                },
                false);
    }

    /**
     * DISCARD {ALL | PLANS | SEQUENCES | TEMP | TEMPORARY}: ALL resets every setting and drops the prepared statements
     * and portals (not inside a transaction block, as PostgreSQL); the others have nothing to discard here.
     */
    private SessionStatement discard(String sql, Tokens t) {
        t.expect("discard");
        String what = t.identifier().toLowerCase(Locale.ROOT);
        if (!t.atEnd()
                || !List.of("all", "plans", "sequences", "temp", "temporary").contains(what)) {
            throw new StrongroomException(
                    ErrorCode.SYNTAX_ERROR, "syntax error: DISCARD {ALL | PLANS | SEQUENCES | TEMP}");
        }
        if (!what.equals("all")) {
            return SessionStatement.utility(
                    sql, () -> "DISCARD " + (what.equals("temporary") ? "TEMP" : what.toUpperCase(Locale.ROOT)));
        }
        return new SessionStatement(
                sql,
                List.of(),
                List.of(),
                false,
                p -> {
                    if (block.isOpen()) {
                        throw new StrongroomException(
                                ErrorCode.INVALID_STATE, "DISCARD ALL cannot run inside a transaction block");
                    }
                    settings.set(new Tokens("RESET ALL"));
                    cursors.closeAll();
                    prepared.clear();
                    return new Result.Deallocate(null, true, "DISCARD ALL");
                },
                false);
    }

    /** Redshift has no savepoints either; a client that uses them (psycopg's nested transactions) learns it here. */
    private static StrongroomException savepointsNotSupported(String statement) {
        return new StrongroomException(
                ErrorCode.NOT_IMPLEMENTED,
                statement + " is not supported: transactions here have no savepoints, as in Redshift; COMMIT or"
                        + " ROLLBACK the whole transaction");
    }

    private static StrongroomException inFailedTransaction() {
        return new StrongroomException(
                ErrorCode.IN_FAILED_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block");
    }

    private SessionStatement prepareStatement(String sql, List<SqlType> declared) {
        Tokens t = new Tokens(sql);
        if (t.atEnd()) {
            return SessionStatement.empty(sql);
        }
        String first = t.peek().lower();
        return switch (first) {
            case "begin", "start" -> SessionStatement.control(sql, "BEGIN");
            case "commit", "end" -> SessionStatement.control(sql, "COMMIT");
            case "rollback", "abort" -> {
                // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] x must not end the whole transaction.
                t.next();
                if (!t.accept("work")) {
                    t.accept("transaction");
                }
                if (t.peekIs("to")) {
                    throw savepointsNotSupported("ROLLBACK TO SAVEPOINT");
                }
                yield SessionStatement.control(sql, "ROLLBACK");
            }
            case "savepoint" -> throw savepointsNotSupported("SAVEPOINT");
            case "release" -> throw savepointsNotSupported("RELEASE SAVEPOINT");
            case "set", "reset" -> SessionStatement.utility(sql, () -> settings.set(new Tokens(sql)));
            case "show" -> settings.show(sql, t);
            case "create" -> ddl.create(sql);
            case "drop" -> ddl.drop(sql);
            case "truncate" -> ddl.truncate(sql);
            case "alter" -> ddl.alter(sql);
            case "insert" -> dml.insert(sql, declared);
            case "delete" -> dml.delete(sql);
            case "update" -> dml.update(sql);
            case "copy" -> copy.copy(sql);
            case "explain" -> queries.explain(sql);
            case "analyze", "vacuum" -> SessionStatement.utility(sql, () -> first.toUpperCase(Locale.ROOT));
            case "deallocate" -> deallocate(sql, t);
            case "declare" -> cursors.declare(sql, block.isOpen(), declared, this::query);
            case "fetch", "move" -> cursors.fetchOrMove(sql);
            case "close" -> cursors.close(sql);
            case "prepare" -> prepared.prepare(sql);
            case "execute" -> prepared.execute(sql, this::query);
            case "discard" -> discard(sql, t);
            default -> query(sql, declared);
        };
    }

    private SessionStatement query(String sql, List<SqlType> declared) {
        // The engine answers catalog queries it can plan over the pg_catalog tables (PgCatalogTables); the driver
        // queries it cannot parse or plan (PostgreSQL-only operators and functions) fall back to ClientCatalog.
        ClientCatalog.Query catalogQuery = ClientCatalog.recognise(sql);
        if (catalogQuery == null) {
            return queries.query(sql, declared);
        }
        try {
            return queries.query(sql, declared);
        } catch (StrongroomException e) {
            if (e.code() == ErrorCode.QUERY_CANCELED) {
                throw e;
            }
            return queries.catalogQuery(sql, catalogQuery);
        }
    }

    @Override
    public Result execute(PreparedStatement statement, List<@Nullable Object> parameters) {
        SessionStatement s = (SessionStatement) statement;
        cancel.reset();
        if (s.transactionControl()) {
            return transactionControl(((Result.Command) s.runner().run(parameters)).tag());
        }
        if (block.isFailed()) {
            throw inFailedTransaction();
        }
        try {
            return s.runner().run(parameters);
        } catch (RuntimeException e) {
            block.failIfOpen();
            throw e;
        } catch (StackOverflowError e) {
            block.failIfOpen(); // as any failure: a block never commits half a statement
            throw StatementParser.tooComplex();
        }
    }

    private Result transactionControl(String tag) {
        return switch (tag) {
            case "BEGIN" -> {
                block.begin();
                yield new Result.Command("BEGIN");
            }
            case "COMMIT" -> {
                cursors.closeAll();
                yield new Result.Command(block.commit());
            }
            default -> {
                cursors.closeAll();
                block.rollback();
                yield new Result.Command("ROLLBACK");
            }
        };
    }
}
