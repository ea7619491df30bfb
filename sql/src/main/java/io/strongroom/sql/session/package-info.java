/**
 * A SQL session over a cluster's store, the engine's implementation of {@code io.strongroom.sql.SqlSession}:
 * {@code StoreSqlEngine} makes sessions; {@code StoreSession} picks a statement handler by the statement's first word
 * ({@code QueryStatements}, {@code DmlStatements}, {@code DdlStatements}, {@code CopyStatements}, {@code
 * SessionSettings} for SET/SHOW, {@code Cursors}, {@code SqlPrepared} for PREPARE/EXECUTE); each handler returns a
 * prepared {@code SessionStatement}. {@code TransactionBlock} is the session's transaction state and how statements
 * read and write under it; {@code Cancellation} its cancel request.
 *
 * <p>Invariants: a session is used by one thread at a time (its connection's), except {@code cancel()}; outside a
 * transaction block every statement reads a fresh snapshot and writes in a store transaction of its own, committed
 * at its end; inside one, every statement reads and writes through the block's transaction, and an error marks the
 * block failed so that its COMMIT rolls back, as PostgreSQL does.
 *
 * <p>May depend on: every other engine package. Nothing in the engine depends on it; {@code pgwire}, {@code server}
 * and {@code bench} reach it through {@code StoreSqlEngine} only.
 */
@NullMarked
package io.strongroom.sql.session;

import org.jspecify.annotations.NullMarked;
