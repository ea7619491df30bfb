/**
 * The catalog as clients read it, computed from the tables a session sees when a query is planned: Redshift's
 * system views ({@code SystemTables}: {@code svv_table_info}, {@code stv_blocklist}...; {@code CatalogViews}: {@code
 * svv_tables}, {@code svv_columns}...), PostgreSQL's {@code pg_catalog} ({@code PgCatalogTables}, {@code
 * PgCatalogSupport}), the catalog constructs the planner cannot run rewritten on the query's text ({@code
 * PgCatalogRewrite}), and direct answers to the catalog queries of psql and pgjdbc the planner refuses ({@code
 * ClientCatalog}).
 *
 * <p>Invariants: a view's rows are a snapshot taken when the query is planned, from the session's view of the
 * store; nothing here writes. Stateless: every table is computed per query.
 *
 * <p>May depend on: {@code func} (values, LIKE patterns) and {@code parse} (tokens). Never on the planner, the
 * executor or the session; they reach the catalog through {@code SystemTables.Source}.
 */
@NullMarked
package io.strongroom.sql.catalog;

import org.jspecify.annotations.NullMarked;
