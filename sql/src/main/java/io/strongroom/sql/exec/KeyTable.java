package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.type.SqlTypeName;
import org.jspecify.annotations.Nullable;

/**
 * A hash table of distinct keys (one or more columns) numbered 0, 1, 2... in insertion order, for hash
 * aggregation and hash joins. Keys are kept column by column in one of three forms chosen from the key types:
 * a {@code long} (exact numbers at a common scale, booleans, dates, timestamps, and doubles by their bits), UTF-8
 * bytes (strings), or a canonical object (anything else; numbers compare by value, so 5 and 5.00 are one key).
 * NULL is a key value like any other here; joins leave NULL keys out themselves. Not thread-safe.
 */
final class KeyTable {
    /** How one key column is kept. */
    enum Mode {
        LONG,
        DOUBLE,
        BYTES,
        OBJ
    }

    /** The form of one key column, and the scale exact numbers are brought to. */
    record KeyType(Mode mode, int scale) {
        /** The form for a key compared between columns of the given types (one for grouping, two for a join). */
        static KeyType of(RelDataType... types) {
            Vec.Type first = Vec.typeOf(types[0]);
            boolean exact = true;
            boolean same = true;
            int scale = 0;
            for (RelDataType t : types) {
                Vec.Type v = Vec.typeOf(t);
                same &= v == first;
                boolean isExact = v == Vec.Type.INT
                        || (v == Vec.Type.DEC && t.getSqlTypeName() == SqlTypeName.DECIMAL && t.getPrecision() <= 18);
                exact &= isExact;
                if (v == Vec.Type.DEC) {
                    scale = Math.max(scale, t.getScale());
                }
            }
            if (exact) {
                for (RelDataType t : types) {
                    int digits = Vec.typeOf(t) == Vec.Type.INT ? 19 : t.getPrecision();
                    int s = Vec.typeOf(t) == Vec.Type.INT ? 0 : t.getScale();
                    if (scale != s && digits + scale - s > 18) {
                        return new KeyType(Mode.OBJ, 0);
                    }
                }
                return new KeyType(Mode.LONG, scale);
            }
            if (!same) {
                return new KeyType(Mode.OBJ, 0);
            }
            return switch (first) {
                case BOOL, DATE, TS, TSTZ -> new KeyType(Mode.LONG, 0);
                case DOUBLE -> new KeyType(Mode.DOUBLE, 0);
                case STR -> new KeyType(Mode.BYTES, 0);
                default -> new KeyType(Mode.OBJ, 0);
            };
        }
    }

    private final KeyType[] types;
    private final long[][] longs;
    private final byte[][][] bytes;
    private final Object[][] objs;
    private final boolean[][] nulls;
    private int[] hashes = new int[16];
    private int size;
    private int[] slots = new int[64];
    /** For a single LONG or DOUBLE key column: each slot's key, so lookups compare without visiting the entry. */
    private long[] slotKeys = new long[0];

    private final boolean singleLong;
    private int mask = 63;

    KeyTable(KeyType[] types) {
        this(types, 16);
    }

    /** A table sized for about {@code expected} keys. */
    KeyTable(KeyType[] types, int expected) {
        this.types = types.clone();
        int cap = Math.max(16, expected);
        int k = types.length;
        longs = new long[k][];
        bytes = new byte[k][][];
        objs = new Object[k][];
        nulls = new boolean[k][];
        hashes = new int[cap];
        int s = Integer.highestOneBit(Math.max(64, Math.min(cap, 1 << 29) * 2 - 1)) << 1;
        slots = new int[s];
        mask = s - 1;
        singleLong = k == 1 && (types[0].mode() == Mode.LONG || types[0].mode() == Mode.DOUBLE);
        if (singleLong) {
            slotKeys = new long[s];
        }
        for (int c = 0; c < k; c++) {
            nulls[c] = new boolean[cap];
            switch (types[c].mode()) {
                case LONG, DOUBLE -> longs[c] = new long[cap];
                case BYTES -> {
                    bytes[c] = new byte[cap][];
                    longs[c] = new long[cap];
                }
                case OBJ -> objs[c] = new Object[cap];
            }
        }
    }

