package io.strongroom.storage.format;

import com.github.luben.zstd.Zstd;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.Envelope;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import java.util.Arrays;

/**
 * A block file: the values of one column for a run of rows of one slice, encoded ({@link ColumnChunkCodec}),
 * compressed, and encrypted under a fresh {@link BlockKey} (or checksummed in an unencrypted store).
 *
 * <pre>
 * file    = header (20 bytes, magic "SRBK", object id = block id) | envelope
 * AD      = Bindings.block(ref, store, table, header)
 * payload (inside the envelope) = u8 codec (0 none, 1 zstd level 1) | u32 raw length | data
 * </pre>
 *
 * The block key is wrapped under the database key and kept in the block's manifest entry, never in the file,
 * so that rotating the database key rewrites manifests only. Compression runs before encryption (ciphertext
 * does not compress); it is skipped when it saves less than 1/32. Thread-safe: scratch buffers are per
 * thread.
 */
public final class BlockCodec {
    public static final int CODEC_NONE = 0;
    public static final int CODEC_ZSTD = 1;
    public static final int MAX_RAW_BYTES = 64 * 1024 * 1024;
    private static final int PREFIX_BYTES = 5;
    private static final int ZSTD_LEVEL = 1;
    private static final ThreadLocal<byte[][]> PAYLOAD = ThreadLocal.withInitial(() -> new byte[1][0]);
    private static final ThreadLocal<byte[][]> PLAINTEXT = ThreadLocal.withInitial(() -> new byte[1][0]);
    private static final ThreadLocal<byte[][]> FILE = ThreadLocal.withInitial(() -> new byte[1][0]);

    private BlockCodec() {}

    /**
     * A block ready to write: the first {@code length} bytes of {@code file}, and its manifest entry. {@code file}
     * is a per-thread buffer, valid until this thread encodes its next block.
     */
    public record Written(byte[] file, int length, ManifestEntry entry) {}

    /** A per-thread buffer of at least {@code n} bytes, reused across blocks to spare the allocator. */
    private static byte[] scratch(ThreadLocal<byte[][]> holder, int n) {
        byte[][] h = holder.get();
        if (h[0].length < n) {
            h[0] = new byte[Math.max(n, h[0].length + h[0].length / 2)];
        }
        return h[0];
    }

    /**
     * Encodes, compresses and seals rows {@code from..to} of {@code v} as block {@code blockId}. Stored size and
     * the wrapped key go into the returned {@link ManifestEntry}.
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
        int rawLength = enc.bodyLength();
        int bound = (int) Zstd.compressBound(rawLength);
        byte[] payload = scratch(PAYLOAD, PREFIX_BYTES + Math.max(bound, rawLength));
        long compressed = Zstd.compressByteArray(payload, PREFIX_BYTES, bound, raw, 0, rawLength, ZSTD_LEVEL);
        boolean useZstd = !Zstd.isError(compressed) && compressed < rawLength - rawLength / 32;
        int dataLength = useZstd ? (int) compressed : rawLength;
        if (!useZstd) {
            System.arraycopy(raw, 0, payload, PREFIX_BYTES, rawLength);
        }
        payload[0] = (byte) (useZstd ? CODEC_ZSTD : CODEC_NONE);
        payload[1] = (byte) (rawLength >>> 24);
        payload[2] = (byte) (rawLength >>> 16);
        payload[3] = (byte) (rawLength >>> 8);
        payload[4] = (byte) rawLength;
        int payloadLength = PREFIX_BYTES + dataLength;

        BlockRef provisional =
                new BlockRef(blockId, columnId, slice, rowStart, to - from, enc.nullCount(), 0, enc.zone());
        int version = enc.encoding() == ColumnChunkCodec.PACKED ? 2 : 1;
        return seal(payload, payloadLength, version, provisional, storeId, tableId, sealer.sealsBlocks(), sealer);
    }

    /**
     * Seals {@code payload[0..payloadLength)} (a block's payload: codec, raw length, data), of block format
     * {@code version} (2 when it holds bit-packed values, else 1), as the block {@code ref} names (its stored size is ignored and set here) of table {@code tableId} in store {@code storeId}: under a
     * fresh block key wrapped by {@code sealer}'s current DEK when {@code encrypt}, else checksummed.
     */
    public static Written seal(
            byte[] payload,
            int payloadLength,
            int version,
            BlockRef ref,
            String storeId,
            long tableId,
            boolean encrypt,
            Sealer sealer) {
        long blockId = ref.blockId();
        byte[] header = FileHeader.bytes(FileHeader.Kind.BLOCK, version, blockId);
        int dekVersion = encrypt ? sealer.keys().current().version() : 0;
        AssociatedData ad = Bindings.block(ref, storeId, tableId, header);
        byte[] file;
        int fileLength;
        byte[] wrappedKey;
        if (encrypt) {
            fileLength = header.length + payloadLength + Envelope.encryptedOverhead();
            file = scratch(FILE, fileLength);
            System.arraycopy(header, 0, file, 0, header.length);
            try (BlockKey key = BlockKey.generate()) {
                key.encryptInto(ad, payload, 0, payloadLength, file, header.length);
                wrappedKey = sealer.wrapBlockKey(
                        key, Bindings.blockKey(storeId, tableId, ref.columnId(), ref.slice(), blockId, dekVersion));
            }
        } else {
            byte[] envelope = Envelope.sealUnencrypted(ad, payload, 0, payloadLength);
            fileLength = header.length + envelope.length;
            file = scratch(FILE, fileLength);
            System.arraycopy(header, 0, file, 0, header.length);
            System.arraycopy(envelope, 0, file, header.length, envelope.length);
            wrappedKey = new byte[0];
        }
        BlockRef stored = new BlockRef(
                blockId,
                ref.columnId(),
                ref.slice(),
                ref.rowStart(),
                ref.rowCount(),
                ref.nullCount(),
                fileLength,
                ref.zone());
        return new Written(file, fileLength, new ManifestEntry(stored, dekVersion, wrappedKey));
    }

