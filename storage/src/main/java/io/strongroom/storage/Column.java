package io.strongroom.storage;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import java.util.Objects;

/**
 * A column of a table. {@code id} is stable for the column's life (ALTER TABLE keeps it), and is what block
 * bindings name, so a block can never be read as another column's.
 *
 * @param id stable column id, unique within the table
 * @param name column name, 1..127 bytes
 * @param type SQL type
 */
public record Column(int id, String name, ColumnType type) {
    public Column {
        Objects.requireNonNull(name);
        Objects.requireNonNull(type);
        if (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 127) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "column name must have 1..127 bytes: '" + name + "'");
        }
        if (id < 0) {
            throw new IllegalArgumentException("column id must not be negative");
        }
    }
}
