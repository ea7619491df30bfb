package io.strongroom.storage;

import io.strongroom.base.DurableFile;
import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;

/**
 * The durable steps of a write, in order. The store's {@link FaultHook} is told of each after it completed, with
 * the file it wrote if any, so crash tests can stop a write at every one (and may damage the file just written, as a
 * torn write would) and check what reopening finds. The same hook sees the {@link DurableFile.Step}s each commit
 * step is made of, announced before they happen.
 *
 * <p>What a crash after each step leaves: before {@link #POINTER_SWITCHED} the previous version (for a key
 * rotation: the version sealed under the old database key) is the committed one and everything written so far is
 * garbage the next open deletes; from {@link #POINTER_SWITCHED} on, the new version is committed.
 */
public enum CommitStep implements FaultPoint {
    /** A block file was written and fsynced (during the transaction, before commit). */
    BLOCK_WRITTEN,
    /**
     * Key rotation: the superblock now records the new database key version as the newest (before anything is
     * written under it). The old version is still the committed one.
     */
    ROTATION_KEY_VERSION_RECORDED,
    /** Key rotation: a table's manifest, its block keys rewrapped under the new database key, was written. */
    ROTATION_MANIFEST_WRITTEN,
    /**
     * Encryption of an unencrypted store: the superblock now names the database key (before anything is sealed
     * under it). The store stays unencrypted until the pointer switch of the same change.
     */
    ENCRYPTION_KEY_RECORDED,
    /**
     * Decryption: after the pointer switch to metadata in the clear, the superblock no longer names a database key.
     * (A crash before this step leaves a superblock that open corrects.)
     */
    DECRYPTION_RECORDED,
    /** A new manifest file (a base: the whole manifest) was written and fsynced. */
    MANIFEST_WRITTEN,
    /**
     * The new catalog file was written and fsynced, with the manifest deltas of the tables the commit only appended
     * to (catalog version 5; before it, each delta was a file of its own, written and fsynced at a step of its own).
     */
    CATALOG_WRITTEN,
    /** The directories holding the new files were fsynced. */
    DIRECTORIES_SYNCED,
    /**
     * CURRENT.tmp was made: a hard link to the new catalog file (written and fsynced at {@link #CATALOG_WRITTEN}), so
     * nothing is written here. (Before golden/v6, a pointer file of its own was written and fsynced here.)
     */
    POINTER_TMP_WRITTEN,
    /** CURRENT.tmp was renamed over CURRENT: the commit point. */
    POINTER_SWITCHED,
    /** The root directory was fsynced; the commit is durable. */
    COMMITTED
}
