package io.strongroom.sql.catalog;

import io.strongroom.sql.func.Types;
import io.strongroom.storage.BlockInfo;
import io.strongroom.storage.Column;
import io.strongroom.storage.EncryptionCoverage;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.Statistic;
import org.apache.calcite.schema.Statistics;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.type.SqlTypeName;
import org.jspecify.annotations.Nullable;

/**
 * The system views, computed from the session's view of the store when a query is planned: Redshift's {@code
 * svv_table_info} (one row per table: encrypted, size, rows, distribution, first sort key, backup) and {@code
 * stv_blocklist} (one row per block: table, column, slice, block id, values, stored bytes, encrypted, key
 * version), and {@code svv_encryption_coverage} (per table, state and key version: how many blocks and bytes, read
 * from the block files' own headers and reconciled with the manifests; a disagreement is a {@code mismatch} row
 * saying what differs). Together they answer "is every block of my data encrypted, and under which key?". They live in the
 * {@code pg_catalog} schema, which the planner searches after {@code public}, so they are found unqualified as
 * in Redshift. Values are in the in-memory form of {@link Types}; the executor scans {@link SystemTable#rows()}.
 *
 * <p>Immutable once built; a query sees the catalog as of its plan.
 */
public final class SystemTables {
    private SystemTables() {}

    /** One column of a system table. */
    record Col(String name, SqlTypeName type, int precision) {
        static Col text(String name) {
            return new Col(name, SqlTypeName.VARCHAR, 256);
        }

        static Col int8(String name) {
            return new Col(name, SqlTypeName.BIGINT, -1);
        }

        static Col int4(String name) {
            return new Col(name, SqlTypeName.INTEGER, -1);
        }

        static Col bool(String name) {
            return new Col(name, SqlTypeName.BOOLEAN, -1);
        }

        static Col int2(String name) {
            return new Col(name, SqlTypeName.SMALLINT, -1);
        }
    }

    /** A table whose rows are computed up front; the executor iterates {@link #rows()}. */
    public static final class SystemTable extends AbstractTable {
        private final List<Col> columns;
        private final List<@Nullable Object[]> rows;

        SystemTable(List<Col> columns, List<@Nullable Object[]> rows) {
            this.columns = List.copyOf(columns);
            this.rows = List.copyOf(rows);
        }

        public List<@Nullable Object[]> rows() {
            return rows;
        }

        @Override
        public RelDataType getRowType(RelDataTypeFactory f) {
            RelDataTypeFactory.Builder b = f.builder();
            for (Col c : columns) {
                RelDataType t =
                        c.precision() > 0 ? f.createSqlType(c.type(), c.precision()) : f.createSqlType(c.type());
                b.add(c.name(), f.createTypeWithNullability(t, true));
            }
            return b.build();
        }

        @Override
        public Statistic getStatistic() {
            return Statistics.of(rows.size(), List.of());
        }
    }

    /** What the system views read: the session's tables and their readers. */
    public interface Source {
        List<TableSpec> tables();

        TableReader reader(TableSpec spec);

        String database();
    }

    /** The {@code pg_catalog} schema: the Redshift system views plus the PostgreSQL catalog for clients. */
    public static AbstractSchema pgCatalog(Source source) {
        Map<String, Table> tables = new HashMap<>();
        tables.put("svv_table_info", svvTableInfo(source));
        tables.put("stv_blocklist", stvBlocklist(source));
        tables.put("svv_encryption_coverage", svvEncryptionCoverage(source));
        tables.putAll(CatalogViews.redshiftViews(source));
        tables.putAll(PgCatalogTables.pgCatalog(source));
        return new AbstractSchema() {
            @Override
            protected Map<String, Table> getTableMap() {
                return tables;
            }
        };
    }

    private static final long MB = 1024 * 1024;