    /**
     * A string key's first seven bytes and its length (capped at 255) in one long: equal strings have equal
     * packs, and for strings of up to seven bytes equal packs mean equal strings.
     */
    private static long pack(byte[] b, int from, int to) {
        int len = to - from;
        long x = Math.min(len, 255);
        int n = Math.min(len, 7);
        for (int k = 0; k < n; k++) {
            x |= (b[from + k] & 0xFFL) << (8 * (k + 1));
        }
        return x;
    }

    int size() {
        return size;
    }

    // ---- per-row key values ----

    /** The long form of a LONG or DOUBLE key at row {@code i} (not NULL). */
    private static long longKey(KeyType t, Vec v, int i) {
        if (t.mode() == Mode.DOUBLE) {
            double d = v.type == Vec.Type.DOUBLE
                    ? v.doubles[i]
                    : ((Number) Objects.requireNonNull(v.get(i))).doubleValue();
            return Double.doubleToLongBits(d + 0.0);
        }
        if (v.type != Vec.Type.OBJ && v.type != Vec.Type.DOUBLE && v.type != Vec.Type.STR) {
            if (v.scale == t.scale()) {
                return v.longs[i];
            }
            return Math.multiplyExact(v.longs[i], Vec.POW10[t.scale() - v.scale]);
        }
        Object o = Objects.requireNonNull(v.get(i));
        return Expressions.decimal(o).setScale(t.scale()).unscaledValue().longValueExact();
    }

    private static Object objKey(Vec v, int i) {
        Object o = Objects.requireNonNull(v.get(i));
        if (o instanceof BigDecimal d) {
            return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        }
        if (o instanceof Long || o instanceof Double) {
            return objKey(new BigDecimal(o.toString()));
        }
        return o;
    }

    private static Object objKey(BigDecimal d) {
        return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
    }

    static int mix(long x) {
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        x *= 0xc4ceb9fe1a85ec53L;
        x ^= x >>> 33;
        return (int) x;
    }

    private static int bytesHash(byte[] b, int from, int to) {
        int h = 1;
        for (int i = from; i < to; i++) {
            h = 31 * h + b[i];
        }
        return mix(h);
    }

    /** One batch's key columns, with their long forms and hashes computed once for all lookups. */
    static final class Probe {
        final Vec[] keys;
        final long[][] norm;
        final int[] hashes;
        /** Rows with a NULL in some key column; null when there is none. */
        final boolean @Nullable [] anyNull;

        private Probe(Vec[] keys, long[][] norm, int[] hashes, boolean @Nullable [] anyNull) {
            this.keys = keys;
            this.norm = norm;
            this.hashes = hashes;
            this.anyNull = anyNull;
        }

        boolean hasNull(int i) {
            return anyNull != null && anyNull[i];
        }

        /** A probe with other long forms (a join's packed keys), {@code anyNull} marking rows that cannot match. */
        static Probe of(Vec[] keys, long[][] norm, int[] hashes, boolean @Nullable [] anyNull) {
            return new Probe(keys, norm, hashes, anyNull);
        }
    }

    /** Prepares the keys of rows {@code 0..n)} for lookups. */
    Probe probe(Vec[] keys, int n) {
        return prepare(types, keys, n);
    }

    /** The keys of rows {@code 0..n)} in the forms {@code types}, with their hashes. */
    static Probe prepare(KeyType[] types, Vec[] keys, int n) {
        return prepare(types, keys, n, true);
    }

