package io.strongroom.storage.format;

import com.github.luben.zstd.Zstd;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.Envelope;
import io.strongroom.storage.ClusterLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where each store artefact lives and how its file bytes are made and checked.
 *
 * <pre>
 * STORE                               superblock: store id, layout, encrypted?, database key id (checksummed)
 * CURRENT                             commit pointer: the current catalog (a hard link), or before golden/v6
 *                                     a pointer file (catalog seq + SHA-256 of the catalog file, sealed)
 * catalog/&lt;seq, 16 hex&gt;.cat           catalog versions (sealed), from version 5 with the manifest deltas
 *                                     their commit made (each sealed on its own)
 * tables/&lt;table id&gt;/&lt;version&gt;.man     manifests (zstd, sealed): a table's base manifest
 * tables/&lt;table id&gt;/&lt;base&gt;-&lt;n&gt;.mdl   manifest deltas as files of their own (golden/v5 and v6 only)
 * tables/&lt;table id&gt;/&lt;block id&gt;.blk    blocks (sealed under their block keys)
 * tmp/                                temporary and spill files (sealed), emptied at open
 * LOCK                                held by the process that has the store open
 * </pre>
 *
 * Stateless apart from the root and store id; thread-safe.
 */
public final class StoreFiles {
    public static final String SUPERBLOCK = "STORE";
    public static final String POINTER = "CURRENT";
    public static final String LOCK = "LOCK";
    /** Names the snapshot pool of a store that shares blocks with snapshots (a restored one). */
    public static final String POOL = "POOL";

    private final Path root;
    private final String storeId;
    private volatile @Nullable Path poolRoot;

    public StoreFiles(Path root, String storeId) {
        this.root = root;
        this.storeId = storeId;
    }

    public Path root() {
        return root;
    }

    public String storeId() {
        return storeId;
    }

    public Path catalogDir() {
        return root.resolve("catalog");
    }

    public Path tablesDir() {
        return root.resolve("tables");
    }

    public Path tmpDir() {
        return root.resolve("tmp");
    }

    public Path catalogFile(long seq) {
        return catalogDir().resolve(hex(seq) + ".cat");
    }

    public Path tableDir(long tableId) {
        return tablesDir().resolve(Long.toString(tableId));
    }

    public Path manifestFile(long tableId, long version) {
        return tableDir(tableId).resolve(hex(version) + ".man");
    }

    /** Delta {@code number} (1-based) after base manifest version {@code baseVersion} ({@link ManifestDelta}). */
    public Path manifestDeltaFile(long tableId, long baseVersion, int number) {
        return tableDir(tableId).resolve(hex(baseVersion) + "-" + hex(number) + ".mdl");
    }

    /**
     * Every file of its own that the manifest {@code e} names: its base (if it has a file) and its deltas when they
     * are {@code .mdl} files (deltas held in catalog files are not listed: the catalogs holding them are the
     * store version's, {@code StoreVersion#deltaHolders}).
     */
    public List<Path> manifestFiles(Catalog.Entry e) {
        List<Path> out = new ArrayList<>(1 + e.deltaCount());
        if (e.baseVersion() > 0) {
            out.add(manifestFile(e.tableId(), e.baseVersion()));
        }
        if (e.deltasInCatalogs()) {
            return out;
        }
        for (int k = 1; k <= e.deltaCount(); k++) {
            out.add(manifestDeltaFile(e.tableId(), e.baseVersion(), k));
        }
        return out;
    }

    public Path blockFile(long tableId, long blockId) {
        return tableDir(tableId).resolve(hex(blockId) + ".blk");
    }

