package io.strongroom.pgwire.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.sql.SqlType;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Known answers for the text and binary formats, taken from PostgreSQL 15's output for the same values. */
class PgValuesTest {
    private static String binHex(SqlType t, Object v) {
        return HexFormat.of().formatHex(PgValues.encodeBinary(t, v));
    }

    private static String text(SqlType t, Object v) {
        return new String(PgValues.encodeText(t, v), StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @CsvSource({
        // value, ndigits weight sign dscale digits...  (SELECT numeric_send(v))
        "12345.678, 0003 0001 0000 0003 0001 0929 1a7c",
        "0, 0000 0000 0000 0000",
        "0.00, 0000 0000 0000 0002",
        "-1, 0001 0000 4000 0000 0001",
        "0.0001, 0001 ffff 0000 0004 0001",
        "10000, 0001 0001 0000 0000 0001",
        "-0.5, 0001 ffff 4000 0001 1388",
        "123456789012345678901234567890.123, 0009 0007 0000 0003 000c 0d80 1ed2 04d2 162e 2334 0d80 1ed2 04ce",
    })
    void numeric_binary_knownAnswers_andRoundTrip(String value, String hex) {
        BigDecimal v = new BigDecimal(value);
        assertThat(binHex(SqlType.NUMERIC, v)).isEqualTo(hex.replace(" ", ""));
        assertThat(PgValues.decodeBinary(SqlType.NUMERIC, HexFormat.of().parseHex(hex.replace(" ", ""))))
                .isEqualTo(v);
    }

    @Test
    void numeric_negativeScale_isSentAsAnInteger() {
        assertThat(binHex(SqlType.NUMERIC, new BigDecimal("1E+5"))).isEqualTo("0001000100000000000a");
        assertThat(text(SqlType.NUMERIC, new BigDecimal("1E+5"))).isEqualTo("100000");
    }

    @ParameterizedTest
    @CsvSource({
        "1.0, 1",
        "0.1, 0.1",
        "-2.5, -2.5",
        "1e20, 1e+20",
        "1.5e-5, 1.5e-05",
        "0.0001, 0.0001",
        "123456789012345, 123456789012345",
        "1e15, 1e+15",
        "3.141592653589793, 3.141592653589793",
        "NaN, NaN",
        "Infinity, Infinity",
        "-Infinity, -Infinity",
    })
    void float8_text_isPostgresShortest(double v, String expected) {
        assertThat(text(SqlType.FLOAT8, v)).isEqualTo(expected);
        assertThat(PgValues.decodeText(SqlType.FLOAT8, expected.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(v);
    }

    @Test
    void float4_text_andBinary() {
        assertThat(text(SqlType.FLOAT4, 0.1f)).isEqualTo("0.1");
        assertThat(text(SqlType.FLOAT4, 1e6f)).isEqualTo("1e+06");
        assertThat(text(SqlType.FLOAT4, -0.0f)).isEqualTo("-0");
        assertThat(binHex(SqlType.FLOAT4, 1.5f)).isEqualTo("3fc00000");
        assertThat(binHex(SqlType.FLOAT8, 1.5)).isEqualTo("3ff8000000000000");
    }

    @Test
    void integersBoolAndOid() {
        assertThat(binHex(SqlType.BOOL, true)).isEqualTo("01");
        assertThat(text(SqlType.BOOL, false)).isEqualTo("f");
        assertThat(binHex(SqlType.INT2, (short) -2)).isEqualTo("fffe");
        assertThat(binHex(SqlType.INT4, 42)).isEqualTo("0000002a");
        assertThat(binHex(SqlType.INT8, -1L)).isEqualTo("ffffffffffffffff");
        assertThat(text(SqlType.OID, (int) 4_000_000_000L)).isEqualTo("4000000000");
        assertThat(PgValues.decodeText(SqlType.BOOL, "on".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(true);
        assertThat(PgValues.decodeText(SqlType.INT8, " 12 ".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(12L);
        assertThat(PgValues.decodeBinary(SqlType.INT2, HexFormat.of().parseHex("fffe")))
                .isEqualTo((short) -2);
    }

    @Test
    void datesAndTimestamps_knownAnswers() {
        // date_send('2024-02-29') = 8825 days; timestamp_send('2000-01-02 00:00:01.5') = 86401500000 us.
        assertThat(binHex(SqlType.DATE, LocalDate.of(2024, 2, 29))).isEqualTo("00002279");
        assertThat(binHex(SqlType.DATE, LocalDate.of(1999, 12, 31))).isEqualTo("ffffffff");
        assertThat(binHex(SqlType.TIMESTAMP, LocalDateTime.of(2000, 1, 2, 0, 0, 1, 500_000_000)))
                .isEqualTo("000000141dee4360"
                        .replace("000000141dee4360", Long.toHexString(86_401_500_000L))
                        .transform(s -> "0".repeat(16 - s.length()) + s));
        OffsetDateTime tz = OffsetDateTime.of(2000, 1, 1, 2, 0, 0, 0, ZoneOffset.ofHours(2));
        assertThat(binHex(SqlType.TIMESTAMPTZ, tz)).isEqualTo("0000000000000000");
        assertThat(PgValues.decodeBinary(SqlType.TIMESTAMPTZ, new byte[8]))
                .isEqualTo(OffsetDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
        assertThat(PgValues.decodeBinary(SqlType.TIMESTAMP, HexFormat.of().parseHex("ffffffffffffffff")))
                .isEqualTo(LocalDateTime.of(1999, 12, 31, 23, 59, 59, 999_999_000));

        assertThat(text(SqlType.DATE, LocalDate.of(-43, 3, 15))).isEqualTo("0044-03-15 BC");
        assertThat(text(SqlType.TIMESTAMP, LocalDateTime.of(2024, 5, 6, 7, 8, 9, 120_000_000)))
                .isEqualTo("2024-05-06 07:08:09.12");
        assertThat(text(
                        SqlType.TIMESTAMPTZ,
                        OffsetDateTime.of(2024, 5, 6, 7, 8, 9, 0, ZoneOffset.ofHoursMinutes(5, 30))))
                .isEqualTo("2024-05-06 07:08:09+05:30");
        assertThat(text(SqlType.TIMESTAMPTZ, OffsetDateTime.of(2024, 5, 6, 7, 8, 9, 0, ZoneOffset.ofHours(-8))))
                .isEqualTo("2024-05-06 07:08:09-08");
    }

    @Test
    void timestampText_parsesWhatDriversSend() {
        assertThat(PgValues.decodeText(
                        SqlType.TIMESTAMPTZ, "2024-05-06 07:08:09.5+02".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(OffsetDateTime.of(2024, 5, 6, 7, 8, 9, 500_000_000, ZoneOffset.ofHours(2)));
        assertThat(PgValues.decodeText(SqlType.TIMESTAMP, "2024-05-06T07:08".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(LocalDateTime.of(2024, 5, 6, 7, 8));
        assertThat(PgValues.decodeText(SqlType.DATE, "2024-05-06".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(LocalDate.of(2024, 5, 6));
    }

    @Test
    void badInput_is22P02or22P03_andDoesNotEchoMuch() {
        assertThatThrownBy(() -> PgValues.decodeText(SqlType.INT4, "12x".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(
                        PgException.class, e -> assertThat(e.code().sqlState()).isEqualTo("22P02"))
                .hasMessage("invalid input syntax for type int4: \"12x\"");
        assertThatThrownBy(() -> PgValues.decodeText(SqlType.FLOAT8, "1d".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PgException.class);
        assertThatThrownBy(() -> PgValues.decodeBinary(SqlType.INT8, new byte[3]))
                .isInstanceOfSatisfying(
                        PgException.class, e -> assertThat(e.code().sqlState()).isEqualTo("22P03"));
        assertThatThrownBy(() ->
                        PgValues.decodeBinary(SqlType.NUMERIC, HexFormat.of().parseHex("0001000000000000")))
                .isInstanceOf(PgException.class);
        assertThatThrownBy(() ->
                        PgValues.decodeBinary(SqlType.NUMERIC, HexFormat.of().parseHex("00010000c0000000ffff")))
                .isInstanceOf(PgException.class);
    }
}
