package io.strongroom.testkit.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One edit of a byte string, in the style of a coverage-blind mutational fuzzer: flip a bit, replace a byte, write
 * an extreme integer (a length field set to 0, -1, {@code Integer.MAX_VALUE}...), cut the tail, insert bytes,
 * duplicate or delete a range. Positions and lengths are taken modulo the current length, so every mutation
 * applies to every input. A mutation is plain data ({@link #random} draws one), so its {@code toString} in a failure
 * report says exactly what was done to the seed. Immutable.
 *
 * @param kind what to do
 * @param at where, modulo the input length
 * @param length how many bytes a range mutation spans (at least 1 is used)
 * @param value the bit, byte or integer written
 */
public record Mutation(Kind kind, int at, int length, long value) {
    /** The kinds of edit. */
    public enum Kind {
        FLIP_BIT,
        SET_BYTE,
        /** Writes {@code value} big-endian over 1, 2, 4 or 8 bytes ({@code length} picks the width). */
        SET_INTEGER,
        TRUNCATE,
        /** Inserts {@code length} bytes, each {@code value} plus its index. */
        INSERT,
        DUPLICATE_RANGE,
        DELETE_RANGE
    }

    /** Values that decoders tend to mishandle when a length or count field holds them. */
    public static final List<Long> EXTREMES = List.of(
            0L,
            1L,
            -1L,
            0x7fL,
            0x80L,
            0xffL,
            0x7fffL,
            0x8000L,
            0xffffL,
            0x10000L,
            (long) Integer.MAX_VALUE,
            (long) Integer.MIN_VALUE,
            0xffffffffL,
            0x100000000L,
            Long.MAX_VALUE,
            Long.MIN_VALUE,
            64L * 1024 * 1024,
            1L << 30);

    private static final int[] WIDTHS = {1, 2, 4, 8};

    /** The largest {@link #at} {@link #random} draws: positions past the end wrap, so this reaches any input. */
    static final int MAX_AT = 1 << 16;

    /** The largest {@link #length} {@link #random} draws. */
    static final int MAX_LENGTH = 64;

    /**
     * One mutation drawn from {@code random}: any kind, a position in {@code [0, 65536]}, a length in {@code [0,
     * 64]}, and a value that is one of {@link #EXTREMES} half the time and any {@code long} otherwise.
     */
    public static Mutation random(SplittableRandom random) {
        Kind[] kinds = Kind.values();
        Kind kind = kinds[random.nextInt(kinds.length)];
        int at = random.nextInt(MAX_AT + 1);
        int length = random.nextInt(MAX_LENGTH + 1);
        long value = random.nextBoolean() ? EXTREMES.get(random.nextInt(EXTREMES.size())) : random.nextLong();
        return new Mutation(kind, at, length, value);
    }

    /** {@code input} with this mutation applied; {@code input} is not changed. */
    public byte[] apply(byte[] input) {
        int n = input.length;
        int span = Math.max(1, length);
        if (n == 0) {
            // Only growth applies to nothing.
            return kind == Kind.INSERT ? filler(span) : input;
        }
        int pos = Math.floorMod(at, n);
        return switch (kind) {
            case FLIP_BIT -> {
                byte[] out = input.clone();
                out[pos] ^= (byte) (1 << Math.floorMod(value, 8));
                yield out;
            }
            case SET_BYTE -> {
                byte[] out = input.clone();
                out[pos] = (byte) value;
                yield out;
            }
            case SET_INTEGER -> {
                byte[] out = input.clone();
                int width = WIDTHS[Math.floorMod(length, WIDTHS.length)];
                for (int i = 0; i < width && pos + i < n; i++) {
                    out[pos + i] = (byte) (value >>> (8 * (width - 1 - i)));
                }
                yield out;
            }
            case TRUNCATE -> Arrays.copyOf(input, pos);
            case INSERT -> splice(input, pos, 0, filler(span));
            case DUPLICATE_RANGE -> {
                int len = Math.min(span, n - pos);
                yield splice(input, pos + len, 0, Arrays.copyOfRange(input, pos, pos + len));
            }
            case DELETE_RANGE -> splice(input, pos, Math.min(span, n - pos), new byte[0]);
        };
    }

    private byte[] filler(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (value + i);
        }
        return b;
    }

    /** {@code input} with {@code removed} bytes at {@code pos} replaced by {@code inserted}. */
    private static byte[] splice(byte[] input, int pos, int removed, byte[] inserted) {
        byte[] out = new byte[input.length - removed + inserted.length];
        System.arraycopy(input, 0, out, 0, pos);
        System.arraycopy(inserted, 0, out, pos, inserted.length);
        System.arraycopy(input, pos + removed, out, pos + inserted.length, input.length - pos - removed);
        return out;
    }

    /** Applies {@code mutations} in order. */
    public static byte[] applyAll(byte[] input, List<Mutation> mutations) {
        byte[] out = input;
        for (Mutation m : mutations) {
            out = m.apply(out);
        }
        return out;
    }
}
