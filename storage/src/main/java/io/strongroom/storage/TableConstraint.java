package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A PRIMARY KEY, UNIQUE or FOREIGN KEY constraint of a table, kept as Redshift keeps them: informational, never
 * enforced, but listed in the catalog ({@code pg_constraint}, {@code pg_index}, {@code
 * information_schema.table_constraints}) so drivers and tools see the keys a schema declares. Columns are named,
 * like the sort key and DISTKEY, and follow renames ({@link Transaction}).
 *
 * @param name the constraint's name, unique in its table ({@code t_pkey}, {@code t_a_key}, {@code t_a_fkey} when
 *     the DDL gives none, as PostgreSQL names them)
 * @param kind what it constrains
 * @param columns the constrained columns of this table, in key order; at least one
 * @param referencedTable for a FOREIGN KEY, the referenced table's qualified name ({@code schema.table}); else null
 * @param referencedColumns for a FOREIGN KEY, the referenced columns, one per column; else empty
 */
public record TableConstraint(
        String name,
        Kind kind,
        List<String> columns,
        @Nullable String referencedTable,
        List<String> referencedColumns) {
    /** The kinds, with their on-disk id and PostgreSQL's {@code pg_constraint.contype}. */
    public enum Kind {
        PRIMARY_KEY(1, 'p'),
        UNIQUE(2, 'u'),
        FOREIGN_KEY(3, 'f');

        private final int id;
        private final char contype;

        Kind(int id, char contype) {
            this.id = id;
            this.contype = contype;
        }

        public int id() {
            return id;
        }

        /** {@code pg_constraint.contype}: p, u or f. */
        public char contype() {
            return contype;
        }

        public static Kind fromId(int id) {
            for (Kind k : values()) {
                if (k.id == id) {
                    return k;
                }
            }
            throw new StrongroomException(ErrorCode.UNSUPPORTED_FORMAT, "unknown constraint kind " + id);
        }
    }

    public TableConstraint {
        Objects.requireNonNull(name);
        Objects.requireNonNull(kind);
        columns = List.copyOf(columns);
        referencedColumns = List.copyOf(referencedColumns);
        if (name.isEmpty() || name.length() > 127) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "constraint names must have 1..127 characters");
        }
        if (columns.isEmpty() || columns.size() > TableSpec.MAX_COLUMNS) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "constraint \"" + name + "\" needs 1.." + TableSpec.MAX_COLUMNS + " columns");
        }
        if ((kind == Kind.FOREIGN_KEY) != (referencedTable != null)) {
            throw new IllegalArgumentException("a referenced table belongs to a FOREIGN KEY only: " + name);
        }
        if (kind == Kind.FOREIGN_KEY && referencedColumns.size() != columns.size()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_FOREIGN_KEY,
                    "number of referencing and referenced columns for foreign key \"" + name + "\" disagree");
        }
        if (kind != Kind.FOREIGN_KEY && !referencedColumns.isEmpty()) {
            throw new IllegalArgumentException("referenced columns belong to a FOREIGN KEY only: " + name);
        }
    }

    public static TableConstraint primaryKey(String name, List<String> columns) {
        return new TableConstraint(name, Kind.PRIMARY_KEY, columns, null, List.of());
    }

    public static TableConstraint unique(String name, List<String> columns) {
        return new TableConstraint(name, Kind.UNIQUE, columns, null, List.of());
    }

    public static TableConstraint foreignKey(
            String name, List<String> columns, String referencedTable, List<String> referencedColumns) {
        return new TableConstraint(name, Kind.FOREIGN_KEY, columns, referencedTable, referencedColumns);
    }

    /** Whether this names {@code column} among its own columns (case-insensitive). */
    public boolean covers(String column) {
        return columns.stream().anyMatch(c -> c.equalsIgnoreCase(column));
    }

    /** Whether this is a FOREIGN KEY to {@code qualifiedTable} (case-insensitive). */
    public boolean references(String qualifiedTable) {
        return referencedTable != null && referencedTable.equalsIgnoreCase(qualifiedTable);
    }

    /** The same constraint with {@code column} of this table renamed. */
    public TableConstraint withColumnRenamed(String column, String newName) {
        return new TableConstraint(name, kind, renamed(columns, column, newName), referencedTable, referencedColumns);
    }

    /** The same FOREIGN KEY with a referenced column renamed. */
    public TableConstraint withReferencedColumnRenamed(String column, String newName) {
        return new TableConstraint(name, kind, columns, referencedTable, renamed(referencedColumns, column, newName));
    }

    /** The same FOREIGN KEY referencing the table under its new qualified name. */
    public TableConstraint withReferencedTable(String qualifiedTable) {
        return new TableConstraint(name, kind, columns, qualifiedTable, referencedColumns);
    }

    private static List<String> renamed(List<String> names, String from, String to) {
        return names.stream()
                .map(n -> n.toLowerCase(Locale.ROOT).equals(from.toLowerCase(Locale.ROOT)) ? to : n)
                .toList();
    }
}
