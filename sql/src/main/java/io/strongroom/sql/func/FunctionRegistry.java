package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Expressions.Expr;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.SqlKind;
import org.jspecify.annotations.Nullable;

/**
 * The one table of the scalar functions the engine evaluates, by name: for each, the factory that turns a call's
 * compiled arguments into a row-wise {@link Expr}. {@link Expressions} compiles every call it does not handle as an
 * operator (AND, comparisons, arithmetic, CAST, CASE...) through here, and the vectorised evaluator in {@code exec}
 * reaches the same code through {@link Expressions}, so both evaluators run one implementation per function. The
 * entries are registered by subject in {@link StringFunctions}, {@link DateTimeFunctions}, {@link MathFunctions} and
 * {@link SystemFunctions}.
 *
 * <p>The operators the vectorised evaluator runs as loops over whole batches are listed here too, by kind: {@link
 * #vectorKernel} names the {@link VectorKernel} for an operator, and {@code exec.VecExprs} implements each kernel
 * (this package cannot see {@code exec}: the registry defines the keys, the executor the loops). An operator
 * without a kernel is evaluated by the vectorised evaluator row by row through its row-wise implementation.
 *
 * <p>Invariants:
 *
 * <ul>
 *   <li>A name (upper case, as Calcite spells the operator) has exactly one entry; registering a name twice fails
 *       when the class loads, so two implementations of one function cannot coexist.
 *   <li>Every function {@link PgFunctions} declares for the validator has an entry, and every entry is declared by
 *       {@link PgFunctions} or by Calcite's standard operator table ({@code FunctionRegistryTest}), so a function the
 *       validator accepts cannot fail at execution for want of a body.
 *   <li>Entries are stateless and compile to thread-safe evaluators; the table is built once and never changes.
 *   <li>NULL in, NULL out, unless the entry says otherwise (CONCAT, CONCAT_WS, NVL, NVL2).
 *   <li>A vector kernel gives, for every row, the value the row-wise implementation gives (or falls back to it for
 *       the batch); {@code EvaluatorAgreementTest} checks this on random expressions and data.
 *   <li>An operator {@link #neverFails} only if no input can make its row-wise implementation throw (integer
 *       overflow and casts are judged by the caller, from the types); the vectorised evaluator relies on it to
 *       evaluate the branches of AND, OR, CASE and COALESCE eagerly.
 * </ul>
 */
public final class FunctionRegistry {
    private FunctionRegistry() {}

    /** A call being compiled: the function's name (upper case), result type, compiled arguments and operands. */
    public record Call(
            String name, RelDataType type, List<Expr> args, List<RexNode> operands, Expressions.Context ctx) {
        /** The {@code i}-th compiled argument, or an evaluator of NULL when the call has fewer arguments. */
        Expr arg(int i) {
            return i < args.size() ? args.get(i) : row -> null;
        }
    }

    /** The row-wise implementation of a function: compiles a call into an evaluator. */
    @FunctionalInterface
    interface RowFunction {
        Expr compile(Call call);
    }

    /** Collects the entries while the table is built; refuses a name registered twice. */
    static final class Builder {
        private final Map<String, RowFunction> entries = new HashMap<>();

        void add(RowFunction f, String... names) {
            for (String name : names) {
                if (entries.putIfAbsent(name, f) != null) {
                    throw new IllegalStateException("function " + name + " is registered twice");
                }
            }
        }
    }

    private static final Map<String, RowFunction> ROW_FUNCTIONS = build();

    private static Map<String, RowFunction> build() {
        Builder b = new Builder();
        StringFunctions.register(b);
        DateTimeFunctions.register(b);
        MathFunctions.register(b);
        SystemFunctions.register(b);
        return Map.copyOf(b.entries);
    }

    /** Whether {@code name} (upper case) has an implementation here. */
    public static boolean has(String name) {
        return ROW_FUNCTIONS.containsKey(name);
    }

    /** The names of every function here. */
    public static Set<String> names() {
        return ROW_FUNCTIONS.keySet();
    }

    /** The evaluator of a call, or null when its function is not here. */
    static @Nullable Expr compile(Call call) {
        RowFunction f = ROW_FUNCTIONS.get(call.name());
        return f == null ? null : f.compile(call);
    }

