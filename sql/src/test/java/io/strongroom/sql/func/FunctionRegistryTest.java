package io.strongroom.sql.func;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.junit.jupiter.api.Test;

/** The registry and the validator's declarations agree: no function is declared without a body, or the reverse. */
class FunctionRegistryTest {
    /**
     * Declared, and never evaluated: Calcite converts DECODE into CASE when it turns the query into relational
     * algebra (PgFunctionsSqlTest runs it).
     */
    private static final Set<String> CONVERTED_BEFORE_EVALUATION = Set.of("DECODE");

    /** Declared by the planner itself as niladic functions (QueryPlanner#OPERATORS). */
    private static final Set<String> PLANNER_NILADIC = Set.of("VERSION", "CURRENT_DATABASE", "CURRENT_SCHEMA");

    @Test
    void everyFunctionPgFunctionsDeclares_hasABodyInTheRegistry() {
        Set<String> missing = new TreeSet<>();
        for (SqlOperator op : PgFunctions.declared()) {
            String name = op.getName().toUpperCase(Locale.ROOT);
            if (!FunctionRegistry.has(name) && !CONVERTED_BEFORE_EVALUATION.contains(name)) {
                missing.add(name);
            }
        }
        assertThat(missing)
                .as("declared in PgFunctions without an implementation")
                .isEmpty();
    }

    @Test
    void everyRegisteredFunction_isDeclaredForTheValidator() {
        Set<String> declared = new HashSet<>(PLANNER_NILADIC);
        for (SqlOperator op : SqlStdOperatorTable.instance().getOperatorList()) {
            declared.add(op.getName().toUpperCase(Locale.ROOT));
        }
        for (SqlOperator op : PgFunctions.TABLE.getOperatorList()) {
            declared.add(op.getName().toUpperCase(Locale.ROOT));
        }
        Set<String> undeclared = new TreeSet<>(FunctionRegistry.names());
        undeclared.removeAll(declared);
        assertThat(undeclared)
                .as("implemented, but no operator table declares it")
                .isEmpty();
    }

    @Test
    void theExceptions_areStillNeeded() {
        // An exception that the registry has come to implement, or PgFunctions stopped declaring, must go.
        for (String name : CONVERTED_BEFORE_EVALUATION) {
            assertThat(FunctionRegistry.has(name)).as(name).isFalse();
            assertThat(PgFunctions.declared().stream().map(SqlOperator::getName))
                    .contains(name);
        }
        assertThat(FunctionRegistry.names()).containsAll(PLANNER_NILADIC);
    }
}
