package io.strongroom.storage.format;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * The 20-byte header every store file opens with.
 *
 * <pre>
 * offset size field
 *  0      4   magic: "SRSB" superblock, "SRCP" commit pointer, "SRCT" catalog, "SRMF" manifest, "SRBK" block,
 *             "SRSP" spill file, "SRMD" manifest delta
 *  4      2   format version (big-endian): 1, or the newer version a catalog or manifest needs ({@link Kind})
 *  6      2   reserved, zero
 *  8      8   object id: catalog sequence, table version (a manifest delta's: the version it makes), block id
 *             (0 for the superblock)
 * 16      4   CRC32C of bytes 0..16
 * </pre>
 *
 * The CRC separates a corrupt header (integrity failure) from a well-formed header of a format this build does
 * not read (unsupported format). Each kind of file has its own newest version ({@link Kind#newestVersion}); a
 * writer stamps the lowest version that can express the file's content, so a store that uses no newer feature
 * stays readable by older builds, and a reader accepts every version from 1 to the newest. The header is also bound into the associated data of the envelope that
 * follows it, so it cannot be changed without the envelope failing.
 */
public final class FileHeader {
    public static final int BYTES = 20;
    /** The version of every file kind that has only one. */
    public static final int FORMAT_VERSION = 1;

    /** The kinds of store files, each with its magic and the newest format version this build reads. */
    public enum Kind {
        SUPERBLOCK("SRSB", 1),
        POINTER("SRCP", 1),
        /**
         * Version 2 adds column flags (NOT NULL) and DEFAULT values; version 3 adds table constraints; version 4
         * adds manifest delta chains ({@link ManifestDelta}); version 5 holds the deltas in catalog files (their
         * length after the header, then the held deltas, then the envelope, which a superseded catalog is cut off).
         */
        CATALOG("SRCT", 5),
        /**
         * Version 2 adds column fills (rows a column added by ALTER TABLE holds no blocks for); version 3 adds block
         * origins (blocks a restore shares with the snapshot that sealed them).
         */
        MANIFEST("SRMF", 3),
        /** A manifest delta: what one commit appended to a table's manifest ({@link ManifestDelta}). */
        MANIFEST_DELTA("SRMD", 1),
        /** Version 2 adds bit-packed integers ({@link ColumnChunkCodec#PACKED}). */
        BLOCK("SRBK", 2),
        SPILL("SRSP", 1);

        private final byte[] magic;
        private final int newestVersion;

        Kind(String magic, int newestVersion) {
            this.magic = magic.getBytes(StandardCharsets.US_ASCII);
            this.newestVersion = newestVersion;
        }

        public String magic() {
            return new String(magic, StandardCharsets.US_ASCII);
        }

        /** The newest format version of this kind that this build reads and writes. */
        public int newestVersion() {
            return newestVersion;
        }
    }

    private FileHeader() {}

    public static void write(ByteSink out, Kind kind, long objectId) {
        write(out, kind, FORMAT_VERSION, objectId);
    }

    public static void write(ByteSink out, Kind kind, int version, long objectId) {
        if (version < 1 || version > kind.newestVersion) {
            throw new IllegalArgumentException(kind + " has no format version " + version);
        }
        int start = out.size();
        out.bytes(kind.magic).u16(version).u16(0).u64(objectId);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), start, 16);
        out.u32((int) crc.getValue());
    }

    public static byte[] bytes(Kind kind, long objectId) {
        return bytes(kind, FORMAT_VERSION, objectId);
    }

    public static byte[] bytes(Kind kind, int version, long objectId) {
        ByteSink s = new ByteSink(BYTES);
        write(s, kind, version, objectId);
        return s.toByteArray();
    }

    /** Whether {@code file} starts with the magic of {@code kind} (its header not checked otherwise). */
    public static boolean hasMagic(byte[] file, Kind kind) {
        return file.length >= 4 && Arrays.equals(file, 0, 4, kind.magic, 0, 4);
    }

    /** The format version of a file whose header {@link #check} accepted. */
    public static int version(byte[] file) {
        return ((file[4] & 0xFF) << 8) | (file[5] & 0xFF);
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
        if (!Arrays.equals(magic, kind.magic)) {
            throw in.corrupt("not a " + kind.name().toLowerCase(Locale.ROOT) + " file (magic "
                    + new String(magic, StandardCharsets.US_ASCII) + ")");
        }
        if (version < 1 || version > kind.newestVersion) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT,
                    place + " has format version " + version + "; this build reads versions 1 to " + kind.newestVersion
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
