/**
 * Clusters: their durable records, lifecycle and status machine, the key flows against the KMS (create, reboot),
 * and events. {@link io.strongroom.control.cluster.ClusterManager} runs every operation.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.cluster;
