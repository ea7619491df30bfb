package io.strongroom.storage.format;

import io.strongroom.crypto.AssociatedData;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A manifest delta: what one commit that only appended blocks (and deleted rows) changed in a table's manifest,
 * written instead of the whole manifest, so that a small commit writes and hashes bytes in proportion to what it
 * changed, not to the table. A table's manifest on disk is a base (a whole manifest file, {@link TableManifest}, or
 * the empty manifest for base version 0) followed by deltas 1..n, which the catalog entry names ({@link
 * Catalog.Entry#deltaCount}); a commit folds them into a new base when they grow past a bound.
 *
 * <p>Invariants (docs/format/store-files.md, "Manifest deltas"):
 *
 * <ul>
 *   <li>Delta {@code k} of base {@code b} is held in the catalog file of the commit that made it ({@link Held},
 *       catalog version 5), or, in stores written before that, is the file {@code tables/<table>/<b>-<k>.mdl}: the
 *       same bytes either way. A chain is all held or all files. Its associated data names
 *       the store, the table, {@code b}, {@code k} and the SHA-256 of the file before it in the chain (the base's,
 *       or delta {@code k-1}'s; empty for delta 1 of base 0), and the catalog pins the base's digest and the last
 *       delta's. So every file of the chain is pinned: a delta flipped, truncated, swapped with another, moved to
 *       another table, dropped from the middle or put back after a fold fails to open, and a delta dropped from
 *       the end leaves the catalog's digest unmatched. Nothing is ever silently skipped.
 *   <li>Applied in order to the base, deltas give exactly the manifest the commits made: each names the version
 *       it makes and the one it applies to, and versions ascend along the chain to the catalog's.
 *   <li>A delta lists the blocks it appends (with their keys), every slice's row count after it, and the whole
 *       delete vector of each slice whose deletes it changed. It never removes a block and never changes fills or
 *       block origins: a commit that does either writes a new base.
 * </ul>
 *
 * <pre>
 * body = u64 tableId | u64 version | u64 previousVersion | u32 sliceCount | u64 sliceRows[sliceCount]
 *        | u32 blockCount | entry* | u32 deleteVectorCount | (u32 slice | u32 wordCount | u64 words[wordCount])*
 * file = header ("SRMD", format version 1, object id = version) | envelope(body),
 *        AD = Bindings.manifestDelta(store, table, base version, delta number, previous file's digest, header)
 * </pre>
 *
 * A held delta's catalog stays while the chain needs it (see {@code Committer#obsoleteFiles}). An entry is laid out
 * as in a manifest ({@link BlockRef}); delete vectors are in ascending slice order, each
 * replacing that slice's vector whole (zero words: no deletes left), canonical as in a manifest (no trailing zero
 * word). The body is not compressed: most of it is wrapped keys. Stateless; thread-safe.
 */
public final class ManifestDelta {
    /** The most deltas a catalog entry may name (writers fold far sooner; see {@code Committer}). */
    public static final int MAX_DELTAS = 1 << 16;

    /** The longest delta body a file may hold (and the most bytes of deltas one catalog file may hold). */
    static final int MAX_BODY_BYTES = 1 << 30;

    private ManifestDelta() {}

    /**
     * The file of the delta that makes {@code next} from {@code previous} ({@code next} must be {@code previous}
     * {@link TableManifest#appended appended}): number {@code number} after base {@code baseVersion}, following the
     * file whose digest is {@code previousDigest}.
     */
    public static byte[] encode(
            StoreFiles files,
            TableManifest previous,
            TableManifest next,
            long baseVersion,
            int number,
            byte[] previousDigest,
            Sealer sealer) {
        int from = previous.blocks().size();
        int to = next.blocks().size();
        long[] rows = next.sliceRows();
        ByteSink out = new ByteSink(64 + rows.length * 8 + (to - from) * 160);
        out.u64(next.tableId()).u64(next.version()).u64(previous.version()).u32(rows.length);
        for (long r : rows) {
            out.u64(r);
        }
        out.u32(to - from);
        for (int i = from; i < to; i++) {
            next.blocks().get(i).write(out, next.keys(), i);
        }
        TreeSet<Integer> slices = new TreeSet<>(previous.deleted().keySet());
        slices.addAll(next.deleted().keySet());
        List<Integer> changed = new ArrayList<>();
        for (int s : slices) {
            if (!Objects.equals(previous.deleted().get(s), next.deleted().get(s))) {
                changed.add(s);
            }
        }
        out.u32(changed.size());
        for (int s : changed) {
            BitSet b = next.deleted().get(s);
            long[] words = b == null ? new long[0] : b.toLongArray();
            out.u32(s).u32(words.length);
            for (long w : words) {
                out.u64(w);
            }
        }
        byte[] header = FileHeader.bytes(FileHeader.Kind.MANIFEST_DELTA, next.version());
        AssociatedData ad =
                Bindings.manifestDelta(files.storeId(), next.tableId(), baseVersion, number, previousDigest, header);
        byte[] envelope = sealer.seal(ad, out.array(), 0, out.size());
        byte[] file = Arrays.copyOf(header, header.length + envelope.length);
        System.arraycopy(envelope, 0, file, header.length, envelope.length);
        return file;
    }

    /**
     * A delta held in a catalog file (catalog version 5): the delta's bytes are exactly those of a {@code .mdl} file
     * (header and envelope, the same associated data), preceded by where the delta before it is, so that a reader
     * can walk a chain from its newest delta, which the catalog entry names, back to its base.
     *
     * <pre>
     * held  = u64 tableId | u64 previousSeq (the catalog holding delta k-1; 0 for delta 1) | u8 n (0 or 32)
     *         | n-byte previousDigest (the SHA-256 of delta k-1's bytes, or the base's; empty on base 0)
     *         | u32 length | delta bytes
     * held* = u32 count | held*count (at most one per table)
     * </pre>
     *
     * These fields are outside any envelope; none is trusted on its own. A delta's bytes must hash to the digest the
     * next one (or the catalog entry, for the newest) names, and {@code previousDigest} is in the delta's associated
     * data, so a field changed anywhere makes the chain fail to open, however it is walked.
     */
    public record Held(long tableId, long previousSeq, byte[] previousDigest, byte[] bytes) {
        /** The most deltas one catalog file may hold (one per table it changed). */
        static final int MAX_PER_CATALOG = 1 << 20;

        int encodedSize() {
            return 8 + 8 + 1 + previousDigest.length + 4 + bytes.length;
        }

        void write(ByteSink out) {
            out.u64(tableId).u64(previousSeq).u8(previousDigest.length).bytes(previousDigest);
            out.u32(bytes.length).bytes(bytes);
        }

        /** Parses the held deltas of a catalog file (from its count up to its envelope). */
        static Map<Long, Held> readAll(byte[] tail, String place) {
            ByteSource in = new ByteSource(tail, place);
            int count = in.count(Math.min(MAX_PER_CATALOG, in.remaining() / 21), "held delta count");
            Map<Long, Held> out = new HashMap<>();
            for (int i = 0; i < count; i++) {
                long tableId = in.u64();
                long previousSeq = in.u64();
                int dl = in.u8();
                if (dl != 0 && dl != 32) {
                    throw in.corrupt("previous digest length " + dl);
                }
                byte[] previousDigest = in.bytes(dl);
                byte[] bytes = in.bytes(in.count(in.remaining(), "held delta length"));
                if (out.put(tableId, new Held(tableId, previousSeq, previousDigest, bytes)) != null) {
                    throw in.corrupt("two deltas of table " + tableId);
                }
            }
            in.expectEnd();
            return out;
        }
    }

    /** A table's manifest as read, and the seqs of the catalogs holding its deltas (ascending; empty if none). */
    public record Chain(TableManifest manifest, long[] holders) {}

    /**
     * Reads a table's manifest as {@code e} names it, wherever its deltas are: {@code .mdl} files (catalogs before
     * version 5, {@link #readChain(StoreFiles, Catalog.Entry, Sealer, int, String)}) or catalog files. For the
     * latter the chain is walked from the newest delta (the catalog entry names its catalog and digest) back to the
     * base, each delta's bytes checked against the digest the one after it names, then opened and applied in order.
     * {@code heldBySeq} caches each catalog's held deltas across the tables of one version; {@code currentSeq} is
     * that version's (errors name its catalog as {@code CURRENT} too).
     */
    public static Chain readChain(
            StoreFiles files,
            Catalog.Entry e,
            Sealer sealer,
            int sliceCount,
            String tableName,
            long currentSeq,
            Map<Long, Map<Long, Held>> heldBySeq) {
        if (!e.deltasInCatalogs()) {
            return new Chain(readChain(files, e, sealer, sliceCount, tableName), new long[0]);
        }
        long tableId = e.tableId();
        String place = "manifest deltas of table " + tableName;
        int n = e.deltaCount();
        long[] seqs = new long[n];
        Held[] held = new Held[n];
        long seq = e.deltaSeq();
        byte[] expected = e.manifestDigest();
        // Who named the place being read: errors name it as well as the file read, since either may be the damage.
        String namedBy = "the current catalog (" + StoreFiles.POINTER + ")";
        for (int k = n; k >= 1; k--) {
            String file = catalogName(files, seq, currentSeq);
            String at = "delta " + k + " of table " + tableName + ", which " + namedBy + " places in " + file;
            if (seq <= 0 || (k < n && seq >= seqs[k])) {
                throw Sealer.integrity(place, at + ", cannot be there (the chain's catalogs ascend)", null);
            }
            Held h = heldBySeq
                    .computeIfAbsent(
                            seq,
                            s -> files.readHeldDeltas(
                                    s, catalogName(files, s, currentSeq) + ", holding a delta of table " + tableName))
                    .get(tableId);
            if (h == null) {
                throw Sealer.integrity(place, at + ": that catalog holds no delta of the table", null);
            }
            if (!MessageDigest.isEqual(StoreFiles.sha256(h.bytes()), expected)) {
                throw Sealer.integrity(place, at + ": differs from the one the chain names (digest mismatch)", null);
            }
            seqs[k - 1] = seq;
            held[k - 1] = h;
            expected = h.previousDigest();
            seq = h.previousSeq();
            namedBy = file;
        }
        if (seq != 0 || !MessageDigest.isEqual(expected, e.baseDigest())) {
            throw Sealer.integrity(
                    place,
                    "delta 1 in " + catalogName(files, seqs[0], currentSeq)
                            + " does not follow the base the catalog names",
                    null);
        }
        TableManifest m = e.baseVersion() == 0
                ? TableManifest.empty(tableId, sliceCount)
                : files.readManifest(tableId, e.baseVersion(), e.baseDigest(), sealer, tableName);
        for (int k = 1; k <= n; k++) {
            Held h = held[k - 1];
            String at = "manifest delta " + k + " in " + catalogName(files, seqs[k - 1], currentSeq) + " of table "
                    + tableName;
            m = apply(files.storeId(), m, h.bytes(), e.baseVersion(), k, h.previousDigest(), sealer, at);
        }
        if (m.version() != e.manifestVersion()) {
            throw Sealer.integrity(place, "the last delta makes version " + m.version() + ", not the catalog's", null);
        }
        return new Chain(m, seqs);
    }

    /** How errors name catalog {@code seq}: its file, and for the current catalog also {@code CURRENT} (the same). */
    private static String catalogName(StoreFiles files, long seq, long currentSeq) {
        return "catalog " + files.catalogFile(seq) + (seq == currentSeq ? " (" + StoreFiles.POINTER + ")" : "");
    }

    /**
     * Reads a table's manifest as {@code e} names it when its deltas are {@code .mdl} files (or it has none): the
     * base (checked against its digest), then each delta in order, each opened with the digest of the file before
     * it, the last checked against the catalog's digest. Integrity failures name the file and the table.
     */
    public static TableManifest readChain(
            StoreFiles files, Catalog.Entry e, Sealer sealer, int sliceCount, String tableName) {
        long tableId = e.tableId();
        if (!e.hasDeltas()) {
            return e.manifestVersion() == 0
                    ? TableManifest.empty(tableId, sliceCount)
                    : files.readManifest(tableId, e.manifestVersion(), e.manifestDigest(), sealer, tableName);
        }
        TableManifest m = e.baseVersion() == 0
                ? TableManifest.empty(tableId, sliceCount)
                : files.readManifest(tableId, e.baseVersion(), e.baseDigest(), sealer, tableName);
        byte[] previousDigest = e.baseDigest();
        for (int k = 1; k <= e.deltaCount(); k++) {
            Path file = files.manifestDeltaFile(tableId, e.baseVersion(), k);
            String place = "manifest delta " + file + " of table " + tableName;
            byte[] bytes = DurableFiles.read(file, place);
            m = apply(files.storeId(), m, bytes, e.baseVersion(), k, previousDigest, sealer, place);
            previousDigest = StoreFiles.sha256(bytes);
        }
        if (!MessageDigest.isEqual(previousDigest, e.manifestDigest()) || m.version() != e.manifestVersion()) {
            throw Sealer.integrity(
                    "manifest deltas of table " + tableName,
                    "the last delta differs from the one the catalog names (digest or version mismatch)",
                    null);
        }
        return m;
    }

    /** {@code on} with the delta in {@code file} applied; checks its binding, its fields and that it appends. */
    static TableManifest apply(
            String storeId,
            TableManifest on,
            byte[] file,
            long baseVersion,
            int number,
            byte[] previousDigest,
            Sealer sealer,
            String place) {
        long version = FileHeader.check(file, FileHeader.Kind.MANIFEST_DELTA, -1, place);
        byte[] header = Arrays.copyOf(file, FileHeader.BYTES);
        byte[] body = sealer.open(
                Bindings.manifestDelta(storeId, on.tableId(), baseVersion, number, previousDigest, header),
                file,
                FileHeader.BYTES,
                file.length - FileHeader.BYTES,
                place);
        if (body.length > MAX_BODY_BYTES) {
            throw Sealer.integrity(place, "delta body of " + body.length + " bytes", null);
        }
        ByteSource in = new ByteSource(body, place);
        if (in.u64() != on.tableId() || in.u64() != version) {
            throw in.corrupt("delta is of another table or version than its header names");
        }
        long previousVersion = in.u64();
        if (previousVersion != on.version() || version <= previousVersion) {
            throw in.corrupt(
                    "delta to version " + version + " follows version " + previousVersion + ", not " + on.version());
        }
        int slices = in.count(4096, "slice count");
        if (slices != on.sliceRows().length) {
            throw in.corrupt("delta has " + slices + " slices, the manifest " + on.sliceRows().length);
        }
        long[] rows = new long[slices];
        for (int i = 0; i < slices; i++) {
            rows[i] = in.u64();
        }
        int n = in.count(Math.min(TableManifest.MAX_BLOCKS, in.remaining() / 16), "block count");
        WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(n);
        List<BlockRef> refs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            refs.add(BlockRef.read(in, keys));
        }
        WrappedBlockKeys k = keys.build();
        List<ManifestEntry> added = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            added.add(new ManifestEntry(refs.get(i), k.dekVersion(i), k.wrappedKey(i)));
        }
        Map<Integer, BitSet> deleted = new TreeMap<>(on.deleted());
        int changed = in.count(slices, "delete vector count");
        int previousSlice = -1;
        for (int i = 0; i < changed; i++) {
            int slice = in.count(slices - 1, "delete vector slice");
            if (slice <= previousSlice) {
                throw in.corrupt("delete vector of slice " + slice + " after slice " + previousSlice);
            }
            previousSlice = slice;
            int words = in.count(Math.min(1 << 26, in.remaining() / 8), "delete vector length");
            long[] w = new long[words];
            for (int j = 0; j < words; j++) {
                w[j] = in.u64();
            }
            if (words > 0 && w[words - 1] == 0) {
                throw in.corrupt("delete vector of slice " + slice + " ends in a zero word");
            }
            if (words == 0) {
                deleted.remove(slice);
            } else {
                deleted.put(slice, BitSet.valueOf(w));
            }
        }
        in.expectEnd();
        if (!on.origins().isEmpty()) {
            throw Sealer.integrity(place, "delta follows a manifest with block origins, which no writer does", null);
        }
        return on.appended(version, rows, added, deleted);
    }
}
