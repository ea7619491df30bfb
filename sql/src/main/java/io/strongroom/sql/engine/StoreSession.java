package io.strongroom.sql.engine;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.sql.PreparedStatement;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.SqlType;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.logical.LogicalProject;
import org.jspecify.annotations.Nullable;

/**
 * A SQL session over a cluster's store.
 *
 * <p>How this works. Outside a transaction block every statement runs alone: reads on a fresh snapshot,
 * writes in their own store transaction committed at the end (autocommit). BEGIN opens one store transaction
 * that every later statement reads and writes through (it sees its own writes) until COMMIT or ROLLBACK; an
 * error inside it marks the block failed, as PostgreSQL does. Queries go through {@link QueryPlanner} and
 * {@link Executor}; Redshift DDL, COPY, SET/SHOW and transaction control are parsed here with {@link Tokens}.
 * {@code $n} parameters are rewritten to Calcite's {@code ?}.
 *
 * <p>Not thread-safe, except {@link #cancel()}.
 */
final class StoreSession implements SqlSession {
    static final int BATCH_ROWS = 64 * 1024;

    private final Store store;
    private final SessionInfo info;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private @Nullable Transaction tx;
    private boolean failed;
    private volatile boolean cancelled;
    private final java.time.InstantSource clock;
    /** When the open transaction block began: the current time of CURRENT_DATE, NOW() and SYSDATE inside it. */
    private java.time.Instant blockStartedAt = java.time.Instant.EPOCH;

    StoreSession(Store store, SessionInfo info, java.time.InstantSource clock) {
        this.store = store;
        this.info = info;
        this.clock = clock;
        settings.put("server_version", "8.0.2");
        settings.put("server_encoding", "UTF8");
        settings.put("client_encoding", "UTF8");
        settings.put("DateStyle", "ISO, MDY");
        settings.put("TimeZone", "UTC");
        settings.put("integer_datetimes", "on");
        settings.put("standard_conforming_strings", "on");
        settings.put("IntervalStyle", "postgres");
        settings.put("is_superuser", "on");
        settings.put("session_authorization", info.user());
        settings.put("application_name", info.startupParameters().getOrDefault("application_name", ""));
        settings.put("search_path", "$user, public");
        settings.put("extra_float_digits", "1");
    }

    @Override
    public List<String> split(String sqlText) {
        return Tokens.split(sqlText);
    }