    /**
     * The file of block {@code i} of {@code m}: in this store's table directory, or, for a block shared with a
     * snapshot ({@link BlockOrigins#location}), in the snapshot pool that the store's {@code POOL} file names.
     */
    public Path blockFile(long tableId, TableManifest m, int i) {
        BlockRef b = m.blocks().get(i);
        BlockOrigins.Location l = m.origins().location(i);
        if (l == null) {
            return blockFile(tableId, b.blockId());
        }
        return poolBlockFile(poolRoot(), l.poolStoreId(), tableId, b.blockId(), l.fingerprint());
    }

    /** The name of a block in a snapshot pool (docs/format/snapshot.md). */
    public static Path poolBlockFile(Path pool, String storeId, long tableId, long blockId, long fingerprint) {
        return pool.resolve(storeId).resolve(hex(tableId)).resolve(hex(blockId) + "-" + hex(fingerprint) + ".blk");
    }

    private Path poolRoot() {
        Path p = poolRoot;
        if (p == null) {
            Path file = root.resolve(POOL);
            String place = "pool pointer " + file;
            if (!Files.exists(file)) {
                throw Sealer.integrity(place, "is missing, yet the store's manifests name shared blocks", null);
            }
            String rel = new String(DurableFiles.read(file, place), StandardCharsets.UTF_8).strip();
            p = root.resolve(rel).normalize();
            poolRoot = p;
        }
        return p;
    }

    /**
     * Writes the {@code POOL} file of the store in {@code root}: the snapshot pool its shared blocks live in, as a
     * path relative to the store, so the data directory can move as a whole. Not sealed: a wrong path only makes
     * the shared blocks fail their checks.
     */
    public static void writePool(Path root, Path pool) {
        DurableFiles.writeNew(
                root.resolve(POOL),
                root.toAbsolutePath()
                        .relativize(pool.toAbsolutePath())
                        .toString()
                        .getBytes(StandardCharsets.UTF_8));
    }

    public Path spillFile(long spillId) {
        return tmpDir().resolve(hex(spillId) + ".spill");
    }

    private static final HexFormat HEX = HexFormat.of();

    /** {@code v} as 16 lowercase hex digits (file names). */
    public static String hex(long v) {
        return HEX.toHexDigits(v);
    }

