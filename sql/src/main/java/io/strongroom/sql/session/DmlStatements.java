package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.exec.Appends;
import io.strongroom.sql.exec.Executor;
import io.strongroom.sql.exec.RowOps;
import io.strongroom.sql.func.Expressions;
import io.strongroom.sql.func.Types;
import io.strongroom.sql.parse.RewrittenSql;
import io.strongroom.sql.parse.Tokens;
import io.strongroom.sql.plan.QueryPlanner;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.logical.LogicalProject;
import org.jspecify.annotations.Nullable;

/**
 * INSERT, UPDATE and DELETE. Each is parsed when prepared and runs through {@link TransactionBlock#write}: in the
 * open transaction block, or in a store transaction of its own committed at the end. The target table is looked up
 * again in that transaction when the statement runs, since an ALTER TABLE may come between. INSERT takes VALUES
 * directly where it can (see {@link #valuesRows}) and plans anything else; UPDATE and DELETE plan one {@code SELECT
 * cond, expr, ... FROM t} and evaluate its projection on each stored row, so they support neither joins nor
 * subqueries. Rows are appended in batches of {@link Appends#BATCH_ROWS} ({@link #appendRows}, shared with CREATE TABLE AS).
 *
 * <p>Not thread-safe: one per session, used by the session's thread only.
 */
final class DmlStatements {
    private final TransactionBlock block;
    private final Cancellation cancel;

    DmlStatements(TransactionBlock block, Cancellation cancel) {
        this.block = block;
        this.cancel = cancel;
    }

    /** Appends rows (in-memory values) to a table in batches; returns the count. */
    static long appendRows(Transaction tx, TableSpec spec, Iterator<@Nullable Object[]> rows, Cancellation cancel) {
        long n = 0;
        RowBatch batch = RowBatch.builder(spec.columns(), 1024);
        while (rows.hasNext()) {
            cancel.check();
            Object[] r = rows.next();
            Object[] converted = new Object[spec.columns().size()];
            for (int i = 0; i < converted.length; i++) {
                converted[i] = Types.toStorage(r[i], spec.columns().get(i).type());
            }
            batch.addRow(converted);
            n++;
            if (batch.rowCount() >= Appends.BATCH_ROWS) {
                tx.append(spec.qualifiedName(), batch);
                batch = RowBatch.builder(spec.columns(), 1024);
            }
        }
        if (batch.rowCount() > 0) {
            tx.append(spec.qualifiedName(), batch);
        }
        return n;
    }

    SessionStatement insert(String sql, List<SqlType> declared) {
        Tokens t = new Tokens(sql);
        t.expect("insert");
        t.expect("into");
        String[] name = t.qualifiedName();
        List<String> targetCols = new ArrayList<>();
        if (t.acceptSymbol("(")) {
            do {
                targetCols.add(t.identifier());
            } while (t.acceptSymbol(","));
            t.expectSymbol(")");
        }
        String source = t.rest();
        String qualified = name[0] + "." + name[1];
        RewrittenSql rw = RewrittenSql.of(source);
        try (TransactionBlock.View v = block.view()) {
            // Checked now for an early error; the table is looked up again when the statement runs, since an
            // ALTER TABLE may come between.
            TableSpec spec = v.tables().stream()
                    .filter(s -> s.qualifiedName().equalsIgnoreCase(qualified))
                    .findFirst()
                    .orElseThrow(() -> new StrongroomException(
                            ErrorCode.NOT_FOUND, "relation \"" + name[1] + "\" does not exist"));
            Appends.targetPositions(spec, targetCols);
        }
        // Parameters in VALUES take their types from the target columns.
        List<SqlType> paramTypes = new ArrayList<>();
        for (int i = 0; i < rw.parameterCount(); i++) {
            SqlType d = i < declared.size() ? declared.get(i) : SqlType.UNKNOWN;
            paramTypes.add(d);
        }
        boolean values = new Tokens(source).peekIs("values");
        return new SessionStatement(
                sql,
                paramTypes,
                List.of(),
                false,
                params -> {
                    long n = block.write(tx -> {
                        TableSpec spec = tx.spec(qualified);
                        int[] positions = Appends.targetPositions(spec, targetCols);
                        @Nullable Object[] defaults = defaults(spec);
                        Iterator<@Nullable Object[]> rows;
                        TransactionBlock.View v = block.view();
                        try {
                            if (values) {
                                rows = valuesRows(source, params, spec, positions);
                            } else {
                                QueryPlanner.Plan plan = QueryPlanner.plan(rw.sql(), v);
                                if (plan.columns().size() != positions.length) {
                                    throw new StrongroomException(
                                            ErrorCode.INVALID_ARGUMENT,
                                            "INSERT has " + positions.length + " target columns but the query returns "
                                                    + plan.columns().size());
                                }
                                rows = RowOps.drain(new Executor(v, block.context(rw.bind(params)), cancel::isRequested)
                                                .run(plan.rel()))
                                        .iterator();
                            }
                            Iterator<@Nullable Object[]> src = rows;
                            Iterator<@Nullable Object[]> full = new Iterator<>() {
                                @Override
                                public boolean hasNext() {
                                    return src.hasNext();
                                }

                                @Override
                                public @Nullable Object[] next() {
                                    Object[] r = src.next();
                                    Object[] out = defaults.clone();
                                    for (int i = 0; i < positions.length; i++) {
                                        out[positions[i]] = r[i];
                                    }
                                    return out;
                                }
                            };
                            return appendRows(tx, spec, full, cancel);
                        } finally {
                            v.close();
                        }
                    });
                    return new Result.Command("INSERT 0 " + n);
                },
                false);
    }

