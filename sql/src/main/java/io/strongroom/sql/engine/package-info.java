/**
 * The SQL engine over the encrypted store. Apache Calcite parses (Babel, PostgreSQL-flavoured), validates and
 * rewrites queries into a logical plan; our own operators execute that plan over the store's column batches.
 * Statements Calcite cannot parse (Redshift DDL, COPY, transactions, SET/SHOW) are read with {@code Tokens} and
 * {@code TableDdl} by the session's statement handlers ({@code StoreSession} picks one by the first word; cursors
 * and SQL PREPARE/EXECUTE are {@code Cursors} and {@code SqlPrepared}, the catalog views {@code CatalogViews} and
 * {@code PgCatalogTables}, with {@code ClientCatalog} for the driver catalog queries the planner refuses; binary
 * COPY is {@code CopyBinary}).
 *
 * <p>Being split by stage (issue 13) into {@code func}, {@code parse}, {@code catalog}, {@code plan}, {@code exec},
 * {@code copy} and {@code session}, one package per commit; what has not moved yet still shares package-private types
 * ({@code Batch}, {@code Vec}, {@code RowKey}, {@code SessionSettings}), which is why it may hold more than 30 files
 * until the split is done.
 */
@NullMarked
package io.strongroom.sql.engine;

import org.jspecify.annotations.NullMarked;
