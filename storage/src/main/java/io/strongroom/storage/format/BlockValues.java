package io.strongroom.storage.format;

import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A block's rows as the read path keeps them (what the block cache holds): handed out range by range as new
 * vectors. Most blocks are kept decoded. A bit-packed block of integers, or a dictionary block of strings, with no
 * NULL is kept as its encoded values instead, a quarter to an eighth of the decoded size, and decoded range by
 * range on read: unpacking a range costs about what copying it out of a decoded block does, and the cache holds
 * several times more rows. Every form is checked whole when it is made ({@link ColumnChunkCodec#values}), so a
 * read never fails. Immutable and thread-safe.
 */
public abstract sealed class BlockValues permits BlockValues.Decoded, BlockValues.PackedLongs, BlockValues.DictStrings {
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private BlockValues() {}

    /** Rows of the block. */
    public abstract int rows();

    /** About how many heap bytes this form holds, for the cache's bound. */
    public abstract long retainedBytes();

    /** Rows {@code from .. to-1} as a vector of their own. */
    public abstract ColumnVector slice(int from, int to);

    /** Appends rows {@code from .. to-1} onto {@code out} (of the block's column type). */
    public void appendTo(ColumnVector out, int from, int to) {
        out.appendRange(slice(from, to), 0, to - from);
    }

    /** A block kept decoded. */
    public static BlockValues of(ColumnVector v) {
        return new Decoded(v);
    }

    static final class Decoded extends BlockValues {
        private final ColumnVector vector;

        Decoded(ColumnVector vector) {
            this.vector = vector;
        }

        @Override
        public int rows() {
            return vector.size();
        }

        @Override
        public long retainedBytes() {
            return vector.retainedBytes();
        }

        @Override
        public ColumnVector slice(int from, int to) {
            ColumnVector out = new ColumnVector(vector.type(), to - from);
            out.appendRange(vector, from, to);
            return out;
        }

        @Override
        public void appendTo(ColumnVector out, int from, int to) {
            out.appendRange(vector, from, to);
        }
    }

    /** Integers bit-packed in {@code body} ({@link BitPacking}), none NULL. */
    static final class PackedLongs extends BlockValues {
        private final ColumnType type;
        private final int rows;
        private final byte[] body;
        private final BitPacking.Packed packed;

        PackedLongs(ColumnType type, int rows, byte[] body, BitPacking.Packed packed) {
            this.type = type;
            this.rows = rows;
            this.body = body;
            this.packed = packed;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public long retainedBytes() {
            return 96L + body.length;
        }

        @Override
        public ColumnVector slice(int from, int to) {
            long[] values = new long[to - from];
            BitPacking.unpack(
                    body, packed.start(), packed.length(), packed.min(), packed.width(), from, values, values.length);
            return ColumnVector.adoptLongs(type, values);
        }
    }

    /**
     * Strings as a dictionary and 1- or 2-byte indices in {@code body}, none NULL. Entries of at most 16 bytes are
     * written as two 8-byte stores each (the output has 16 spare bytes), with no branch or call per value.
     */
    static final class DictStrings extends BlockValues {
        private final ColumnType type;
        private final int rows;
        private final byte[] body;
        private final int idsStart;
        private final int width;
        private final int[] starts;
        private final int[] lens;
        private final long[] lo;
        private final long[] hi;
        private final boolean short16;

        DictStrings(ColumnType type, int rows, byte[] body, int idsStart, int width, int[] starts, int[] lens) {
            this.type = type;
            this.rows = rows;
            this.body = body;
            this.idsStart = idsStart;
            this.width = width;
            this.starts = starts;
            this.lens = lens;
            int maxLen = 0;
            for (int len : lens) {
                maxLen = Math.max(maxLen, len);
            }
            this.short16 = maxLen <= 16;
            int words = short16 ? lens.length : 0;
            this.lo = new long[words];
            this.hi = new long[words];
            byte[] entry = new byte[16];
            for (int id = 0; id < words; id++) {
                Arrays.fill(entry, (byte) 0);
                System.arraycopy(body, starts[id], entry, 0, lens[id]);
                lo[id] = (long) LONG_LE.get(entry, 0);
                hi[id] = (long) LONG_LE.get(entry, 8);
            }
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public long retainedBytes() {
            return 128L + body.length + 8L * starts.length + 16L * lo.length;
        }

        private int id(int row) {
            int at = idsStart + row * width;
            return width == 1 ? body[at] & 0xFF : (body[at] & 0xFF) | ((body[at + 1] & 0xFF) << 8);
        }

        @Override
        public ColumnVector slice(int from, int to) {
            int n = to - from;
            int[] offsets = new int[n + 1];
            for (int i = 0; i < n; i++) {
                offsets[i + 1] = offsets[i] + lens[id(from + i)];
            }
            byte[] data = new byte[offsets[n] + 16];
            if (short16) {
                for (int i = 0; i < n; i++) {
                    int id = id(from + i);
                    LONG_LE.set(data, offsets[i], lo[id]);
                    LONG_LE.set(data, offsets[i] + 8, hi[id]);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    int id = id(from + i);
                    System.arraycopy(body, starts[id], data, offsets[i], lens[id]);
                }
            }
            return ColumnVector.adoptBytes(type, data, offsets, n);
        }
    }
}
