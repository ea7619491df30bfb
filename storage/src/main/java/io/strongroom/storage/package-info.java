/**
 * The encrypted columnar block store: a cluster's tables, spread over slices, kept column by column in
 * immutable blocks of about 1 MiB, each compressed and encrypted under its own block key; per-table manifests
 * and a catalog, committed atomically by switching one pointer.
 *
 * <p>Entry points: {@link io.strongroom.storage.Store} (create, open), {@link io.strongroom.storage.Transaction}
 * (writes), {@link io.strongroom.storage.Snapshot} (consistent reads). Byte layouts live in {@code
 * io.strongroom.storage.format} and in {@code docs/format/}.
 */
@NullMarked
package io.strongroom.storage;

import org.jspecify.annotations.NullMarked;