    /**
     * A block's payload, opened: the first {@code length} bytes of {@code bytes} (a per-thread buffer, valid until
     * this thread opens its next block), and the block's format version (which a re-sealed copy keeps).
     */
    public record Payload(byte[] bytes, int length, int version) {}

    /**
     * Checks and opens a block file read from disk: decrypts it when its manifest entry names a DEK version, else
     * checks its checksum. (An encrypted store lists blocks in the clear only while it is being encrypted or
     * decrypted; its manifest, authenticated under the DEK, says which, so no block can be downgraded.)
     */
    public static Payload open(
            byte[] file,
            ManifestEntry entry,
            String storeId,
            long tableId,
            BlockOrigins.Origin sealedBy,
            Sealer sealer,
            String place) {
        return open(file, file.length, entry, storeId, tableId, sealedBy, sealer, place);
    }

    /** As {@link #open(byte[], ManifestEntry, String, long, BlockOrigins.Origin, Sealer, String)}, for a file in the first {@code length} bytes of a buffer. */
    public static Payload open(
            byte[] file,
            int length,
            ManifestEntry entry,
            String storeId,
            long tableId,
            BlockOrigins.Origin sealedBy,
            Sealer sealer,
            String place) {
        BlockRef ref = entry.ref();
        if (length != ref.storedBytes()) {
            throw Sealer.integrity(
                    place, "file has " + length + " bytes, its manifest entry says " + ref.storedBytes(), null);
        }
        FileHeader.check(file, FileHeader.Kind.BLOCK, ref.blockId(), place);
        int version = FileHeader.version(file);
        byte[] header = Arrays.copyOf(file, FileHeader.BYTES);
        // The block is bound to the store and table that sealed it; its key to the store and table that read it.
        AssociatedData ad = Bindings.block(ref, sealedBy.storeId(), sealedBy.tableId(), header);
        int off = FileHeader.BYTES;
        int len = length - off;
        if (entry.dekVersion() != 0) {
            if (!Envelope.isEncrypted(file, off, len) || len < Envelope.encryptedOverhead()) {
                throw Sealer.integrity(
                        place, "not an encrypted block (its manifest entry names a database key version)", null);
            }
            AssociatedData keyAd =
                    Bindings.blockKey(storeId, tableId, ref.columnId(), ref.slice(), ref.blockId(), entry.dekVersion());
            byte[] buf = scratch(PLAINTEXT, len - Envelope.encryptedOverhead());
            try (BlockKey key = sealer.unwrapBlockKey(entry.wrappedKeyView(), entry.dekVersion(), keyAd, place)) {
                return new Payload(
                        buf, Sealer.guard(() -> key.decryptInto(ad, file, off, len, buf, 0), place), version);
            }
        }
        byte[] plain = Sealer.guard(() -> Envelope.openUnencrypted(ad, file, off, len), place);
        return new Payload(plain, plain.length, version);
    }

    /**
     * Checks, decrypts and decompresses a block file read from disk, into the form the read path keeps ({@link
     * BlockValues}: bit-packed and dictionary blocks stay encoded, checked whole).
     */
    public static BlockValues values(
            byte[] file,
            ManifestEntry entry,
            ColumnType type,
            String storeId,
            long tableId,
            BlockOrigins.Origin sealedBy,
            Sealer sealer,
            String place) {
        Payload p = open(file, entry, storeId, tableId, sealedBy, sealer, place);
        return ColumnChunkCodec.values(raw(p, place), type, entry.ref().rowCount(), p.version(), place);
    }

    /** The column chunk in an opened payload, decompressed into an array of its own. */
    private static byte[] raw(Payload p, String place) {
        byte[] payload = p.bytes();
        int payloadLength = p.length();
        ByteSource in = new ByteSource(payload, 0, payloadLength, place);
        int codec = in.u8();
        int rawLength = in.count(MAX_RAW_BYTES, "raw length");
        byte[] raw = new byte[rawLength];
        if (codec == CODEC_ZSTD) {
            long n;
            try {
                n = Zstd.decompressByteArray(raw, 0, rawLength, payload, in.position(), in.remaining());
            } catch (RuntimeException e) {
                throw Sealer.integrity(place, "zstd data does not decompress", e);
            }
            if (Zstd.isError(n) || n != rawLength) {
                throw Sealer.integrity(place, "zstd data does not decompress to " + rawLength + " bytes", null);
            }
        } else if (codec == CODEC_NONE) {
            if (in.remaining() != rawLength) {
                throw Sealer.integrity(place, "stored length differs from raw length", null);
            }
            System.arraycopy(payload, in.position(), raw, 0, rawLength);
        } else {
            throw Sealer.integrity(place, "unknown compression codec " + codec, null);
        }
        return raw;
    }
}
