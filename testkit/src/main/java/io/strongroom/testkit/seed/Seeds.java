package io.strongroom.testkit.seed;

import io.strongroom.testkit.fuzz.SuppressForbidden;
import java.security.SecureRandom;

/**
 * The seed of a randomised test, replayable: {@code -Dstrongroom.seed=N} makes every randomised test draw seed
 * {@code N}; without it each run draws a fresh seed, so the tests keep exploring. The seed is printed before the
 * test uses it, with the command-line option that replays it, and tests put it in their failure messages.
 */
public final class Seeds {
    /** The system property that fixes the seed. */
    public static final String PROPERTY = "strongroom.seed";

    private static final SecureRandom FRESH = new SecureRandom();

    private Seeds() {}

    /** The seed for {@code test} (a name to print): the property's value when set, else a fresh one. */
    public static long of(String test) {
        String fixed = System.getProperty(PROPERTY);
        long seed;
        if (fixed == null || fixed.isBlank()) {
            seed = FRESH.nextLong();
        } else {
            try {
                seed = Long.parseLong(fixed.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + PROPERTY + " must be a long, not '" + fixed + "'", e);
            }
        }
        print(test + ": seed " + seed + " (replay with -D" + PROPERTY + "=" + seed + ")");
        return seed;
    }

    @SuppressForbidden("a test's seed is test output")
    private static void print(String line) {
        System.out.println(line);
    }
}
