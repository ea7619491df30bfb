package io.strongroom.pgwire.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.RowText;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text fast path ({@link RowText} filled by the engine's {@code Result.Rows.nextText}, sent by {@link
 * BackendWriter#dataRowText}) gives byte for byte the DataRows of the general path ({@link PgValues#encodeText} of
 * the rows' values): the formatting primitives against {@link PgValues} on edge and random values, and whole rows
 * of a real store-backed engine.
 */
class TextFastPathTest {
    private static final long SEED = 20261206L;

    @Test
    void integers_matchPgValues() {
        long[] edge = {
            0,
            1,
            -1,
            9,
            10,
            -10,
            99,
            100,
            Short.MIN_VALUE,
            Short.MAX_VALUE,
            Integer.MIN_VALUE,
            Integer.MAX_VALUE,
            Long.MIN_VALUE,
            Long.MAX_VALUE,
            1_000_000_000_000_000_000L,
            -999_999_999_999_999_999L
        };
        Random random = new Random(SEED);
        RowText out = new RowText();
        for (int k = 0; k < edge.length + 100_000; k++) {
            long v = k < edge.length ? edge[k] : random.nextLong() >> random.nextInt(64);
            out.clear();
            out.appendLong(v);
            assertThat(text(out)).as("seed %d, %d", SEED, v).isEqualTo(pg(SqlType.INT8, v));
        }
    }

    @Test
    void decimals_matchPgValues_negativeZeroScaleAndLarge() {
        long[] edge = {0, 1, -1, 5, -5, 99, -100, 123_456_789, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
        Random random = new Random(SEED);
        RowText out = new RowText();
        for (int k = 0; k < edge.length * 19 + 100_000; k++) {
            long unscaled = k < edge.length * 19 ? edge[k / 19] : random.nextLong() >> random.nextInt(64);
            int scale = k < edge.length * 19 ? k % 19 : random.nextInt(19);
            out.clear();
            out.appendDecimal(unscaled, scale);
            assertThat(text(out))
                    .as("seed %d, %d at scale %d", SEED, unscaled, scale)
                    .isEqualTo(pg(SqlType.NUMERIC, BigDecimal.valueOf(unscaled, scale)));
        }
        out.clear();
        out.appendDecimal(-5, 2);
        assertThat(text(out)).isEqualTo("-0.05");
    }

    @Test
    void dates_matchPgValues_beforeEpochAndBc() {
        LocalDate[] edge = {
            LocalDate.of(1970, 1, 1), LocalDate.of(1969, 12, 31), LocalDate.of(1900, 2, 28), LocalDate.of(2000, 2, 29),
            LocalDate.of(1, 1, 1), LocalDate.of(0, 12, 31), LocalDate.of(-43, 3, 15), LocalDate.of(9999, 12, 31),
            LocalDate.of(10_000, 1, 1), LocalDate.MIN, LocalDate.MAX
        };
        Random random = new Random(SEED);
        RowText out = new RowText();
        for (int k = 0; k < edge.length + 100_000; k++) {
            LocalDate d = k < edge.length
                    ? edge[k]
                    : LocalDate.ofEpochDay(random.nextLong(LocalDate.MIN.toEpochDay(), LocalDate.MAX.toEpochDay() + 1)
                            >> random.nextInt(40));
            out.clear();
            out.appendDate(d.toEpochDay());
            assertThat(text(out)).as("seed %d, %s", SEED, d).isEqualTo(pg(SqlType.DATE, d));
        }
        out.clear();
        out.appendDate(LocalDate.of(0, 1, 1).toEpochDay());
        assertThat(text(out)).isEqualTo("0001-01-01 BC");
    }

    @Test
    void storeRows_fastPathDataRows_equalTheGeneralPath(@TempDir Path dir) throws IOException {
        byte[] material = new byte[32];
        try (DatabaseKey dek = DatabaseKey.ofMaterial(
                        new KeyInfo(KeyTier.DATABASE, "t/dek", 1), SecretBytes.copyOf(material));
                Store store = Store.create(dir, "t", new ClusterLayout(1, 1), StoreKeys.of(dek));
                SqlSession s = new StoreSqlEngine(store).open(new SessionInfo("u", "dev", Map.of()))) {
            run(
                    s,
                    "CREATE TABLE t (i2 SMALLINT, i4 INTEGER, i8 BIGINT, d DECIMAL(15,2), d0 DECIMAL(10,0),"
                            + " d18 DECIMAL(18,6), w DECIMAL(38,10), v VARCHAR(20), c CHAR(5), dt DATE, b BOOLEAN,"
                            + " f DOUBLE PRECISION)");
            run(
                    s,
                    "INSERT INTO t VALUES"
                            + " (1, 2, 3, 1.50, 7, 0.000001, 1.5, 'plain', 'ab', DATE '2024-05-06', true, 0.1),"
                            + " (-32768, -2147483648, -9223372036854775807, -0.05, -1, -123456789012.345678,"
                            + "  -12345678901234567890.0123456789, '', 'x', DATE '1969-12-31', false, -1e20),"
                            + " (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
                            + " (0, 0, 0, 0.00, 0, 0, 0, 'tab\there\nnew\\back', 'ünï', DATE '0001-01-01', true, 0),"
                            + " (32767, 2147483647, 9223372036854775807, 9999999999999.99, 9999999999, 999999999999.999999,"
                            + "  1, '日本語 😀', 'abcde', DATE '9999-12-31', NULL, 3.5)");
            String fast = "SELECT i2, i4, i8, d, d0, d18, v, c, dt, b FROM t";
            assertThat(compare(s, fast)).as("rows the fast path sent").isEqualTo(5);
            assertThat(compare(s, "SELECT * FROM t"))
                    .as("rows the fast path sent")
                    .isZero();
            compare(s, "SELECT i4 + 1, d * 2, v || 'x', dt + 1, -d0, i2 * i2 FROM t");
            // COPY TO STDOUT of the same columns: each row's text values, tab-separated and escaped, \N for NULL.
            StringBuilder expected = new StringBuilder();
            try (Result.Rows r = (Result.Rows) run(s, fast)) {
                List<ResultColumn> cols = r.columns();
                while (r.hasNext()) {
                    Object[] row = r.next();
                    for (int i = 0; i < row.length; i++) {
                        expected.append(i > 0 ? "\t" : "");
                        expected.append(
                                row[i] == null
                                        ? "\\N"
                                        : pg(cols.get(i).type(), row[i])
                                                .replace("\\", "\\\\")
                                                .replace("\n", "\\n")
                                                .replace("\t", "\\t"));
                    }
                    expected.append('\n');
                }
            }
            Result.CopyOut copy = (Result.CopyOut) run(s, "COPY (" + fast + ") TO STDOUT");
            ByteArrayOutputStream copied = new ByteArrayOutputStream();
            copy.chunks().forEachRemaining(copied::writeBytes);
            assertThat(copied.toString(StandardCharsets.UTF_8)).isEqualTo(expected.toString());
            assertThat(copy.tag().get()).isEqualTo("COPY 5");
            // FETCH from a cursor: two cursors over the same rows, read in steps of two, one each way.
            run(s, "BEGIN");
            run(s, "DECLARE c1 CURSOR FOR " + fast);
            run(s, "DECLARE c2 CURSOR FOR " + fast);
            assertThat(compare(s, "FETCH 2 FROM c1", "FETCH 2 FROM c2", 2)).isEqualTo(2);
            assertThat(compare(s, "FETCH 2 FROM c1", "FETCH 2 FROM c2", 2)).isEqualTo(2);
            assertThat(compare(s, "FETCH 2 FROM c1", "FETCH 2 FROM c2", 1)).isEqualTo(1);
            run(s, "COMMIT");
        }
    }

    /** Sends the query's rows both ways and compares the bytes; returns how many rows took the fast path. */
    private static int compare(SqlSession s, String sql) throws IOException {
        return compare(s, sql, sql, 5);
    }

    /**
     * Sends the rows of {@code general} the general way and those of {@code fast} by the fast path where it can, and
     * compares the bytes; both must give {@code expectedRows} rows. Returns how many rows took the fast path.
     */
    private static int compare(SqlSession s, String general, String fast, int expectedRows) throws IOException {
        ByteArrayOutputStream generalBytes = new ByteArrayOutputStream();
        BackendWriter g = new BackendWriter(generalBytes);
        int rows = 0;
        try (Result.Rows r = (Result.Rows) run(s, general)) {
            List<ResultColumn> cols = r.columns();
            while (r.hasNext()) {
                g.dataRow(r.next(), cols, new short[cols.size()]);
                rows++;
            }
        }
        g.flush();
        ByteArrayOutputStream fastBytes = new ByteArrayOutputStream();
        BackendWriter f = new BackendWriter(fastBytes);
        RowText text = new RowText();
        int viaText = 0;
        try (Result.Rows r = (Result.Rows) run(s, fast)) {
            List<ResultColumn> cols = r.columns();
            while (r.hasNext()) {
                if (r.nextText(text)) {
                    f.dataRowText(text, cols.size());
                    viaText++;
                } else {
                    f.dataRow(r.next(), cols, new short[cols.size()]);
                }
            }
        }
        f.flush();
        assertThat(rows).isEqualTo(expectedRows);
        assertThat(fastBytes.toByteArray()).as(fast).isEqualTo(generalBytes.toByteArray());
        return viaText;
    }

    private static Result run(SqlSession s, String sql) {
        return s.execute(s.prepare(sql, List.of()), List.of());
    }

    private static String pg(SqlType type, Object value) {
        return new String(PgValues.encodeText(type, value), StandardCharsets.UTF_8);
    }

    private static String text(RowText out) {
        return new String(out.bytes(), 0, out.length(), StandardCharsets.UTF_8);
    }
}
