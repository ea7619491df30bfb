package io.strongroom.sql.exec;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * A batch as bytes, for the chunks of a spill file (a hash join's or an aggregation's partitions that do not fit
 * in memory) and back. Spill files live only as long as their query, so this format is never stored: it may change
 * with any build.
 *
 * <pre>
 * batch  = i32 rows | i32 columns | column*
 * column = u8 0 (not read) | u8 1 | u8 type | i32 scale | u8 has nulls | [u8 null * rows] | values
 * values = i64 * rows (BOOL, INT, DEC, DATE, TS, TSTZ) | f64 * rows (DOUBLE)
 *        | i32 length | bytes (STR: rows' UTF-8 one after another) | i32 end * rows
 *        | object * rows (OBJ: u8 tag | value; tag 0 NULL, 1 decimal (i32 scale, i32 n, n bytes unscaled),
 *          2 text (i32 n, n bytes), 3 i64, 4 f64, 5 boolean)
 * </pre>
 *
 * An OBJ value of another kind (an array, an interval) cannot spill: the query fails with a message that says to
 * raise {@code work_mem}.
 */
final class BatchCodec {
    private BatchCodec() {}

    /** Bytes {@link #encode} will need for {@code b}, about (OBJ columns estimated). */
    static long bytes(Batch b) {
        long total = 8;
        for (Vec v : b.cols()) {
            total += v == null ? 1 : 7 + columnBytes(v);
        }
        return total;
    }

    private static long columnBytes(Vec v) {
        int n = v.size;
        long nulls = v.nulls == null ? 0 : n;
        return nulls
                + switch (v.type) {
                    case DOUBLE -> 8L * n;
                    case STR -> 4 + (long) (v.offsets[n] - v.offsets[0]) + 4L * n;
                    case OBJ -> 24L * n;
                    default -> 8L * n;
                };
    }

    static byte[] encode(Batch b) {
        int n = b.size();
        ByteBuffer out = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, bytes(b)));
        out.putInt(n).putInt(b.cols().length);
        for (Vec v : b.cols()) {
            if (v == null) {
                out.put((byte) 0);
                continue;
            }
            out = ensure(out, 7 + columnBytes(v));
            out.put((byte) 1).put((byte) v.type.ordinal()).putInt(v.scale);
            boolean[] nl = v.nulls;
            out.put((byte) (nl == null ? 0 : 1));
            if (nl != null) {
                for (int i = 0; i < n; i++) {
                    out.put((byte) (nl[i] ? 1 : 0));
                }
            }
            switch (v.type) {
                case DOUBLE -> {
                    for (int i = 0; i < n; i++) {
                        out.putDouble(v.doubles[i]);
                    }
                }
                case STR -> {
                    int base = v.offsets[0];
                    int len = v.offsets[n] - base;
                    out.putInt(len).put(v.bytes, base, len);
                    for (int i = 1; i <= n; i++) {
                        out.putInt(v.offsets[i] - base);
                    }
                }
                case OBJ -> {
                    for (int i = 0; i < n; i++) {
                        out = putObject(out, v.objs[i]);
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) {
                        out.putLong(v.longs[i]);
                    }
                }
            }
        }
        byte[] bytes = new byte[out.position()];
        out.flip().get(bytes);
        return bytes;
    }

    private static ByteBuffer ensure(ByteBuffer out, long more) {
        if (out.remaining() >= more) {
            return out;
        }
        long want = Math.max(out.capacity() * 2L, out.position() + more);
        if (want > Integer.MAX_VALUE - 8) {
            throw new StrongroomException(
                    ErrorCode.OUT_OF_MEMORY, "a batch of intermediate rows is too large to spill to disk");
        }
        ByteBuffer bigger = ByteBuffer.allocate((int) want);
        out.flip();
        bigger.put(out);
        return bigger;
    }

    private static ByteBuffer putObject(ByteBuffer out, @Nullable Object o) {
        switch (o) {
            case null -> {
                return ensure(out, 1).put((byte) 0);
            }
            case BigDecimal d -> {
                byte[] u = d.unscaledValue().toByteArray();
                return ensure(out, 9 + u.length)
                        .put((byte) 1)
                        .putInt(d.scale())
                        .putInt(u.length)
                        .put(u);
            }
            case String s -> {
                byte[] u = s.getBytes(StandardCharsets.UTF_8);
                return ensure(out, 5 + u.length).put((byte) 2).putInt(u.length).put(u);
            }
            case Long l -> {
                return ensure(out, 9).put((byte) 3).putLong(l);
            }
            case Double d -> {
                return ensure(out, 9).put((byte) 4).putDouble(d);
            }
            case Boolean b -> {
                return ensure(out, 2).put((byte) 5).put((byte) (b ? 1 : 0));
            }
            default ->
                throw new StrongroomException(
                        ErrorCode.OUT_OF_MEMORY,
                        "this query needs more memory than work_mem allows, and its intermediate rows hold values"
                                + " (arrays or intervals) that cannot be spilled to disk; raise work_mem"
                                + " (SET work_mem = '4GB') or make the query select fewer rows");
        }
    }

    static Batch decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        int n = in.getInt();
        Vec[] cols = new Vec[in.getInt()];
        Vec.Type[] types = Vec.Type.values();
        for (int c = 0; c < cols.length; c++) {
            if (in.get() == 0) {
                continue;
            }
            Vec.Type type = types[in.get()];
            int scale = in.getInt();
            boolean[] nulls = null;
            if (in.get() != 0) {
                nulls = new boolean[n];
                for (int i = 0; i < n; i++) {
                    nulls[i] = in.get() != 0;
                }
            }
            cols[c] = switch (type) {
                case DOUBLE -> {
                    double[] d = new double[n];
                    in.asDoubleBuffer().get(d);
                    in.position(in.position() + 8 * n);
                    yield Vec.ofDoubles(d, n, nulls);
                }
                case STR -> {
                    byte[] data = new byte[in.getInt()];
                    in.get(data);
                    int[] off = new int[n + 1];
                    in.asIntBuffer().get(off, 1, n);
                    in.position(in.position() + 4 * n);
                    yield Vec.ofBytes(data, off, n, nulls);
                }
                case OBJ -> {
                    Object[] o = new Object[n];
                    for (int i = 0; i < n; i++) {
                        o[i] = getObject(in);
                    }
                    yield Vec.ofObjects(o, n);
                }
                default -> {
                    long[] l = new long[n];
                    in.asLongBuffer().get(l);
                    in.position(in.position() + 8 * n);
                    yield Vec.ofLongs(type, scale, l, n, nulls);
                }
            };
        }
        return new Batch(cols, n);
    }

    private static @Nullable Object getObject(ByteBuffer in) {
        byte tag = in.get();
        return switch (tag) {
            case 0 -> null;
            case 1 -> {
                int scale = in.getInt();
                byte[] u = new byte[in.getInt()];
                in.get(u);
                yield new BigDecimal(new BigInteger(u), scale);
            }
            case 2 -> {
                byte[] u = new byte[in.getInt()];
                in.get(u);
                yield new String(u, StandardCharsets.UTF_8);
            }
            case 3 -> in.getLong();
            case 4 -> in.getDouble();
            case 5 -> in.get() != 0;
            default -> throw new IllegalStateException("spilled value tag " + tag);
        };
    }
}
