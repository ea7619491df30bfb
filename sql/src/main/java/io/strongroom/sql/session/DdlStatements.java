package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.exec.Executor;
import io.strongroom.sql.func.Types;
import io.strongroom.sql.parse.TableDdl;
import io.strongroom.sql.parse.Tokens;
import io.strongroom.sql.plan.QueryPlanner;
import io.strongroom.storage.Column;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * CREATE, DROP, ALTER and TRUNCATE of tables (parsed by {@link TableDdl} where Redshift syntax needs it). Each change
 * is metadata in a store transaction through {@link TransactionBlock#write}: the open transaction block's, atomic
 * with its other writes and undone by ROLLBACK, or one of its own committed at the end. Existence is checked in that
 * transaction when the statement runs, not when it is prepared.
 *
 * <p>Not thread-safe: one per session, used by the session's thread only.
 */
final class DdlStatements {
    private final TransactionBlock block;
    private final Cancellation cancel;

    DdlStatements(TransactionBlock block, Cancellation cancel) {
        this.block = block;
        this.cancel = cancel;
    }

    /**
     * CREATE SCHEMA (accepted: schemas exist as the namespace of their tables), CREATE TABLE, and CREATE TABLE AS,
     * whose query runs when the statement does and whose rows go into the new table in the same transaction.
     */
    SessionStatement create(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("create");
        if (t.accept("schema")) {
            if (t.accept("if")) {
                t.expect("not");
                t.expect("exists");
            }
            t.identifier();
            // Schemas exist as the namespace of their tables; nothing else to record yet, so IF NOT EXISTS and a
            // plain CREATE SCHEMA behave alike.
            return SessionStatement.utility(sql, () -> "CREATE SCHEMA");
        }
        TableDdl.Create c = TableDdl.parseCreate(new Tokens(sql));
        if (c.asQuery() == null) {
            return SessionStatement.utility(
                    sql,
                    () -> block.write(tx -> {
                        if (tx.exists(c.spec().qualifiedName())) {
                            if (c.ifNotExists()) {
                                return "CREATE TABLE";
                            }
                            throw new StrongroomException(
                                    ErrorCode.ALREADY_EXISTS,
                                    "relation \"" + c.spec().name() + "\" already exists");
                        }
                        tx.createTable(c.spec());
                        return "CREATE TABLE";
                    }));
        }
        String asQuery = Objects.requireNonNull(c.asQuery());
        return new SessionStatement(
                sql,
                List.of(),
                List.of(),
                false,
                params -> {
                    String tag = block.write(tx -> {
                        List<ResultColumn> cols;
                        TransactionBlock.View v = block.view();
                        try {
                            QueryPlanner.Plan plan = QueryPlanner.plan(asQuery, v);
                            cols = plan.columns();
                            Iterator<@Nullable Object[]> it =
                                    new Executor(v, block.context(List.of()), cancel::isRequested).run(plan.rel());
                            List<Column> columns = new ArrayList<>();
                            for (int i = 0; i < cols.size(); i++) {
                                columns.add(new Column(
                                        i,
                                        cols.get(i).name(),
                                        Types.toStorage(plan.rel()
                                                .getRowType()
                                                .getFieldList()
                                                .get(i)
                                                .getType())));
                            }
                            TableSpec spec = new TableSpec(
                                    c.spec().schema(),
                                    c.spec().name(),
                                    columns,
                                    c.spec().distStyle(),
                                    c.spec().distKey(),
                                    c.spec().sortKey(),
                                    c.spec().backup());
                            tx.createTable(spec);
                            long n = DmlStatements.appendRows(tx, spec, it, cancel);
                            return "SELECT " + n;
                        } finally {
                            v.close();
                        }
                    });
                    return new Result.Command(tag);
                },
                false);
    }

    /** DROP TABLE, parsed when it runs. */
    SessionStatement drop(String sql) {
        return SessionStatement.utility(sql, () -> drop(new Tokens(sql)));
    }

    private String drop(Tokens t) {
        t.expect("drop");
        if (t.accept("schema")) {
            throw new StrongroomException(
                    ErrorCode.NOT_IMPLEMENTED, "DROP SCHEMA is not supported yet; drop its tables");
        }
        t.expect("table");
        boolean ifExists = false;
        if (t.accept("if")) {
            t.expect("exists");
            ifExists = true;
        }
        List<String[]> names = new ArrayList<>();
        do {
            names.add(t.qualifiedName());
        } while (t.acceptSymbol(","));
        boolean cascade = t.accept("cascade");
        t.accept("restrict");
        boolean ie = ifExists;
        return block.write(tx -> {
            for (String[] n : names) {
                String q = n[0] + "." + n[1];
                if (!tx.exists(q)) {
                    if (ie) {
                        continue;
                    }
                    throw new StrongroomException(ErrorCode.NOT_FOUND, "table \"" + n[1] + "\" does not exist");
                }
                tx.dropTable(q, cascade);
            }
            return "DROP TABLE";
        });
    }

    /**
     * ALTER TABLE: parsed when prepared, applied in the open transaction block or in its own transaction. Unlike
     * Redshift, ADD and DROP COLUMN may run inside a transaction block: each change is metadata in the store's
     * transaction, atomic with the block's other writes and undone by ROLLBACK.
     */
    SessionStatement alter(String sql) {
        TableDdl.Alter a = TableDdl.parseAlter(new Tokens(sql));
        return SessionStatement.utility(
                sql,
                () -> block.write(tx -> {
                    String q = a.qualifiedName();
                    if (!tx.exists(q)) {
                        if (a.ifExists()) {
                            return "ALTER TABLE";
                        }
                        throw new StrongroomException(
                                ErrorCode.NOT_FOUND, "relation \"" + a.table() + "\" does not exist");
                    }
                    TableSpec spec = tx.spec(q);
                    switch (a.action()) {
                        case TableDdl.RenameTable r -> tx.renameTable(q, r.newName());
                        case TableDdl.RenameColumn r -> tx.renameColumn(q, r.column(), r.newName());
                        case TableDdl.AddColumn add -> {
                            Column c = add.column();
                            if (!add.ifNotExists() || spec.column(c.name()) == null) {
                                tx.addColumn(q, c.name(), c.type(), c.notNull(), c.defaultValue());
                            }
                        }
                        case TableDdl.DropColumn d -> {
                            if (!d.ifExists() || spec.column(d.column()) != null) {
                                tx.dropColumn(q, d.column());
                            }
                        }
                    }
                    return "ALTER TABLE";
                }));
    }

    /** TRUNCATE, parsed when it runs. */
    SessionStatement truncate(String sql) {
        return SessionStatement.utility(sql, () -> truncate(new Tokens(sql)));
    }

    private String truncate(Tokens t) {
        t.expect("truncate");
        t.accept("table");
        String[] n = t.qualifiedName();
        return block.write(tx -> {
            tx.truncate(n[0] + "." + n[1]);
            return "TRUNCATE TABLE";
        });
    }
}
