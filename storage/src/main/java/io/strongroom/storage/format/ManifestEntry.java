package io.strongroom.storage.format;

import java.util.Arrays;
import java.util.Objects;

/**
 * One manifest entry whole: a block's metadata ({@link BlockRef}) with its block key wrapped under the database
 * key and that key's version (empty and 0 in an unencrypted store). What a writer holds for a block it made until
 * a manifest lists it, and what a reader asks of a manifest for the one block it opens; a manifest itself keeps
 * its keys apart, in {@link WrappedBlockKeys}.
 *
 * <p>Immutable: the key array is copied in and out. {@code toString} names the block, never the key bytes.
 */
public final class ManifestEntry {
    private final BlockRef ref;
    private final int dekVersion;
    private final byte[] wrappedKey;

    public ManifestEntry(BlockRef ref, int dekVersion, byte[] wrappedKey) {
        if (dekVersion < 0) {
            throw new IllegalArgumentException("negative key version " + dekVersion);
        }
        this.ref = Objects.requireNonNull(ref);
        this.dekVersion = dekVersion;
        this.wrappedKey = wrappedKey.clone();
    }

    public BlockRef ref() {
        return ref;
    }

    public int dekVersion() {
        return dekVersion;
    }

    public byte[] wrappedKey() {
        return wrappedKey.clone();
    }

    /** The key without a copy, for this package's codecs, which never change it. */
    byte[] wrappedKeyView() {
        return wrappedKey;
    }

    /** This entry with its block key wrapped anew (a key rotation's rewrap). */
    public ManifestEntry withWrappedKey(int version, byte[] key) {
        return new ManifestEntry(ref, version, key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ManifestEntry e
                && ref.equals(e.ref)
                && dekVersion == e.dekVersion
                && Arrays.equals(wrappedKey, e.wrappedKey);
    }

    @Override
    public int hashCode() {
        return ref.hashCode();
    }

    @Override
    public String toString() {
        return ref + " under database key v" + dekVersion;
    }
}
