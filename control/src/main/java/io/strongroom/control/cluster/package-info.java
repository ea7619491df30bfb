/**
 * Clusters: their durable records, lifecycle and status machine (pause and resume included), the key flows against
 * the KMS (create, reboot, rotation, a root key change, encrypting and decrypting in place), snapshots, their
 * cross-region copies, restores and the jobs that run the long operations, events, and the reports that read across
 * all of them (encryption coverage, crypto-shredding) with the temporary database credentials. {@link
 * io.strongroom.control.cluster.ClusterManager} runs every operation.
 *
 * <p>Why one package of more than 30 files: every operation works on the package-private state of {@code
 * ControlState} and {@code ClusterEntry} (the lock, the status, the job that holds a cluster), which keeps that
 * state out of the public API. Splitting it into cluster, snapshot and key packages needs that state behind an
 * interface of its own first; issue 13 plans it.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.cluster;