    /** Parses a 16-hex-digit file stem, or returns -1. */
    public static long parseHex(String fileName, String suffix) {
        if (!fileName.endsWith(suffix) || fileName.length() != 16 + suffix.length()) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(fileName.substring(0, 16), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static byte[] concat(byte[] header, byte[] envelope) {
        byte[] file = Arrays.copyOf(header, header.length + envelope.length);
        System.arraycopy(envelope, 0, file, header.length, envelope.length);
        return file;
    }

    // ---- superblock ----

    /**
     * What the superblock says.
     *
     * @param databaseKeyId the id of the store's database key, or null when unencrypted
     * @param newestKeyVersion the newest database key version the store has used; 0 when unencrypted
     */
    public record Superblock(
            String storeId,
            ClusterLayout layout,
            boolean encrypted,
            @Nullable String databaseKeyId,
            int newestKeyVersion) {}

    public static byte[] encodeSuperblock(Superblock sb) {
        byte[] header = FileHeader.bytes(FileHeader.Kind.SUPERBLOCK, 0);
        ByteSink body = new ByteSink(128);
        String keyId = sb.databaseKeyId();
        body.utf(sb.storeId())
                .u32(sb.layout().nodes())
                .u32(sb.layout().slicesPerNode())
                .u8(sb.encrypted() ? 1 : 0)
                .utf(keyId == null ? "" : keyId)
                .u32(sb.newestKeyVersion());
        return concat(header, Envelope.sealUnencrypted(Bindings.superblock(header), body.array(), 0, body.size()));
    }

    public static Superblock readSuperblock(Path root) {
        Path file = root.resolve(SUPERBLOCK);
        String place = "superblock " + file;
        if (!file.toFile().exists()) {
            throw new StrongroomException(
                    ErrorCode.NOT_FOUND, "no store at " + root + " (missing " + SUPERBLOCK + "); create one first");
        }
        byte[] bytes = DurableFiles.read(file, place);
        FileHeader.check(bytes, FileHeader.Kind.SUPERBLOCK, 0, place);
        byte[] header = Arrays.copyOf(bytes, FileHeader.BYTES);
        byte[] body = Sealer.guard(
                () -> Envelope.openUnencrypted(
                        Bindings.superblock(header), bytes, FileHeader.BYTES, bytes.length - FileHeader.BYTES),
                place);
        ByteSource in = new ByteSource(body, place);
        String id = in.utf();
        int nodes = in.u32();
        int spn = in.u32();
        int enc = in.u8();
        String keyId = in.utf();
        int newest = in.u32();
        in.expectEnd();
        if (enc > 1 || (enc == 1) == keyId.isEmpty()) {
            throw in.corrupt("inconsistent encryption fields");
        }
        ClusterLayout layout;
        try {
            layout = new ClusterLayout(nodes, spn);
        } catch (StrongroomException e) {
            throw in.corrupt(String.valueOf(e.getMessage()));
        }
        if ((enc == 1) != (newest > 0)) {
            throw in.corrupt("inconsistent key version");
        }
        return new Superblock(id, layout, enc == 1, enc == 1 ? keyId : null, newest);
    }

    // ---- pointer ----

    /** The commit pointer: which catalog is current, and that file's digest. */
    public record Pointer(long seq, byte[] catalogDigest) {}

    public byte[] encodePointer(Pointer p, Sealer sealer) {
        byte[] header = FileHeader.bytes(FileHeader.Kind.POINTER, p.seq());
        ByteSink body = new ByteSink(48).u64(p.seq()).bytes(p.catalogDigest());
        return concat(header, sealer.seal(Bindings.pointer(storeId, header), body.array(), 0, body.size()));
    }

    /**
     * Reads the commit pointer. It is either a pointer file (kind {@code SRCP}: the seq and the catalog's digest,
     * sealed), as stores written before golden/v6 and snapshot images have it, or, as every commit now leaves it,
     * the current catalog itself (a hard link to {@code catalog/<seq>.cat}, or a copy), told apart by its magic:
     * then the seq is its header's, the digest that of its bytes, and its envelope is opened here, so that the
     * pointer is authenticated either way before anyone relies on it.
     */
    public Pointer readPointer(Sealer sealer) {
        Path file = root.resolve(POINTER);
        String place = "commit pointer " + file;
        byte[] bytes = DurableFiles.read(file, place);
        if (FileHeader.hasMagic(bytes, FileHeader.Kind.CATALOG)) {
            long seq = FileHeader.check(bytes, FileHeader.Kind.CATALOG, -1, place);
            byte[] header = Arrays.copyOf(bytes, FileHeader.BYTES);
            int offset = envelopeOffset(bytes, true, place);
            sealer.open(Bindings.catalog(storeId, seq, header), bytes, offset, bytes.length - offset, place);
            // The deltas held before the envelope must parse here, so that damage to them is reported as damage to
            // the pointer; each is checked by digest with its chain.
            if (FileHeader.version(bytes) >= 5) {
                ManifestDelta.Held.readAll(Arrays.copyOfRange(bytes, FileHeader.BYTES + 4, offset), place);
            }
            return new Pointer(seq, sha256(bytes));
        }
        long seq = FileHeader.check(bytes, FileHeader.Kind.POINTER, -1, place);
        byte[] header = Arrays.copyOf(bytes, FileHeader.BYTES);
        byte[] body = sealer.open(
                Bindings.pointer(storeId, header), bytes, FileHeader.BYTES, bytes.length - FileHeader.BYTES, place);
        ByteSource in = new ByteSource(body, place);
        long s = in.u64();
        byte[] digest = in.bytes(32);
        in.expectEnd();
        if (s != seq) {
            throw in.corrupt("header names catalog " + seq + ", body " + s);
        }
        return new Pointer(seq, digest);
    }

    /**
     * The database key version in the envelope header of the commit pointer of the store in {@code root}, read
     * without any key. The pointer is a pointer file or the catalog itself (told apart by the magic): either way one
     * envelope after the header to the end of the file (in a catalog of version 5, after the deltas it holds).
     */
    public static int pointerKeyVersion(Path root) {
        Path file = root.resolve(POINTER);
        String place = "commit pointer " + file;
        byte[] bytes = DurableFiles.read(file, place);
        boolean catalog = FileHeader.hasMagic(bytes, FileHeader.Kind.CATALOG);
        FileHeader.check(bytes, catalog ? FileHeader.Kind.CATALOG : FileHeader.Kind.POINTER, -1, place);
        int off = envelopeOffset(bytes, catalog, place);
        return Envelope.keyVersionOf(bytes, off, bytes.length - off);
    }

    // ---- catalog ----

    public byte[] encodeCatalog(Catalog c, Sealer sealer) {
        return encodeCatalog(c, List.of(), sealer);
    }

    /**
     * The file of catalog {@code c} holding {@code deltas} (the manifest deltas its commit made, {@link
     * ManifestDelta.Held}): version 5's layout, {@code header | u32 held length | u32 count | held delta* |
     * envelope(body)}, when {@code c} is version 5 (some table's deltas are held in catalogs); else the older layout,
     * {@code header | envelope(body)}, which holds no delta. The deltas come first so that once a newer catalog is
     * current, the file can be cut back to them ({@link #cutToHeldDeltas}): what stays is no catalog any more.
     */
    public byte[] encodeCatalog(Catalog c, List<ManifestDelta.Held> deltas, Sealer sealer) {
        int version = c.formatVersion();
        byte[] header = FileHeader.bytes(FileHeader.Kind.CATALOG, version, c.seq());
        byte[] body = c.encodeBody();
        byte[] envelope = sealer.seal(Bindings.catalog(storeId, c.seq(), header), body, 0, body.length);
        if (version < 5) {
            if (!deltas.isEmpty()) {
                throw new IllegalArgumentException("catalog " + c.seq() + " of version " + version + " holds deltas");
            }
            return concat(header, envelope);
        }
        int held = 4;
        for (ManifestDelta.Held d : deltas) {
            held += d.encodedSize();
        }
        ByteSink out = new ByteSink(header.length + 4 + held + envelope.length);
        out.bytes(header).u32(held).u32(deltas.size());
        for (ManifestDelta.Held d : deltas) {
            d.write(out);
        }
        out.bytes(envelope);
        return out.array().length == out.size() ? out.array() : out.toByteArray();
    }

    /**
     * Where the catalog's envelope starts in its file (whose header was checked): after the header, and in version 5
     * after the deltas it holds. The envelope runs to the end of the file; in a catalog cut back to its deltas, it is
     * empty.
     */
    public static int catalogEnvelopeOffset(byte[] file, String place) {
        if (FileHeader.version(file) < 5) {
            return FileHeader.BYTES;
        }
        return FileHeader.BYTES + 4 + heldLength(file, file.length, place);
    }

    /**
     * Where the envelope of a pointer file or (when {@code catalog}) a catalog file starts, checking that one is
     * there: a catalog cut back to the deltas it holds (an older version) has none, and is no commit point.
     */
    private static int envelopeOffset(byte[] file, boolean catalog, String place) {
        int offset = catalog ? catalogEnvelopeOffset(file, place) : FileHeader.BYTES;
        if (file.length - offset < Envelope.HEADER_BYTES) {
            throw Sealer.integrity(
                    place, catalog ? "holds no catalog (truncated envelope)" : "truncated envelope", null);
        }
        return offset;
    }

    /** Version 5's held-delta length (the u32 after the header), bounded by {@code size}, the file's size. */
    private static int heldLength(byte[] head, long size, String place) {
        ByteSource in = new ByteSource(head, FileHeader.BYTES, 4, place);
        long held = in.u32() & 0xFFFFFFFFL;
        if (held < 4 || held > size - FileHeader.BYTES - 4 || held > ManifestDelta.MAX_BODY_BYTES) {
            throw Sealer.integrity(place, "held delta length " + held + " does not fit the file", null);
        }
        return (int) held;
    }

    /**
     * The deltas catalog file {@code seq} holds, by table: read from the head of the file (the catalog's own envelope
     * after them is not read: each delta is an envelope of its own, pinned by the digest chain the current catalog
     * starts, {@link ManifestDelta#readChain}). A file of a version before 5 holds none, which is an integrity
     * failure here: a catalog entry named it as holding a delta.
     */
    public Map<Long, ManifestDelta.Held> readHeldDeltas(long seq, String place) {
        Path file = catalogFile(seq);
        byte[] held;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            held = new byte[heldEnd(ch, seq, place) - FileHeader.BYTES - 4];
            readFully(ch, ByteBuffer.wrap(held), FileHeader.BYTES + 4, place);
        } catch (NoSuchFileException e) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "integrity failure: " + place + " is missing (" + file + ")", e);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
        return ManifestDelta.Held.readAll(held, place);
    }

