package io.strongroom.testkit.fuzz;

import java.util.SplittableRandom;

/**
 * Makes one fuzz input from a random source: the whole of the input's randomness comes from {@code random}, so a
 * run that starts its source from the same seed makes the same inputs in the same order ({@link Fuzz#run}). {@link
 * Fuzz#inputs} and {@link Fuzz#texts} are the generators the targets use. Implementations hold no state of their
 * own beyond what they were built from (the seeds), so one generator may serve several runs.
 *
 * @param <T> what the target reads: a {@link FuzzInput} for a byte decoder, a {@code String} for a text one
 */
@FunctionalInterface
public interface Generator<T> {
    /** The next input, drawn from {@code random} and nothing else. */
    T next(SplittableRandom random);
}
