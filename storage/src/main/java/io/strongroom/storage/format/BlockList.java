package io.strongroom.storage.format;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * The block list of a manifest, immutable, which a commit that only appends blocks extends in O(appended) time by
 * sharing its storage with the list it extends ({@link #append}).
 *
 * <p>How this works. A list is a prefix ({@code size}) of a shared array with spare room at its end. The array's
 * {@link Tail} records how far some list has claimed it. Appending to a list whose size is the claimed length
 * writes the new blocks into the spare room, past what any existing list sees, and claims them: the old list and the
 * new one share every slot below the old size, and the old list never reads a slot above it. Appending to a list
 * that is not the claimed end (a second extension of the same version: a transaction's private view, a retried
 * commit) or whose array is full copies its prefix into a new array 1.5 times as large, so appends cost O(1)
 * amortized and a version's blocks never change under a reader. Rejected: a persistent trie (O(log n) per read on
 * the scan path and a node per 32 blocks for the collector); copying the list per commit (what made a commit cost
 * O(table)).
 *
 * <p>Invariants: slots {@code [0, size)} of {@code array} never change once a list of that size exists; {@code
 * size <= tail.claimed <= array.length}. Thread-safe: claims are made under the tail's monitor, and a list reaches
 * other threads only through safe publication (a volatile store version), which also publishes the slots written
 * before it.
 */
public final class BlockList extends AbstractList<BlockRef> implements RandomAccess {
    public static final BlockList EMPTY = new BlockList(new BlockRef[0], new Tail(0), 0);

    /** How far lists over one array have claimed it (guarded by its own monitor). */
    static final class Tail {
        private int claimed;

        Tail(int claimed) {
            this.claimed = claimed;
        }

        /** Call holding this tail's monitor. */
        int claimed() {
            return claimed;
        }

        /** Call holding this tail's monitor. */
        void claim(int upTo) {
            claimed = upTo;
        }
    }

    private final BlockRef[] array;
    private final Tail tail;
    private final int size;

    private BlockList(BlockRef[] array, Tail tail, int size) {
        this.array = array;
        this.tail = tail;
        this.size = size;
    }

    /** A list of {@code blocks} (copied; the result is the claimed end of its array, so appends to it share). */
    public static BlockList of(List<BlockRef> blocks) {
        if (blocks instanceof BlockList b) {
            return b;
        }
        BlockRef[] a = blocks.toArray(new BlockRef[0]);
        for (BlockRef r : a) {
            if (r == null) {
                throw new NullPointerException("null block in a manifest");
            }
        }
        return new BlockList(a, new Tail(a.length), a.length);
    }

    @Override
    public BlockRef get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("block " + index + " of " + size);
        }
        return array[index];
    }

    @Override
    public int size() {
        return size;
    }

    /** This list followed by {@code more}; shares this list's storage when it can (see the class comment). */
    public BlockList append(List<BlockRef> more) {
        int k = more.size();
        if (k == 0) {
            return this;
        }
        int n = size + k;
        synchronized (tail) {
            if (tail.claimed == size && n <= array.length) {
                for (int i = 0; i < k; i++) {
                    array[size + i] = more.get(i);
                }
                tail.claimed = n;
                return new BlockList(array, tail, n);
            }
        }
        BlockRef[] grown = Arrays.copyOf(array, Math.max(n, size + (size >> 1) + 16));
        // Slots past this list's size may hold another extension's blocks: never carry them over.
        Arrays.fill(grown, size, grown.length, null);
        for (int i = 0; i < k; i++) {
            grown[size + i] = more.get(i);
        }
        return new BlockList(grown, new Tail(n), n);
    }

    /** Whether {@code older}'s blocks are this list's first blocks, shared (then appends made this from it). */
    public boolean extendsShared(BlockList older) {
        return older.array == array && older.size <= size;
    }
}
