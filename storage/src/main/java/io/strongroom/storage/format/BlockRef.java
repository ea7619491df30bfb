package io.strongroom.storage.format;

import io.strongroom.crypto.Envelope;

/**
 * The metadata of a manifest entry: one block of one column on one slice, covering rows {@code rowStart ..
 * rowStart+rowCount} of that slice, with its zone map. The entry's block key, wrapped under the database key, and
 * that key's version are kept apart, by block index, in the manifest's {@link WrappedBlockKeys}: a key rotation
 * changes only those, so the refs are shared by the manifests before and after it. Immutable.
 *
 * <p>An entry on disk (the manifest body lists them in block order; {@link ManifestEntry} is one whole):
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
        ZoneMap zone) {

    public static final int MAX_ROWS = 16 * 1024 * 1024;

    public long rowEnd() {
        return rowStart + rowCount;
    }

    /** Writes this block's entry with key {@code i} of {@code keys}. */
    void write(ByteSink out, WrappedBlockKeys keys, int i) {
        out.u64(blockId)
                .u32(columnId)
                .u32(slice)
                .u64(rowStart)
                .u32(rowCount)
                .u32(nullCount)
                .u32(storedBytes)
                .u32(keys.dekVersion(i));
        zone.write(out);
        keys.writeKey(out, i);
    }

    /** Reads an entry: returns its metadata and appends its key to {@code keys}. */
    static BlockRef read(ByteSource in, WrappedBlockKeys.Builder keys) {
        long id = in.u64();
        int col = in.count(Integer.MAX_VALUE, "column id");
        int slice = in.count(4096, "slice");
        long start = in.u64();
        int rows = in.count(MAX_ROWS, "row count");
        int nulls = in.count(rows, "null count");
        int stored = in.count(Integer.MAX_VALUE, "stored bytes");
        int dekVersion = in.count(Integer.MAX_VALUE, "key version");
        ZoneMap zone = ZoneMap.read(in);
        int keyLength = in.count(Envelope.encryptedOverhead() + 64, "blob length");
        int keyAt = in.position();
        in.skip(keyLength);
        if (start < 0 || id < 0) {
            throw in.corrupt("negative block id or row start");
        }
        keys.add(dekVersion, in.array(), keyAt, keyLength);
        return new BlockRef(id, col, slice, start, rows, nulls, stored, zone);
    }

    @Override
    public String toString() {
        return "block " + blockId + " (column " + columnId + ", slice " + slice + ", rows " + rowStart + ".." + rowEnd()
                + ")";
    }
}
