package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.func.Expressions;
import io.strongroom.sql.plan.QueryPlanner;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.sql.session.TransactionBlock;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.testkit.seed.Seeds;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexNode;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The row-wise evaluator ({@link Expressions}) and the vectorised one ({@link VecExprs}) agree on random typed
 * expressions over random rows with NULLs: the same value in every row, or both failing. Each expression is
 * planned by the real planner as {@code SELECT e FROM t}, and its projection is evaluated both ways over the same
 * batch. Seeded: a failure prints its seed, and {@code -Dstrongroom.seed=S} replays it;
 * {@code -Dstrongroom.evaluator.tries=N} runs more expressions.
 */
class EvaluatorAgreementTest {
    private static final int ROWS = 257;

    @TempDir
    Path dir;

    private enum T {
        INT,
        DEC,
        DBL,
        STR,
        BOOL,
        DATE
    }

    /** Random typed SQL expressions over t's columns. */
    private static final class Gen {
        private final Random r;

        Gen(Random r) {
            this.r = r;
        }

        private T any() {
            return T.values()[r.nextInt(T.values().length)];
        }

        private String pick(String... options) {
            return options[r.nextInt(options.length)];
        }

        String expr(T t, int depth) {
            if (depth <= 0 || r.nextInt(4) == 0) {
                return leaf(t);
            }
            int d = depth - 1;
            return switch (t) {
                case INT ->
                    switch (r.nextInt(9)) {
                        case 0 ->
                            "(" + expr(T.INT, d) + " " + pick("+", "-", "*", "/", "%") + " " + expr(T.INT, d) + ")";
                        case 1 -> "ABS(" + expr(T.INT, d) + ")";
                        case 2 -> "(- " + expr(T.INT, d) + ")";
                        case 3 -> caseWhen(T.INT, d);
                        case 4 -> "COALESCE(" + expr(T.INT, d) + ", " + expr(T.INT, d) + ")";
                        case 5 -> "NULLIF(" + expr(T.INT, d) + ", " + expr(T.INT, d) + ")";
                        case 6 -> "CAST(" + expr(T.DEC, d) + " AS BIGINT)";
                        case 7 -> "CHAR_LENGTH(" + expr(T.STR, d) + ")";
                        default -> "EXTRACT(" + pick("YEAR", "MONTH", "DAY") + " FROM " + expr(T.DATE, d) + ")";
                    };
                case DEC ->
                    switch (r.nextInt(6)) {
                        case 0 -> "(" + expr(T.DEC, d) + " " + pick("+", "-", "*") + " " + expr(T.DEC, d) + ")";
                        case 1 -> "(" + expr(T.DEC, d) + " / " + expr(T.INT, d) + ")";
                        case 2 -> "CAST(" + expr(T.INT, d) + " AS DECIMAL(12, 2))";
                        case 3 -> "ROUND(" + expr(T.DEC, d) + ", " + r.nextInt(3) + ")";
                        case 4 -> caseWhen(T.DEC, d);
                        default -> "ABS(" + expr(T.DEC, d) + ")";
                    };
                case DBL ->
                    switch (r.nextInt(5)) {
                        case 0 -> "(" + expr(T.DBL, d) + " " + pick("+", "-", "*", "/") + " " + expr(T.DBL, d) + ")";
                        case 1 -> "CAST(" + expr(T.INT, d) + " AS DOUBLE PRECISION)";
                        case 2 -> "(" + expr(T.DBL, d) + " * " + expr(T.DEC, d) + ")";
                        case 3 -> caseWhen(T.DBL, d);
                        default -> "ABS(" + expr(T.DBL, d) + ")";
                    };
                case STR ->
                    switch (r.nextInt(7)) {
                        case 0 -> "(" + expr(T.STR, d) + " || " + expr(T.STR, d) + ")";
                        case 1 -> pick("UPPER", "LOWER", "TRIM") + "(" + expr(T.STR, d) + ")";
                        case 2 ->
                            "SUBSTRING(" + expr(T.STR, d) + " FROM " + (1 + r.nextInt(3)) + " FOR " + r.nextInt(3)
                                    + ")";
                        case 3 -> "CAST(" + expr(T.INT, d) + " AS VARCHAR(30))";
                        case 4 -> "COALESCE(" + expr(T.STR, d) + ", " + expr(T.STR, d) + ")";
                        case 5 -> caseWhen(T.STR, d);
                        default -> "NULLIF(" + expr(T.STR, d) + ", 'a')";
                    };
                case BOOL ->
                    switch (r.nextInt(8)) {
                        case 0, 1 -> {
                            T c = any() == T.BOOL ? T.INT : any();
                            T u = c == T.BOOL ? T.INT : c;
                            yield "(" + expr(u, d) + " " + pick("=", "<>", "<", "<=", ">", ">=") + " " + expr(u, d)
                                    + ")";
                        }
                        case 2 -> "(" + expr(T.BOOL, d) + " " + pick("AND", "OR") + " " + expr(T.BOOL, d) + ")";
                        case 3 -> "(NOT " + expr(T.BOOL, d) + ")";
                        case 4 -> "(" + expr(any(), d) + pick(" IS NULL)", " IS NOT NULL)");
                        case 5 -> "(" + expr(T.STR, d) + " LIKE " + pick("'a%'", "'%b'", "'%'", "'_'", "'a_c%'") + ")";
                        case 6 -> "(" + expr(T.INT, d) + " BETWEEN " + expr(T.INT, d) + " AND " + expr(T.INT, d) + ")";
                        default -> "(" + expr(T.INT, d) + " IN (" + leaf(T.INT) + ", " + leaf(T.INT) + "))";
                    };
                case DATE -> r.nextBoolean() ? caseWhen(T.DATE, d) : "COALESCE(" + expr(T.DATE, d) + ", dt)";
            };
        }

