/**
 * Snapshots: their durable records and images ({@link io.strongroom.control.snapshot.ClusterSnapshots}), the
 * automated schedule ({@link io.strongroom.control.snapshot.SnapshotSchedule}), copies to another region of this
 * installation or of a peer ({@link io.strongroom.control.snapshot.SnapshotCopy} and its sender and receiver),
 * and restores, of a whole cluster ({@link io.strongroom.control.snapshot.ClusterRestoreJob}) or of one table
 * ({@link io.strongroom.control.snapshot.SnapshotRestores}).
 *
 * <p>Invariants: a snapshot's record is its commit point ({@code available} only once its image is whole); an
 * image is only ever read once written; a snapshot's DEK never changes (its envelope is rewrapped when its cluster's
 * keys rotate); a restored cluster gets keys of its own, never the snapshot's.
 *
 * <p>Dependencies: uses the clusters' shared state and model in {@code control.cluster} (the lock, the entries, the
 * key flows), the job engine, the key vault and the peer link; never {@code control.keys} or {@code
 * control.lifecycle}, which use it (ArchitectureTest keeps it so).
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.snapshot;
