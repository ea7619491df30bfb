package io.strongroom.storage.format;

import io.strongroom.crypto.Envelope;

/**
 * A manifest entry: one block of one column on one slice, covering rows {@code rowStart .. rowStart+rowCount}
 * of that slice, with its zone map and its block key wrapped under the database key (empty when the store is
 * unencrypted). Immutable; a key rotation makes a new entry with the key rewrapped.
 *
 * <pre>
 * u64 blockId | u32 columnId | u32 slice | u64 rowStart | u32 rowCount | u32 nullCount | u32 storedBytes
 * | u32 dekVersion | zone map | u32 wrappedKeyLength | wrappedKey
 * </pre>
 */
public record BlockRef(
        long blockId,
        int columnId,
        int slice,
        long rowStart,
        int rowCount,
        int nullCount,
        int storedBytes,
        int dekVersion,
        ZoneMap zone,
        byte[] wrappedKey) {

    public static final int MAX_ROWS = 16 * 1024 * 1024;

    public long rowEnd() {
        return rowStart + rowCount;
    }

    public BlockRef withWrappedKey(byte[] key, int version) {
        return new BlockRef(blockId, columnId, slice, rowStart, rowCount, nullCount, storedBytes, version, zone, key);
    }

    public void write(ByteSink out) {
        out.u64(blockId)
                .u32(columnId)
                .u32(slice)
                .u64(rowStart)
                .u32(rowCount)
                .u32(nullCount)
                .u32(storedBytes)
                .u32(dekVersion);
        zone.write(out);
        out.blob(wrappedKey);
    }

    public static BlockRef read(ByteSource in) {
        long id = in.u64();
        int col = in.count(Integer.MAX_VALUE, "column id");
        int slice = in.count(4096, "slice");
        long start = in.u64();
        int rows = in.count(MAX_ROWS, "row count");
        int nulls = in.count(rows, "null count");
        int stored = in.count(Integer.MAX_VALUE, "stored bytes");
        int dekVersion = in.count(Integer.MAX_VALUE, "key version");
        ZoneMap zone = ZoneMap.read(in);
        byte[] key = in.blob(Envelope.encryptedOverhead() + 64);
        if (start < 0 || id < 0) {
            throw in.corrupt("negative block id or row start");
        }
        return new BlockRef(id, col, slice, start, rows, nulls, stored, dekVersion, zone, key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockRef b
                && blockId == b.blockId
                && dekVersion == b.dekVersion
                && java.util.Arrays.equals(wrappedKey, b.wrappedKey);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(blockId);
    }

    @Override
    public String toString() {
        return "block " + blockId + " (column " + columnId + ", slice " + slice + ", rows " + rowStart + ".." + rowEnd()
                + ")";
    }
}
