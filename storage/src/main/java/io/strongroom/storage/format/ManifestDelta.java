package io.strongroom.storage.format;

import io.strongroom.crypto.AssociatedData;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
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
 *   <li>Delta {@code k} of base {@code b} is the file {@code tables/<table>/<b>-<k>.mdl}; its associated data names
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
 * An entry is laid out as in a manifest ({@link BlockRef}); delete vectors are in ascending slice order, each
 * replacing that slice's vector whole (zero words: no deletes left), canonical as in a manifest (no trailing zero
 * word). The body is not compressed: most of it is wrapped keys. Stateless; thread-safe.
 */
public final class ManifestDelta {
    /** The most deltas a catalog entry may name (writers fold far sooner; see {@code Committer}). */
    public static final int MAX_DELTAS = 1 << 16;

    /** The longest delta body a file may hold. */
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
     * Reads a table's manifest as {@code e} names it: the base (checked against its digest), then each delta in
     * order, each opened with the digest of the file before it, the last checked against the catalog's digest.
     * Integrity failures name the file and the table.
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
