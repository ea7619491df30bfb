package io.strongroom.pgwire.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.sql.SqlType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Arrays in PostgreSQL's text and binary forms, against what PostgreSQL 15's array_out and array_send write. */
class PgArraysTest {
    private static String text(SqlType type, List<?> values) {
        return new String(PgValues.encodeText(type, values), StandardCharsets.UTF_8);
    }

    @Test
    void text_quotesWhatArrayOutQuotes() {
        // SELECT ARRAY['id', '', 'a b', 'NULL', 'null', 'x"y', 'back\slash', '{', 'a,b', NULL]::text[];
        assertThat(text(
                        SqlType.TEXT_ARRAY,
                        Arrays.asList("id", "", "a b", "NULL", "null", "x\"y", "back\\slash", "{", "a,b", null)))
                .isEqualTo("{id,\"\",\"a b\",\"NULL\",\"null\",\"x\\\"y\",\"back\\\\slash\",\"{\",\"a,b\",NULL}");
        assertThat(text(SqlType.BOOL_ARRAY, List.of(true, false))).isEqualTo("{t,f}");
        assertThat(text(SqlType.INT2_ARRAY, Arrays.asList((short) 1, null, (short) -3)))
                .isEqualTo("{1,NULL,-3}");
        assertThat(text(SqlType.TEXT_ARRAY, List.of())).isEqualTo("{}");
    }

    @Test
    void binary_isArraySendsLayout() {
        // SELECT array_send(ARRAY[1, NULL]::int4[]): one dimension, has NULLs, int4, length 2 from 1.
        assertThat(HexFormat.of().formatHex(PgValues.encodeBinary(SqlType.INT4_ARRAY, Arrays.asList(1, null))))
                .isEqualTo("00000001" + "00000001" + "00000017" + "00000002" + "00000001" + "00000004" + "00000001"
                        + "ffffffff");
        // SELECT array_send('{}'::text[]): no dimensions.
        assertThat(PgValues.encodeBinary(SqlType.TEXT_ARRAY, List.of()))
                .isEqualTo(
                        ByteBuffer.allocate(12).putInt(0).putInt(0).putInt(25).array());
    }

    @Test
    void arrayTypes_areNotParameterTypes() {
        assertThat(SqlType.ofOid(1009)).isEqualTo(SqlType.UNKNOWN);
        assertThat(SqlType.TEXT_ARRAY.element()).isEqualTo(SqlType.TEXT);
        assertThat(SqlType.TEXT.element()).isNull();
    }
}
