/** Replayable seeds for randomised tests ({@code -Dstrongroom.seed=}). */
@NullMarked
package io.strongroom.testkit.seed;

import org.jspecify.annotations.NullMarked;
