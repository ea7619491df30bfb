/**
 * What the control plane does with a cluster's keys after creating them: rotation of the CEK and DEK ({@link
 * io.strongroom.control.keys.ClusterKeyRotation}), a move to another KMS root key ({@link
 * io.strongroom.control.keys.RootKeyChange}), encrypting or decrypting a cluster in place ({@link
 * io.strongroom.control.keys.ClusterEncryptionChange}), and the reports that read across clusters and snapshots:
 * encryption coverage ({@link io.strongroom.control.keys.CoverageReport}, run as jobs by {@link
 * io.strongroom.control.keys.CoverageJobs}) and crypto-shredding ({@link io.strongroom.control.keys.ShredReport},
 * made by {@link io.strongroom.control.keys.ClusterShredding}).
 *
 * <p>The key flows themselves (generate, unwrap, grant, HSM checks) are {@code control.cluster.ClusterKeys}, reached
 * through the shared state, because every operation (create, reboot, restore, copy) needs them.
 *
 * <p>Invariants: a rotation or a root key change only rewraps (block keys under the new DEK, or the DEK under the
 * new CEK), it never re-encrypts a block; a rotation's pending keys are saved in the key vault before the store
 * commits under them, so a crash in between is settled at the next start from what the store committed; a
 * snapshot's envelope is rewrapped with its cluster's CEK, its DEK never changes; the reports only read.
 *
 * <p>Dependencies: uses {@code control.cluster} (shared state, key flows) and {@code control.snapshot} (snapshot
 * records and envelopes); never {@code control.lifecycle}, which uses it (ArchitectureTest keeps it so).
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.keys;
