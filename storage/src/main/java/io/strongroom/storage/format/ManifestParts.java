package io.strongroom.storage.format;

import com.github.luben.zstd.Zstd;

/**
 * A manifest's compressed body, made in parts that several threads can encode at once: the entries are cut into
 * runs of {@code entriesPerPart}, and each run (the first with the fields before the entries, the last with those
 * after) is encoded and compressed as a zstd frame of its own. Concatenated zstd frames decompress as one stream
 * to the concatenation of their contents, so the frames in order decompress to exactly {@link
 * TableManifest#encodeBody}: the file {@link StoreFiles#encodeManifest(ManifestParts, Sealer)} makes from them is
 * one {@link StoreFiles#readManifest} has always read. A key rotation encodes the parts of a big manifest on its
 * low-priority workers (some 0.4 s of a core for a million entries) rather than on the thread that commits.
 *
 * <p>Cost of the cut: none measured. Each part starts a fresh compression window, but for a million entries the
 * file made of {@link #ENTRIES_PER_PART}-entry parts was 1.3% smaller than one frame of the whole body (72 MB
 * against 73 MB; zstd chooses its parameters by input size, and most of an entry is a wrapped key that does not
 * compress anyway).
 *
 * <p>Thread-safe for {@link #encode} of distinct parts at once; {@link #payload} must see every part encoded (the
 * caller supplies the happens-before, as {@code BackgroundJob} does).
 */
public final class ManifestParts {
    /** Entries per part: about 2 MiB of body and 5 ms of one core, small enough for a starved thread to finish. */
    public static final int ENTRIES_PER_PART = 16_384;

    /** zstd's level for manifests: its fastest regular level; wrapped keys, most of an entry, do not compress. */
    static final int ZSTD_LEVEL = 1;

    private final TableManifest manifest;
    private final int entriesPerPart;
    /** Per part, its frame once encoded (null before). */
    private final byte[][] frames;

    private final int[] rawLengths;

    public ManifestParts(TableManifest manifest, int entriesPerPart) {
        if (entriesPerPart <= 0) {
            throw new IllegalArgumentException("entries per part must be positive, got " + entriesPerPart);
        }
        this.manifest = manifest;
        this.entriesPerPart = entriesPerPart;
        int n = manifest.blocks().size();
        int count = Math.max(1, (int) (((long) n + entriesPerPart - 1) / entriesPerPart));
        this.frames = new byte[count][];
        this.rawLengths = new int[count];
    }

    public TableManifest manifest() {
        return manifest;
    }

    /** How many parts there are (at least one, which for a manifest without blocks holds the other fields). */
    public int count() {
        return frames.length;
    }

    /** Encodes and compresses part {@code part}. */
    public void encode(int part) {
        if (part < 0 || part >= frames.length) {
            throw new IndexOutOfBoundsException("part " + part + " of " + frames.length);
        }
        int n = manifest.blocks().size();
        int from = (int) Math.min(n, (long) part * entriesPerPart);
        int to = (int) Math.min(n, (long) from + entriesPerPart);
        byte[] raw = manifest.encodeBodyPart(from, to);
        byte[] frame = Zstd.compress(raw, ZSTD_LEVEL);
        rawLengths[part] = raw.length;
        frames[part] = frame;
    }

    /**
     * The envelope's plaintext: the body's length (u32, big-endian), then every part's frame in order. Fails if a
     * part was not encoded, or if the body is too long for the length field.
     */
    byte[] payload() {
        long raw = 0;
        long compressed = 4;
        for (int i = 0; i < frames.length; i++) {
            byte[] f = frames[i];
            if (f == null) {
                throw new IllegalStateException("part " + i + " of " + manifest + " was not encoded");
            }
            raw += rawLengths[i];
            compressed += f.length;
        }
        if (raw > StoreFiles.MAX_MANIFEST_BODY_BYTES || compressed > Integer.MAX_VALUE - 64) {
            throw new IllegalStateException(manifest + " is too big for one manifest file (" + raw + " bytes)");
        }
        byte[] out = new byte[(int) compressed];
        out[0] = (byte) (raw >>> 24);
        out[1] = (byte) (raw >>> 16);
        out[2] = (byte) (raw >>> 8);
        out[3] = (byte) raw;
        int at = 4;
        for (byte[] f : frames) {
            System.arraycopy(f, 0, out, at, f.length);
            at += f.length;
        }
        return out;
    }
}
