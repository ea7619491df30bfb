package io.strongroom.storage.format;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The 20-byte header every store file opens with.
 *
 * <pre>
 * offset size field
 *  0      4   magic: "SRSB" superblock, "SRCP" commit pointer, "SRCT" catalog, "SRMF" manifest, "SRBK" block,
 *             "SRSP" spill file
 *  4      2   format version (big-endian), 1
 *  6      2   reserved, zero
 *  8      8   object id: catalog sequence, table version, block id (0 for the superblock)
 * 16      4   CRC32C of bytes 0..16
 * </pre>
 *
 * The CRC separates a corrupt header (integrity failure) from a well-formed header of a format this build does
 * not read (unsupported format). The header is also bound into the associated data of the envelope that
 * follows it, so it cannot be changed without the envelope failing.
 */
public final class FileHeader {
    public static final int BYTES = 20;
    public static final int FORMAT_VERSION = 1;

    /** The kinds of store files, each with its magic. */
    public enum Kind {
        SUPERBLOCK("SRSB"),
        POINTER("SRCP"),
        CATALOG("SRCT"),
        MANIFEST("SRMF"),
        BLOCK("SRBK"),
        SPILL("SRSP");

        private final byte[] magic;

        Kind(String magic) {
            this.magic = magic.getBytes(StandardCharsets.US_ASCII);
        }

        public String magic() {
            return new String(magic, StandardCharsets.US_ASCII);
        }
    }

    private FileHeader() {}

    public static void write(ByteSink out, Kind kind, long objectId) {
        int start = out.size();
        out.bytes(kind.magic).u16(FORMAT_VERSION).u16(0).u64(objectId);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), start, 16);
        out.u32((int) crc.getValue());
    }

    public static byte[] bytes(Kind kind, long objectId) {
        ByteSink s = new ByteSink(BYTES);
        write(s, kind, objectId);
        return s.toByteArray();
    }

    /**
     * Checks the header at the start of {@code file} and returns its object id, which must equal {@code
     * expectedId} when that is not negative.
     */
    public static long check(byte[] file, Kind kind, long expectedId, String place) {
        if (file.length < BYTES) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "integrity failure in " + place + ": file truncated to " + file.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(file, 0, 16);
        ByteSource in = new ByteSource(file, 0, BYTES, place);
        byte[] magic = in.bytes(4);
        int version = in.u16();
        int reserved = in.u16();
        long id = in.u64();
        int stored = in.u32();
        if (stored != (int) crc.getValue()) {
            throw in.corrupt("file header checksum mismatch");
        }
        if (!java.util.Arrays.equals(magic, kind.magic)) {
            throw in.corrupt("not a " + kind.name().toLowerCase(java.util.Locale.ROOT) + " file (magic "
                    + new String(magic, StandardCharsets.US_ASCII) + ")");
        }
        if (version != FORMAT_VERSION) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT,
                    place + " has format version " + version + "; this build reads version " + FORMAT_VERSION
                            + ". Use a Strongroom release that reads it.");
        }
        if (reserved != 0) {
            throw in.corrupt("reserved header bytes are not zero");
        }
        if (expectedId >= 0 && id != expectedId) {
            throw in.corrupt("file holds object " + id + ", expected " + expectedId);
        }
        return id;
    }
}