    @Override
    public Map<String, String> reportedSettings() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : List.of(
                "server_version",
                "server_encoding",
                "client_encoding",
                "DateStyle",
                "TimeZone",
                "integer_datetimes",
                "standard_conforming_strings",
                "IntervalStyle",
                "is_superuser",
                "session_authorization",
                "application_name")) {
            out.put(k, settings.getOrDefault(k, ""));
        }
        return out;
    }

    @Override
    public TransactionState transactionState() {
        return tx == null ? TransactionState.IDLE : failed ? TransactionState.FAILED : TransactionState.IN_TRANSACTION;
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public void close() {
        if (tx != null) {
            tx.rollback();
            tx = null;
        }
    }

    // ---- statements ----

    /** How a statement runs, given its parameter values. */
    @FunctionalInterface
    private interface Runner {
        Result run(List<@Nullable Object> params);
    }

    private record Stmt(
            String sql,
            List<SqlType> parameterTypes,
            List<ResultColumn> columns,
            boolean isCopy,
            Runner runner,
            boolean transactionControl)
            implements PreparedStatement {}

    /** {@code $n} rewritten to {@code ?}, with the $n index of each {@code ?}. */
    private record Rewritten(String sql, int[] order, int parameterCount) {
        List<@Nullable Object> bind(List<@Nullable Object> params) {
            List<@Nullable Object> out = new ArrayList<>();
            for (int n : order) {
                if (n >= params.size()) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT,
                            "bind message supplies " + params.size() + " parameters, but the statement needs "
                                    + parameterCount);
                }
                out.add(params.get(n));
            }
            return out;
        }
    }

    private static Rewritten rewriteParameters(String sql) {
        StringBuilder sb = new StringBuilder();
        List<Integer> order = new ArrayList<>();
        int from = 0;
        int max = 0;
        for (Tokens.Token t : Tokens.tokenize(sql)) {
            if (t.kind() == Tokens.Kind.PARAM) {
                sb.append(sql, from, t.start()).append('?');
                int n = Integer.parseInt(t.text());
                if (n < 1) {
                    throw new StrongroomException(ErrorCode.SYNTAX_ERROR, "there is no parameter $" + n);
                }
                order.add(n - 1);
                max = Math.max(max, n);
                from = t.end();
            }
        }
        sb.append(sql.substring(from));
        return new Rewritten(
                sb.toString(), order.stream().mapToInt(Integer::intValue).toArray(), max);
    }

    @Override
    public PreparedStatement prepare(String sql, List<SqlType> declared) {
        try {
            PreparedStatement p = prepareStatement(sql, declared);
            if (failed && !((Stmt) p).transactionControl()) {
                throw inFailedTransaction();
            }
            return p;
        } catch (RuntimeException e) {
            if (tx != null) {
                failed = true;
            }
            throw e;
        }
    }

    private static StrongroomException inFailedTransaction() {
        return new StrongroomException(
                ErrorCode.IN_FAILED_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block");
    }

    private PreparedStatement prepareStatement(String sql, List<SqlType> declared) {
        Tokens t = new Tokens(sql);
        if (t.atEnd()) {
            return new Stmt(sql, List.of(), List.of(), false, p -> new Result.Command(""), false);
        }
        String first = t.peek().lower();
        return switch (first) {
            case "begin", "start" -> control(sql, "BEGIN");
            case "commit", "end" -> control(sql, "COMMIT");
            case "rollback", "abort" -> control(sql, "ROLLBACK");
            case "set", "reset" -> utility(sql, () -> set(new Tokens(sql)));
            case "show" -> show(sql, t);
            case "create" -> create(sql);
            case "drop" -> utility(sql, () -> drop(new Tokens(sql)));
            case "truncate" -> utility(sql, () -> truncate(new Tokens(sql)));
            case "alter" -> alter(sql);
            case "insert" -> insert(sql, declared);
            case "delete" -> delete(sql);
            case "update" -> update(sql);
            case "copy" -> copy(sql);
            case "explain" -> explain(sql);
            case "analyze", "vacuum" -> utility(sql, () -> first.toUpperCase(Locale.ROOT));
            default -> {
                ClientCatalog.Query catalogQuery = ClientCatalog.recognise(sql);
                yield catalogQuery != null ? catalogQuery(sql, catalogQuery) : query(sql, declared);
            }
        };
    }

    /** A psql or pgjdbc query about pg_catalog, answered by {@link ClientCatalog}. */
    private Stmt catalogQuery(String sql, ClientCatalog.Query q) {
        Rewritten rw = rewriteParameters(sql);
        List<SqlType> paramTypes = new ArrayList<>();
        for (int i = 0; i < rw.parameterCount(); i++) {
            paramTypes.add(SqlType.TEXT);
        }
        List<ResultColumn> columns = q.columns();
        return new Stmt(
                sql,
                paramTypes,
                columns,
                false,
                params -> {
                    try (View v = new View()) {
                        return rows(
                                columns,
                                ClientCatalog.rows(q, v, info.user(), rw.bind(params))
                                        .iterator(),
                                null);
                    }
                },
                false);
    }

    private Stmt control(String sql, String tag) {
        return new Stmt(sql, List.of(), List.of(), false, p -> new Result.Command(tag), true);
    }

    private Stmt utility(String sql, java.util.function.Supplier<String> action) {
        return new Stmt(sql, List.of(), List.of(), false, p -> new Result.Command(action.get()), false);
    }

    @Override
    public Result execute(PreparedStatement statement, List<@Nullable Object> parameters) {
        Stmt s = (Stmt) statement;
        cancelled = false;
        if (s.transactionControl()) {
            return transactionControl(((Result.Command) s.runner().run(parameters)).tag());
        }
        if (failed) {
            throw new StrongroomException(
                    ErrorCode.IN_FAILED_TRANSACTION,
                    "current transaction is aborted, commands ignored until end of transaction block");
        }
        try {
            return s.runner().run(parameters);
        } catch (RuntimeException e) {
            if (tx != null) {
                failed = true;
            }
            throw e;
        }
    }

    private Result transactionControl(String tag) {
        switch (tag) {
            case "BEGIN" -> {
                if (tx == null) {
                    tx = store.begin();
                    blockStartedAt = clock.instant();
                    failed = false;
                }
                return new Result.Command("BEGIN");
            }
            case "COMMIT" -> {
                Transaction t = tx;
                tx = null;
                if (t == null) {
                    return new Result.Command("COMMIT");
                }
                if (failed) {
                    failed = false;
                    t.rollback();
                    return new Result.Command("ROLLBACK");
                }
                t.commit();
                return new Result.Command("COMMIT");
            }
            default -> {
                Transaction t = tx;
                tx = null;
                failed = false;
                if (t != null) {
                    t.rollback();
                }
                return new Result.Command("ROLLBACK");
            }
        }
    }

    /** Runs {@code work} in the open transaction, or in a new one committed at the end. */
    private <T> T write(java.util.function.Function<Transaction, T> work) {
        if (tx != null) {
            return work.apply(tx);
        }
        try (Transaction t = store.begin()) {
            T r = work.apply(t);
            t.commit();
            return r;
        }
    }

    /** The tables and readers a query sees: the open transaction's view, or a fresh snapshot. */
    private final class View implements QueryPlanner.Catalog, Executor.Tables, AutoCloseable {
        private final @Nullable Snapshot snapshot;

        View() {
            this.snapshot = tx == null ? store.snapshot() : null;
        }

        @Override
        public List<TableSpec> tables() {
            return snapshot != null
                    ? snapshot.tables()
                    : java.util.Objects.requireNonNull(tx).tables();
        }

        @Override
        public long rowCount(TableSpec spec) {
            return reader(List.of(spec.schema(), spec.name())).rowCount();
        }

        @Override
        public long distinctBound(TableSpec spec, int column) {
            return reader(List.of(spec.schema(), spec.name())).distinctBound(column);
        }

        @Override
        public TableReader reader(TableSpec spec) {
            return reader(List.of(spec.schema(), spec.name()));
        }

        @Override
        public String database() {
            return info.database();
        }

        @Override
        public TableReader reader(List<String> name) {
            String q = String.join(".", name);
            return snapshot != null
                    ? snapshot.table(q)
                    : java.util.Objects.requireNonNull(tx).reader(q);
        }

        @Override
        public void close() {
            if (snapshot != null) {
                snapshot.close();
            }
        }
    }

    private Expressions.Context context(List<@Nullable Object> params) {
        java.time.Instant now = clock.instant();
        return new Expressions.Context(params, info.user(), info.database(), now, tx != null ? blockStartedAt : now);
    }

    // ---- queries ----

    /** A plan and the tables it was made against. */
    private record CachedPlan(List<TableSpec> tables, QueryPlanner.Plan plan) {}

    private static final int PLAN_CACHE_SIZE = 64;

    /**
     * Plans of this session's recent queries by text, as Redshift keeps compiled queries: a plan is reused only
     * while every table definition is the same as when it was made (any DDL, in this session or committed by
     * another, makes a new plan), and plans reading system views are never kept since those views are filled
     * when planned. Row counts may have changed since; they only steer join order, never results.
     */
    private final LinkedHashMap<String, CachedPlan> plans = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CachedPlan> eldest) {
            return size() > PLAN_CACHE_SIZE;
        }
    };

    private QueryPlanner.Plan plan(String sql, View v) {
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

    private Stmt query(String sql, List<SqlType> declared) {
        Rewritten rw = rewriteParameters(sql);
        QueryPlanner.Plan described;
        try (View v = new View()) {
            described = plan(rw.sql(), v);
        }
        List<SqlType> paramTypes = parameterTypes(rw, described.parameterTypes(), declared);
        return new Stmt(
                sql,
                paramTypes,
                described.columns(),
                false,
                params -> runQuery(rw, params, described.columns()),
                false);
    }

    private static List<SqlType> parameterTypes(Rewritten rw, List<SqlType> inferred, List<SqlType> declared) {
        List<SqlType> out = new ArrayList<>();
        for (int n = 0; n < rw.parameterCount(); n++) {
            SqlType t = n < declared.size() && declared.get(n) != SqlType.UNKNOWN ? declared.get(n) : SqlType.UNKNOWN;
            for (int i = 0; i < rw.order().length && t == SqlType.UNKNOWN; i++) {
                if (rw.order()[i] == n && i < inferred.size()) {
                    t = inferred.get(i);
                }
            }
            out.add(t);
        }
        return out;
    }

    private Result runQuery(Rewritten rw, List<@Nullable Object> params, List<ResultColumn> described) {
        View v = new View();
        try {
            QueryPlanner.Plan plan = plan(rw.sql(), v);
            if (!sameShape(described, plan.columns())) {
                // The client was told other columns when it prepared the statement (an ALTER TABLE came between):
                // refuse, as PostgreSQL does, rather than send rows its RowDescription does not describe.
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED,
                        "cached plan must not change result type (a table changed since the statement was prepared;"
                                + " prepare it again)");
            }
            Iterator<@Nullable Object[]> rows =
                    new Executor(v, context(rw.bind(params)), () -> cancelled).run(plan.rel());
            return rows(plan.columns(), rows, v);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    private static boolean sameShape(List<ResultColumn> a, List<ResultColumn> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).name().equals(b.get(i).name())
                    || a.get(i).type() != b.get(i).type()) {
                return false;
            }
        }
        return true;
    }

    private static Result.Rows rows(
            List<ResultColumn> columns, Iterator<@Nullable Object[]> rows, @Nullable AutoCloseable resource) {
        return new Result.Rows() {
            private boolean closed;

            @Override
            public List<ResultColumn> columns() {
                return columns;
            }

            @Override
            public String tag(long rowsSent) {
                return "SELECT " + rowsSent;
            }

            @Override
            public boolean hasNext() {
                boolean more = !closed && rows.hasNext();
                if (!more) {
                    close();
                }
                return more;
            }

            @Override
            public @Nullable Object[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Object[] r = rows.next();
                Object[] out = new Object[columns.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = Types.toWireValue(r[i], columns.get(i).type());
                }
                return out;
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    if (resource != null) {
                        try {
                            resource.close();
                        } catch (Exception e) {
                            // releasing a snapshot does not fail
                        }
                    }
                }
            }
        };
    }

    private Stmt explain(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("explain");
        String inner = t.rest();
        Rewritten rw = rewriteParameters(inner);
        List<ResultColumn> cols = List.of(ResultColumn.of("QUERY PLAN", SqlType.TEXT));
        return new Stmt(
                sql,
                List.of(),
                cols,
                false,
                params -> {
                    try (View v = new View()) {
                        String text = QueryPlanner.explain(
                                QueryPlanner.plan(rw.sql(), v).rel());
                        List<@Nullable Object[]> lines = new ArrayList<>();
                        for (String line : text.split("\n")) {
                            lines.add(new Object[] {line});
                        }
                        return rows(cols, lines.iterator(), null);
                    }
                },
                false);
    }

    // ---- SET / SHOW ----

    private String set(Tokens t) {
        if (t.accept("reset")) {
            if (t.accept("all")) {
                return "RESET";
            }
            settings.remove(t.identifier());
            return "RESET";
        }
        t.expect("set");
        if (!t.accept("session")) {
            t.accept("local");
        }
        if (t.accept("transaction") || t.accept("characteristics")) {
            return "SET";
        }
        String name = t.identifier();
        if (name.equals("time") && t.accept("zone")) {
            name = "timezone";
        } else if (!t.acceptSymbol("=") && !t.accept("to")) {
            throw t.syntax("expected TO or =");
        }
        StringBuilder value = new StringBuilder();
        while (!t.atEnd()) {
            Tokens.Token v = t.next();
            if (!value.isEmpty() && !v.isSymbol(",")) {
                value.append(v.kind() == Tokens.Kind.SYMBOL ? "" : value.charAt(value.length() - 1) == ',' ? " " : " ");
            }
            value.append(v.text());
        }
        String key = canonical(name);
        settings.put(key, value.toString());
        return "SET";
    }

    private String canonical(String name) {
        for (String k : settings.keySet()) {
            if (k.equalsIgnoreCase(name)) {
                return k;
            }
        }
        return name.equals("timezone") ? "TimeZone" : name.equals("datestyle") ? "DateStyle" : name;
    }

    private Stmt show(String sql, Tokens t) {
        t.expect("show");
        String name = t.atEnd() ? "" : t.identifier();
        String key = canonical(name);
        List<ResultColumn> cols = List.of(ResultColumn.of(name, SqlType.TEXT));
        return new Stmt(
                sql,
                List.of(),
                cols,
                false,
                p -> {
                    if (name.equals("all")) {
                        List<@Nullable Object[]> rows = new ArrayList<>();
                        settings.forEach((k, v) -> rows.add(new Object[] {k + " = " + v}));
                        return rows(cols, rows.iterator(), null);
                    }
                    String v = settings.get(key);
                    if (v == null) {
                        throw new StrongroomException(
                                ErrorCode.NOT_FOUND, "unrecognized configuration parameter \"" + name + "\"");
                    }
                    List<@Nullable Object[]> one = new ArrayList<>();
                    one.add(new Object[] {v});
                    return rows(cols, one.iterator(), null);
                },
                false);
    }

    // ---- DDL ----

    private Stmt create(String sql) {
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
            return utility(sql, () -> "CREATE SCHEMA");
        }
        TableDdl.Create c = TableDdl.parseCreate(new Tokens(sql));
        if (c.asQuery() == null) {
            return utility(
                    sql,
                    () -> write(tx -> {
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
        String asQuery = java.util.Objects.requireNonNull(c.asQuery());
        return new Stmt(
                sql,
                List.of(),
                List.of(),
                false,
                params -> {
                    String tag = write(tx -> {
                        List<ResultColumn> cols;
                        List<@Nullable Object[]> rowsOut = new ArrayList<>();
                        View v = new View();
                        try {
                            QueryPlanner.Plan plan = QueryPlanner.plan(asQuery, v);
                            cols = plan.columns();
                            Iterator<@Nullable Object[]> it =
                                    new Executor(v, context(List.of()), () -> cancelled).run(plan.rel());
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
                            long n = appendRows(tx, spec, it);
                            return "SELECT " + n;
                        } finally {
                            v.close();
                        }
                    });
                    return new Result.Command(tag);
                },
                false);
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
        t.accept("cascade");
        t.accept("restrict");
        boolean ie = ifExists;
        return write(tx -> {
            for (String[] n : names) {
                String q = n[0] + "." + n[1];
                if (!tx.exists(q)) {
                    if (ie) {
                        continue;
                    }
                    throw new StrongroomException(ErrorCode.NOT_FOUND, "table \"" + n[1] + "\" does not exist");
                }
                tx.dropTable(q);
            }
            return "DROP TABLE";
        });
    }

    /**
     * ALTER TABLE: parsed when prepared, applied in the open transaction block or in its own transaction. Unlike
     * Redshift, ADD and DROP COLUMN may run inside a transaction block: each change is metadata in the store's
     * transaction, atomic with the block's other writes and undone by ROLLBACK.
     */
    private Stmt alter(String sql) {
        TableDdl.Alter a = TableDdl.parseAlter(new Tokens(sql));
        return utility(
                sql,
                () -> write(tx -> {
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

    private String truncate(Tokens t) {
        t.expect("truncate");
        t.accept("table");
        String[] n = t.qualifiedName();
        return write(tx -> {
            tx.truncate(n[0] + "." + n[1]);
            return "TRUNCATE TABLE";
        });
    }

    // ---- DML ----

    private void checkCancelled() {
        if (cancelled) {
            throw new StrongroomException(ErrorCode.QUERY_CANCELED, "canceling statement due to user request");
        }
    }

    /** Appends rows (in-memory values) to a table in batches; returns the count. */
    private long appendRows(Transaction tx, TableSpec spec, Iterator<@Nullable Object[]> rows) {
        long n = 0;
        RowBatch batch = RowBatch.builder(spec.columns(), 1024);
        while (rows.hasNext()) {
            checkCancelled();
            Object[] r = rows.next();
            Object[] converted = new Object[spec.columns().size()];
            for (int i = 0; i < converted.length; i++) {
                converted[i] = Types.toStorage(r[i], spec.columns().get(i).type());
            }
            batch.addRow(converted);
            n++;
            if (batch.rowCount() >= BATCH_ROWS) {
                tx.append(spec.qualifiedName(), batch);
                batch = RowBatch.builder(spec.columns(), 1024);
            }
        }
        if (batch.rowCount() > 0) {
            tx.append(spec.qualifiedName(), batch);
        }
        return n;
    }

    private Stmt insert(String sql, List<SqlType> declared) {
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
        Rewritten rw = rewriteParameters(source);
        try (View v = new View()) {
            // Checked now for an early error; the table is looked up again when the statement runs, since an
            // ALTER TABLE may come between.
            TableSpec spec = v.tables().stream()
                    .filter(s -> s.qualifiedName().equalsIgnoreCase(qualified))
                    .findFirst()
                    .orElseThrow(() -> new StrongroomException(
                            ErrorCode.NOT_FOUND, "relation \"" + name[1] + "\" does not exist"));
            targetPositions(spec, targetCols);
        }
        // Parameters in VALUES take their types from the target columns.
        List<SqlType> paramTypes = new ArrayList<>();
        for (int i = 0; i < rw.parameterCount(); i++) {
            SqlType d = i < declared.size() ? declared.get(i) : SqlType.UNKNOWN;
            paramTypes.add(d);
        }
        boolean values = new Tokens(source).peekIs("values");
        return new Stmt(
                sql,
                paramTypes,
                List.of(),
                false,
                params -> {
                    long n = write(tx -> {
                        TableSpec spec = tx.spec(qualified);
                        int[] positions = targetPositions(spec, targetCols);
                        @Nullable Object[] defaults = defaults(spec);
                        Iterator<@Nullable Object[]> rows;
                        View v = new View();
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
                                rows = RowOps.drain(new Executor(v, context(rw.bind(params)), () -> cancelled)
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
                            return appendRows(tx, spec, full);
                        } finally {
                            v.close();
                        }
                    });
                    return new Result.Command("INSERT 0 " + n);
                },
                false);
    }

    static int[] targetPositions(TableSpec spec, List<String> targetCols) {
        if (targetCols.isEmpty()) {
            return java.util.stream.IntStream.range(0, spec.columns().size()).toArray();
        }
        int[] out = new int[targetCols.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = spec.indexOf(targetCols.get(i));
            if (out[i] < 0) {
                throw new StrongroomException(
                        ErrorCode.UNDEFINED_COLUMN,
                        "column \"" + targetCols.get(i) + "\" of relation \"" + spec.name() + "\" does not exist");
            }
        }
        return out;
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
        Rewritten rw = rewriteParameters("SELECT " + text);
        try (View v = new View()) {
            QueryPlanner.Plan plan = QueryPlanner.plan(rw.sql(), v);
            List<@Nullable Object[]> r =
                    RowOps.drain(new Executor(v, context(rw.bind(params)), () -> cancelled).run(plan.rel()));
            return r.isEmpty() ? null : r.get(0)[0];
        }
    }

    /**
     * DELETE FROM t [WHERE cond] and UPDATE t SET c = e, ... [WHERE cond] plan {@code SELECT cond, e, ... FROM
     * t}; the projection's expressions are then evaluated on each stored row.
     */
    private List<Expressions.Expr> rowExpressions(
            String table, List<String> exprs, Rewritten rw, List<@Nullable Object> params, View v) {
        QueryPlanner.Plan plan = QueryPlanner.plan(rw.sql(), v);
        RelNode rel = plan.rel();
        if (!(rel instanceof LogicalProject p) || !(p.getInput() instanceof TableScan)) {
            throw new StrongroomException(
                    ErrorCode.NOT_IMPLEMENTED,
                    "UPDATE and DELETE with subqueries or joins are not supported yet (" + table + ")");
        }
        List<Expressions.Expr> out = new ArrayList<>();
        for (var e : p.getProjects()) {
            out.add(Expressions.compile(e, context(rw.bind(params))));
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

    private Stmt delete(String sql) {
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
        Rewritten rw =
                rewriteParameters("SELECT " + (where.isEmpty() ? "TRUE" : "(" + where + ")") + " FROM " + quote(name));
        return new Stmt(
                sql,
                List.of(),
                List.of(),
                false,
                params -> {
                    long n = write(tx -> {
                        try (View v = new View()) {
                            Expressions.Expr cond =
                                    rowExpressions(q, List.of(), rw, params, v).get(0);
                            return tx.delete(q, (b, r) -> Boolean.TRUE.equals(cond.eval(rowValues(b, r))));
                        }
                    });
                    return new Result.Command("DELETE " + n);
                },
                false);
    }

    private Stmt update(String sql) {
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
        Rewritten rw = rewriteParameters(select.toString());
        return new Stmt(
                sql,
                List.of(),
                List.of(),
                false,
                params -> {
                    long n = write(tx -> {
                        TableSpec spec = tx.spec(q);
                        int[] positions = targetPositions(spec, targets);
                        try (View v = new View()) {
                            List<Expressions.Expr> es = rowExpressions(q, exprs, rw, params, v);
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

    private static String quote(String[] name) {
        return "\"" + name[0].replace("\"", "\"\"") + "\".\"" + name[1].replace("\"", "\"\"") + "\"";
    }

    // ---- COPY ----

    private Stmt copy(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("copy");
        if (t.peekSymbol("(")) {
            return copyQueryOut(sql, t);
        }
        String[] name = t.qualifiedName();
        List<String> cols = new ArrayList<>();
        if (t.acceptSymbol("(")) {
            do {
                cols.add(t.identifier());
            } while (t.acceptSymbol(","));
            t.expectSymbol(")");
        }
        String q = name[0] + "." + name[1];
        if (t.accept("to")) {
            if (!t.accept("stdout")) {
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED, "COPY TO a server file is not supported; use COPY ... TO STDOUT");
            }
            CopyFormat f = CopyFormat.parse(t);
            return copyOut(
                    sql,
                    "SELECT "
                            + (cols.isEmpty()
                                    ? "*"
                                    : String.join(
                                            ", ",
                                            cols.stream()
                                                    .map(c -> "\"" + c + "\"")
                                                    .toList()))
                            + " FROM " + quote(name),
                    f);
        }
        t.expect("from");
        boolean stdin = t.accept("stdin");
        String file = stdin ? null : t.string();
        CopyFormat f = CopyFormat.parse(t);
        return new Stmt(
                sql,
                List.of(),
                List.of(),
                true,
                params -> {
                    CopyLoader loader =
                            new CopyLoader(store, tx, this::checkCancelled, () -> failed = true, q, name[1], cols, f);
                    if (file != null) {
                        try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(file))) {
                            byte[] buf = new byte[1 << 16];
                            var src = f.gzip() ? new java.util.zip.GZIPInputStream(in) : in;
                            int n;
                            while ((n = src.read(buf)) > 0) {
                                loader.write(buf, 0, n);
                            }
                        } catch (java.io.IOException e) {
                            loader.abort(e.getMessage() == null ? "read failed" : e.getMessage());
                            throw new StrongroomException(
                                    ErrorCode.IO_ERROR, "could not read file \"" + file + "\": " + e.getMessage(), e);
                        }
                        return new Result.Command(loader.finish());
                    }
                    return new Result.CopyIn(loader.columnCount(), false, loader);
                },
                false);
    }

    private Stmt copyOut(String sql, String query, CopyFormat f) {
        Rewritten rw = rewriteParameters(query);
        return new Stmt(
                sql,
                List.of(),
                List.of(),
                true,
                params -> {
                    View v = new View();
                    QueryPlanner.Plan plan;
                    Iterator<@Nullable Object[]> rows;
                    try {
                        plan = QueryPlanner.plan(rw.sql(), v);
                        rows = RowOps.drain(new Executor(v, context(rw.bind(params)), () -> cancelled).run(plan.rel()))
                                .iterator();
                    } finally {
                        v.close();
                    }
                    List<byte[]> chunks = new ArrayList<>();
                    long n = 0;
                    while (rows.hasNext()) {
                        chunks.add(f.format(rows.next()).getBytes(StandardCharsets.UTF_8));
                        n++;
                    }
                    return new Result.CopyOut(plan.columns().size(), false, chunks.iterator(), "COPY " + n);
                },
                false);
    }

    private Stmt copyQueryOut(String sql, Tokens t) {
        t.expectSymbol("(");
        int depth = 1;
        int start = t.peek().start();
        int end = start;
        while (depth > 0) {
            Tokens.Token x = t.next();
            if (x.isSymbol("(")) {
                depth++;
            } else if (x.isSymbol(")")) {
                depth--;
            }
            if (depth > 0) {
                end = x.end();
            }
        }
        String query = sql.substring(start, end);
        t.expect("to");
        t.expect("stdout");
        return copyOut(sql, query, CopyFormat.parse(t));
    }
}
