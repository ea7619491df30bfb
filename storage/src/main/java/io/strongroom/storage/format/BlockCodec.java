package io.strongroom.storage.format;

import com.github.luben.zstd.Zstd;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.Envelope;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import java.security.SecureRandom;

/**
 * A block file: the values of one column for a run of rows of one slice, encoded ({@link ColumnChunkCodec}),
 * compressed, and encrypted under a fresh {@link BlockKey} (or checksummed in an unencrypted store).
 *
 * <pre>
 * file   = header (20 bytes, magic "SRBK", object id = block id) | envelope
 * AD     = Bindings.block(ref, store, table, header)
 * payload (inside the envelope) = u8 codec (0 none, 1 zstd) | u32 raw length | data
 * </pre>
 *
 * The block key is wrapped under the database key and kept in the block's manifest entry, never in the file,
 * so that rotating the database key rewrites manifests only. Thread-safe.
 */
public final class BlockCodec {
    public static final int CODEC_NONE = 0;
    public static final int CODEC_ZSTD = 1;
    public static final int MAX_RAW_BYTES = 64 * 1024 * 1024;
    private static final int ZSTD_LEVEL = 1;
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    private BlockCodec() {}

    /** A block ready to write: the file bytes and its manifest entry. */
    public record Written(byte[] file, BlockRef ref) {}

    /**
     * Encodes, compresses and seals rows {@code from..to} of {@code v} as block {@code blockId}. Stored size and
     * the wrapped key go into the returned {@link BlockRef}.
     */
    public static Written encode(
            ColumnVector v,
            int from,
            int to,
            String storeId,
            long tableId,
            int columnId,
            int slice,
            long blockId,
            long rowStart,
            Sealer sealer) {
        ColumnChunkCodec.Encoded enc = ColumnChunkCodec.encode(v, from, to);
        byte[] raw = enc.body();
        byte[] compressed = Zstd.compress(raw, ZSTD_LEVEL);
        boolean useZstd = compressed.length < raw.length - raw.length / 32;
        byte[] data = useZstd ? compressed : raw;
        ByteSink payload = new ByteSink(data.length + 5);
        payload.u8(useZstd ? CODEC_ZSTD : CODEC_NONE).u32(raw.length).bytes(data);

        byte[] header = FileHeader.bytes(FileHeader.Kind.BLOCK, blockId);
        int dekVersion = sealer.encrypted() ? sealer.keys().current().version() : 0;
        BlockRef provisional = new BlockRef(
                blockId, columnId, slice, rowStart, to - from, enc.nullCount(), 0, dekVersion, enc.zone(), new byte[0]);
        AssociatedData ad = Bindings.block(provisional, storeId, tableId, header);
        byte[] envelope;
        byte[] wrappedKey;
        if (sealer.encrypted()) {
            try (BlockKey key = BlockKey.generate(RANDOM.get())) {
                envelope = key.encrypt(ad, payload.array(), 0, payload.size());
                wrappedKey = sealer.wrapBlockKey(
                        key, Bindings.blockKey(storeId, tableId, columnId, slice, blockId, dekVersion));
            }
        } else {
            envelope = Envelope.sealUnencrypted(ad, payload.array(), 0, payload.size());
            wrappedKey = new byte[0];
        }
        byte[] file = new byte[header.length + envelope.length];
        System.arraycopy(header, 0, file, 0, header.length);
        System.arraycopy(envelope, 0, file, header.length, envelope.length);
        BlockRef ref = new BlockRef(
                blockId,
                columnId,
                slice,
                rowStart,
                to - from,
                enc.nullCount(),
                file.length,
                dekVersion,
                enc.zone(),
                wrappedKey);
        return new Written(file, ref);
    }

    /** Checks, decrypts, decompresses and decodes a block file read from disk. */
    public static ColumnVector decode(
            byte[] file, BlockRef ref, ColumnType type, String storeId, long tableId, Sealer sealer, String place) {
        if (file.length != ref.storedBytes()) {
            throw Sealer.integrity(
                    place, "file has " + file.length + " bytes, its manifest entry says " + ref.storedBytes(), null);
        }
        FileHeader.check(file, FileHeader.Kind.BLOCK, ref.blockId(), place);
        byte[] header = java.util.Arrays.copyOf(file, FileHeader.BYTES);
        AssociatedData ad = Bindings.block(ref, storeId, tableId, header);
        int off = FileHeader.BYTES;
        int len = file.length - off;
        byte[] payload;
        if (sealer.encrypted()) {
            if (!Envelope.isEncrypted(file, off, len)) {
                throw Sealer.integrity(place, "found an unencrypted block in an encrypted store", null);
            }
            AssociatedData keyAd =
                    Bindings.blockKey(storeId, tableId, ref.columnId(), ref.slice(), ref.blockId(), ref.dekVersion());
            try (BlockKey key = sealer.unwrapBlockKey(ref.wrappedKey(), keyAd, place)) {
                payload = Sealer.guard(() -> key.decrypt(ad, file, off, len), place);
            }
        } else {
            payload = Sealer.guard(() -> Envelope.openUnencrypted(ad, file, off, len), place);
        }
        ByteSource in = new ByteSource(payload, place);
        int codec = in.u8();
        int rawLength = in.count(MAX_RAW_BYTES, "raw length");
        byte[] raw;
        if (codec == CODEC_ZSTD) {
            byte[] compressed = in.bytes(in.remaining());
            try {
                raw = Zstd.decompress(compressed, rawLength);
            } catch (RuntimeException e) {
                throw Sealer.integrity(place, "zstd data does not decompress", e);
            }
            if (raw.length != rawLength) {
                throw Sealer.integrity(place, "decompressed to " + raw.length + " bytes, expected " + rawLength, null);
            }
        } else if (codec == CODEC_NONE) {
            raw = in.bytes(rawLength);
            in.expectEnd();
        } else {
            throw Sealer.integrity(place, "unknown compression codec " + codec, null);
        }
        return ColumnChunkCodec.decode(raw, type, ref.rowCount(), place);
    }
}