    /**
     * {@link #prepare(KeyType[], Vec[], int)}, without the hashes when not {@code hashed} (a single long key's hash
     * is {@link #mix} of its long form, which a caller may compute for just the rows it needs). Without hashes,
     * long and double keys only.
     */
    static Probe prepare(KeyType[] types, Vec[] keys, int n, boolean hashed) {
        for (KeyType t : types) {
            if (!hashed && t.mode() != Mode.LONG && t.mode() != Mode.DOUBLE) {
                throw new IllegalArgumentException("keys of mode " + t.mode() + " are always hashed");
            }
        }
        int[] h = new int[hashed ? n : 0];
        long[][] norm = new long[keys.length][];
        boolean[] anyNull = null;
        for (int c = 0; c < keys.length; c++) {
            Vec v = keys[c];
            KeyType t = types[c];
            if (v.nulls != null) {
                if (anyNull == null) {
                    anyNull = new boolean[n];
                }
                for (int i = 0; i < n; i++) {
                    anyNull[i] |= v.nulls[i];
                }
            }
            switch (t.mode()) {
                case LONG, DOUBLE -> {
                    long[] k;
                    if (t.mode() == Mode.LONG && v.type.isLong() && v.scale == t.scale()) {
                        k = v.longs;
                    } else {
                        k = new long[n];
                        for (int i = 0; i < n; i++) {
                            if (!v.isNull(i)) {
                                k[i] = longKey(t, v, i);
                            }
                        }
                    }
                    norm[c] = k;
                    for (int i = 0; i < h.length; i++) {
                        h[i] = h[i] * 31 + (v.isNull(i) ? 0x5bd1e995 : mix(k[i]));
                    }
                }
                case BYTES -> {
                    long[] k = new long[n];
                    for (int i = 0; i < n; i++) {
                        int x;
                        if (v.isNull(i)) {
                            x = 0x5bd1e995;
                        } else {
                            int from = v.offsets[i];
                            int to = v.offsets[i + 1];
                            k[i] = pack(v.bytes, from, to);
                            x = to - from <= 7 ? mix(k[i]) : bytesHash(v.bytes, from, to);
                        }
                        h[i] = h[i] * 31 + x;
                    }
                    norm[c] = k;
                }
                case OBJ -> {
                    for (int i = 0; i < n; i++) {
                        h[i] = h[i] * 31
                                + (v.isNull(i) ? 0x5bd1e995 : objKey(v, i).hashCode());
                    }
                }
            }
        }
        return new Probe(keys, norm, h, anyNull);
    }

    /** Whether row {@code i} of {@code a} and row {@code j} of {@code b}, neither with a NULL key, have equal keys. */
    static boolean sameKeys(KeyType[] types, Probe a, int i, Probe b, int j) {
        for (int c = 0; c < types.length; c++) {
            boolean eq = switch (types[c].mode()) {
                case LONG, DOUBLE -> a.norm[c][i] == b.norm[c][j];
                case BYTES -> {
                    if (a.norm[c][i] != b.norm[c][j]) {
                        yield false;
                    }
                    Vec x = a.keys[c];
                    Vec y = b.keys[c];
                    int len = x.offsets[i + 1] - x.offsets[i];
                    yield len <= 7
                            || Arrays.equals(
                                    x.bytes, x.offsets[i], x.offsets[i + 1], y.bytes, y.offsets[j], y.offsets[j + 1]);
                }
                case OBJ -> objKey(a.keys[c], i).equals(objKey(b.keys[c], j));
            };
            if (!eq) {
                return false;
            }
        }
        return true;
    }

