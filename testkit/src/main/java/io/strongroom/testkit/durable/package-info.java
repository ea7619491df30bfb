/**
 * Pinning durable write sequences: {@link io.strongroom.testkit.durable.DurableWriteRecorder}, a fault hook that
 * lists every step a module's durable writes take, so a test can assert the exact sequence.
 */
@NullMarked
package io.strongroom.testkit.durable;

import org.jspecify.annotations.NullMarked;
