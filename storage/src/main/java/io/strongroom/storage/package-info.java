/**
 * The encrypted columnar block store: a cluster's tables, spread over slices, kept column by column in
 * immutable blocks of about 1 MiB, each compressed and encrypted under its own block key; per-table manifests
 * and a catalog, committed atomically by switching one pointer.
 *
 * <p>Entry points: {@link io.strongroom.storage.Store} (create, open), {@link io.strongroom.storage.Transaction}
 * (writes), {@link io.strongroom.storage.Snapshot} (consistent reads). Byte layouts live in {@code
 * io.strongroom.storage.format} and in {@code docs/format/}.
 *
 * <p>Why one package of more than 30 files: the store, its transactions, readers, key rotation, encryption changes,
 * snapshots and restores share package-private access to one store's files, sealer, commit lock and versions
 * ({@code Store}'s services), which keeps those out of the public API. Byte layouts are already apart in {@code
 * format}.
 */
@NullMarked
package io.strongroom.storage;

import org.jspecify.annotations.NullMarked;
