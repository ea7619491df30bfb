package io.strongroom.sql.plan;

import io.strongroom.storage.TableSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans of a session's recent queries by text, as Redshift keeps compiled queries: a plan is reused only while
 * every table definition is the same as when it was made (any DDL, in this session or committed by another, makes a
 * new plan), and plans reading system views are never kept since those views are filled when planned. Row counts
 * may have changed since; they only steer join order, never results.
 *
 * <p>Holds at most {@value #SIZE} plans, dropping the least recently used. Only SELECT-style queries go through it;
 * EXPLAIN, INSERT ... SELECT, CREATE TABLE AS and the rest plan afresh each time.
 *
 * <p>Not thread-safe: one per session.
 */
public final class PlanCache {
    private static final int SIZE = 64;

    /** A plan and the tables it was made against. */
    private record CachedPlan(List<TableSpec> tables, QueryPlanner.Plan plan) {}

    private final LinkedHashMap<String, CachedPlan> plans = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CachedPlan> eldest) {
            return size() > SIZE;
        }
    };

    /** The plan of {@code sql} (already rewritten to {@code ?} parameters) against the tables {@code v} sees. */
    public QueryPlanner.Plan plan(String sql, QueryPlanner.Catalog v) {
        List<TableSpec> tables = v.tables();
        CachedPlan cached = plans.get(sql);
        if (cached != null && cached.tables().equals(tables)) {
            return cached.plan();
        }
        QueryPlanner.Plan plan = QueryPlanner.plan(sql, v);
        if (!QueryPlanner.readsSystemTables(plan.rel())) {
            plans.put(sql, new CachedPlan(List.copyOf(tables), plan));
        }
        return plan;
    }
}
