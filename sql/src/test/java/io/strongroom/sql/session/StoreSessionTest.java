package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.SqlType;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreSessionTest {
    @TempDir
    Path dir;

    private Store store;
    private DatabaseKey dek;
    private SqlSession session;

    @BeforeEach
    void open() {
        dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "c/dek", 1), SecretBytes.copyOf(new byte[32]));
        store = Store.create(dir, "c", new ClusterLayout(2, 2), StoreKeys.of(dek));
        session = new StoreSqlEngine(store).open(new SessionInfo("admin", "dev", Map.of()));
    }

    @AfterEach
    void close() {
        session.close();
        store.close();
        dek.close();
    }

    private Result run(String sql, Object... params) {
        return session.execute(session.prepare(sql, List.of()), Arrays.asList(params));
    }

    private String tag(String sql, Object... params) {
        return ((Result.Command) run(sql, params)).tag();
    }

    private List<List<Object>> rows(String sql, Object... params) {
        List<List<Object>> out = new ArrayList<>();
        try (Result.Rows r = (Result.Rows) run(sql, params)) {
            while (r.hasNext()) {
                out.add(Arrays.asList(r.next()));
            }
        }
        return out;
    }

    private void sales() {
        assertThat(tag(
                        "CREATE TABLE sales (id BIGINT, region VARCHAR(10) ENCODE zstd, amount DECIMAL(12,2), sold DATE) "
                                + "BACKUP NO DISTSTYLE KEY DISTKEY (region) SORTKEY (sold)"))
                .isEqualTo("CREATE TABLE");
        assertThat(tag("INSERT INTO sales VALUES (1, 'east', 10.50, '2024-01-01'), (2, 'west', 20.00, '2024-01-02'),"
                        + " (3, 'east', 5.25, '2024-02-01'), (4, NULL, 1.00, NULL)"))
                .isEqualTo("INSERT 0 4");
        tag("CREATE TABLE regions (name VARCHAR(10), manager VARCHAR(20))");
        tag("INSERT INTO regions (name, manager) VALUES ('east', 'Ada'), ('west', 'Grace'), ('north', 'Edsger')");
    }

    @Test
    void ddlInsertAndQueries_returnTheRightRows() {
        sales();
        assertThat(rows("SELECT count(*), sum(amount), min(sold), max(id) FROM sales"))
                .containsExactly(List.of(4L, new BigDecimal("36.75"), LocalDate.of(2024, 1, 1), 4L));
        assertThat(
                        rows(
                                "SELECT region, sum(amount) AS total FROM sales WHERE region IS NOT NULL GROUP BY region ORDER BY region"))
                .containsExactly(List.of("east", new BigDecimal("15.75")), List.of("west", new BigDecimal("20.00")));
        assertThat(rows(
                        "SELECT s.id, r.manager FROM sales s JOIN regions r ON s.region = r.name WHERE s.amount > $1 ORDER BY s.id",
                        new BigDecimal("6")))
                .containsExactly(List.of(1L, "Ada"), List.of(2L, "Grace"));
        assertThat(rows("SELECT r.name FROM regions r LEFT JOIN sales s ON s.region = r.name WHERE s.id IS NULL"))
                .containsExactly(List.of("north"));
        assertThat(rows("SELECT name FROM regions WHERE name IN (SELECT region FROM sales) ORDER BY 1"))
                .containsExactly(List.of("east"), List.of("west"));
        assertThat(
                        rows(
                                "SELECT id FROM sales WHERE sold BETWEEN DATE '2024-01-02' AND DATE '2024-12-31' - INTERVAL '1' MONTH ORDER BY id DESC LIMIT 5"))
                .containsExactly(List.of(3L), List.of(2L));
        assertThat(
                        rows(
                                "SELECT upper(region) || '-' || CAST(id AS VARCHAR) FROM sales WHERE region LIKE 'e%' ORDER BY id"))
                .containsExactly(List.of("EAST-1"), List.of("EAST-3"));
        assertThat(rows("SELECT extract(year from sold), count(*) FROM sales WHERE sold IS NOT NULL GROUP BY 1"))
                .containsExactly(List.of(2024L, 3L));
        assertThat(
                        rows(
                                "SELECT CASE WHEN amount > 10 THEN 'big' ELSE 'small' END AS size, count(*) FROM sales GROUP BY 1 ORDER BY 1"))
                .containsExactly(List.of("big", 2L), List.of("small", 2L));
        assertThat(rows("SELECT current_user, version() LIKE '%Strongroom%'")).containsExactly(List.of("admin", true));
    }

    @Test
    void describe_namesColumnsAsPostgresDoes_andTypesParameters() {
        sales();
        var stmt = session.prepare(
                "SELECT sum(amount), count(*), id AS ident, region FROM sales WHERE id = $1 GROUP BY id, region",
                List.of());
        assertThat(stmt.columns()).extracting(c -> c.name()).containsExactly("sum", "count", "ident", "region");
        assertThat(stmt.columns())
                .extracting(c -> c.type())
                .containsExactly(SqlType.NUMERIC, SqlType.INT8, SqlType.INT8, SqlType.VARCHAR);
        assertThat(stmt.parameterTypes()).containsExactly(SqlType.INT8);
    }

    @Test
    void updateDeleteAndTransactions_behaveAsPostgres() {
        sales();
        assertThat(tag("UPDATE sales SET amount = amount * 2 WHERE region = 'east'"))
                .isEqualTo("UPDATE 2");
        assertThat(rows("SELECT sum(amount) FROM sales WHERE region = 'east'"))
                .containsExactly(List.of(new BigDecimal("31.50")));
        assertThat(tag("DELETE FROM sales WHERE region IS NULL")).isEqualTo("DELETE 1");
        assertThat(tag("BEGIN")).isEqualTo("BEGIN");
        assertThat(session.transactionState()).isEqualTo(SqlSession.TransactionState.IN_TRANSACTION);
        tag("DELETE FROM sales");
        assertThat(rows("SELECT count(*) FROM sales")).containsExactly(List.of(0L));
        assertThatThrownBy(() -> run("SELECT * FROM nope"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("42P01"));
        assertThat(session.transactionState()).isEqualTo(SqlSession.TransactionState.FAILED);
        assertThatThrownBy(() -> run("SELECT 1"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.IN_FAILED_TRANSACTION));
        assertThat(tag("ROLLBACK")).isEqualTo("ROLLBACK");
        assertThat(rows("SELECT count(*) FROM sales")).containsExactly(List.of(3L));
        tag("BEGIN");
        tag("INSERT INTO sales VALUES ($1, $2, $3, $4)", 9L, "north", new BigDecimal("9.99"), LocalDate.of(2025, 5, 5));
        tag("COMMIT");
        assertThat(rows("SELECT id, amount FROM sales WHERE region = 'north'"))
                .containsExactly(List.of(9L, new BigDecimal("9.99")));
        tag("TRUNCATE sales");
        tag("DROP TABLE sales");
        assertThatThrownBy(() -> run("SELECT * FROM sales")).isInstanceOf(StrongroomException.class);
    }

    @Test
    void copyFromStdin_csvAndText_andCopyToStdout() {
        tag("CREATE TABLE t (id INTEGER, name VARCHAR(20), price DOUBLE PRECISION)");
        Result.CopyIn in = (Result.CopyIn) run("COPY t FROM STDIN WITH CSV HEADER NULL AS 'NA'");
        byte[] csv =
                "id,name,price\n1,\"a, b\",1.5\n2,NA,2.5\n3,\"say \"\"hi\"\"\",NA\n".getBytes(StandardCharsets.UTF_8);
        in.sink().write(csv, 0, 20);
        in.sink().write(csv, 20, csv.length - 20);
        assertThat(in.sink().finish()).isEqualTo("COPY 3");
        Result.CopyIn text = (Result.CopyIn) run("COPY t (id, name) FROM STDIN");
        byte[] tsv = "4\tfour\n5\t\\N\n".getBytes(StandardCharsets.UTF_8);
        text.sink().write(tsv, 0, tsv.length);
        assertThat(text.sink().finish()).isEqualTo("COPY 2");
        assertThat(rows("SELECT id, name, price FROM t ORDER BY id"))
                .containsExactly(
                        Arrays.asList(1, "a, b", 1.5),
                        Arrays.asList(2, null, 2.5),
                        Arrays.asList(3, "say \"hi\"", null),
                        Arrays.asList(4, "four", null),
                        Arrays.asList(5, null, null));
        Result.CopyOut out =
                (Result.CopyOut) run("COPY (SELECT id, name FROM t WHERE id < 3 ORDER BY id) TO STDOUT WITH CSV");
        StringBuilder sb = new StringBuilder();
        out.chunks().forEachRemaining(b -> sb.append(new String(b, StandardCharsets.UTF_8)));
        assertThat(sb.toString()).isEqualTo("1,\"a, b\"\n2,\n");
        Result.CopyIn bad = (Result.CopyIn) run("COPY t FROM STDIN CSV");
        byte[] wrong = "1,x\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> bad.sink().write(wrong, 0, wrong.length))
                .hasMessageContaining("line 1")
                .hasMessageContaining("expected 3 columns");
        assertThat(rows("SELECT count(*) FROM t")).containsExactly(List.of(5L));
    }

    @Test
    void errors_carryTheRightSqlstate_andTheSessionGoesOn() {
        assertThatThrownBy(() -> session.prepare("SELEC 1", List.of()))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("42601"));
        assertThatThrownBy(() -> rows("SELECT 1/0"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("22012"));
        assertThatThrownBy(() -> tag("CREATE TABLE x (a FOO)")).hasMessageContaining("type \"foo\"");
        assertThat(rows("SELECT 1 + 1")).containsExactly(List.of(2));
        assertThat(tag("SET search_path TO public")).isEqualTo("SET");
        assertThat(rows("SHOW search_path")).containsExactly(List.of("public"));
        assertThat(rows("EXPLAIN SELECT 1")).isNotEmpty();
    }

    @Test
    void svvTableInfo_showsEncryptionSizeRowsDistributionSortKeyAndBackup() {
        sales();
        assertThat(rows("SELECT schema, \"table\", encrypted, diststyle, sortkey1, sortkey_num, tbl_rows, backup"
                        + " FROM svv_table_info ORDER BY \"table\""))
                .containsExactly(
                        Arrays.asList("public", "regions", "Y", "AUTO(EVEN)", null, 0, 3L, "Y"),
                        List.of("public", "sales", "Y", "KEY(region)", "sold", 1, 4L, "N"));
        List<List<Object>> size =
                rows("SELECT size, table_id FROM pg_catalog.svv_table_info WHERE \"table\" = 'sales'");
        assertThat((Long) size.get(0).get(0)).isPositive();
    }

    @Test
    void stvBlocklist_showsEveryBlockEncryptedUnderTheDatabaseKeyVersion() {
        sales();
        assertThat(rows("SELECT col_name, sum(num_values) FROM stv_blocklist WHERE name = 'sales'"
                        + " GROUP BY col_name ORDER BY col_name"))
                .containsExactly(List.of("amount", 4L), List.of("id", 4L), List.of("region", 4L), List.of("sold", 4L));
        assertThat(rows("SELECT count(*) FROM stv_blocklist WHERE NOT encrypted"))
                .containsExactly(List.of(0L));
        assertThat(rows("SELECT DISTINCT key_version FROM stv_blocklist")).containsExactly(List.of(1));
        assertThat(rows("SELECT count(*) FROM stv_blocklist b JOIN svv_table_info t ON b.tbl = t.table_id"
                        + " WHERE t.\"table\" = 'sales' AND b.size_bytes > 0 AND b.slice >= 0 AND b.blocknum >= 0"))
                .containsExactly(List.of(rows("SELECT count(*) FROM stv_blocklist WHERE name = 'sales'")
                        .get(0)
                        .get(0)));
    }

    @Test
    void svvEncryptionCoverage_readsTheBlockFilesHeaders_andCatchesAFileThatDisagreesWithItsManifest()
            throws Exception {
        sales();
        assertThat(rows("SELECT \"table\", state, key_version, blocks > 0, detail FROM svv_encryption_coverage"
                        + " ORDER BY \"table\""))
                .containsExactly(
                        Arrays.asList("regions", "encrypted", 1, true, null),
                        Arrays.asList("sales", "encrypted", 1, true, null));
        // A block file whose envelope header says "in the clear" while its manifest says DEK v1.
        Path block;
        try (Stream<Path> files = Files.walk(dir.resolve("tables"))) {
            block = files.filter(p -> p.toString().endsWith(".blk"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(block);
        bytes[20 + 1] = 0;
        Files.write(block, bytes);
        List<List<Object>> mismatches =
                rows("SELECT \"table\", blocks, detail FROM svv_encryption_coverage" + " WHERE state = 'mismatch'");
        assertThat(mismatches).hasSize(1);
        assertThat(mismatches.get(0).get(1)).isEqualTo(1L);
        assertThat((String) mismatches.get(0).get(2)).contains("in the clear").contains("database key v1");
    }

    @Test
    void correlatedSubqueryWithLimit_decorrelatesIntoAWindow_andUnaliasedColumnsHavePostgresNames() {
        sales();
        String top = "SELECT r.name, (SELECT s.id FROM sales s WHERE s.region = r.name ORDER BY s.amount DESC LIMIT 1)"
                + " AS top FROM regions r ORDER BY r.name";
        assertThat(String.join(
                        "\n",
                        rows("EXPLAIN " + top).stream()
                                .map(r -> (String) r.get(0))
                                .toList()))
                .contains("LogicalWindow")
                .doesNotContain("Correlate");
        assertThat(rows(top)).containsExactly(List.of("east", 1L), Arrays.asList("north", null), List.of("west", 2L));
        try (Result.Rows r = (Result.Rows)
                run("SELECT count(*), sum(amount), avg(amount), region FROM sales" + " GROUP BY region")) {
            assertThat(r.columns().stream().map(c -> c.name()).toList())
                    .containsExactly("count", "sum", "avg", "region");
            assertThat(r.columns().get(1).typeModifier()).isEqualTo(((38 << 16) | 2) + 4);
        }
    }

    @Test
    void savepoints_areRefusedSayingSo_andRollbackToNeverEndsTheTransaction() {
        tag("CREATE TABLE sp (id BIGINT)");
        tag("BEGIN");
        tag("INSERT INTO sp VALUES (1)");
        for (String sql : new String[] {
            "SAVEPOINT a", "RELEASE SAVEPOINT a", "RELEASE a", "ROLLBACK TO SAVEPOINT a", "ROLLBACK WORK TO a"
        }) {
            assertThatThrownBy(() -> session.prepare(sql, List.of()))
                    .as(sql)
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code().sqlState()).isEqualTo("0A000"))
                    .hasMessageContaining("savepoints");
        }
        assertThat(session.transactionState()).isNotEqualTo(SqlSession.TransactionState.IDLE);
        tag("ROLLBACK");
        assertThat(session.transactionState()).isEqualTo(SqlSession.TransactionState.IDLE);
        try (Result.Rows r = (Result.Rows) run("SELECT count(*) FROM sp")) {
            assertThat(r.next()[0]).isEqualTo(0L);
        }
    }
}
