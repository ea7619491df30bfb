package io.strongroom.testkit.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The harness itself: a failing try ends the run with a report that replays; a seed makes the same inputs; the
 * generators keep their mix and bounds. Each test fixes its seed.
 */
class FuzzRunTest {
    private static final List<byte[]> SEEDS =
            List.of("hello, fuzz".getBytes(StandardCharsets.UTF_8), new byte[] {0, 0, 0, 8, 1, 2, 3, 4});

    /** A decoder with a planted bug: an input longer than 20 bytes throws an untyped exception. */
    private static void plantedBug(FuzzInput in) {
        Fuzz.decodes(
                () -> {
                    if (in.length() > 20) {
                        throw new IllegalStateException("planted bug");
                    }
                    return in;
                },
                IllegalArgumentException.class);
    }

    @Test
    void run_failsAtTheFirstFailingTry_withTargetTrySeedInputAndCause_andTheSeedReplaysIt() {
        AssertionError first = catchThrowableOfType(
                AssertionError.class,
                () -> Fuzz.run(
                        "testkit.self-test-expected-failure",
                        10_000,
                        42L,
                        Fuzz.inputs(SEEDS, 64),
                        FuzzRunTest::plantedBug));

        assertThat(first.getMessage())
                .startsWith("fuzz target testkit.self-test-expected-failure failed at try ")
                .contains("with seed 42 (replay: -Dstrongroom.fuzz.seed=42 -Dstrongroom.fuzz.tries=")
                .contains("the decoder threw java.lang.IllegalStateException")
                .contains("\ninput: ");
        assertThat(first).rootCause().hasMessage("planted bug");
        Matcher m = Pattern.compile("failed at try (\\d+) of 10000").matcher(first.getMessage());
        assertThat(m.find()).isTrue();
        int tryNumber = Integer.parseInt(m.group(1));

        AssertionError replayed = catchThrowableOfType(
                AssertionError.class,
                () -> Fuzz.run(
                        "testkit.self-test-expected-failure",
                        tryNumber,
                        42L,
                        Fuzz.inputs(SEEDS, 64),
                        FuzzRunTest::plantedBug));
        assertThat(replayed.getMessage())
                .as("the seed and the try number as tries replay the same input at the same try")
                .isEqualTo(first.getMessage().replace("of 10000", "of " + tryNumber));
    }

    @Test
    void run_withoutFailure_runsEveryTry() {
        List<FuzzInput> seen = new ArrayList<>();
        Fuzz.run("testkit.passing", 250, 7L, Fuzz.inputs(SEEDS, 64), seen::add);
        assertThat(seen).hasSize(250);
    }

    @Test
    void inputs_sameSeed_sameInputs_withTheMix_andNoneLongerThanMaxBytes() {
        List<String> a = draw(Fuzz.inputs(SEEDS, 16), 10_000, 99L);
        assertThat(draw(Fuzz.inputs(SEEDS, 16), 10_000, 99L)).isEqualTo(a);
        assertThat(draw(Fuzz.inputs(SEEDS, 16), 10_000, 100L)).isNotEqualTo(a);

        Generator<FuzzInput> g = Fuzz.inputs(SEEDS, 16);
        SplittableRandom r = new SplittableRandom(99L);
        int asIs = 0;
        int mutated = 0;
        int random = 0;
        for (int i = 0; i < 10_000; i++) {
            FuzzInput in = g.next(r);
            assertThat(in.length()).isLessThanOrEqualTo(16);
            if (in.origin().equals("random")) {
                random++;
            } else if (in.origin().contains(" with [Mutation[")) {
                mutated++;
            } else {
                assertThat(in.origin()).matches("seed [01]");
                asIs++;
            }
        }
        // 1 : 7 : 2 of 10,000, within a wide margin (the seed is fixed, so this cannot flake).
        assertThat(asIs).isBetween(800, 1200);
        assertThat(mutated).isBetween(6600, 7400);
        assertThat(random).isBetween(1700, 2300);
    }

    @Test
    void texts_reachControlCharsLoneSurrogatesAndSupplementaryChars() {
        Generator<String> g = Fuzz.texts(List.of("Action=DescribeClusters&Version=2012-12-01"), 8192);
        SplittableRandom r = new SplittableRandom(5L);
        boolean control = false;
        boolean loneSurrogate = false;
        boolean supplementary = false;
        for (int i = 0; i < 2000; i++) {
            String s = g.next(r);
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                control |= c < 0x20;
                if (Character.isHighSurrogate(c) && k + 1 < s.length() && Character.isLowSurrogate(s.charAt(k + 1))) {
                    supplementary = true;
                    k++;
                } else {
                    loneSurrogate |= Character.isSurrogate(c);
                }
            }
        }
        assertThat(control).isTrue();
        assertThat(loneSurrogate).isTrue();
        assertThat(supplementary).isTrue();
    }

    @Test
    void describe_escapesATextInput_andShowsItsUtf8() {
        // The lone surrogate has no UTF-8 form: the encoder writes '?' (3f) for it, so the escaped string is the exact
        // one.
        assertThat(Fuzz.describe("a\"\ud800\n"))
                .isEqualTo("text (4 chars): \"a\\u0022\\ud800\\u000a\"; as UTF-8: text (4 bytes): 61223f0a");
    }

    private static List<String> draw(Generator<FuzzInput> g, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(g.next(r).toString());
        }
        return out;
    }
}
