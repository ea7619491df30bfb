/**
 * Running a logical plan with the engine's own vectorised operators: {@code Executor} turns each plan node into a
 * {@code Executor.Source} of {@code Batch}es of column vectors ({@code Vec}) read from the store; expressions over
 * batches ({@code VecExprs}, {@code VecKernels}), hash joins ({@code HashJoin}, {@code JoinTable}), hash aggregation
 * ({@code KeyTable}, {@code AggStates}; {@code GroupingSets} and {@code Accumulator} for the row-wise cases), sort
 * ({@code VecSort}), windows ({@code WindowOperator}), and the rows handed back ({@code ResultRows}, with the text
 * fast path of {@code VecText}). {@code Appends} holds what every append of rows to a table shares.
 *
 * <p>Invariants: an operator pulls batches one at a time and holds only what its algorithm needs (a join's build
 * side, an aggregation's groups, a sort's input); values leave a batch in the in-memory form of {@code
 * func.Types}; the vectorised and the row-wise evaluator agree on every expression (EvaluatorAgreementTest).
 * An operator is used by one thread; a query may run its scan pipelines on several threads, each with operators of
 * its own.
 *
 * <p>May depend on: {@code func} and {@code catalog} (a scan of a system view reads its rows). Never on the parser,
 * the planner or the session: a plan arrives as Calcite's logical operators, tables through {@code
 * Executor.Tables}.
 */
@NullMarked
package io.strongroom.sql.exec;

import org.jspecify.annotations.NullMarked;