    /** Checks the header of catalog file {@code seq} open in {@code ch}, and returns where its held deltas end. */
    private static int heldEnd(FileChannel ch, long seq, String place) throws IOException {
        byte[] head = new byte[FileHeader.BYTES + 4];
        readFully(ch, ByteBuffer.wrap(head), 0, place);
        FileHeader.check(head, FileHeader.Kind.CATALOG, seq, place);
        if (FileHeader.version(head) < 5) {
            throw Sealer.integrity(place, "is of a version that holds no deltas", null);
        }
        return FileHeader.BYTES + 4 + heldLength(head, ch.size(), place);
    }

    /**
     * Cuts catalog file {@code seq}, no longer current, back to the deltas it holds (version 5): its envelope goes, so
     * the file is no catalog any more, and put back as {@code CURRENT} it fails to open (an older version's catalog
     * would otherwise roll the store back to it, its files all still there while a chain needs its deltas). Not
     * fsynced: like a deleted file, a cut the file system loses in a crash is made again by the next open. Does
     * nothing to a missing file or one already cut; a file that is not a version 5 catalog is left as it is.
     */
    public void cutToHeldDeltas(long seq) {
        Path file = catalogFile(seq);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            int end = heldEnd(ch, seq, "catalog " + file);
            if (ch.size() > end) {
                ch.truncate(end);
            }
        } catch (NoSuchFileException e) {
            // freed meanwhile by a later version
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot cut " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code file} is the commit pointer's inode (the current catalog), for error messages. */
    private boolean isPointer(Path file) {
        try {
            return Files.isSameFile(file, root.resolve(POINTER));
        } catch (IOException e) {
            return false;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long position, String place) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = ch.read(into, at);
            if (n < 0) {
                throw Sealer.integrity(place, "is truncated", null);
            }
            at += n;
        }
    }

