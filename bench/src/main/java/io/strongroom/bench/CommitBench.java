package io.strongroom.bench;

import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import io.strongroom.storage.format.Bindings;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import io.strongroom.storage.format.WrappedBlockKeys;
import io.strongroom.storage.format.ZoneMap;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * What a small commit costs against the size of the table it goes into (the performance issue, goal 4): the CPU
 * time of the committing thread ({@link ThreadMXBean#getCurrentThreadCpuTime}) for {@link Transaction#commit} of
 * 100 rows, into a table that starts empty and into a table of a million blocks, in two encrypted stores side by
 * side, commits alternating between them. Prints the median, the mean (which includes the commits that fold a
 * manifest's deltas into a new base) and the largest, and the ratio of the medians. Goal: under 1 ms, and within 2x
 * of the empty table.
 *
 * <p>The million blocks are one-row blocks of a one-column table, each with its own block key wrapped under the
 * database key, listed in a manifest written straight into the store's files and committed by a new catalog and
 * pointer, as a commit would (the rotation benchmark's shortcut): no block file exists, since a commit never reads
 * an existing block. The manifest, catalog and keys are real, so the commit does all it does for such a table.
 *
 * <p>After the measured commits, as many again (half as many, at least 100) run with a {@link CommitStepClock}
 * recording, which prints the mean CPU of each step of a commit (each file's creation and write, each fsync, the
 * rename, the work between them) for both tables.
 *
 * <p>Usage: {@code CommitBench [blocks] [commits] [workDir]}; default {@code 1000000 1000}.
 */
public final class CommitBench {
    private static final List<Column> COLS = List.of(new Column(0, "id", ColumnType.BIGINT));
    private static final int ROWS = 100;

    private CommitBench() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int commits = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        Path base = Files.createTempDirectory(
                Path.of(args.length > 2 ? args[2] : System.getProperty("java.io.tmpdir")), "strongroom-commitbench");
        SecureRandom random = new SecureRandom();
        byte[] m = new byte[32];
        random.nextBytes(m);
        DatabaseKey dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "bench/dek", 1), SecretBytes.copyOf(m));
        ClusterLayout layout = new ClusterLayout(1, 2);
        Path emptyDir = base.resolve("empty");
        Path bigDir = base.resolve("big");
        for (Path dir : List.of(emptyDir, bigDir)) {
            try (Store s = Store.create(dir, "commitbench", layout, StoreKeys.of(dek));
                    Transaction tx = s.begin()) {
                tx.createTable(TableSpec.of("public", "t", COLS));
                tx.commit();
            }
        }
        long t0 = System.nanoTime();
        Runnable fold = addBigManifest(bigDir, dek, blocks, layout.sliceCount());
        out.printf(Locale.ROOT, "built a manifest of %,d blocks in %.1f s%n", blocks, (System.nanoTime() - t0) / 1e9);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        int warmUp = Math.min(1000, Math.max(1, commits / 2));
        double[][] emptyMs = new double[2][commits];
        double[][] bigMs = new double[2][commits];
        CommitStepClock emptySteps = new CommitStepClock(cpu);
        CommitStepClock bigSteps = new CommitStepClock(cpu);
        int stepCommits = Math.max(100, commits / 2);
        try (Store empty = Store.open(emptyDir, StoreKeys.of(dek), emptySteps);
                Store big = Store.open(bigDir, StoreKeys.of(dek), bigSteps)) {
            long next = blocks;
            for (int i = 0; i < warmUp + commits; i++) {
                double[] e = commit(empty, cpu, next, null);
                double[] b = commit(big, cpu, next, null);
                next += ROWS;
                if (i >= warmUp) {
                    for (int k = 0; k < 2; k++) {
                        emptyMs[k][i - warmUp] = e[k];
                        bigMs[k][i - warmUp] = b[k];
                    }
                }
            }
            // Then, apart from the measured commits (reading the clock at each step costs a little), where the CPU
            // of a commit goes.
            for (int i = 0; i < stepCommits; i++) {
                commit(empty, cpu, next, emptySteps);
                commit(big, cpu, next, bigSteps);
                next += ROWS;
            }
        }
        out.printf(
                Locale.ROOT,
                "CPU of Transaction.commit() of %d rows (encrypted, 1 node x 2 slices), %d commits each after %d"
                        + " warm-up, alternating (thread CPU = user + system; user alone beside it):%n",
                ROWS,
                commits,
                warmUp);
        out.printf(
                Locale.ROOT,
                "%-20s %14s %12s %12s %14s%n",
                "table",
                "median CPU ms",
                "mean CPU ms",
                "max CPU ms",
                "mean user ms*");
        row(out, "starts empty", emptyMs);
        row(out, String.format(Locale.ROOT, "%,d blocks", blocks), bigMs);
        out.printf(
                Locale.ROOT,
                "ratio of median CPU (big / empty): %.2f (goal: at most 2; big under 1 ms)%n"
                        + "* user time alone (the rest is the kernel's: file writes, fsyncs, renames), in clock ticks,"
                        + " so a mean over all commits%n",
                Stats.median(bigMs[0]) / Stats.median(emptyMs[0]));
        emptySteps.print(out, "starts empty");
        bigSteps.print(out, String.format(Locale.ROOT, "%,d blocks", blocks));
        // What a fold does beyond a delta commit: the whole manifest encoded, sealed, hashed and written (warm, the
        // second of two runs).
        fold.run();
        long f0 = cpu.getCurrentThreadCpuTime();
        fold.run();
        double encodeCpuMs = (cpu.getCurrentThreadCpuTime() - f0) / 1e6;
        out.printf(
                Locale.ROOT,
                "a fold of the %,d-block table's deltas (its whole manifest encoded, sealed, hashed and written) takes"
                        + " %.0f ms of CPU: at most once per 4,096 commits, so at most %.3f ms a commit%n",
                blocks,
                encodeCpuMs,
                encodeCpuMs / 4096);
        deleteTree(base);
    }

    private static void row(PrintStream out, String name, double[][] ms) {
        out.printf(
                Locale.ROOT,
                "%-20s %14.3f %12.3f %12.3f %14.3f%n",
                name,
                Stats.median(ms[0]),
                mean(ms[0]),
                max(ms[0]),
                mean(ms[1]));
    }

    /**
     * Appends 100 rows to {@code t} in one transaction; returns the CPU and the user CPU milliseconds of its commit
     * alone.
     */
    private static double[] commit(Store s, ThreadMXBean cpu, long from, @Nullable CommitStepClock steps) {
        try (Transaction tx = s.begin()) {
            RowBatch b = RowBatch.builder(COLS, ROWS);
            for (long id = from; id < from + ROWS; id++) {
                b.addRow(id);
            }
            tx.append("t", b);
            if (steps != null) {
                steps.begin();
                tx.commit();
                steps.end();
                return new double[0];
            }
            long c0 = cpu.getCurrentThreadCpuTime();
            long u0 = cpu.getCurrentThreadUserTime();
            tx.commit();
            return new double[] {(cpu.getCurrentThreadCpuTime() - c0) / 1e6, (cpu.getCurrentThreadUserTime() - u0) / 1e6
            };
        }
    }

    private static double mean(double[] xs) {
        return Arrays.stream(xs).average().orElse(0);
    }

    private static double max(double[] xs) {
        return Arrays.stream(xs).max().orElse(0);
    }

    /**
     * Gives table {@code t} a manifest of {@code blocks} one-row blocks spread over the slices, each with its own
     * block key wrapped under {@code dek}, and commits it by writing a new catalog and switching the pointer. No
     * block file is written. Returns what a fold of the table's deltas does: the manifest encoded, sealed, hashed
     * and written to a new file (a scratch one, deleted after).
     */
    private static Runnable addBigManifest(Path dir, DatabaseKey dek, int blocks, int slices) {
        StoreFiles.Superblock sb = StoreFiles.readSuperblock(dir);
        StoreFiles files = new StoreFiles(dir, sb.storeId());
        Sealer sealer = new Sealer(StoreKeys.of(dek), sb.newestKeyVersion());
        StoreFiles.Pointer p = files.readPointer(sealer);
        Catalog cat = files.readCatalog(p.seq(), p.catalogDigest(), sealer);
        Catalog.Entry t = cat.tables().get(0);
        long tableId = t.tableId();
        long[] sliceRows = new long[slices];
        List<BlockRef> refs = new ArrayList<>(blocks);
        WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(blocks);
        long nextBlock = cat.nextBlockId();
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < blocks; i++) {
            int slice = i % slices;
            long blockId = nextBlock++;
            byte[] wrapped;
            try (BlockKey k = BlockKey.generate(random)) {
                wrapped = sealer.wrapBlockKey(
                        k, Bindings.blockKey(sb.storeId(), tableId, 0, slice, blockId, dek.version()));
            }
            refs.add(new BlockRef(blockId, 0, slice, sliceRows[slice], 1, 0, 64, ZoneMap.ofLongs(i, i)));
            keys.add(dek.version(), wrapped);
            sliceRows[slice]++;
        }
        long version = t.manifestVersion() + 1;
        TableManifest tm = new TableManifest(tableId, version, sliceRows, refs, keys.build(), Map.of());
        try {
            Files.createDirectories(files.tableDir(tableId));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] mb = files.encodeManifest(tm, sealer);
        byte[] digest = StoreFiles.sha256(mb);
        DurableFiles.writeNew(files.manifestFile(tableId, version), mb);
        Catalog.Entry e = new Catalog.Entry(tableId, t.spec(), t.nextColumnId(), version, digest, blocks);
        Catalog next = new Catalog(cat.seq() + 1, cat.nextTableId(), nextBlock, List.of(e));
        byte[] cb = files.encodeCatalog(next, sealer);
        DurableFiles.writeNew(files.catalogFile(next.seq()), cb);
        DurableFiles.replaceAtomically(
                dir.resolve(StoreFiles.POINTER),
                files.encodePointer(new StoreFiles.Pointer(next.seq(), StoreFiles.sha256(cb)), sealer));
        Path scratch = dir.resolveSibling("fold.man");
        return () -> {
            byte[] bytes = files.encodeManifest(tm, sealer);
            StoreFiles.sha256(bytes);
            try {
                Files.deleteIfExists(scratch);
                DurableFiles.writeNew(scratch, bytes);
                Files.delete(scratch);
            } catch (IOException x) {
                throw new IllegalStateException(x);
            }
        };
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
