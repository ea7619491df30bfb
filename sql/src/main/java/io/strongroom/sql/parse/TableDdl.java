package io.strongroom.sql.parse;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Types;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.DistStyle;
import io.strongroom.storage.TableConstraint;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Parses CREATE TABLE with Redshift's table attributes, and ALTER TABLE, which Calcite's parsers reject:
 *
 * <pre>
 * CREATE [TEMP|TEMPORARY] TABLE [IF NOT EXISTS] [schema.]name (
 *     column type [DEFAULT literal] [ENCODE enc] [DISTKEY] [SORTKEY] [NOT NULL | NULL]
 *     [[CONSTRAINT c] PRIMARY KEY] [[CONSTRAINT c] UNIQUE] [[CONSTRAINT c] REFERENCES t[(c)]]
 *     [, ...] [, [CONSTRAINT c] PRIMARY KEY (cols)] [, [CONSTRAINT c] UNIQUE (cols)]
 *     [, [CONSTRAINT c] FOREIGN KEY (cols) REFERENCES t[(cols)] [MATCH ...] [ON DELETE|UPDATE action]] )
 *   [BACKUP {YES|NO}] [DISTSTYLE {EVEN|KEY|ALL|AUTO}] [DISTKEY (col)] [[COMPOUND|INTERLEAVED] SORTKEY (cols)]
 *   [AS query]
 *
 * ALTER TABLE [IF EXISTS] [ONLY] [schema.]name
 *     { RENAME TO new_name
 *     | RENAME [COLUMN] column TO new_column
 *     | ADD [COLUMN] [IF NOT EXISTS] column type [DEFAULT literal] [ENCODE enc] [NOT NULL | NULL]
 *     | DROP [COLUMN] [IF EXISTS] column [RESTRICT | CASCADE] }
 * </pre>
 *
 * PRIMARY KEY, UNIQUE and FOREIGN KEY are informational in Redshift: kept in the table's spec ({@link
 * TableConstraint}), named as PostgreSQL names them when the DDL does not ({@code t_pkey}, {@code t_a_b_key},
 * {@code t_a_fkey}, a number appended on a clash), never enforced. A table CHECK constraint is accepted and dropped. A DEFAULT is a literal
 * (number, string, TRUE/FALSE, NULL, {@code DATE '...'}, {@code TIMESTAMP '...'}, optionally with a {@code
 * ::type} cast), converted to the column's type here, once; expressions such as {@code GETDATE()} are refused.
 * Stateless.
 */
public final class TableDdl {
    private TableDdl() {}

    /** A parsed CREATE TABLE: the spec (columns empty for CREATE TABLE AS) and the AS query if any. */
    public record Create(
            TableSpec spec, boolean ifNotExists, @Nullable String asQuery) {}

    /** A parsed ALTER TABLE: which table, whether IF EXISTS, and the one change. */
    public record Alter(String schema, String table, boolean ifExists, Action action) {
        public String qualifiedName() {
            return schema + "." + table;
        }
    }

    /** What an ALTER TABLE does. */
    public sealed interface Action permits RenameTable, RenameColumn, AddColumn, DropColumn {}

    public record RenameTable(String newName) implements Action {}

    public record RenameColumn(String column, String newName) implements Action {}

    /** ADD COLUMN; {@code column.id()} is a placeholder, the store assigns the id. */
    public record AddColumn(Column column, boolean ifNotExists) implements Action {}

    public record DropColumn(String column, boolean ifExists) implements Action {}

    /** A column definition: the column (id as given), the per-column DISTKEY / SORTKEY markers, its constraints. */
    private record ColumnDef(Column column, boolean distKey, boolean sortKey, List<Unnamed> constraints) {}

