/**
 * The durable job engine: long operations (restores, snapshots, resizes, deletions, key rotation) recorded as jobs
 * with steps, run in the background, resumed or rolled back after a restart, and watched through their progress.
 * {@link io.strongroom.control.jobs.JobEngine} runs them; the cluster package says what each kind does.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.jobs;
