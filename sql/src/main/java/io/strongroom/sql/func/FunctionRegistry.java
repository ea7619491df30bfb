package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Expressions.Expr;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexNode;
import org.jspecify.annotations.Nullable;

/**
 * The one table of the scalar functions the engine evaluates, by name: for each, the factory that turns a call's
 * compiled arguments into a row-wise {@link Expr}. {@link Expressions} compiles every call it does not handle as an
 * operator (AND, comparisons, arithmetic, CAST, CASE...) through here, and the vectorised evaluator in {@code exec}
 * reaches the same code through {@link Expressions}, so both evaluators run one implementation per function. The
 * entries are registered by subject in {@link StringFunctions}, {@link DateTimeFunctions}, {@link MathFunctions} and
 * {@link SystemFunctions}.
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

    static StrongroomException invalid(String message) {
        return new StrongroomException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
