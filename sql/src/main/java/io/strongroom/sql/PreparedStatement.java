package io.strongroom.sql;

import java.util.List;

/**
 * One parsed and analysed statement: what Describe answers. A statement that returns no rows has no columns.
 * Immutable; usable by the session that made it until it is closed.
 */
public interface PreparedStatement {
    /** The statement text as the client sent it. */
    String sql();

    /** Parameter types, by position ($1 is index 0); UNKNOWN where the engine could not infer one. */
    List<SqlType> parameterTypes();

    /** Result columns, empty for statements that return no rows (DDL, INSERT, COPY, ...). */
    List<ResultColumn> columns();

    /** True for COPY ... FROM STDIN / TO STDOUT, whose execution is a copy stream instead of rows. */
    boolean isCopy();
}
