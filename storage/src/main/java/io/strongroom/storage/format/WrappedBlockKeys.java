package io.strongroom.storage.format;

import java.util.Arrays;
import java.util.List;

/**
 * The wrapped block keys of one manifest's blocks, each with the version of the database key (DEK) that wraps it,
 * by block index: key {@code i} belongs to {@code TableManifest.blocks().get(i)}. Keys are kept back to back in
 * one array, their versions in another.
 *
 * <p>Why flat arrays rather than a key per {@link BlockRef}: a key rotation replaces every key of a table while
 * queries run. With a small array per key, held by a new entry per block, each rotated entry survived young
 * collections and was copied at every one until promoted: GC pauses rose tenfold during a million-block rotation
 * and took query throughput with them. Kept apart, a rotation makes a few arrays per table (a large table's key
 * array is a humongous object, which G1 never copies), and the {@link BlockRef}s, which hold no key, are shared
 * by the manifests before and after it. Rejected: a key array per block kept beside a shared entry (the arrays
 * were most of what was copied: 112 of the 176 bytes a rotated entry took); a fixed key width (the format allows
 * any length up to its bound, and an unencrypted store's keys are empty).
 *
 * <p>Invariants: {@code starts[0..count]} ascends from 0, key {@code i} being {@code bytes[starts[i] ..
 * starts[i+1])}; versions are non-negative; the arrays may have room past {@code count} that a later {@link
 * #append} fills, and slots below {@code count} never change once this instance exists. Immutable once built, so
 * manifests share instances (and a rotation shares the key layout, {@code starts}, with the manifest it rewraps);
 * thread-safe. A wrapped key is ciphertext, not a secret, but {@link #toString} shows counts only all the same.
 */
public final class WrappedBlockKeys {
    public static final WrappedBlockKeys EMPTY = new WrappedBlockKeys(new byte[0], new int[1], new int[0]);

    private final byte[] bytes;
    private final int[] starts;
    private final int[] versions;
    /** How many keys this instance holds: the arrays may have room for more ({@link #append}). */
    private final int count;
    /** How far instances over these arrays have claimed them (as in {@link BlockList}); guarded by itself. */
    private final BlockList.Tail tail;

    private WrappedBlockKeys(byte[] bytes, int[] starts, int[] versions) {
        this(bytes, starts, versions, versions.length, new BlockList.Tail(versions.length));
    }

    private WrappedBlockKeys(byte[] bytes, int[] starts, int[] versions, int count, BlockList.Tail tail) {
        this.bytes = bytes;
        this.starts = starts;
        this.versions = versions;
        this.count = count;
        this.tail = tail;
    }

    public int size() {
        return count;
    }

    /**
     * These keys followed by those of {@code more}, in order: in O(more) time, sharing these arrays when this is
     * the newest extension of them and they have room, as {@link BlockList#append} does for blocks (the same
     * invariants: slots below a size never change once an instance of that size exists).
     */
    public WrappedBlockKeys append(List<ManifestEntry> more) {
        int k = more.size();
        if (k == 0) {
            return this;
        }
        int n = count + k;
        int used = starts[count];
        long extra = 0;
        for (ManifestEntry e : more) {
            extra += e.wrappedKeyView().length;
        }
        if (used + extra > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("too many wrapped block keys for one manifest");
        }
        synchronized (tail) {
            if (tail.claimed() == count && n <= versions.length && used + extra <= bytes.length) {
                fill(bytes, starts, versions, count, more);
                tail.claim(n);
                return new WrappedBlockKeys(bytes, starts, versions, n, tail);
            }
        }
        int cap = Math.max(n, count + (count >> 1) + 16);
        long byteCap = Math.max(used + extra, used + (used >> 1) + extra + 1024);
        byte[] b = Arrays.copyOf(bytes, (int) Math.min(byteCap, Integer.MAX_VALUE - 16));
        int[] s = Arrays.copyOf(starts, cap + 1);
        int[] v = Arrays.copyOf(versions, cap);
        fill(b, s, v, count, more);
        return new WrappedBlockKeys(b, s, v, n, new BlockList.Tail(n));
    }

    private static void fill(byte[] b, int[] s, int[] v, int from, List<ManifestEntry> more) {
        int at = s[from];
        int i = from;
        for (ManifestEntry e : more) {
            byte[] key = e.wrappedKeyView();
            System.arraycopy(key, 0, b, at, key.length);
            at += key.length;
            v[i] = e.dekVersion();
            s[++i] = at;
        }
    }

    /** The version of the DEK that wraps key {@code i} (0 in an unencrypted store). */
    public int dekVersion(int i) {
        return versions[i];
    }

    public int wrappedKeyLength(int i) {
        return starts[i + 1] - starts[i];
    }

    /** Key {@code i}, wrapped, as a new array. */
    public byte[] wrappedKey(int i) {
        return Arrays.copyOfRange(bytes, starts[i], starts[i + 1]);
    }

    /** True when key {@code i} here and key {@code j} of {@code other} are the same bytes under the same version. */
    public boolean sameKey(int i, WrappedBlockKeys other, int j) {
        return versions[i] == other.versions[j]
                && Arrays.equals(bytes, starts[i], starts[i + 1], other.bytes, other.starts[j], other.starts[j + 1]);
    }