    public Catalog readCatalog(long seq, byte[] expectedDigest, Sealer sealer) {
        Path file = catalogFile(seq);
        String place = "catalog " + file;
        byte[] bytes = DurableFiles.read(file, place);
        if (!MessageDigest.isEqual(sha256(bytes), expectedDigest)) {
            throw Sealer.integrity(place, "file differs from the one the commit pointer names (digest mismatch)", null);
        }
        FileHeader.check(bytes, FileHeader.Kind.CATALOG, seq, place);
        byte[] header = Arrays.copyOf(bytes, FileHeader.BYTES);
        AssociatedData ad = Bindings.catalog(storeId, seq, header);
        int offset = envelopeOffset(bytes, true, place);
        Catalog c = Catalog.decodeBody(
                sealer.open(ad, bytes, offset, bytes.length - offset, place), FileHeader.version(bytes), place);
        if (c.seq() != seq) {
            throw Sealer.integrity(place, "catalog holds seq " + c.seq() + ", expected " + seq, null);
        }
        if (FileHeader.version(bytes) >= 5) {
            // The deltas it holds must at least parse: each is a delta of one of its tables, whose chain then checks
            // it by digest, so no byte of the current catalog goes unchecked.
            Map<Long, ManifestDelta.Held> held =
                    ManifestDelta.Held.readAll(Arrays.copyOfRange(bytes, FileHeader.BYTES + 4, offset), place);
            for (Catalog.Entry e : c.tables()) {
                if (e.deltaSeq() == seq) {
                    held.remove(e.tableId());
                }
            }
            if (!held.isEmpty()) {
                throw Sealer.integrity(
                        place + (isPointer(file) ? " (" + POINTER + ")" : ""),
                        "holds deltas of tables " + held.keySet() + " it does not name",
                        null);
            }
        }
        return c;
    }

