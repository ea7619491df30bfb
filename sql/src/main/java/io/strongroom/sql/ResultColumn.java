package io.strongroom.sql;

/**
 * A column of a result, as RowDescription shows it.
 *
 * @param name the column label clients show (unaliased aggregates are named as PostgreSQL names them, e.g.
 *     {@code sum}, {@code count})
 * @param type the SQL type
 * @param typeModifier pg_attribute.atttypmod: for VARCHAR(n)/BPCHAR(n) {@code n + 4}, for NUMERIC(p,s) {@code
 *     ((p << 16) | s) + 4}, else -1
 * @param tableOid the source table's OID, or 0
 * @param columnNumber the source column's attribute number, or 0
 */
public record ResultColumn(String name, SqlType type, int typeModifier, int tableOid, short columnNumber) {
    public static ResultColumn of(String name, SqlType type) {
        return new ResultColumn(name, type, -1, 0, (short) 0);
    }
}
