package io.strongroom.sql.engine;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.DistStyle;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parses CREATE TABLE with Redshift's table attributes, which Calcite's parsers reject:
 *
 * <pre>
 * CREATE [TEMP|TEMPORARY] TABLE [IF NOT EXISTS] [schema.]name (
 *     column type [ENCODE enc] [DISTKEY] [SORTKEY] [NOT NULL | NULL] [PRIMARY KEY] [UNIQUE] [REFERENCES t[(c)]]
 *     [, ...] [, PRIMARY KEY (cols)] [, UNIQUE (cols)] [, FOREIGN KEY (cols) REFERENCES t[(cols)]] )
 *   [BACKUP {YES|NO}] [DISTSTYLE {EVEN|KEY|ALL|AUTO}] [DISTKEY (col)] [[COMPOUND|INTERLEAVED] SORTKEY (cols)]
 *   [AS query]
 * </pre>
 *
 * Constraints other than NOT NULL are informational in Redshift and accepted as such. Stateless.
 */
final class TableDdl {
    private TableDdl() {}

    /** A parsed CREATE TABLE: the spec (columns empty for CREATE TABLE AS) and the AS query if any. */
    record Create(
            TableSpec spec, boolean ifNotExists, @Nullable String asQuery, List<String> notNull) {}

    static Create parseCreate(Tokens t) {
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
        List<String> notNull = new ArrayList<>();
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
                    skipTableConstraint(t);
                    continue;
                }
                String col = t.identifier();
                ColumnType type = type(t);
                while (!t.peekSymbol(",") && !t.peekSymbol(")")) {
                    if (t.accept("encode")) {
                        t.identifier();
                    } else if (t.accept("distkey")) {
                        distKey = col;
                    } else if (t.accept("sortkey")) {
                        sortKey.add(col);
                    } else if (t.accept("not")) {
                        t.expect("null");
                        notNull.add(col);
                    } else if (t.accept("null")) {
                        // nullable, the default
                    } else if (t.accept("primary")) {
                        t.expect("key");
                    } else if (t.accept("unique")) {
                        // informational
                    } else if (t.accept("references")) {
                        t.qualifiedName();
                        if (t.acceptSymbol("(")) {
                            t.identifier();
                            t.expectSymbol(")");
                        }
                    } else if (t.peekIs("default")
                            || t.peekIs("identity")
                            || t.peekIs("generated")
                            || t.peekIs("collate")) {
                        throw new StrongroomException(
                                ErrorCode.NOT_IMPLEMENTED,
                                "column option " + t.next().text().toUpperCase(java.util.Locale.ROOT)
                                        + " is not supported yet");
                    } else {
                        throw t.syntax("unexpected column option");
                    }
                }
                columns.add(new Column(columns.size(), col, type));
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
        TableSpec spec = new TableSpec(name[0], name[1], cols, dist, distKey, sortKey, backup);
        return new Create(spec, ifNotExists, asQuery, notNull);
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
