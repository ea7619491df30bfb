package io.strongroom.sql.func;

import io.strongroom.sql.func.Expressions.Expr;

/**
 * The session's identity (CURRENT_USER, CURRENT_DATABASE, CURRENT_SCHEMA, VERSION), the PostgreSQL catalog
 * functions drivers call while reflecting (FORMAT_TYPE, PG_GET_EXPR, PG_TYPE_IS_VISIBLE), and Redshift's
 * NULL-handling NVL and NVL2 (which evaluate only the argument they return).
 * Registered in {@link FunctionRegistry}; stateless, thread-safe.
 */
final class SystemFunctions {
    private SystemFunctions() {}

    static void register(FunctionRegistry.Builder fns) {
        fns.add(
                c -> {
                    Expressions.Context ctx = c.ctx();
                    return row -> ctx.user();
                },
                "CURRENT_USER",
                "SESSION_USER",
                "USER",
                "CURRENT_ROLE");
        fns.add(
                c -> {
                    Expressions.Context ctx = c.ctx();
                    return row -> ctx.database();
                },
                "CURRENT_DATABASE",
                "CURRENT_CATALOG");
        fns.add(c -> row -> "public", "CURRENT_SCHEMA");
        fns.add(
                c -> row -> "PostgreSQL 8.0.2 on x86_64-pc-linux-gnu, compiled by Strongroom (Redshift-compatible)",
                "VERSION");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object t = a0.eval(row);
                        Object mod = a1.eval(row);
                        return PgTypes.formatType(
                                t == null ? null : ((Number) t).longValue(),
                                mod == null ? null : ((Number) mod).longValue());
                    };
                },
                "FORMAT_TYPE");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    // pg_attrdef.adbin holds the expression's text already (PgCatalogTables#attrdef).
                    return a0;
                },
                "PG_GET_EXPR");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    // Every type is in pg_catalog, which is on every search path.
                    return row -> a0.eval(row) instanceof Number oid ? PgTypes.typeName(oid.longValue()) != null : null;
                },
                "PG_TYPE_IS_VISIBLE");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object v = a0.eval(row);
                        return v != null ? v : a1.eval(row);
                    };
                },
                "NVL");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    Expr a2 = c.arg(2);
                    return row -> a0.eval(row) != null ? a1.eval(row) : a2.eval(row);
                },
                "NVL2");
    }
}