    /** The operators the vectorised evaluator runs as loops over batches; {@code exec.VecExprs} has one per key. */
    public enum VectorKernel {
        /** AND, OR: bitwise over booleans (only when no operand can fail). */
        LOGIC,
        NOT,
        /** IS [NOT] NULL, IS [NOT] TRUE, IS [NOT] FALSE. */
        IS_TEST,
        /** =, <>, <, <=, >, >=. */
        COMPARISON,
        /** +, -, * over numbers. */
        ARITHMETIC,
        /** Numeric casts; other casts fall back to the row-wise code. */
        CAST,
        /** CASE (only when no branch can fail). */
        CASE,
        /** COALESCE: operands vectorised, the choice per row (only when no operand can fail). */
        COALESCE,
        /** LIKE with a literal pattern of text and {@code %}. */
        LIKE,
        /** EXTRACT of YEAR, MONTH or DAY from a DATE. */
        EXTRACT
    }

    private static final Map<SqlKind, VectorKernel> VECTOR_KERNELS = vectorKernels();

    private static Map<SqlKind, VectorKernel> vectorKernels() {
        Map<SqlKind, VectorKernel> m = new EnumMap<>(SqlKind.class);
        m.put(SqlKind.AND, VectorKernel.LOGIC);
        m.put(SqlKind.OR, VectorKernel.LOGIC);
        m.put(SqlKind.NOT, VectorKernel.NOT);
        for (SqlKind k : List.of(
                SqlKind.IS_NULL,
                SqlKind.IS_NOT_NULL,
                SqlKind.IS_TRUE,
                SqlKind.IS_NOT_TRUE,
                SqlKind.IS_FALSE,
                SqlKind.IS_NOT_FALSE)) {
            m.put(k, VectorKernel.IS_TEST);
        }
        for (SqlKind k : List.of(
                SqlKind.EQUALS,
                SqlKind.NOT_EQUALS,
                SqlKind.LESS_THAN,
                SqlKind.LESS_THAN_OR_EQUAL,
                SqlKind.GREATER_THAN,
                SqlKind.GREATER_THAN_OR_EQUAL)) {
            m.put(k, VectorKernel.COMPARISON);
        }
        for (SqlKind k : List.of(SqlKind.PLUS, SqlKind.MINUS, SqlKind.TIMES)) {
            m.put(k, VectorKernel.ARITHMETIC);
        }
        m.put(SqlKind.CAST, VectorKernel.CAST);
        m.put(SqlKind.CASE, VectorKernel.CASE);
        m.put(SqlKind.COALESCE, VectorKernel.COALESCE);
        m.put(SqlKind.LIKE, VectorKernel.LIKE);
        m.put(SqlKind.EXTRACT, VectorKernel.EXTRACT);
        return m;
    }

    /** The vectorised kernel of operators of this kind, or null when the vectorised evaluator runs them per row. */
    public static @Nullable VectorKernel vectorKernel(SqlKind kind) {
        return VECTOR_KERNELS.get(kind);
    }

    /**
     * The operators whose row-wise implementation cannot fail on any input of their types (except the integer
     * overflow of arithmetic and the failures of a cast, which the caller judges from the types).
     */
    private static final Set<SqlKind> NEVER_FAIL = Set.of(
            SqlKind.AND,
            SqlKind.OR,
            SqlKind.NOT,
            SqlKind.IS_NULL,
            SqlKind.IS_NOT_NULL,
            SqlKind.IS_TRUE,
            SqlKind.IS_NOT_TRUE,
            SqlKind.IS_FALSE,
            SqlKind.IS_NOT_FALSE,
            SqlKind.EQUALS,
            SqlKind.NOT_EQUALS,
            SqlKind.LESS_THAN,
            SqlKind.LESS_THAN_OR_EQUAL,
            SqlKind.GREATER_THAN,
            SqlKind.GREATER_THAN_OR_EQUAL,
            SqlKind.PLUS,
            SqlKind.MINUS,
            SqlKind.TIMES,
            SqlKind.LIKE,
            SqlKind.CASE,
            SqlKind.COALESCE);

    /** Whether an operator of this kind cannot fail (see {@link #NEVER_FAIL} for the exceptions). */
    public static boolean neverFails(SqlKind kind) {
        return NEVER_FAIL.contains(kind);
    }

    static StrongroomException invalid(String message) {
        return new StrongroomException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