    public static Create parseCreate(Tokens t) {
        t.expect("create");
        if (t.accept("temp") || t.accept("temporary") || t.accept("local")) {
            t.accept("temp");
            t.accept("temporary");
        }
        t.expect("table");
        boolean ifNotExists = false;
        if (t.accept("if")) {
            t.expect("not");
            t.expect("exists");
            ifNotExists = true;
        }
        String[] name = t.qualifiedName();
        List<Column> columns = new ArrayList<>();
        List<Unnamed> constraints = new ArrayList<>();
        String distKey = null;
        List<String> sortKey = new ArrayList<>();
        DistStyle dist = null;
        boolean backup = true;
        if (t.acceptSymbol("(")) {
            do {
                if (t.peekIs("primary")
                        || t.peekIs("unique")
                        || t.peekIs("foreign")
                        || t.peekIs("constraint")
                        || t.peekIs("check")) {
                    @Nullable String constraintName = t.accept("constraint") ? t.identifier() : null;
                    if (t.peekIs("check")) {
                        skipTableConstraint(t);
                    } else {
                        constraints.add(tableConstraint(t, constraintName, null));
                    }
                    continue;
                }
                ColumnDef def = columnDef(t, columns.size());
                constraints.addAll(def.constraints());
                if (def.distKey()) {
                    distKey = def.column().name();
                }
                if (def.sortKey()) {
                    sortKey.add(def.column().name());
                }
                columns.add(def.column());
            } while (t.acceptSymbol(","));
            t.expectSymbol(")");
        }
        String asQuery = null;
        while (!t.atEnd()) {
            if (t.accept("backup")) {
                if (t.accept("yes")) {
                    backup = true;
                } else if (t.accept("no")) {
                    backup = false;
                } else {
                    throw t.syntax("BACKUP must be YES or NO");
                }
            } else if (t.accept("diststyle")) {
                String s = t.identifier();
                dist = switch (s) {
                    case "even" -> DistStyle.EVEN;
                    case "key" -> DistStyle.KEY;
                    case "all" -> DistStyle.ALL;
                    case "auto" -> DistStyle.AUTO;
                    default -> throw t.syntax("DISTSTYLE must be EVEN, KEY, ALL or AUTO");
                };
            } else if (t.accept("distkey")) {
                t.expectSymbol("(");
                distKey = t.identifier();
                t.expectSymbol(")");
            } else if (t.accept("compound") || t.peekIs("sortkey")) {
                t.expect("sortkey");
                sortKey = identifierList(t);
            } else if (t.accept("interleaved")) {
                t.expect("sortkey");
                sortKey = identifierList(t);
            } else if (t.peekIs("as")) {
                t.next();
                asQuery = t.rest();
                break;
            } else {
                throw t.syntax("unexpected table attribute");
            }
        }
        if (dist == null) {
            dist = distKey != null ? DistStyle.KEY : DistStyle.AUTO;
        }
        if (dist == DistStyle.KEY && distKey == null) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "DISTSTYLE KEY needs a DISTKEY column");
        }
        if (dist != DistStyle.KEY && distKey != null) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "a DISTKEY needs DISTSTYLE KEY (or no DISTSTYLE)");
        }
        if (asQuery == null && columns.isEmpty()) {
            throw t.syntax("a table needs at least one column");
        }
        List<Column> cols = columns.isEmpty() ? List.of(new Column(0, "placeholder", ColumnType.INTEGER)) : columns;
        if (asQuery != null && !constraints.isEmpty()) {
            throw new StrongroomException(
                    ErrorCode.NOT_IMPLEMENTED,
                    "CREATE TABLE AS with constraints is not supported; add them with the column list instead");
        }
        TableSpec spec = new TableSpec(
                name[0], name[1], cols, dist, distKey, sortKey, backup, named(name[0], name[1], constraints));
        return new Create(spec, ifNotExists, asQuery);
    }

    /** A constraint as written: its name, or null when PostgreSQL's rule names it. */
    private record Unnamed(
            @Nullable String name,
            TableConstraint.Kind kind,
            List<String> columns,
            String @Nullable [] referenced,
            List<String> referencedColumns) {}

    /**
     * {@code PRIMARY KEY (cols)}, {@code UNIQUE (cols)}, {@code FOREIGN KEY (cols) REFERENCES t [(cols)]}, after
     * an optional {@code CONSTRAINT name}; for a column constraint ({@code column} given) the column list is that
     * column and is not written.
     */
    private static Unnamed tableConstraint(Tokens t, @Nullable String name, @Nullable String column) {
        if (t.accept("primary")) {
            t.expect("key");
            return new Unnamed(name, TableConstraint.Kind.PRIMARY_KEY, columnsOf(t, column), null, List.of());
        }
        if (t.accept("unique")) {
            return new Unnamed(name, TableConstraint.Kind.UNIQUE, columnsOf(t, column), null, List.of());
        }
        List<String> cols;
        if (column == null) {
            t.expect("foreign");
            t.expect("key");
            cols = identifierList(t);
        } else {
            cols = List.of(column);
        }
        t.expect("references");
        String[] ref = t.qualifiedName();
        // No column list: the referenced table's PRIMARY KEY, which the store resolves ("" stands for it).
        List<String> refCols = t.peekSymbol("(")
                ? identifierList(t)
                : cols.stream().map(c -> "").toList();
        // MATCH FULL|SIMPLE|PARTIAL, ON DELETE|UPDATE action, DEFERRABLE, INITIALLY ...: about enforcement,
        // which Redshift does not do; accepted and dropped.
        while (true) {
            if (t.accept("match")) {
                t.identifier();
            } else if (t.accept("on")) {
                if (!t.accept("delete")) {
                    t.expect("update");
                }
                if (t.accept("set")) {
                    if (!t.accept("null")) {
                        t.expect("default");
                    }
                } else if (t.accept("no")) {
                    t.expect("action");
                } else if (!t.accept("cascade")) {
                    t.expect("restrict");
                }
            } else if (t.accept("deferrable")) {
                // informational anyway
            } else if (t.accept("initially")) {
                t.identifier();
            } else {
                break;
            }
        }
        return new Unnamed(name, TableConstraint.Kind.FOREIGN_KEY, cols, ref, refCols);
    }

    private static List<String> columnsOf(Tokens t, @Nullable String column) {
        return column != null ? List.of(column) : identifierList(t);
    }

    /** Names the unnamed constraints as PostgreSQL does; an explicit name is kept (a clash is refused later). */
    private static List<TableConstraint> named(String schema, String table, List<Unnamed> constraints) {
        Set<String> taken = new HashSet<>();
        constraints.forEach(c -> {
            if (c.name() != null) {
                taken.add(c.name().toLowerCase(Locale.ROOT));
            }
        });
        List<TableConstraint> out = new ArrayList<>();
        for (Unnamed c : constraints) {
            String name = c.name();
            if (name == null) {
                String base = switch (c.kind()) {
                    case PRIMARY_KEY -> table + "_pkey";
                    case UNIQUE -> table + "_" + String.join("_", c.columns()) + "_key";
                    case FOREIGN_KEY -> table + "_" + String.join("_", c.columns()) + "_fkey";
                };
                name = base;
                for (int i = 1; taken.contains(name.toLowerCase(Locale.ROOT)); i++) {
                    name = base + i;
                }
                taken.add(name.toLowerCase(Locale.ROOT));
            }
            String[] ref = c.referenced();
            out.add(
                    ref == null
                            ? new TableConstraint(name, c.kind(), c.columns(), null, List.of())
                            : TableConstraint.foreignKey(
                                    name, c.columns(), ref[0] + "." + ref[1], c.referencedColumns()));
        }
        return out;
    }

    /** {@code name type [options]} up to the next top-level comma or closing parenthesis (or the end). */
    private static ColumnDef columnDef(Tokens t, int id) {
        String col = t.identifier();
        ColumnType type = type(t);
        boolean notNull = false;
        boolean distKey = false;
        boolean sortKey = false;
        @Nullable Object dflt = null;
        List<Unnamed> constraints = new ArrayList<>();
        while (!t.atEnd() && !t.peekSymbol(",") && !t.peekSymbol(")")) {
            if (t.accept("encode")) {
                t.identifier();
            } else if (t.accept("distkey")) {
                distKey = true;
            } else if (t.accept("sortkey")) {
                sortKey = true;
            } else if (t.accept("not")) {
                t.expect("null");
                notNull = true;
            } else if (t.accept("null")) {
                // nullable, the default
            } else if (t.accept("default")) {
                dflt = defaultLiteral(t, col, type);
            } else if (t.peekIs("constraint") || t.peekIs("primary") || t.peekIs("unique") || t.peekIs("references")) {
                @Nullable String name = t.accept("constraint") ? t.identifier() : null;
                constraints.add(tableConstraint(t, name, col));
            } else if (t.peekIs("identity") || t.peekIs("generated") || t.peekIs("collate")) {
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED,
                        "column option " + t.next().text().toUpperCase(Locale.ROOT) + " is not supported yet");
            } else {
                throw t.syntax("unexpected column option");
            }
        }
        return new ColumnDef(new Column(id, col, type, notNull, dflt), distKey, sortKey, constraints);
    }

    /**
     * A DEFAULT literal as the column's storage value ({@code ColumnVector.append}'s form), or null for {@code
     * DEFAULT NULL}.
     */
    private static @Nullable Object defaultLiteral(Tokens t, String column, ColumnType type) {
        @Nullable Object value;
        if (t.accept("null")) {
            value = null;
        } else if (t.peekIs("true") || t.peekIs("false")) {
            value = Types.toStorage(t.next().is("true"), type);
        } else {
            // DATE '2024-01-01', TIMESTAMP '...': the keyword only says how to read the string.
            if (t.peekIs("date") || t.peekIs("timestamp") || t.peekIs("timestamptz")) {
                t.next();
            }
            String sign = t.acceptSymbol("-") ? "-" : "";
            if (sign.isEmpty()) {
                t.acceptSymbol("+");
            }
            Tokens.@Nullable Token v = t.atEnd() ? null : t.peek();
            if (v == null || (v.kind() != Tokens.Kind.NUMBER && v.kind() != Tokens.Kind.STRING)) {
                String what = v == null ? "nothing" : v.text();
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED,
                        "DEFAULT " + what + " for column \"" + column
                                + "\": only literal defaults (numbers, strings, TRUE/FALSE, NULL, DATE '...') are"
                                + " supported yet");
            }
            t.next();
            value = Types.toStorage(sign + v.text(), type);
        }
        if (t.acceptSymbol("::")) {
            type(t); // the cast names a type the literal is read as; the column's type decides the value
        }
        return value;
    }

    /** Parses ALTER TABLE (see the class comment). */
    public static Alter parseAlter(Tokens t) {
        t.expect("alter");
        if (!t.accept("table")) {
            String what = t.atEnd() ? "" : t.peek().text().toUpperCase(Locale.ROOT);
            throw new StrongroomException(ErrorCode.NOT_IMPLEMENTED, "ALTER " + what + " is not supported yet");
        }
        boolean ifExists = false;
        if (t.accept("if")) {
            t.expect("exists");
            ifExists = true;
        }
        t.accept("only");
        String[] name = t.qualifiedName();
        Action action;
        if (t.accept("rename")) {
            if (t.accept("to")) {
                String newName = t.identifier();
                if (t.peekSymbol(".")) {
                    throw t.syntax("the new name of a table cannot name a schema");
                }
                action = new RenameTable(newName);
            } else {
                if (t.peekIs("constraint")) {
                    throw new StrongroomException(
                            ErrorCode.NOT_IMPLEMENTED, "ALTER TABLE RENAME CONSTRAINT is not supported yet");
                }
                t.accept("column");
                String column = t.identifier();
                t.expect("to");
                action = new RenameColumn(column, t.identifier());
            }
        } else if (t.accept("add")) {
            if (t.peekIs("constraint")
                    || t.peekIs("primary")
                    || t.peekIs("unique")
                    || t.peekIs("foreign")
                    || t.peekIs("check")) {
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED, "ALTER TABLE ADD CONSTRAINT is not supported yet");
            }
            t.accept("column");
            boolean ifNotExists = false;
            if (t.accept("if")) {
                t.expect("not");
                t.expect("exists");
                ifNotExists = true;
            }
            ColumnDef def = columnDef(t, 0);
            if (!def.constraints().isEmpty()) {
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED,
                        "ALTER TABLE ADD COLUMN with a PRIMARY KEY, UNIQUE or REFERENCES constraint is not supported"
                                + " yet; declare constraints in CREATE TABLE");
            }
            if (def.distKey() || def.sortKey()) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT,
                        "ALTER TABLE ADD COLUMN cannot add a DISTKEY or SORTKEY column (\""
                                + def.column().name()
                                + "\"); recreate the table to change its distribution or sort key");
            }
            Column c = def.column();
            if (c.notNull() && c.defaultValue() == null) {
                // Redshift's rule, even for an empty table: existing rows need a value for the new column.
                throw new StrongroomException(
                        ErrorCode.NOT_NULL_VIOLATION,
                        "ALTER TABLE ADD COLUMN defined as NOT NULL must have a non-null default expression"
                                + " (column \"" + c.name() + "\")");
            }
            action = new AddColumn(c, ifNotExists);
        } else if (t.accept("drop")) {
            if (t.peekIs("constraint")) {
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED, "ALTER TABLE DROP CONSTRAINT is not supported yet");
            }
            t.accept("column");
            boolean ifColumnExists = false;
            if (t.accept("if")) {
                t.expect("exists");
                ifColumnExists = true;
            }
            String column = t.identifier();
            if (!t.accept("restrict")) {
                t.accept("cascade");
            }
            action = new DropColumn(column, ifColumnExists);
        } else {
            String what = t.atEnd() ? "nothing" : t.peek().text().toUpperCase(Locale.ROOT);
            throw new StrongroomException(
                    ErrorCode.NOT_IMPLEMENTED,
                    "ALTER TABLE " + what + " is not supported yet: RENAME TO, RENAME COLUMN, ADD COLUMN and DROP"
                            + " COLUMN are");
        }
        if (!t.atEnd()) {
            throw t.peekSymbol(",")
                    ? new StrongroomException(
                            ErrorCode.NOT_IMPLEMENTED,
                            "ALTER TABLE with more than one action is not supported, as in Redshift: run one ALTER"
                                    + " TABLE per change")
                    : t.syntax("unexpected text after ALTER TABLE");
        }
        return new Alter(name[0], name[1], ifExists, action);
    }

    private static List<String> identifierList(Tokens t) {
        List<String> out = new ArrayList<>();
        t.expectSymbol("(");
        do {
            out.add(t.identifier());
        } while (t.acceptSymbol(","));
        t.expectSymbol(")");
        return out;
    }

    private static void skipTableConstraint(Tokens t) {
        int depth = 0;
        while (!t.atEnd()) {
            if (depth == 0 && (t.peekSymbol(",") || t.peekSymbol(")"))) {
                return;
            }
            Tokens.Token x = t.next();
            if (x.isSymbol("(")) {
                depth++;
            } else if (x.isSymbol(")")) {
                depth--;
            }
        }
    }

    /** A column type as PostgreSQL and Redshift spell it. */
    static ColumnType type(Tokens t) {
        String w = t.identifier();
        switch (w) {
            case "smallint", "int2":
                return ColumnType.SMALLINT;
            case "integer", "int", "int4":
                return ColumnType.INTEGER;
            case "bigint", "int8":
                return ColumnType.BIGINT;
            case "decimal", "numeric": {
                int p = 18;
                int s = 0;
                if (t.acceptSymbol("(")) {
                    p = t.integer();
                    if (t.acceptSymbol(",")) {
                        s = t.integer();
                    }
                    t.expectSymbol(")");
                }
                return ColumnType.decimal(p, s);
            }
            case "real", "float4":
                return ColumnType.REAL;
            case "float", "float8":
                return ColumnType.DOUBLE;
            case "double":
                t.expect("precision");
                return ColumnType.DOUBLE;
            case "boolean", "bool":
                return ColumnType.BOOLEAN;
            case "char", "character", "nchar", "bpchar": {
                if (t.accept("varying")) {
                    return ColumnType.varchar(length(t, 256));
                }
                return ColumnType.charType(length(t, 1));
            }
            case "varchar", "nvarchar":
                return ColumnType.varchar(length(t, 256));
            case "text":
                return ColumnType.varchar(256);
            case "date":
                return ColumnType.DATE;
            case "timestamp": {
                if (t.acceptSymbol("(")) {
                    t.integer();
                    t.expectSymbol(")");
                }
                if (t.accept("with")) {
                    t.expect("time");
                    t.expect("zone");
                    return ColumnType.TIMESTAMPTZ;
                }
                if (t.accept("without")) {
                    t.expect("time");
                    t.expect("zone");
                }
                return ColumnType.TIMESTAMP;
            }
            case "timestamptz":
                return ColumnType.TIMESTAMPTZ;
            default:
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "type \"" + w + "\" does not exist or is not supported");
        }
    }

    private static int length(Tokens t, int dflt) {
        if (t.acceptSymbol("(")) {
            int n;
            if (t.accept("max")) {
                n = ColumnType.MAX_CHAR_LENGTH;
            } else {
                n = t.integer();
            }
            t.expectSymbol(")");
            return n;
        }
        return dflt;
    }
}
