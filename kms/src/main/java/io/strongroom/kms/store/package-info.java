/**
 * The KMS's durable state: {@link io.strongroom.kms.store.KmsStore} keeps every key and alias in one sealed file
 * ({@link io.strongroom.kms.store.StateDocument} is its JSON) under the master key in {@code master.key} ({@link
 * io.strongroom.kms.store.MasterKeyFile}, in the clear or sealed under a passphrase). docs/format/kms-store.md is
 * the byte layout.
 *
 * <p>Invariants: a save writes a new file, fsyncs it, renames it over the old one and fsyncs the directory, so a
 * crash leaves the old store or the new one, never a mix; each material version is sealed again under the master
 * key inside the sealed file; a store larger than its limit is refused before it is written, so the KMS can always
 * restart.
 *
 * <p>Dependencies: uses {@code kms.model}, {@code crypto} and {@code base} (and the root's {@code PassphraseKey});
 * never {@code kms.service} or {@code kms.audit} (ArchitectureTest keeps it so).
 */
@NullMarked
package io.strongroom.kms.store;

import org.jspecify.annotations.NullMarked;
