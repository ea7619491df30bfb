package io.strongroom.sql.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.Result;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the catalog views say, compared with the tables and columns that exist: every table and column once, with
 * its type as PostgreSQL's information schema names it, and nothing for a name that does not exist.
 */
class CatalogViewsTest {
    @TempDir
    Path dir;

    private Store store;
    private SqlSession session;

    @BeforeEach
    void open() {
        store = Store.create(dir, "c", new ClusterLayout(1, 2), StoreKeys.unencrypted());
        session = new StoreSqlEngine(store).open(new SessionInfo("admin", "dev", Map.of()));
        run("CREATE TABLE sales (id BIGINT NOT NULL, region VARCHAR(10) DEFAULT 'east', amount DECIMAL(12,2),"
                + " sold DATE, flag BOOLEAN, at TIMESTAMP, code CHAR(3), n INTEGER, r REAL, d DOUBLE PRECISION)");
        run("CREATE TABLE regions (name VARCHAR(20))");
    }

    @AfterEach
    void close() {
        session.close();
        store.close();
    }

    private Result run(String sql) {
        return session.execute(session.prepare(sql, List.of()), List.of());
    }

    private List<List<Object>> rows(String sql) {
        List<List<Object>> out = new ArrayList<>();
        try (Result.Rows r = (Result.Rows) run(sql)) {
            while (r.hasNext()) {
                out.add(Arrays.asList(r.next()));
            }
        }
        return out;
    }

    @Test
    void tablesAndColumns_areExactlyWhatExists() {
        assertThat(rows("SELECT table_schema, table_name, table_type FROM svv_tables ORDER BY table_name"))
                .containsExactly(List.of("public", "regions", "BASE TABLE"), List.of("public", "sales", "BASE TABLE"));
        // A name that does not exist finds nothing (what has_table asks), in every view.
        assertThat(rows("SELECT * FROM svv_tables WHERE table_name = 'nope'")).isEmpty();
        assertThat(rows("SELECT * FROM information_schema.tables WHERE table_name = 'nope'"))
                .isEmpty();
        assertThat(rows("SELECT * FROM svv_columns WHERE table_name = 'nope'")).isEmpty();
        assertThat(rows("SELECT count(*) FROM svv_all_tables WHERE schema_name = 'public'"))
                .containsExactly(List.of(2L));

        assertThat(rows("SELECT column_name, ordinal_position, data_type, is_nullable, character_maximum_length,"
                        + " numeric_precision, numeric_scale, column_default FROM svv_columns"
                        + " WHERE table_name = 'sales' ORDER BY ordinal_position"))
                .containsExactly(
                        Arrays.asList("id", 1, "bigint", "NO", null, 64, 0, null),
                        Arrays.asList(
                                "region", 2, "character varying", "YES", 10, null, null, "'east'::character varying"),
                        Arrays.asList("amount", 3, "numeric", "YES", null, 12, 2, null),
                        Arrays.asList("sold", 4, "date", "YES", null, null, null, null),
                        Arrays.asList("flag", 5, "boolean", "YES", null, null, null, null),
                        Arrays.asList("at", 6, "timestamp without time zone", "YES", null, null, null, null),
                        Arrays.asList("code", 7, "character", "YES", 3, null, null, null),
                        Arrays.asList("n", 8, "integer", "YES", null, 32, 0, null),
                        Arrays.asList("r", 9, "real", "YES", null, 24, null, null),
                        Arrays.asList("d", 10, "double precision", "YES", null, 53, null, null));
        // information_schema.columns and svv_all_columns agree with svv_columns.
        assertThat(rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'regions'"))
                .containsExactly(List.of("name", "character varying"));
        assertThat(rows("SELECT count(*) FROM svv_all_columns WHERE table_name = 'sales'"))
                .containsExactly(List.of(10L));
        // A dropped table leaves every view.
        run("DROP TABLE regions");
        assertThat(rows("SELECT table_name FROM svv_tables")).containsExactly(List.of("sales"));
        assertThat(rows("SELECT * FROM svv_columns WHERE table_name = 'regions'"))
                .isEmpty();
        assertThat(rows("SELECT schema_name FROM svv_all_schemas ORDER BY schema_name"))
                .containsExactly(List.of("information_schema"), List.of("pg_catalog"), List.of("public"));
        assertThat(rows("SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'public'"))
                .containsExactly(List.of("public"));
        assertThat(rows("SELECT count(*) FROM svv_external_tables")).containsExactly(List.of(0L));
    }
}
