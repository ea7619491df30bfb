/**
 * Values and scalar functions, the bottom of the engine: the one in-memory form values take while a statement runs
 * and its mapping to storage, Calcite and the wire ({@code Types}); the row-wise evaluator that compiles Calcite row
 * expressions into closures over rows ({@code Expressions}); the one table of the functions' implementations
 * ({@code FunctionRegistry}, with the bodies by subject in {@code StringFunctions}, {@code DateTimeFunctions},
 * {@code MathFunctions} and {@code SystemFunctions});
 * the Redshift and PostgreSQL functions' declarations for the validator ({@code PgFunctions}); date parts ({@code
 * DatePart}); PostgreSQL's text forms and template patterns ({@code PgFormat}) and its built-in types' OIDs ({@code
 * PgTypes}).
 *
 * <p>Invariants: every value here is in the in-memory form of {@code Types} (exact integers as {@code Long},
 * DECIMAL as {@code BigDecimal}, dates as {@code LocalDate}...), so the executor, the planner's constant folder
 * and the session's statements compute the same value for the same expression. Everything here is stateless or
 * immutable and safe to share between sessions.
 *
 * <p>May depend on: nothing else in the engine (the root {@code io.strongroom.sql} package, storage's data model,
 * Calcite). Everything else in the engine may depend on it.
 */
@NullMarked
package io.strongroom.sql.func;

import org.jspecify.annotations.NullMarked;
