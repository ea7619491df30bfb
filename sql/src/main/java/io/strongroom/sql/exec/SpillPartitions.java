package io.strongroom.sql.exec;

import io.strongroom.storage.SpillFile;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * Rows sent to disk in {@link #PARTS} partitions by the hash of their keys, so that an operator whose state would
 * not fit in memory can work one partition at a time: a hash join joins build partition p with probe partition p,
 * an aggregation aggregates partition p alone. Rows are buffered per partition and written as one spill chunk
 * ({@link BatchCodec}) when a partition's buffer passes {@link #FLUSH_BYTES}, so memory stays at about
 * {@code PARTS x FLUSH_BYTES} however much is spilled. Each partition is its own {@link SpillFile}: sealed under
 * a key that lives only in this process's memory, deleted on {@link #close}.
 *
 * <p>Invariants: a row goes to partition {@link #of(int)} of its key hash, the same function on every side of an
 * operator; the rows of a partition come back in the order they were added. {@link #add} may be called from
 * several threads; {@link #read} only after {@link #finish}, and then from any number of threads at once.
 *
 * <p>Alternatives rejected: recursive repartitioning of a partition that is itself too large (a partition is
 * 1/64 of what spilled: about 15 GB would have to spill before one partition passes the default budget; it is
 * left for when the engine meets such queries); one file for all partitions with an index (a partition's chunks
 * would be scattered, and readers could not run on several threads without a shared position).
 */
final class SpillPartitions implements AutoCloseable {
    static final int BITS = 6;
    static final int PARTS = 1 << BITS;
    private static final long FLUSH_BYTES = 256 * 1024;

    private final List<RelDataType> types;
    private final Supplier<SpillFile> files;
    private final @Nullable SpillFile[] spills = new SpillFile[PARTS];
    private final List<List<Batch>> buffers = new ArrayList<>();
    private final long[] buffered = new long[PARTS];
    private boolean finished;

    /** {@code types} are the row's field types; {@code files} makes a new spill file. */
    SpillPartitions(List<RelDataType> types, Supplier<SpillFile> files) {
        this.types = types;
        this.files = files;
        for (int p = 0; p < PARTS; p++) {
            buffers.add(new ArrayList<>());
        }
    }

    /** The partition of a key with hash {@code hash} (as {@link KeyTable#prepare} computes it). */
    static int of(int hash) {
        return (hash * 0x9E3779B9) >>> (32 - BITS);
    }

    /** Adds every row of {@code b} to the partition of its key (columns {@code keys}, in the forms {@code types}). */
    void addByKeys(Batch b, int[] keys, KeyTable.KeyType[] types) {
        add(b, KeyTable.prepare(types, b.cols(keys), b.size()).hashes, b.size());
    }

    /** Adds rows {@code 0..n)} of {@code b}, row {@code i} to partition {@code of(hashes[i])}. */
    synchronized void add(Batch b, int[] hashes, int n) {
        int[] count = new int[PARTS + 1];
        int[] part = new int[n];
        for (int i = 0; i < n; i++) {
            part[i] = of(hashes[i]);
            count[part[i] + 1]++;
        }
        for (int p = 0; p < PARTS; p++) {
            count[p + 1] += count[p];
        }
        int[] start = count.clone();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[count[part[i]]++] = i;
        }
        for (int p = 0; p < PARTS; p++) {
            int m = start[p + 1] - start[p];
            if (m == 0) {
                continue;
            }
            int[] idx = new int[m];
            System.arraycopy(order, start[p], idx, 0, m);
            Batch piece = m == n ? b : b.gather(idx, m);
            buffers.get(p).add(piece);
            buffered[p] += BatchCodec.bytes(piece);
            if (buffered[p] >= FLUSH_BYTES) {
                flush(p);
            }
        }
    }

    private void flush(int p) {
        List<Batch> buf = buffers.get(p);
        if (buf.isEmpty()) {
            return;
        }
        int n = 0;
        for (Batch b : buf) {
            n += b.size();
        }
        Batch all = buf.size() == 1 ? buf.get(0) : new Batch(Batch.concatColumns(buf, types), n);
        byte[] chunk = BatchCodec.encode(all);
        SpillFile f = spills[p];
        if (f == null) {
            f = files.get();
            spills[p] = f;
        }
        f.write(chunk, 0, chunk.length);
        buf.clear();
        buffered[p] = 0;
    }

    /** Ends adding: writes what is buffered. */
    synchronized void finish() {
        if (finished) {
            return;
        }
        for (int p = 0; p < PARTS; p++) {
            flush(p);
            SpillFile f = spills[p];
            if (f != null) {
                f.finish();
            }
        }
        finished = true;
    }

    /** The rows of partition {@code p} as batches; may be called again, and by several threads. */
    Executor.Source read(int p) {
        if (!finished) {
            throw new IllegalStateException("spill partitions read before finish()");
        }
        SpillFile f = spills[p];
        if (f == null) {
            return () -> null;
        }
        Iterator<byte[]> chunks = f.read();
        return () -> chunks.hasNext() ? BatchCodec.decode(chunks.next()) : null;
    }

    @Override
    public synchronized void close() {
        for (int p = 0; p < PARTS; p++) {
            SpillFile f = spills[p];
            if (f != null) {
                f.close();
                spills[p] = null;
            }
        }
    }
}
