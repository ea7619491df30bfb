package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A column of a table. {@code id} is stable for the column's life (ALTER TABLE RENAME COLUMN keeps it; a column
 * added later gets an id never used before in the table, even if a dropped column had its name), and is what
 * block bindings name, so a block can never be read as another column's.
 *
 * <p>Invariant: {@code defaultValue} is null or a value of {@code type} in the form {@link ColumnVector#get}
 * returns (the constructor normalises it through a vector, so a default that does not fit the type is refused
 * here, once, rather than on every insert). Immutable.
 *
 * @param id stable column id, unique within the table
 * @param name column name, 1..127 bytes
 * @param type SQL type
 * @param notNull whether the store refuses NULL in this column ({@code NOT NULL})
 * @param defaultValue the value an INSERT or COPY that omits the column writes; null for {@code DEFAULT NULL}
 *     (and for no DEFAULT, which means the same)
 */
public record Column(
        int id,
        String name,
        ColumnType type,
        boolean notNull,
        @Nullable Object defaultValue) {
    public Column {
        Objects.requireNonNull(name);
        Objects.requireNonNull(type);
        if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 127) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "column name must have 1..127 bytes: '" + name + "'");
        }
        if (id < 0) {
            throw new IllegalArgumentException("column id must not be negative");
        }
        if (defaultValue != null) {
            ColumnVector v = new ColumnVector(type, 1);
            try {
                v.append(defaultValue);
            } catch (ClassCastException e) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT,
                        "DEFAULT of column \"" + name + "\" is not a " + type.sql() + " value",
                        e);
            }
            defaultValue = v.get(0);
        }
    }

    /** A nullable column with no default. */
    public Column(int id, String name, ColumnType type) {
        this(id, name, type, false, null);
    }

    public Column withName(String newName) {
        return new Column(id, newName, type, notNull, defaultValue);
    }
}
