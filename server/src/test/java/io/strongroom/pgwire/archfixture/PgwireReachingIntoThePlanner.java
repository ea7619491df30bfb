package io.strongroom.pgwire.archfixture;

import io.strongroom.sql.plan.QueryPlanner;

/**
 * A deliberate violation for {@code ArchitectureTest}: outside the SQL module only the engine's public face (the root
 * package) and its session package are used, never a stage of the engine such as the planner.
 */
public final class PgwireReachingIntoThePlanner {
    private PgwireReachingIntoThePlanner() {}

    public static String plannerClass() {
        return QueryPlanner.class.getSimpleName();
    }
}