    // ---- manifests ----

    /** The longest manifest body a file may hold, decompressed (its length field is read with this bound). */
    static final int MAX_MANIFEST_BODY_BYTES = 1 << 30;

    /**
     * The file of {@code m}, its parts encoded on this thread: in parts even so, because a manifest of a million
     * blocks is some 150 MB of body, which encoded whole would be one more burden on the collector.
     */
    public byte[] encodeManifest(TableManifest m, Sealer sealer) {
        ManifestParts parts = new ManifestParts(m, ManifestParts.ENTRIES_PER_PART);
        for (int i = 0; i < parts.count(); i++) {
            parts.encode(i);
        }
        return encodeManifest(parts, sealer);
    }

    /** The file of a manifest whose parts are all encoded. */
    public byte[] encodeManifest(ManifestParts parts, Sealer sealer) {
        TableManifest m = parts.manifest();
        byte[] header = FileHeader.bytes(FileHeader.Kind.MANIFEST, m.formatVersion(), m.version());
        byte[] payload = parts.payload();
        return concat(
                header,
                sealer.seal(Bindings.manifest(storeId, m.tableId(), m.version(), header), payload, 0, payload.length));
    }

    public TableManifest readManifest(
            long tableId, long version, byte[] expectedDigest, Sealer sealer, String tableName) {
        Path file = manifestFile(tableId, version);
        String place = "manifest " + file + " of table " + tableName;
        byte[] bytes = DurableFiles.read(file, place);
        if (!MessageDigest.isEqual(sha256(bytes), expectedDigest)) {
            throw Sealer.integrity(
                    place,
                    "file differs from the one the catalog names (digest mismatch: replaced or rolled back)",
                    null);
        }
        FileHeader.check(bytes, FileHeader.Kind.MANIFEST, version, place);
        byte[] header = Arrays.copyOf(bytes, FileHeader.BYTES);
        byte[] payload = sealer.open(
                Bindings.manifest(storeId, tableId, version, header),
                bytes,
                FileHeader.BYTES,
                bytes.length - FileHeader.BYTES,
                place);
        ByteSource in = new ByteSource(payload, place);
        int rawLength = in.count(MAX_MANIFEST_BODY_BYTES, "manifest length");
        byte[] raw;
        try {
            raw = Zstd.decompress(in.bytes(in.remaining()), rawLength);
        } catch (RuntimeException e) {
            throw Sealer.integrity(place, "manifest does not decompress", e);
        }
        TableManifest m = TableManifest.decodeBody(raw, FileHeader.version(bytes), place);
        if (m.tableId() != tableId || m.version() != version) {
            throw Sealer.integrity(place, "manifest is of table " + m.tableId() + " v" + m.version(), null);
        }
        return m;
    }

    public static String hexDigest(byte[] d) {
        return HexFormat.of().formatHex(d);
    }
}
