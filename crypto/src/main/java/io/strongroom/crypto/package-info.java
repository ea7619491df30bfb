/**
 * The key hierarchy of Strongroom and the one authenticated cipher everything uses.
 *
 * <p>{@link io.strongroom.crypto.RootKey} (a KMS or HSM key) wraps a {@link io.strongroom.crypto.ClusterKey},
 * which wraps a {@link io.strongroom.crypto.DatabaseKey}, which wraps one {@link io.strongroom.crypto.BlockKey}
 * per data block. Every wrap and every encryption is AES-256-GCM bound to {@link
 * io.strongroom.crypto.AssociatedData} naming what the ciphertext belongs to; the byte layout is {@link
 * io.strongroom.crypto.Envelope}'s. Key material lives only in {@link io.strongroom.crypto.SecretBytes}; what
 * may be logged about a key is its {@link io.strongroom.crypto.KeyInfo}.
 */
@NullMarked
package io.strongroom.crypto;

import org.jspecify.annotations.NullMarked;
