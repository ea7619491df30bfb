package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** String equality with CHAR semantics (trailing blanks do not count), short and long, equal and unequal lengths. */
class VecKernelsTest {
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
}
