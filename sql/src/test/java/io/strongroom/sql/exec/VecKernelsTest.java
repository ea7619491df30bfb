package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeSystem;
import org.apache.calcite.sql.type.SqlTypeFactoryImpl;
import org.apache.calcite.sql.type.SqlTypeName;
import org.junit.jupiter.api.Test;

/**
 * String equality with CHAR semantics (trailing blanks do not count), short and long, equal and unequal lengths;
 * SUBSTRING at literal positions, ASCII and not, positions before and past the string, NULLs.
 */
class VecKernelsTest {
    private static final RelDataType STRING =
            new SqlTypeFactoryImpl(RelDataTypeSystem.DEFAULT).createSqlType(SqlTypeName.VARCHAR, 20);

    private static boolean eq(String x, String y) {
        Vec a = Vec.ofStrings(new String[] {"pad", x}, 2);
        Vec b = Vec.ofStrings(new String[] {y}, 1);
        return VecKernels.equalTrimmed(a, 1, b, 0);
    }

    @Test
    void equalTrimmed_ignoresOnlyTrailingBlanks() {
        assertThat(eq("MAIL", "MAIL")).isTrue();
        assertThat(eq("MAIL", "SHIP")).isFalse();
        assertThat(eq("MAIL", "MAIL   ")).isTrue();
        assertThat(eq("MAIL  ", "MAIL")).isTrue();
        assertThat(eq("MAIL ", "MAI  ")).isFalse();
        assertThat(eq("MAIL", "MAILS")).isFalse();
        assertThat(eq("", "   ")).isTrue();
        assertThat(eq("   ", "")).isTrue();
        assertThat(eq("", "a")).isFalse();
        assertThat(eq(" a", "a")).isFalse();
        String longer = "ECONOMY ANODIZED STEEL";
        assertThat(eq(longer, longer)).isTrue();
        assertThat(eq(longer + "  ", longer)).isTrue();
        assertThat(eq(longer, "ECONOMY ANODIZED STEEK")).isFalse();
        assertThat(eq("žluťoučký", "žluťoučký ")).isTrue();
    }

    private static List<Object> substrings(long start, boolean hasCount, long count) {
        String[] values = {"hello", "", "žluťoučký", null, "ab"};
        Vec v = Vec.fromObjects(values, values.length, STRING);
        Vec out = VecKernels.substring(v, start, hasCount, count);
        List<Object> got = new ArrayList<>();
        for (int i = 0; i < out.size; i++) {
            got.add(out.get(i) == null ? "NULL" : out.get(i));
        }
        return got;
    }

    @Test
    void substring_clampsItsPositions_asciiAndNot() {
        assertThat(substrings(2, true, 3)).containsExactly("ell", "", "luť", "NULL", "b");
        assertThat(substrings(0, true, 3)).containsExactly("he", "", "žl", "NULL", "ab");
        assertThat(substrings(-1, true, 10)).containsExactly("hello", "", "žluťoučk", "NULL", "ab");
        assertThat(substrings(4, false, 0)).containsExactly("lo", "", "ťoučký", "NULL", "");
        assertThat(substrings(9, true, 2)).containsExactly("", "", "ý", "NULL", "");
        assertThat(substrings(2, true, -1)).containsExactly("", "", "", "NULL", "");
    }
}