    /** Each column's DEFAULT in the in-memory form of {@link Types} (null where there is none). */
    private static @Nullable Object[] defaults(TableSpec spec) {
        @Nullable Object[] out = new Object[spec.columns().size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Types.fromStorage(spec.columns().get(i).defaultValue());
        }
        return out;
    }

    /**
     * The rows of {@code VALUES (...), (...)}: literals, NULL, TRUE/FALSE, DEFAULT and {@code $n} are taken directly
     * (typed by their target column); any other expression is evaluated by planning {@code SELECT expr}.
     */
    private Iterator<@Nullable Object[]> valuesRows(
            String source, List<@Nullable Object> params, TableSpec spec, int[] positions) {
        Tokens t = new Tokens(source);
        t.expect("values");
        List<@Nullable Object[]> rows = new ArrayList<>();
        String text = t.sql();
        do {
            t.expectSymbol("(");
            List<@Nullable Object> row = new ArrayList<>();
            do {
                int start = t.peek().start();
                int depth = 0;
                Tokens.Token first = t.peek();
                int count = 0;
                int end = start;
                while (!t.atEnd()) {
                    Tokens.Token x = t.peek();
                    if (depth == 0 && (x.isSymbol(",") || x.isSymbol(")"))) {
                        break;
                    }
                    if (x.isSymbol("(")) {
                        depth++;
                    } else if (x.isSymbol(")")) {
                        depth--;
                    }
                    t.next();
                    end = x.end();
                    count++;
                }
                if (row.size() >= positions.length) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT, "INSERT has more expressions than target columns");
                }
                Column target = spec.columns().get(positions[row.size()]);
                row.add(
                        count == 1 && first.is("default")
                                ? Types.fromStorage(target.defaultValue())
                                : valueOf(first, count, text.substring(start, end), params, target.type()));
            } while (t.acceptSymbol(","));
            t.expectSymbol(")");
            if (row.size() != positions.length) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "INSERT has fewer expressions than target columns");
            }
            rows.add(row.toArray());
        } while (t.acceptSymbol(","));
        if (!t.atEnd()) {
            throw t.syntax("unexpected text after VALUES");
        }
        return rows.iterator();
    }

    private @Nullable Object valueOf(
            Tokens.Token first, int tokens, String text, List<@Nullable Object> params, ColumnType target) {
        if (tokens == 1) {
            switch (first.kind()) {
                case PARAM -> {
                    int n = Integer.parseInt(first.text()) - 1;
                    if (n < 0 || n >= params.size()) {
                        throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "there is no parameter $" + (n + 1));
                    }
                    return Types.fromStorage(Types.toStorage(params.get(n), target));
                }
                case STRING, NUMBER -> {
                    return Types.fromStorage(Types.toStorage(first.text(), target));
                }
                case WORD -> {
                    if (first.is("null")) {
                        return null;
                    }
                    if (first.is("true") || first.is("false")) {
                        return Types.fromStorage(Types.toStorage(first.is("true"), target));
                    }
                }
                default -> {}
            }
        }
        RewrittenSql rw = RewrittenSql.of("SELECT " + text);
        try (TransactionBlock.View v = block.view()) {
            QueryPlanner.Plan plan = QueryPlanner.plan(rw.sql(), v);
            List<@Nullable Object[]> r =
                    RowOps.drain(new Executor(v, block.context(rw.bind(params)), cancel::isRequested).run(plan.rel()));
            return r.isEmpty() ? null : r.get(0)[0];
        }
    }

    /**
     * DELETE FROM t [WHERE cond] and UPDATE t SET c = e, ... [WHERE cond] plan {@code SELECT cond, e, ... FROM
     * t}; the projection's expressions are then evaluated on each stored row.
     */
    private List<Expressions.Expr> rowExpressions(
            String table, RewrittenSql rw, List<@Nullable Object> params, TransactionBlock.View v) {
        QueryPlanner.Plan plan = QueryPlanner.plan(rw.sql(), v);
        RelNode rel = plan.rel();
        if (!(rel instanceof LogicalProject p) || !(p.getInput() instanceof TableScan)) {
            throw new StrongroomException(
                    ErrorCode.NOT_IMPLEMENTED,
                    "UPDATE and DELETE with subqueries or joins are not supported yet (" + table + ")");
        }
        List<Expressions.Expr> out = new ArrayList<>();
        for (var e : p.getProjects()) {
            out.add(Expressions.compile(e, block.context(rw.bind(params))));
        }
        return out;
    }

    private static @Nullable Object[] rowValues(RowBatch b, int r) {
        Object[] row = new Object[b.columnCount()];
        for (int i = 0; i < row.length; i++) {
            row[i] = Types.fromStorage(b.column(i).get(r));
        }
        return row;
    }

    SessionStatement delete(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("delete");
        t.expect("from");
        String[] name = t.qualifiedName();
        String where = "";
        if (t.accept("where")) {
            where = t.rest();
        } else if (!t.atEnd()) {
            throw t.syntax("expected WHERE");
        }
        String q = name[0] + "." + name[1];
        RewrittenSql rw =
                RewrittenSql.of("SELECT " + (where.isEmpty() ? "TRUE" : "(" + where + ")") + " FROM " + quote(name));
        return new SessionStatement(
                sql,
                List.of(),
                List.of(),
                false,
                params -> {
                    long n = block.write(tx -> {
                        try (TransactionBlock.View v = block.view()) {
                            Expressions.Expr cond =
                                    rowExpressions(q, rw, params, v).get(0);
                            return tx.delete(q, (b, r) -> Boolean.TRUE.equals(cond.eval(rowValues(b, r))));
                        }
                    });
                    return new Result.Command("DELETE " + n);
                },
                false);
    }

    SessionStatement update(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("update");
        String[] name = t.qualifiedName();
        t.expect("set");
        List<String> targets = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        String text = t.sql();
        String where = "";
        do {
            targets.add(t.identifier());
            t.expectSymbol("=");
            int start = t.peek().start();
            int end = start;
            int depth = 0;
            while (!t.atEnd()) {
                Tokens.Token x = t.peek();
                if (depth == 0 && (x.isSymbol(",") || x.is("where"))) {
                    break;
                }
                if (x.isSymbol("(")) {
                    depth++;
                } else if (x.isSymbol(")")) {
                    depth--;
                }
                t.next();
                end = x.end();
            }
            exprs.add(text.substring(start, end));
        } while (t.acceptSymbol(","));
        if (t.accept("where")) {
            where = t.rest();
        }
        String q = name[0] + "." + name[1];
        StringBuilder select = new StringBuilder("SELECT ").append(where.isEmpty() ? "TRUE" : "(" + where + ")");
        for (String e : exprs) {
            select.append(", ").append(e);
        }
        select.append(" FROM ").append(quote(name));
        RewrittenSql rw = RewrittenSql.of(select.toString());
        return new SessionStatement(
                sql,
                List.of(),
                List.of(),
                false,
                params -> {
                    long n = block.write(tx -> {
                        TableSpec spec = tx.spec(q);
                        int[] positions = Appends.targetPositions(spec, targets);
                        try (TransactionBlock.View v = block.view()) {
                            List<Expressions.Expr> es = rowExpressions(q, rw, params, v);
                            Expressions.Expr cond = es.get(0);
                            return tx.update(q, (b, r) -> Boolean.TRUE.equals(cond.eval(rowValues(b, r))), row -> {
                                Object[] in = new Object[row.length];
                                for (int i = 0; i < row.length; i++) {
                                    in[i] = Types.fromStorage(row[i]);
                                }
                                Object[] out = row.clone();
                                for (int i = 0; i < positions.length; i++) {
                                    ColumnType type =
                                            spec.columns().get(positions[i]).type();
                                    out[positions[i]] =
                                            Types.toStorage(es.get(i + 1).eval(in), type);
                                }
                                return out;
                            });
                        }
                    });
                    return new Result.Command("UPDATE " + n);
                },
                false);
    }

    /** {@code schema.table} as a quoted SQL name, for the SELECT that DELETE, UPDATE and COPY TO plan. */
    static String quote(String[] name) {
        return "\"" + name[0].replace("\"", "\"\"") + "\".\"" + name[1].replace("\"", "\"\"") + "\"";
    }
}
