/**
 * The SQL engine over the encrypted store. Apache Calcite parses (Babel, PostgreSQL-flavoured), validates and
 * rewrites queries into a logical plan; our own operators execute that plan over the store's column batches.
 * Statements Calcite cannot parse (Redshift DDL, COPY, transactions, SET/SHOW) are read with {@code Tokens} and
 * {@code TableDdl} by the session's statement handlers ({@code StoreSession} picks one by the first word).
 */
@NullMarked
package io.strongroom.sql.engine;

import org.jspecify.annotations.NullMarked;
