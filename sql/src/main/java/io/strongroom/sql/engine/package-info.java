/**
 * The SQL engine over the encrypted store. Apache Calcite parses (Babel, PostgreSQL-flavoured), validates and
 * rewrites queries into a logical plan; our own operators execute that plan over the store's column batches.
 * Statements Calcite cannot parse (Redshift DDL, COPY, transactions, SET/SHOW) go through {@link
 * io.strongroom.sql.engine.UtilityParser}.
 */
@NullMarked
package io.strongroom.sql.engine;

import org.jspecify.annotations.NullMarked;
