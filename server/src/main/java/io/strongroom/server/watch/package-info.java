/**
 * {@code strongroom watch}: a terminal view of an endpoint's running long operations (restores, resizes, snapshots,
 * key rotations, table restores), read only from the public Redshift API so it works against any Strongroom
 * endpoint. {@link io.strongroom.server.watch.RunningOperations} turns API responses into {@link
 * io.strongroom.server.watch.Operation}s (pure, unit-tested); {@link io.strongroom.server.watch.WatchCommand} polls
 * and draws them.
 */
@NullMarked
package io.strongroom.server.watch;

import org.jspecify.annotations.NullMarked;
