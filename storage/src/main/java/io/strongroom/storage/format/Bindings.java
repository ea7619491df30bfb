package io.strongroom.storage.format;

import io.strongroom.crypto.AssociatedData;

/**
 * The associated data of every ciphertext the store writes: what each one belongs to. Changing any field here
 * is a format change. Stateless.
 */
public final class Bindings {
    private Bindings() {}

    public static AssociatedData superblock(byte[] header) {
        return AssociatedData.of("strongroom/superblock/v1")
                .withBytes("header", header)
                .build();
    }

    public static AssociatedData pointer(String storeId, byte[] header) {
        return AssociatedData.of("strongroom/pointer/v1")
                .with("store", storeId)
                .withBytes("header", header)
                .build();
    }

    public static AssociatedData catalog(String storeId, long seq, byte[] header) {
        return AssociatedData.of("strongroom/catalog/v1")
                .with("store", storeId)
                .with("seq", seq)
                .withBytes("header", header)
                .build();
    }

    public static AssociatedData manifest(String storeId, long tableId, long version, byte[] header) {
        return AssociatedData.of("strongroom/manifest/v1")
                .with("store", storeId)
                .with("table", tableId)
                .with("version", version)
                .withBytes("header", header)
                .build();
    }

    /**
     * Binds a manifest delta to its table, to its place in the chain (the base version it applies to and its number
     * after it) and to the file before it (the base's or the previous delta's SHA-256; empty for the first delta
     * on base 0): a delta moved to another place, reordered, or following other history fails to open.
     */
    public static AssociatedData manifestDelta(
            String storeId, long tableId, long baseVersion, int number, byte[] previousDigest, byte[] header) {
        return AssociatedData.of("strongroom/manifest-delta/v1")
                .with("store", storeId)
                .with("table", tableId)
                .with("base", baseVersion)
                .with("number", number)
                .withBytes("previous", previousDigest)
                .withBytes("header", header)
                .build();
    }

    /** Binds a block to its place: table, column, slice, block id and the rows it holds. */
    public static AssociatedData block(BlockRef ref, String storeId, long tableId, byte[] header) {
        return AssociatedData.of("strongroom/block/v1")
                .with("store", storeId)
                .with("table", tableId)
                .with("column", ref.columnId())
                .with("slice", ref.slice())
                .with("block", ref.blockId())
                .with("row-start", ref.rowStart())
                .with("row-count", ref.rowCount())
                .withBytes("header", header)
                .build();
    }

    /** Binds a wrapped block key to its block and to the DEK version that wraps it. */
    public static AssociatedData blockKey(
            String storeId, long tableId, int columnId, int slice, long blockId, int dekVersion) {
        return AssociatedData.of("strongroom/block-key/v1")
                .with("store", storeId)
                .with("table", tableId)
                .with("column", columnId)
                .with("slice", slice)
                .with("block", blockId)
                .with("dek-version", dekVersion)
                .build();
    }

    /**
     * The {@link #blockKey} bindings of one table, as a template filled with (column, slice, block, dekVersion):
     * the same bytes, made without re-encoding the store and table for every block (a key rotation makes two per
     * block). {@code BindingsTest} pins the equality.
     */
    public static AssociatedData.Template blockKeys(String storeId, long tableId) {
        return AssociatedData.of("strongroom/block-key/v1")
                .with("store", storeId)
                .with("table", tableId)
                .template("column", "slice", "block", "dek-version");
    }

    public static AssociatedData spill(String storeId, long spillId, long chunk) {
        return AssociatedData.of("strongroom/spill/v1")
                .with("store", storeId)
                .with("spill", spillId)
                .with("chunk", chunk)
                .build();
    }
}