    static SystemTable svvTableInfo(Source source) {
        List<Col> cols = List.of(
                Col.text("database"),
                Col.text("schema"),
                Col.int8("table_id"),
                Col.text("table"),
                Col.text("encrypted"),
                Col.text("diststyle"),
                Col.text("sortkey1"),
                Col.int4("sortkey_num"),
                Col.int8("size"),
                Col.int8("tbl_rows"),
                Col.text("backup"));
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (TableSpec spec : source.tables()) {
            TableReader reader = source.reader(spec);
            List<BlockInfo> blocks = reader.blocks();
            // Redshift counts 1 MB blocks; a Strongroom block may be smaller, and still counts as one.
            long sizeMb = 0;
            boolean encrypted = !blocks.isEmpty();
            for (BlockInfo b : blocks) {
                sizeMb += Math.max(1, (b.storedBytes() + MB - 1) / MB);
                encrypted &= b.encrypted();
            }
            rows.add(new Object[] {
                source.database(),
                spec.schema(),
                reader.tableId(),
                spec.name(),
                encrypted ? "Y" : "N",
                distStyle(spec),
                spec.sortKey().isEmpty() ? null : spec.sortKey().get(0),
                (long) spec.sortKey().size(),
                sizeMb,
                reader.rowCount(),
                spec.backup() ? "Y" : "N"
            });
        }
        return new SystemTable(cols, rows);
    }

    /**
     * {@code svv_encryption_coverage}: one row per table, state ({@code encrypted}, {@code unencrypted}, {@code
     * mismatch}) and DEK version, with the blocks and bytes in it; a mismatch row names the first block and what
     * disagrees. Reads the first bytes of every block file ({@link TableReader#coverage}).
     */
    static SystemTable svvEncryptionCoverage(Source source) {
        List<Col> cols = List.of(
                Col.text("schema"),
                Col.text("table"),
                Col.text("state"),
                Col.int4("key_version"),
                Col.int8("blocks"),
                Col.int8("size_bytes"),
                Col.text("detail"));
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (TableSpec spec : source.tables()) {
            Map<String, Object[]> groups = new TreeMap<>();
            for (EncryptionCoverage.Block b : source.reader(spec).coverage()) {
                String key = b.state() + "/" + b.manifestKeyVersion();
                Object[] row = groups.computeIfAbsent(key, k -> new Object[] {
                    spec.schema(),
                    spec.name(),
                    b.state(),
                    (long) b.manifestKeyVersion(),
                    0L,
                    0L,
                    b.problem() == null ? null : "block " + b.blockId() + " (slice " + b.slice() + "): " + b.problem()
                });
                row[4] = (Long) row[4] + 1;
                row[5] = (Long) row[5] + b.storedBytes();
            }
            rows.addAll(groups.values());
        }
        return new SystemTable(cols, rows);
    }

    /** Redshift's spelling: EVEN, KEY(col), ALL, AUTO(EVEN). */
    static String distStyle(TableSpec spec) {
        return switch (spec.distStyle()) {
            case EVEN -> "EVEN";
            case KEY -> "KEY(" + spec.distKey() + ")";
            case ALL -> "ALL";
            case AUTO -> "AUTO(EVEN)";
        };
    }

    static SystemTable stvBlocklist(Source source) {
        List<Col> cols = List.of(
                Col.int8("tbl"),
                Col.text("schema"),
                Col.text("name"),
                Col.int4("col"),
                Col.text("col_name"),
                Col.int4("slice"),
                Col.int8("blocknum"),
                Col.int8("num_values"),
                Col.int8("size_bytes"),
                Col.bool("encrypted"),
                Col.int4("key_version"));
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (TableSpec spec : source.tables()) {
            TableReader reader = source.reader(spec);
            Map<String, Integer> position = new HashMap<>();
            List<Column> columns = spec.columns();
            for (int i = 0; i < columns.size(); i++) {
                position.put(columns.get(i).name(), i);
            }
            for (BlockInfo b : reader.blocks()) {
                Integer col = position.get(b.column());
                rows.add(new Object[] {
                    reader.tableId(),
                    spec.schema(),
                    spec.name(),
                    col == null ? null : (long) col,
                    b.column(),
                    (long) b.slice(),
                    b.blockId(),
                    (long) b.rows(),
                    (long) b.storedBytes(),
                    b.encrypted(),
                    (long) b.keyVersion()
                });
            }
        }
        return new SystemTable(cols, rows);
    }
}
