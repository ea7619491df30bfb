package io.strongroom.sql.exec;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The hash table of a join's build side: every build row with a non-NULL key is chained into a bucket of its
 * key's hash, with no deduplication, so building is one pass without key comparisons. A probe walks its bucket
 * and compares hashes, then keys. A single long key, or two int-sized ones packed into a long, is kept beside its
 * bucket's head, so that a probe's first comparison costs no second cache miss. Rows of one key come out latest
 * first. Read-only once built, so probes on several threads may share it.
 *
 * <p>A single integer key whose build values span a range (max - min + 1) no larger than twice the rows (keys of a
 * dimension table, such as TPC-H's part, customer or supplier) is addressed directly: the chain of key {@code k}
 * starts at {@code direct[k - min]}, so a probe computes no hash and compares no key (every row of a chain has the
 * chain's key). A wider but still bounded range gets a bitmap of the build keys in front of the hash table, which
 * turns away a probe key the build side does not have with one access to a structure a fraction of the table's size
 * (TPC-H Q22 probes 1,500,000 orders against some 6,000 customers). A packed pair gets the same bitmap of its first
 * column's values.
 */
final class JoinTable {
    private final KeyTable.KeyType[] types;
    private final KeyTable.Probe rows;
    /**
     * Single-column LONG / DOUBLE keys compare as longs, without the generic comparison; so do two LONG columns whose
     * build values all fit in an int, packed into one long ({@link #packed}).
     */
    private final long @Nullable [] longKeys;

    private final boolean packed;

    /** Per bucket, its first row + 1 (0: empty); for single long keys in {@link #longHeads} instead. */
    private final int[] heads;
    /**
     * For single long keys: per bucket b, the key of its first row at {@code 2b} and that row + 1 at {@code 2b + 1},
     * side by side so that a probe finds the bucket and tests its first key with one cache miss, not two.
     */
    private final long[] longHeads;

    private final int[] next;
    private final int mask;

    /** The smallest build key and the span of keys from it, for {@link #direct} and {@link #bits}. */
    private final long min;

    private final long span;
    /** Per key {@code min + k}, its chain's first row + 1 (0: none); null unless addressed directly. */
    private final int @Nullable [] direct;
    /** Bit {@code k} set when some build row has key {@code min + k}; null unless there is a bitmap. */
    private final long @Nullable [] bits;
    /** For a direct table: whether under nine in ten keys of its span have rows. */
    private final boolean sparse;

    /**
     * The largest span with a bitmap: 32 keys per bucket (the bitmap a quarter of the table's heads), or any span whose
     * bitmap fits a core's cache (a small build side probed by many rows that mostly miss, as TPC-H Q17's 200 parts
     * by 6,000,000 lineitems: a test of a bit is cheaper than a bucket's, whose outcome the processor cannot predict).
     */
    private static final int BITS_PER_BUCKET = 32;

    private static final long SMALL_BITMAP = 1L << 21;

    JoinTable(KeyTable.KeyType[] types, Vec[] keyCols, int n) {
        this.types = types;
        this.rows = KeyTable.prepare(types, keyCols, n);
        long[] lk = singleLong(types) ? rows.norm[0] : null;
        if (lk == null && pairOfLongs(types)) {
            lk = pack(rows.norm[0], rows.norm[1], rows.anyNull, n);
        }
        this.packed = lk != null && !singleLong(types);
        this.longKeys = lk;
        int buckets = Integer.highestOneBit(Math.max(16, n) - 1) << 1;
        this.next = new int[n];
        this.mask = buckets - 1;
        // The span of an integer key's build values.
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        if (lk != null && types[0].mode() == KeyTable.Mode.LONG) {
            for (int i = 0; i < n; i++) {
                if (!rows.hasNull(i)) {
                    lo = Math.min(lo, first(lk[i]));
                    hi = Math.max(hi, first(lk[i]));
                }
            }
        }
        long width = hi - lo; // overflows to negative for spans beyond a long
        boolean spanned = lo <= hi && width >= 0 && width < Integer.MAX_VALUE - 64;
        this.min = spanned ? lo : 0;
        this.span = spanned ? width + 1 : 0;
        boolean isDirect = spanned && !packed && span <= 2L * n + 64;
        this.direct = isDirect ? new int[(int) span] : null;
        this.bits = spanned && !isDirect && span <= Math.max((long) BITS_PER_BUCKET * buckets, SMALL_BITMAP)
                ? new long[(int) ((span + 63) >>> 6)]
                : null;
        this.heads = lk == null ? new int[buckets] : new int[0];
        this.longHeads = lk == null || isDirect ? new long[0] : new long[2 * buckets];
        int[] h = rows.hashes;
        int[] d = direct;
        long[] bm = bits;
        long present = 0;
        for (int i = 0; i < n; i++) {
            if (rows.hasNull(i)) {
                continue;
            }
            if (d != null) {
                int k = (int) (Objects.requireNonNull(lk)[i] - min);
                present += d[k] == 0 ? 1 : 0;
                next[i] = d[k];
                d[k] = i + 1;
                continue;
            }
            if (bm != null) {
                long k = first(Objects.requireNonNull(lk)[i]) - min;
                bm[(int) (k >>> 6)] |= 1L << k;
            }
            int b = h[i] & mask;
            if (lk != null) {
                next[i] = (int) longHeads[2 * b + 1];
                longHeads[2 * b] = lk[i];
                longHeads[2 * b + 1] = i + 1;
            } else {
                next[i] = heads[b];
                heads[b] = i + 1;
            }
        }
        this.sparse = d != null && present * 10 < span * 9;
    }

    /**
     * Lists in {@code sel} the rows of a probe key column (the first, for a pair) whose key some build row has, and
     * returns how many; -1 when this table cannot tell without hashing, or when its keys fill their span (nearly every
     * row would pass). For filters passed down to scans ({@link RuntimeFilters}).
     */
    int keep(Vec col, int n, int[] sel) {
        int[] d = direct;
        long[] bm = bits;
        if ((d == null || !sparse) && bm == null) {
            return -1;
        }
        KeyTable.Probe p = KeyTable.prepare(new KeyTable.KeyType[] {types[0]}, new Vec[] {col}, n, false);
        long[] keys = p.norm[0];
        boolean[] anyNull = p.anyNull;
        int m = 0;
        for (int i = 0; i < n; i++) {
            long k = keys[i] - min;
            if (k < 0 || k >= span || (anyNull != null && anyNull[i])) {
                continue;
            }
            boolean in = d != null ? d[(int) k] != 0 : (Objects.requireNonNull(bm)[(int) (k >>> 6)] & (1L << k)) != 0;
            if (in) {
                sel[m++] = i;
            }
        }
        return m;
    }

    /** How the table finds a key's chain: "direct", "bitmap" (then hashed) or "hash"; for tests. */
    String addressing() {
        return direct != null ? "direct" : bits != null ? "bitmap" : "hash";
    }

    /** The first key column's value of a long key: the key itself, or the high half of a packed pair. */
    private long first(long key) {
        return packed ? key >> 32 : key;
    }

    private static boolean pairOfLongs(KeyTable.KeyType[] types) {
        return types.length == 2 && types[0].mode() == KeyTable.Mode.LONG && types[1].mode() == KeyTable.Mode.LONG;
    }

    /**
     * Two int-sized long key columns as one long each (high and low halves); null when a value (of a row without
     * NULLs) does not fit in an int. Rows with a NULL get 0: they are never looked up.
     */
    private static long @Nullable [] pack(long[] a, long[] b, boolean @Nullable [] anyNull, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            if (anyNull != null && anyNull[i]) {
                continue;
            }
            long x = a[i];
            long y = b[i];
            if (x != (int) x || y != (int) y) {
                return null;
            }
            out[i] = (x << 32) | (y & 0xFFFFFFFFL);
        }
        return out;
    }

    private static boolean singleLong(KeyTable.KeyType[] types) {
        return types.length == 1 && (types[0].mode() == KeyTable.Mode.LONG || types[0].mode() == KeyTable.Mode.DOUBLE);
    }

    /**
     * The probe-side keys of rows {@code 0..n)} of a batch, in this table's key forms: packed like the build keys
     * when they are, a row with a value no build key can have (outside the int range) marked as one that never
     * matches.
     */
    KeyTable.Probe prepare(Vec[] keys, int n) {
        // A single long key's hash is computed where needed (firstLongMatches), if at all.
        KeyTable.Probe p = KeyTable.prepare(types, keys, n, !singleLong(types));
        if (!packed) {
            return p;
        }
        long[] a = p.norm[0];
        long[] b = p.norm[1];
        long[] out = new long[n];
        boolean[] never = p.anyNull == null ? null : p.anyNull.clone();
        for (int i = 0; i < n; i++) {
            if (never != null && never[i]) {
                continue;
            }
            long x = a[i];
            long y = b[i];
            if (x != (int) x || y != (int) y) {
                if (never == null) {
                    never = new boolean[n];
                }
                never[i] = true;
                continue;
            }
            out[i] = (x << 32) | (y & 0xFFFFFFFFL);
        }
        return KeyTable.Probe.of(p.keys, new long[][] {out}, p.hashes, never);
    }

    /**
     * Finds, for the rows of a probe batch, their first matching build rows: {@code match[i]} becomes the first
     * build row whose key equals row {@code i}'s, or -1 (always -1 for a row with a NULL key). Returns how many
     * rows matched, listed in {@code sel}. The chains are walked one step per row per pass, so the cache misses
     * of different rows overlap instead of waiting on each other.
     */
    int firstMatches(KeyTable.Probe p, int n, int[] match, int[] sel) {
        if (longKeys != null) {
            return firstLongMatches(p, n, match, sel);
        }
        int[] h = p.hashes;
        int m = 0;
        for (int i = 0; i < n; i++) {
            int r = heads[h[i] & mask] - 1;
            match[i] = r;
            if (r >= 0) {
                sel[m++] = i;
            }
        }
        if (p.anyNull != null) {
            int k = 0;
            for (int j = 0; j < m; j++) {
                int i = sel[j];
                if (p.anyNull[i]) {
                    match[i] = -1;
                } else {
                    sel[k++] = i;
                }
            }
            m = k;
        }
        return settle(p, match, sel, m);
    }

    /** Rows {@code 0..n)} matched by direct addressing: every row of a key's chain has that key. */
    private int firstDirectMatches(int[] d, KeyTable.Probe p, int n, int[] match, int[] sel) {
        long[] keys = p.norm[0];
        boolean[] anyNull = p.anyNull;
        int found = 0;
        for (int i = 0; i < n; i++) {
            long k = keys[i] - min;
            int r = k >= 0 && k < span && (anyNull == null || !anyNull[i]) ? d[(int) k] - 1 : -1;
            match[i] = r;
            if (r >= 0) {
                sel[found++] = i;
            }
        }
        return found;
    }

    /** {@link #firstMatches} for single long keys: the bucket's first key is tested where its row is found. */
    private int firstLongMatches(KeyTable.Probe p, int n, int[] match, int[] sel) {
        int[] d = direct;
        if (d != null) {
            return firstDirectMatches(d, p, n, match, sel);
        }
        long[] keys = p.norm[0];
        int[] h = p.hashes; // packed pairs only: a single key's hash is mix(key)
        boolean[] anyNull = p.anyNull;
        long[] bm = bits;
        long[] lh = longHeads;
        int[] pending = new int[n];
        int np = 0;
        int found = 0;
        for (int i = 0; i < n; i++) {
            long key = keys[i];
            if (bm != null) {
                long k = first(key) - min;
                if (k < 0 || k >= span || (bm[(int) (k >>> 6)] & (1L << k)) == 0) {
                    match[i] = -1;
                    continue;
                }
            }
            int b = ((packed ? h[i] : KeyTable.mix(key)) & mask) << 1;
            int r = (int) lh[b + 1] - 1;
            if (r < 0 || (anyNull != null && anyNull[i])) {
                match[i] = -1;
                continue;
            }
            match[i] = r;
            if (lh[b] == keys[i]) {
                sel[found++] = i;
            } else {
                pending[np++] = i;
            }
        }
        long[] lk = Objects.requireNonNull(longKeys);
        // The rest walk their chains pass by pass, so their cache misses overlap.
        while (np > 0) {
            int k = 0;
            for (int j = 0; j < np; j++) {
                int i = pending[j];
                int r = next[match[i]] - 1;
                match[i] = r;
                if (r < 0) {
                    continue;
                }
                if (lk[r] == keys[i]) {
                    sel[found++] = i;
                } else {
                    pending[k++] = i;
                }
            }
            np = k;
        }
        return found;
    }

    /**
     * Moves each matched row {@code sel[0..m)} on to its next matching build row after {@code match[i]}, or -1;
     * returns how many rows still match, listed in {@code sel}.
     */
    int nextMatches(KeyTable.Probe p, int[] match, int[] sel, int m) {
        int k = 0;
        for (int j = 0; j < m; j++) {
            int i = sel[j];
            int r = next[match[i]] - 1;
            match[i] = r;
            if (r >= 0) {
                sel[k++] = i;
            }
        }
        return settle(p, match, sel, k);
    }

    /** Advances each candidate {@code match[sel[j]]} along its chain until its key matches; drops rows that run out. */
    private int settle(KeyTable.Probe p, int[] match, int[] sel, int m) {
        int[] pending = new int[m];
        int np = 0;
        int found = 0;
        // sel is rewritten in place with the matched rows; the others wait in pending for another pass.
        for (int j = 0; j < m; j++) {
            int i = sel[j];
            int r = match[i];
            if (matches(r, p, i)) {
                sel[found++] = i;
            } else {
                pending[np++] = i;
            }
        }
        while (np > 0) {
            int k = 0;
            for (int j = 0; j < np; j++) {
                int i = pending[j];
                int r = next[match[i]] - 1;
                match[i] = r;
                if (r < 0) {
                    continue;
                }
                if (matches(r, p, i)) {
                    sel[found++] = i;
                } else {
                    pending[k++] = i;
                }
            }
            np = k;
        }
        return found;
    }

    private boolean matches(int r, KeyTable.Probe p, int i) {
        long[] lk = longKeys;
        if (lk != null) {
            return lk[r] == p.norm[0][i];
        }
        return rows.hashes[r] == p.hashes[i] && KeyTable.sameKeys(types, rows, r, p, i);
    }
}