        private String caseWhen(T t, int d) {
            return "CASE WHEN " + expr(T.BOOL, d) + " THEN " + expr(t, d) + " ELSE " + expr(t, d) + " END";
        }

        private String leaf(T t) {
            boolean column = r.nextInt(3) > 0;
            return switch (t) {
                case INT -> column ? pick("i", "j") : pick("0", "1", "-7", "42", "9223372036854775807");
                case DEC -> column ? "d" : pick("0.00", "1.25", "-3.5", "99999.99");
                case DBL -> column ? "f" : pick("0.5E0", "-2.0E0", "1.0E300");
                case STR -> column ? "s" : pick("''", "'a'", "'abc'", "'A b'", "'ü'");
                case BOOL -> column ? "b" : pick("TRUE", "FALSE");
                case DATE -> column ? "dt" : pick("DATE '2024-02-29'", "DATE '1969-12-31'");
            };
        }
    }

    @Test
    void rowWiseAndVectorised_agreeOnRandomExpressions() {
        long seed = Seeds.of("EvaluatorAgreementTest");
        int tries = Integer.getInteger("strongroom.evaluator.tries", 400);
        Random random = new Random(seed);
        DatabaseKey dek =
                DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "c/dek", 1), SecretBytes.copyOf(new byte[32]));
        try (Store store = Store.create(dir, "c", new ClusterLayout(2, 2), StoreKeys.of(dek))) {
            InstantSource clock = InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z"));
            SessionInfo info = new SessionInfo("admin", "dev", Map.of());
            try (SqlSession s = new StoreSqlEngine(store, clock).open(info)) {
                s.execute(
                        s.prepare(
                                "CREATE TABLE t (i BIGINT, j INT, d DECIMAL(12, 2), f DOUBLE PRECISION, s VARCHAR(20),"
                                        + " b BOOLEAN, dt DATE)",
                                List.of()),
                        List.of());
            }
            TransactionBlock block = new TransactionBlock(store, info, clock);
            Gen gen = new Gen(random);
            int compared = 0;
            TreeSet<String> refused = new TreeSet<>();
            try (TransactionBlock.View view = block.view()) {
                for (int k = 0; k < tries; k++) {
                    String e = gen.expr(T.values()[random.nextInt(T.values().length)], 1 + random.nextInt(4));
                    LogicalProject project;
                    try {
                        project = projection(QueryPlanner.plan("SELECT " + e + " FROM t", view)
                                .rel());
                    } catch (StrongroomException refusal) {
                        refused.add(String.valueOf(refusal.getMessage()));
                        continue;
                    } catch (AssertionError calcite) {
                        // Calcite's own consistency checks (RexSimplify), which run only with -ea as in tests.
                        if (calcite.getStackTrace().length == 0
                                || !calcite.getStackTrace()[0].getClassName().startsWith("org.apache.calcite.")) {
                            throw calcite;
                        }
                        refused.add("Calcite assertion in " + calcite.getStackTrace()[0].getMethodName());
                        continue;
                    }
                    if (project == null) {
                        continue;
                    }
                    Batch batch = batch(
                            random,
                            project.getInput().getRowType().getFieldList().stream()
                                    .map(f -> f.getType())
                                    .toList());
                    String where = "seed " + seed + ", expression " + k + ": " + e;
                    for (RexNode node : project.getProjects()) {
                        agree(node, batch, block.context(List.of()), where);
                    }
                    compared++;
                }
            }
            System.out.println("evaluator agreement: " + compared + " expressions over " + ROWS + " rows agree (seed "
                    + seed + "; " + (tries - compared) + " not planned: " + refused + ")");
            assertThat(compared).as("expressions compared (seed %d)", seed).isGreaterThan(tries * 3 / 4);
        } finally {
            dek.close();
        }
    }

    private static @Nullable LogicalProject projection(RelNode rel) {
        if (rel instanceof LogicalProject p && p.getInput() instanceof TableScan) {
            return p;
        }
        for (RelNode in : rel.getInputs()) {
            LogicalProject p = projection(in);
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    /** ROWS random rows of t's columns (in the planner's order), about one value in six NULL. */
    private static Batch batch(Random r, List<RelDataType> types) {
        @Nullable Vec[] cols = new Vec[types.size()];
        String[] strings = {"", "a", "abc", "A b", "b", "aXc", "ü", "%", "_", " a "};
        for (int c = 0; c < types.size(); c++) {
            @Nullable Object[] values = new Object[ROWS];
            for (int i = 0; i < ROWS; i++) {
                if (r.nextInt(6) == 0) {
                    continue;
                }
                values[i] = switch (types.get(c).getSqlTypeName()) {
                    case BIGINT -> r.nextInt(20) == 0 ? Long.MAX_VALUE : (long) r.nextInt(2001) - 1000;
                    case INTEGER -> (long) r.nextInt(21) - 10;
                    case DECIMAL -> BigDecimal.valueOf(r.nextInt(2_000_001) - 1_000_000, 2);
                    case DOUBLE -> r.nextInt(10) == 0 ? 0.0 : r.nextGaussian() * 100;
                    case VARCHAR -> strings[r.nextInt(strings.length)];
                    case BOOLEAN -> r.nextBoolean();
                    case DATE -> LocalDate.ofEpochDay(r.nextInt(40_000) - 10_000L);
                    default -> throw new AssertionError("no values for " + types.get(c));
                };
            }
            cols[c] = Vec.fromObjects(values, ROWS, types.get(c));
        }
        return new Batch(cols, ROWS);
    }

    private static void agree(RexNode node, Batch batch, Expressions.Context ctx, String where) {
        Vec vector = null;
        String vectorError = null;
        try {
            vector = VecExprs.compile(node, ctx).eval(batch);
        } catch (StrongroomException | ArithmeticException e) {
            vectorError = e.getClass().getSimpleName();
        }
        Expressions.Expr rowWise = Expressions.compile(node, ctx);
        List<String> rowErrors = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            @Nullable Object[] row = new Object[batch.cols().length];
            for (int c = 0; c < row.length; c++) {
                row[c] = Objects.requireNonNull(batch.col(c)).get(i);
            }
            Object expected;
            try {
                expected = rowWise.eval(row);
            } catch (StrongroomException | ArithmeticException e) {
                rowErrors.add(e.getClass().getSimpleName());
                continue;
            }
            if (vector != null) {
                assertThat(same(vector.get(i), expected))
                        .as("%s\nrow %d: vectorised %s, row-wise %s", where, i, vector.get(i), expected)
                        .isTrue();
            }
        }
        assertThat(vectorError != null)
                .as("%s\nvectorised failed: %s; row-wise failures: %s", where, vectorError, rowErrors)
                .isEqualTo(!rowErrors.isEmpty());
    }

    private static boolean same(@Nullable Object a, @Nullable Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof Double x && b instanceof Double y) {
            return x.equals(y);
        }
        if (a instanceof Number && b instanceof Number && !(a instanceof Double) && !(b instanceof Double)) {
            return Expressions.decimal(a).compareTo(Expressions.decimal(b)) == 0;
        }
        return a.equals(b);
    }
}
