/** Benchmarks that run two things side by side in one process and print their ratio. */
@NullMarked
package io.strongroom.bench;

import org.jspecify.annotations.NullMarked;
