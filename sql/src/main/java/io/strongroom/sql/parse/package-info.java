/**
 * Statement text to syntax trees, before anything looks at tables: the small tokenizer for what Calcite's grammar
 * lacks ({@code Tokens}: Redshift DDL, COPY, transactions, SET/SHOW, script splitting), PostgreSQL's {@code $n}
 * parameters rewritten to {@code ?} ({@code RewrittenSql}), Redshift spellings made into ones Calcite's Babel parser
 * takes ({@code RedshiftSyntax}), the guarded parse itself ({@code StatementParser}: select list width and nesting
 * depth refused before any planning), and CREATE/ALTER TABLE with Redshift's table attributes ({@code TableDdl}).
 *
 * <p>Invariants: parsing reads text only, never a session, a transaction or the store, so a statement fails here
 * the same way whatever the tables are; every rewrite keeps each {@code ?} parameter in place and in order.
 * Stateless.
 *
 * <p>May depend on: {@code func} only (Redshift's date functions are rewritten into the engine's own function
 * declarations on the parsed tree, and default values are read into the in-memory form). Never on the catalog, the
 * planner, the executor or the session.
 */
@NullMarked
package io.strongroom.sql.parse;

import org.jspecify.annotations.NullMarked;
