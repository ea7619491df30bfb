/**
 * The fuzzing harness, for tests only: seed corpora committed under {@code src/test/resources/fuzz/<target>/},
 * byte mutations of them as jqwik generators, the check that a decoder either answers or throws its typed error
 * within a time and allocation bound, and the per-target execution report. See docs/security.md, "Fuzzing".
 */
@NullMarked
package io.strongroom.testkit.fuzz;

import org.jspecify.annotations.NullMarked;
