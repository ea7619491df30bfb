package io.strongroom.storage;

import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;

/**
 * The durable steps of the {@link SnapshotStore}'s writes, in order per operation. The snapshot store's {@link
 * FaultHook} is told of each after it completed, so crash tests can stop an operation at every one and check what
 * {@link SnapshotStore#recover} finds.
 *
 * <p>What a crash after each step leaves: an image without its {@code COMPLETE} marker is not a snapshot (recovery
 * deletes it); a pool block is deleted only when no image with a marker lists it.
 */
public enum SnapshotStep implements FaultPoint {
    /** A block was copied into the pool (written to a temporary name, fsynced, renamed, directory fsynced). */
    POOL_BLOCK_WRITTEN,
    /** An image's metadata files (superblock, pointer, catalog, manifests, block list) were written and fsynced. */
    IMAGE_FILES_WRITTEN,
    /** The image's COMPLETE marker was written: the image is a snapshot. */
    IMAGE_COMPLETE,
    /** An image's COMPLETE marker was removed: the image no longer protects its blocks. */
    IMAGE_UNMARKED,
    /** An image's directory was removed. */
    IMAGE_REMOVED,
    /** A pool block that no image lists was deleted. */
    POOL_BLOCK_FREED,
    /** A restore copied an image's files and linked its blocks into a new store directory. */
    RESTORE_FILES_LINKED
}
