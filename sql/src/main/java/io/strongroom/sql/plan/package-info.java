/**
 * Calcite as the front end, from parsed text to a logical plan: validation against the tables a session sees
 * ({@code QueryPlanner}, with PostgreSQL's implicit coercions in {@code PgTypeCoercion} and its error messages in
 * {@code ValidationErrors}), constant folding with the engine's own evaluator ({@code ConstantFolder}), subquery
 * removal ({@code SubqueryJoins}), join ordering ({@code JoinOrder}), and a session's cache of recent plans
 * ({@code PlanCache}).
 *
 * <p>Invariants: planning reads table definitions and row counts through {@code QueryPlanner.Catalog} and never a
 * row of user data; a plan is a tree of Calcite logical operators the executor knows, and is reused only while
 * every table definition it was made against is unchanged. Stateless but for {@code PlanCache} (one per session).
 *
 * <p>May depend on: {@code parse}, {@code func} and {@code catalog}. Never on the executor or the session.
 */
@NullMarked
package io.strongroom.sql.plan;

import org.jspecify.annotations.NullMarked;
