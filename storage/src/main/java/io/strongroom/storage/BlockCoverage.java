package io.strongroom.storage;

import org.jspecify.annotations.Nullable;

/**
 * How one block is sealed, as its files say, reconciled with its manifest: the manifest's DEK version (0: in the
 * clear), the algorithm in the block file's envelope header (0 none, 1 AES-256-GCM; -1 when the file could not be
 * read) and the key version in the header of its wrapped block key. {@code problem} says what does not agree, or is
 * null. Read by {@link TableReader#coverage()}; nothing here is secret.
 *
 * @param table the table's qualified name
 * @param storedBytes the block file's size as the manifest records it
 */
public record BlockCoverage(
        String table,
        int slice,
        long blockId,
        int manifestKeyVersion,
        int fileAlgorithm,
        int wrappedKeyVersion,
        long storedBytes,
        @Nullable String problem) {
    /** {@code encrypted}, {@code unencrypted}, or {@code mismatch} when the files and the manifest disagree. */
    public String state() {
        return problem != null ? "mismatch" : manifestKeyVersion > 0 ? "encrypted" : "unencrypted";
    }
}
