package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What CREATE TABLE says: name, columns and the Redshift table attributes.
 *
 * @param schema schema name, e.g. {@code public}
 * @param name table name
 * @param columns the columns in order; ids must be distinct
 * @param distStyle distribution style
 * @param distKey the KEY column's name, required with {@link DistStyle#KEY} and refused otherwise
 * @param sortKey sort key column names, possibly empty
 * @param backup false for {@code BACKUP NO}: the table is left out of snapshots
 * @param constraints PRIMARY KEY (at most one), UNIQUE and FOREIGN KEY constraints, informational (never
 *     enforced); their names are distinct and their columns exist. A FOREIGN KEY's referenced table and columns
 *     are checked by {@link Transaction#createTable}, which sees the other tables.
 */
public record TableSpec(
        String schema,
        String name,
        List<Column> columns,
        DistStyle distStyle,
        @Nullable String distKey,
        List<String> sortKey,
        boolean backup,
        List<TableConstraint> constraints) {
    public static final int MAX_COLUMNS = 1600;

    /** A table without constraints. */
    public TableSpec(
            String schema,
            String name,
            List<Column> columns,
            DistStyle distStyle,
            @Nullable String distKey,
            List<String> sortKey,
            boolean backup) {
        this(schema, name, columns, distStyle, distKey, sortKey, backup, List.of());
    }

    public TableSpec {
        Objects.requireNonNull(schema);
        Objects.requireNonNull(name);
        columns = List.copyOf(columns);
        sortKey = List.copyOf(sortKey);
        constraints = List.copyOf(constraints);
        if (schema.isEmpty() || name.isEmpty() || name.length() > 127 || schema.length() > 127) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "schema and table names must have 1..127 characters");
        }
        if (columns.isEmpty() || columns.size() > MAX_COLUMNS) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "a table needs 1.." + MAX_COLUMNS + " columns");
        }
        Set<String> names = new HashSet<>();
        Set<Integer> ids = new HashSet<>();
        for (Column c : columns) {
            if (!names.add(c.name().toLowerCase(Locale.ROOT))) {
                throw new StrongroomException(
                        ErrorCode.ALREADY_EXISTS, "column \"" + c.name() + "\" specified more than once");
            }
            if (!ids.add(c.id())) {
                throw new IllegalArgumentException("duplicate column id " + c.id());
            }
        }
        if ((distStyle == DistStyle.KEY) != (distKey != null)) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "DISTSTYLE KEY needs a DISTKEY column, and a DISTKEY needs DISTSTYLE KEY");
        }
        if (distKey != null && !names.contains(distKey.toLowerCase(Locale.ROOT))) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "DISTKEY column \"" + distKey + "\" does not exist");
        }
        for (String s : sortKey) {
            if (!names.contains(s.toLowerCase(Locale.ROOT))) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "SORTKEY column \"" + s + "\" does not exist");
            }
        }
        Set<String> constraintNames = new HashSet<>();
        boolean primary = false;
        for (TableConstraint c : constraints) {
            if (!constraintNames.add(c.name().toLowerCase(Locale.ROOT))) {
                throw new StrongroomException(
                        ErrorCode.ALREADY_EXISTS,
                        "constraint \"" + c.name() + "\" for relation \"" + name + "\" already exists");
            }
            if (c.kind() == TableConstraint.Kind.PRIMARY_KEY) {
                if (primary) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_ARGUMENT,
                            "multiple primary keys for table \"" + name + "\" are not allowed");
                }
                primary = true;
            }
            for (String col : c.columns()) {
                if (!names.contains(col.toLowerCase(Locale.ROOT))) {
                    throw new StrongroomException(
                            ErrorCode.UNDEFINED_COLUMN,
                            "column \"" + col + "\" named in key (constraint \"" + c.name() + "\") does not exist");
                }
            }
        }
    }

    /** The PRIMARY KEY constraint, or null. */
    public @Nullable TableConstraint primaryKey() {
        for (TableConstraint c : constraints) {
            if (c.kind() == TableConstraint.Kind.PRIMARY_KEY) {
                return c;
            }
        }
        return null;
    }

    /** A spec with columns numbered 0..n-1, DISTSTYLE EVEN, no sort key, BACKUP YES. */
    public static TableSpec of(String schema, String name, List<Column> columns) {
        return new TableSpec(schema, name, columns, DistStyle.EVEN, null, List.of(), true);
    }

    public String qualifiedName() {
        return schema + "." + name;
    }

    /** The position of a column by name (case-insensitive), or -1. */
    public int indexOf(String column) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equalsIgnoreCase(column)) {
                return i;
            }
        }
        return -1;
    }

    /** The column named {@code column} (case-insensitive), or null. */
    public @Nullable Column column(String column) {
        int i = indexOf(column);
        return i < 0 ? null : columns.get(i);
    }

    /** The same table under another name in the same schema (ALTER TABLE RENAME TO). */
    public TableSpec withName(String newName) {
        return new TableSpec(schema, newName, columns, distStyle, distKey, sortKey, backup, constraints);
    }

    /** The same table with {@code cols} in place of its columns, and the DISTKEY and SORTKEY given by name. */
    public TableSpec withColumns(List<Column> cols, @Nullable String newDistKey, List<String> newSortKey) {
        return new TableSpec(schema, name, cols, distStyle, newDistKey, newSortKey, backup, constraints);
    }

    /** The same table with columns, DISTKEY, SORTKEY and constraints replaced together (RENAME, DROP COLUMN). */
    public TableSpec withColumns(
            List<Column> cols,
            @Nullable String newDistKey,
            List<String> newSortKey,
            List<TableConstraint> newConstraints) {
        return new TableSpec(schema, name, cols, distStyle, newDistKey, newSortKey, backup, newConstraints);
    }

    public TableSpec withConstraints(List<TableConstraint> newConstraints) {
        return new TableSpec(schema, name, columns, distStyle, distKey, sortKey, backup, newConstraints);
    }

    public TableSpec withDistribution(DistStyle style, @Nullable String key) {
        return new TableSpec(schema, name, columns, style, key, sortKey, backup, constraints);
    }

    public TableSpec withSortKey(List<String> keys) {
        return new TableSpec(schema, name, columns, distStyle, distKey, keys, backup, constraints);
    }

    public TableSpec withBackup(boolean b) {
        return new TableSpec(schema, name, columns, distStyle, distKey, sortKey, b, constraints);
    }
}
