/**
 * What a cluster is and the state every control-plane operation shares: {@link
 * io.strongroom.control.cluster.ControlState} (one per control plane: the clusters in memory, the lock, the records,
 * the key vault, the store directories, the event log, the job engine) with one {@link
 * io.strongroom.control.cluster.ClusterEntry} per cluster; the durable {@link
 * io.strongroom.control.cluster.ClusterRecord}s in the {@link io.strongroom.control.cluster.ClusterRegistry}; the
 * status machine ({@link io.strongroom.control.cluster.ClusterStatus}); node types ({@link
 * io.strongroom.control.cluster.NodeType}); a serving cluster's store and keys ({@link
 * io.strongroom.control.cluster.RunningCluster}), announced to the process through {@link
 * io.strongroom.control.cluster.ClusterListener}; what the API shows ({@link io.strongroom.control.cluster.ClusterView}
 * and its parts) and its error ({@link io.strongroom.control.cluster.RedshiftApiException}); requests, parameters and
 * parameter groups; events; temporary database credentials; the cluster key flows against the KMS and HSMs ({@link
 * io.strongroom.control.cluster.ClusterKeys} through {@link io.strongroom.control.cluster.KmsAccess} and {@link
 * io.strongroom.control.cluster.HsmCatalog}); and the store-to-store copy resizes and restores share ({@link
 * io.strongroom.control.cluster.StoreCopy}).
 *
 * <p>Invariants: {@code ControlState.byId} holds exactly the clusters this control plane knows; an entry's status
 * leaves {@code available} (or a failure status) only through {@code ControlState.begin}, under {@code
 * ControlState.lock}, so two operations never run on one cluster at once; an entry's fields are written only by the
 * operation that holds the cluster that way.
 *
 * <p>Dependencies: the bottom of the control plane's cluster packages ({@code control.cluster}, then {@code
 * control.snapshot}, {@code control.keys}, {@code control.lifecycle}, each using only those before it; ArchitectureTest
 * keeps it so). It uses the job engine, the key vault and the HSM store of this module, and {@code kms}, {@code
 * storage}, {@code crypto} and {@code base}. The key flows live here rather than in {@code control.keys} because
 * {@code ControlState} holds them and they read it. The shared state's fields and methods are public for the
 * operations in the packages above; they are not an API for other modules ({@code server} uses only {@code
 * ClusterListener}, {@code RunningCluster}, the views and the error type). {@code NodeType} and {@code
 * ClusterListener} live here rather than in the module's root package so that no package below the root needs
 * the root, which needs them all.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.cluster;
