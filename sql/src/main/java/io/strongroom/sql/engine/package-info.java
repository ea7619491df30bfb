/**
 * The SQL engine over the encrypted store. Apache Calcite parses (Babel, PostgreSQL-flavoured), validates and
 * rewrites queries into a logical plan; our own operators execute that plan over the store's column batches.
 * Statements Calcite cannot parse (Redshift DDL, COPY, transactions, SET/SHOW) are read with {@code Tokens} and
 * {@code TableDdl} by the session's statement handlers ({@code StoreSession} picks one by the first word; cursors
 * and SQL PREPARE/EXECUTE are {@code Cursors} and {@code SqlPrepared}, the catalog views {@code CatalogViews} and
 * {@code PgCatalogTables}, with {@code ClientCatalog} for the driver catalog queries the planner refuses; binary
 * COPY is {@code CopyBinary}).
 *
 * <p>Why one package of more than 30 files (57): the planner, the vectorised operators ({@code Vec*}, {@code HashJoin},
 * {@code WindowOperator}) and the statement handlers share package-private types ({@code Batch}, {@code Vec},
 * {@code RowKey}, {@code SessionSettings}) that are not meant as public API. The split into a planner, an execution
 * and a session package needs those types given a public face first; issue 13 plans it.
 */
@NullMarked
package io.strongroom.sql.engine;

import org.jspecify.annotations.NullMarked;
