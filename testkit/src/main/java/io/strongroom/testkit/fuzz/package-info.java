/**
 * The fuzzing harness, for tests only: seed corpora committed under {@code src/test/resources/fuzz/<target>/},
 * seeded generators of byte mutations of them, the check that a decoder either answers or throws its typed error
 * within a time and allocation bound, and the runner that drives a target from a JUnit test and prints its
 * execution report. See docs/security.md, "Fuzzing".
 */
@NullMarked
package io.strongroom.testkit.fuzz;

import org.jspecify.annotations.NullMarked;