    private boolean same(int entry, Probe p, int i) {
        Vec[] keys = p.keys;
        for (int c = 0; c < keys.length; c++) {
            Vec v = keys[c];
            boolean isNull = v.isNull(i);
            if (nulls[c][entry] || isNull) {
                if (nulls[c][entry] != isNull) {
                    return false;
                }
                continue;
            }
            boolean eq = switch (types[c].mode()) {
                case LONG, DOUBLE -> longs[c][entry] == p.norm[c][i];
                case BYTES -> {
                    if (longs[c][entry] != p.norm[c][i]) {
                        yield false;
                    }
                    byte[] k = bytes[c][entry];
                    yield k.length <= 7 || Arrays.equals(k, 0, k.length, v.bytes, v.offsets[i], v.offsets[i + 1]);
                }
                case OBJ -> objs[c][entry].equals(objKey(v, i));
            };
            if (!eq) {
                return false;
            }
        }
        return true;
    }

    /** The numbers of the keys of rows {@code 0..n)}, adding new keys, into {@code out}. */
    void findOrAddAll(Probe p, int n, int[] out) {
        if (!singleLong) {
            // As below: a row whose keys equal the row before's (neither with a NULL key) takes its number.
            int[] h = p.hashes;
            for (int i = 0; i < n; i++) {
                out[i] = i > 0
                                && h[i] == h[i - 1]
                                && !p.hasNull(i)
                                && !p.hasNull(i - 1)
                                && sameKeys(types, p, i - 1, p, i)
                        ? out[i - 1]
                        : findOrAdd(p, i);
            }
            return;
        }
        long[] keys = p.norm[0];
        int[] h = p.hashes;
        // A row with the same key as the row before (sorted or clustered input: a table's sort key, a join's
        // output in probe order) takes that row's number without a lookup, which at scale is a cache miss.
        int previous = -1;
        long previousKey = 0;
        for (int i = 0; i < n; i++) {
            if (p.hasNull(i)) {
                out[i] = findOrAdd(p, i);
                previous = -1;
            } else if (previous >= 0 && keys[i] == previousKey) {
                out[i] = previous;
            } else {
                previousKey = keys[i];
                previous = findOrAddLong(previousKey, h[i]);
                out[i] = previous;
            }
        }
    }

    /** The numbers of the keys of rows {@code 0..n)} into {@code out}, -1 for a key not in the table. */
    void findAll(Probe p, int n, int[] out) {
        for (int i = 0; i < n; i++) {
            out[i] = find(p, i);
        }
    }

    private int find(Probe p, int i) {
        int hash = p.hashes[i];
        int s = hash & mask;
        boolean byLong = singleLong && !p.hasNull(i);
        while (true) {
            int e = slots[s] - 1;
            if (e < 0) {
                return -1;
            }
            if (byLong ? slotKeys[s] == p.norm[0][i] && !nulls[0][e] : hashes[e] == hash && same(e, p, i)) {
                return e;
            }
            s = (s + 1) & mask;
        }
    }

    /**
     * About how many bytes the table holds: its arrays at their capacity, and for string and object keys an
     * estimate per entry.
     */
    long retainedBytes() {
        long cap = hashes.length;
        long total = 4 * cap + 4L * slots.length + 8L * slotKeys.length;
        for (KeyType t : types) {
            total += cap
                    + switch (t.mode()) {
                        case LONG, DOUBLE -> 8 * cap;
                        case BYTES -> 16 * cap + 40L * size;
                        case OBJ -> 8 * cap + 48L * size;
                    };
        }
        return total;
    }

    /** {@link #findOrAdd} for a non-NULL key of a single LONG or DOUBLE column. */
    private int findOrAddLong(long key, int hash) {
        int s = hash & mask;
        while (true) {
            int e = slots[s] - 1;
            if (e < 0) {
                break;
            }
            if (slotKeys[s] == key && !nulls[0][e]) {
                return e;
            }
            s = (s + 1) & mask;
        }
        int e = size++;
        ensure(size);
        hashes[e] = hash;
        longs[0][e] = key;
        slots[s] = e + 1;
        slotKeys[s] = key;
        if (size * 2 > slots.length) {
            rehash();
        }
        return e;
    }

