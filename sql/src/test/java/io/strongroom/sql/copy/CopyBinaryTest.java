package io.strongroom.sql.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.session.SqlTestSession;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * COPY ... FROM STDIN (FORMAT binary) for every column type: the bytes real PostgreSQL 15 wrote ({@code
 * copy/pg15-all-types.bin}, see its README) load to the same values, fed in pieces of any size; the legacy {@code
 * WITH BINARY} spelling works; malformed data is refused with a message naming what is wrong.
 */
class CopyBinaryTest {
    @TempDir
    Path dir;

    private SqlTestSession s;

    private static final String TABLE = "CREATE TABLE t (b BOOLEAN, s SMALLINT, i INTEGER, l BIGINT,"
            + " n DECIMAL(12,3), r REAL, d DOUBLE PRECISION, c CHAR(3), v VARCHAR(20), dt DATE, ts TIMESTAMP,"
            + " tz TIMESTAMPTZ)";

    @BeforeEach
    void open() {
        s = new SqlTestSession(dir, InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z")));
        s.run(TABLE);
    }

    @AfterEach
    void close() {
        s.close();
    }

    private String copy(String sql, byte[] data, int piece) {
        Result.CopyIn in = (Result.CopyIn) s.run(sql);
        assertThat(in.binary()).isTrue();
        for (int off = 0; off < data.length; off += piece) {
            in.sink().write(data, off, Math.min(piece, data.length - off));
        }
        return in.sink().finish();
    }

    private static byte[] golden() throws IOException {
        try (InputStream in = Objects.requireNonNull(
                CopyBinaryTest.class.getResourceAsStream("/copy/pg15-all-types.bin"), "golden file")) {
            return in.readAllBytes();
        }
    }

    @Test
    void postgres15Output_loadsEveryType_inPiecesOfAnySize() throws IOException {
        byte[] data = golden();
        for (int piece : new int[] {1, 7, data.length}) {
            s.run("TRUNCATE t");
            assertThat(copy("COPY t FROM STDIN (FORMAT binary)", data, piece)).isEqualTo("COPY 3");
            List<List<Object>> rows = s.rows("SELECT * FROM t ORDER BY i NULLS LAST");
            assertThat(rows.get(0).subList(0, 11))
                    .containsExactly(
                            false,
                            (short) -32768,
                            -2147483648,
                            Long.MIN_VALUE,
                            new BigDecimal("-0.001"),
                            -0.0f,
                            1e300,
                            "xyz",
                            "",
                            LocalDate.of(1999, 12, 31),
                            LocalDateTime.of(1970, 1, 1, 0, 0));
            assertThat(rows.get(1).subList(0, 11))
                    .containsExactly(
                            true,
                            (short) 1,
                            100000,
                            9000000000L,
                            new BigDecimal("12345.678"),
                            1.5f,
                            2.25,
                            "ab ",
                            "héllo",
                            LocalDate.of(2024, 2, 29),
                            LocalDateTime.of(2024, 2, 29, 12, 34, 56, 789012000));
            assertThat(s.rows("SELECT tz::VARCHAR FROM t ORDER BY i NULLS LAST").stream()
                            .map(r -> String.valueOf(r.get(0)))
                            .toList())
                    .containsExactly("1999-12-31 23:59:59.999999+00", "2024-02-29 12:34:56.789012+00", "null");
            assertThat(rows.get(2)).containsOnlyNulls();
        }
    }

    /** A binary COPY stream built by hand: header with an extension, the tuples, the trailer. */
    private static byte[] stream(int extension, int[][] tuples) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(CopyBinary.SIGNATURE);
        out.writeInt(0);
        out.writeInt(extension);
        out.write(new byte[extension]);
        for (int[] t : tuples) {
            out.writeShort(t.length);
            for (int v : t) {
                out.writeInt(4);
                out.writeInt(v);
            }
        }
        out.writeShort(-1);
        return bytes.toByteArray();
    }

    @Test
    void legacyWithBinary_columnList_andHeaderExtension() throws IOException {
        s.run("CREATE TABLE p (a INTEGER, b INTEGER, note VARCHAR(5) DEFAULT 'd')");
        assertThat(copy("COPY p (b, a) FROM STDIN WITH BINARY", stream(5, new int[][] {{1, 2}, {3, 4}}), 3))
                .isEqualTo("COPY 2");
        assertThat(s.rows("SELECT a, b, note FROM p ORDER BY a"))
                .containsExactly(Arrays.asList(2, 1, "d"), Arrays.asList(4, 3, "d"));
    }

    @Test
    void malformedData_isRefused_andLoadsNothing() throws IOException {
        s.run("CREATE TABLE p (a INTEGER, b INTEGER)");
        byte[] good = stream(0, new int[][] {{1, 2}});
        assertThatThrownBy(() -> copy("COPY p FROM STDIN (FORMAT binary)", stream(0, new int[][] {{1}}), 100))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("has 1 fields, expected 2");
        byte[] truncated = Arrays.copyOf(good, good.length - 2);
        assertThatThrownBy(() -> copy("COPY p FROM STDIN (FORMAT binary)", truncated, 100))
                .hasMessageContaining("without the -1 trailer");
        byte[] text = "1\t2\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> copy("COPY p FROM STDIN (FORMAT binary)", text, 100))
                .hasMessageContaining("PGCOPY signature");
        assertThatThrownBy(() -> copy("COPY t (s) FROM STDIN (FORMAT binary)", stream(0, new int[][] {{7}}), 100))
                .hasMessageContaining("a SMALLINT field has 2 bytes, got 4");
        assertThat(s.value("SELECT count(*) FROM p")).isEqualTo(0L);
        s.assertFails("COPY p TO STDOUT (FORMAT binary)", "0A000", "not supported yet");
        s.assertFails("COPY p FROM STDIN (FORMAT binary, DELIMITER ',')", "42601", "takes no");
    }
}
