package io.strongroom.storage;

/**
 * One block as a block list shows it: where it is, how big, and what protects it. Safe to show to users; it
 * holds no key material.
 *
 * @param encrypted whether the block is encrypted (false: checksummed only)
 * @param keyVersion the database key version that wraps the block's key (0 when unencrypted)
 */
public record BlockInfo(
        String table,
        String column,
        int slice,
        long blockId,
        int rows,
        int storedBytes,
        boolean encrypted,
        int keyVersion) {}