    /** The number of the key of row {@code i}, adding it when new. */
    int findOrAdd(Probe p, int i) {
        int hash = p.hashes[i];
        int s = hash & mask;
        while (true) {
            int e = slots[s] - 1;
            if (e < 0) {
                break;
            }
            if (hashes[e] == hash && same(e, p, i)) {
                return e;
            }
            s = (s + 1) & mask;
        }
        int e = size++;
        ensure(size);
        hashes[e] = hash;
        Vec[] keys = p.keys;
        for (int c = 0; c < keys.length; c++) {
            Vec v = keys[c];
            if (v.isNull(i)) {
                nulls[c][e] = true;
                continue;
            }
            switch (types[c].mode()) {
                case LONG, DOUBLE -> longs[c][e] = p.norm[c][i];
                case BYTES -> {
                    bytes[c][e] = v.utf8(i);
                    longs[c][e] = p.norm[c][i];
                }
                case OBJ -> objs[c][e] = objKey(v, i);
            }
        }
        slots[s] = e + 1;
        if (singleLong) {
            slotKeys[s] = longs[0][e];
        }
        if (size * 2 > slots.length) {
            rehash();
        }
        return e;
    }

    private void ensure(int n) {
        if (n <= hashes.length) {
            return;
        }
        int cap = hashes.length * 2;
        hashes = Arrays.copyOf(hashes, cap);
        for (int c = 0; c < types.length; c++) {
            nulls[c] = Arrays.copyOf(nulls[c], cap);
            switch (types[c].mode()) {
                case LONG, DOUBLE -> longs[c] = Arrays.copyOf(longs[c], cap);
                case BYTES -> {
                    bytes[c] = Arrays.copyOf(bytes[c], cap);
                    longs[c] = Arrays.copyOf(longs[c], cap);
                }
                case OBJ -> objs[c] = Arrays.copyOf(objs[c], cap);
            }
        }
    }

    private void rehash() {
        slots = new int[slots.length * 2];
        mask = slots.length - 1;
        if (singleLong) {
            slotKeys = new long[slots.length];
        }
        for (int e = 0; e < size; e++) {
            int s = hashes[e] & mask;
            while (slots[s] != 0) {
                s = (s + 1) & mask;
            }
            slots[s] = e + 1;
            if (singleLong) {
                slotKeys[s] = longs[0][e];
            }
        }
    }

    /** Key column {@code c} of every entry, as a vector of type {@code t}. */
    Vec column(int c, RelDataType t) {
        KeyType kt = types[c];
        boolean[] nl = null;
        for (int e = 0; e < size; e++) {
            if (nulls[c][e]) {
                nl = Arrays.copyOf(nulls[c], size);
                break;
            }
        }
        Vec.Type vt = Vec.typeOf(t);
        if (kt.mode() == Mode.LONG && vt.isLong() && (vt != Vec.Type.DEC || t.getScale() == kt.scale())) {
            return Vec.ofLongs(vt, vt == Vec.Type.DEC ? kt.scale() : 0, Arrays.copyOf(longs[c], size), size, nl);
        }
        if (kt.mode() == Mode.BYTES && vt == Vec.Type.STR) {
            @Nullable String[] s = new String[size];
            for (int e = 0; e < size; e++) {
                s[e] = nulls[c][e] ? null : new String(bytes[c][e], StandardCharsets.UTF_8);
            }
            return Vec.ofStrings(s, size);
        }
        Object[] out = new Object[size];
        for (int e = 0; e < size; e++) {
            if (nulls[c][e]) {
                continue;
            }
            out[e] = switch (kt.mode()) {
                case LONG -> BigDecimal.valueOf(longs[c][e], kt.scale());
                case DOUBLE -> Double.longBitsToDouble(longs[c][e]);
                case BYTES -> new String(bytes[c][e], StandardCharsets.UTF_8);
                case OBJ -> objs[c][e];
            };
            out[e] = Expressions.cast(out[e], t);
        }
        return Vec.fromObjects(out, size, t);
    }
}