    /** Writes key {@code i} as the format's {@code u32 n | wrappedBlockKey[n]}. */
    void writeKey(ByteSink out, int i) {
        int n = wrappedKeyLength(i);
        out.u32(n).bytes(bytes, starts[i], n);
    }

    @Override
    public String toString() {
        return size() + " wrapped block keys (" + starts[count] + " bytes)";
    }

    /** Builds keys in block order. Not thread-safe. */
    public static Builder builder(int expectedKeys) {
        return new Builder(expectedKeys);
    }

    /**
     * Slots for rewrapping {@code like}: as many keys, each slot as long as the key of {@code like} it replaces. A
     * rewrap keeps a key's length (it opens 32 bytes and seals 32 bytes), so the result shares {@code like}'s
     * layout rather than copying it.
     */
    public static Slots slotsLike(WrappedBlockKeys like) {
        return new Slots(like);
    }

    /** Appends keys one by one. */
    public static final class Builder {
        private final int expectedKeys;
        private byte[] bytes = new byte[0];
        private int[] starts;
        private int[] versions;
        private int count;

        private Builder(int expectedKeys) {
            this.expectedKeys = Math.max(0, expectedKeys);
            this.starts = new int[this.expectedKeys + 1];
            this.versions = new int[this.expectedKeys];
        }

        /** Appends {@code bytes[off .. off+len)} as the next key, wrapped under DEK version {@code version}. */
        public Builder add(int version, byte[] src, int off, int len) {
            if (version < 0) {
                throw new IllegalArgumentException("negative key version " + version);
            }
            if (count == versions.length) {
                int more = Math.max(16, count / 2);
                versions = Arrays.copyOf(versions, count + more);
                starts = Arrays.copyOf(starts, count + more + 1);
            }
            int at = starts[count];
            if (bytes.length - at < len) {
                // Sized for the expected count at this key's length on first use: a decoded manifest's keys
                // usually all have one length, so that is one allocation.
                long guess = count == 0 ? (long) len * expectedKeys : 0;
                long grown = Math.max(Math.max((long) at + len, guess), bytes.length + (long) bytes.length / 2);
                bytes = Arrays.copyOf(bytes, (int) Math.min(grown, Integer.MAX_VALUE - 8));
            }
            System.arraycopy(src, off, bytes, at, len);
            versions[count] = version;
            starts[++count] = at + len;
            return this;
        }

        public Builder add(int version, byte[] wrappedKey) {
            return add(version, wrappedKey, 0, wrappedKey.length);
        }

        /** Appends key {@code i} of {@code from}. */
        public Builder add(WrappedBlockKeys from, int i) {
            return add(from.versions[i], from.bytes, from.starts[i], from.wrappedKeyLength(i));
        }

        public Builder add(ManifestEntry e) {
            byte[] k = e.wrappedKeyView();
            return add(e.dekVersion(), k, 0, k.length);
        }

        public WrappedBlockKeys build() {
            int used = starts[count];
            return new WrappedBlockKeys(
                    used == bytes.length ? bytes : Arrays.copyOf(bytes, used),
                    count + 1 == starts.length ? starts : Arrays.copyOf(starts, count + 1),
                    count == versions.length ? versions : Arrays.copyOf(versions, count));
        }
    }

    /**
     * A rewrap's output: one slot per key of the keys it replaces, each filled once, by index. Threads may fill
     * distinct slots concurrently; {@link #build} must happen after every fill (the rotation's workers publish
     * their chunks through an atomic counter the rotating thread reads before it builds).
     */
    public static final class Slots {
        private final int[] starts;
        private final byte[] bytes;
        private final int[] versions;

        private Slots(WrappedBlockKeys like) {
            this.starts =
                    like.starts.length == like.count + 1 ? like.starts : Arrays.copyOf(like.starts, like.count + 1);
            this.bytes = new byte[like.starts[like.count]];
            this.versions = new int[like.size()];
        }

        /**
         * Fills slot {@code i} with {@code wrappedKey} under DEK version {@code version}; the key must be as long
         * as the one it replaces.
         */
        public void set(int i, int version, byte[] wrappedKey) {
            int n = starts[i + 1] - starts[i];
            if (wrappedKey.length != n) {
                throw new IllegalStateException(
                        "a rewrapped block key has " + wrappedKey.length + " bytes where the key it replaces had " + n);
            }
            System.arraycopy(wrappedKey, 0, bytes, starts[i], n);
            versions[i] = version;
        }

        /** Fills slot {@code i} with key {@code j} of {@code from}, which must be as long as slot {@code i}. */
        public void copy(int i, WrappedBlockKeys from, int j) {
            int n = starts[i + 1] - starts[i];
            if (from.wrappedKeyLength(j) != n) {
                throw new IllegalStateException(
                        "a reused block key has " + from.wrappedKeyLength(j) + " bytes where its slot has " + n);
            }
            System.arraycopy(from.bytes, from.starts[j], bytes, starts[i], n);
            versions[i] = from.versions[j];
        }

        public int size() {
            return versions.length;
        }

        public int slotLength(int i) {
            return starts[i + 1] - starts[i];
        }

        public WrappedBlockKeys build() {
            return new WrappedBlockKeys(bytes, starts, versions);
        }
    }
}
