/**
 * The door every cluster operation comes through and a cluster's own life: {@link
 * io.strongroom.control.lifecycle.ClusterManager} (created by {@code ControlPlane}, called by the Redshift API
 * handler) runs every operation, handing snapshot and key work to {@code control.snapshot} and {@code
 * control.keys}; {@link io.strongroom.control.lifecycle.ClusterLifecycle} creates, deletes, reboots, pauses and
 * resumes clusters and brings every cluster up at start; {@link io.strongroom.control.lifecycle.ClusterModification}
 * modifies (rename, password, parameter group, HSM, root key, encryption) and resizes them; {@link
 * io.strongroom.control.lifecycle.ClusterMonitor} watches the running ones (storage, KMS key lease, HSM).
 *
 * <p>Invariants: each operation has one commit point, the write of the cluster record; an operation moves its
 * cluster to a transitional status under the control plane's lock before it changes anything, so one operation runs
 * on a cluster at a time; every start brings each cluster up through the reboot flow.
 *
 * <p>Dependencies: the top of the control plane's cluster packages: it uses {@code control.cluster}, {@code
 * control.snapshot} and {@code control.keys}, and none of them uses it (ArchitectureTest keeps it so).
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.lifecycle;
