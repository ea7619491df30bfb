package io.strongroom.bench;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.SnapshotStore;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Snapshot and restore throughput of an encrypted table of about {@code targetMegaBytes} (default 1024) of blocks
 * (the StoreThroughput table), and the size of an incremental snapshot after 1% of the rows changed.
 *
 * <p>Snapshot: the blocks are copied as they are into the region's pool (no re-encryption); MB/s is block bytes
 * over wall time. Restore: the image is linked into a scratch store, opened with the snapshot's database key, and
 * every row copied into a new store under another database key (what RestoreFromClusterSnapshot does); MB/s is
 * snapshot bytes over wall time. Incremental: 1% of rows deleted and as many appended (an update's effect), then a
 * second snapshot; it prints the share of blocks and bytes that snapshot added to the pool.
 *
 * <p>Usage: {@code SnapshotThroughput [targetMegaBytes] [workDir]}.
 */
public final class SnapshotThroughput {
    private SnapshotThroughput() {}

    public static void main(String[] args) throws Exception {
        long targetBytes = (args.length > 0 ? Long.parseLong(args[0]) : 1024) * 1024 * 1024;
        Path base = Files.createTempDirectory(
                Path.of(args.length > 1 ? args[1] : System.getProperty("java.io.tmpdir")), "strongroom-snapbench");
        SecureRandom random = new SecureRandom();
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        random.nextBytes(a);
        random.nextBytes(b);
        try (DatabaseKey dekA = dek("bench-a/dek", a);
                DatabaseKey dekB = dek("bench-b/dek", b)) {
            StoreKeys keysA = StoreKeys.of(dekA);
            SnapshotStore snapshots = SnapshotStore.open(base.resolve("snapshots"));
            try (Store store = Store.create(base.resolve("cluster"), "bench-a", new ClusterLayout(1, 2), keysA)) {
                try (Transaction tx = store.begin()) {
                    tx.createTable(TableSpec.of("public", "t", StoreThroughputColumns.COLS));
                    tx.commit();
                }
                long rows = 0;
                long t0 = System.nanoTime();
                while (blockBytes(store) < targetBytes) {
                    try (Transaction tx = store.begin()) {
                        tx.append("t", StoreThroughput.generate(rows, 1_000_000));
                        tx.commit();
                    }
                    rows += 1_000_000;
                }
                double loadS = (System.nanoTime() - t0) / 1e9;
                long bytes = blockBytes(store);
                System.out.printf(
                        "table: %,d rows, %,.1f MB of encrypted blocks, loaded in %.1f s%n", rows, mb(bytes), loadS);

                long s0 = System.nanoTime();
                SnapshotStore.ImageStats full;
                try (Snapshot snap = store.snapshot()) {
                    full = snapshots.write("full", snap);
                }
                double snapS = (System.nanoTime() - s0) / 1e9;
                System.out.printf(
                        "full snapshot:        %,d blocks, %,.1f MB in %.2f s = %,.0f MB/s%n",
                        full.blocks(), mb(full.totalBytes()), snapS, mb(full.totalBytes()) / snapS);

                // Cross-region copy: the image and its blocks into another region's snapshot store, byte for byte
                // (the control plane adds the key transfer, a few milliseconds: one RSA-3072 operation each way).
                SnapshotStore otherRegion = SnapshotStore.open(base.resolve("snapshots-us-west-2"));
                long x0 = System.nanoTime();
                snapshots.copyInto("full", otherRegion, "full-copy", n -> {});
                double copyS = (System.nanoTime() - x0) / 1e9;
                System.out.printf(
                        "cross-region copy:    %,d blocks, %,.1f MB in %.2f s = %,.0f MB/s (snapshot / copy = %.2f)%n",
                        full.blocks(), mb(full.totalBytes()), copyS, mb(full.totalBytes()) / copyS, snapS / copyS);
                otherRegion.delete("full-copy");

                // The same image sent to another installation: streamed over mutual TLS 1.3 on loopback, spooled and
                // checked block by block, then committed (PeerTransferBench).
                double peerS = PeerTransferBench.copy(snapshots, "full", base.resolve("peer"));
                System.out.printf(
                        "copy to a peer (TLS): %,d blocks, %,.1f MB in %.2f s = %,.0f MB/s (in-process / peer = %.2f)%n",
                        full.blocks(), mb(full.totalBytes()), peerS, mb(full.totalBytes()) / peerS, copyS / peerS);
                delete(base.resolve("peer"));

                long r0 = System.nanoTime();
                long restoredRows = 0;
                try (Store image = snapshots.restore("full", base.resolve("scratch"), keysA);
                        Store target = Store.create(
                                base.resolve("restored"), "bench-b", new ClusterLayout(1, 2), StoreKeys.of(dekB))) {
                    restoredRows = copy(image, target);
                }
                double restoreS = (System.nanoTime() - r0) / 1e9;
                System.out.printf(
                        "restore, copying (new keys):  %,d rows, %,.1f MB in %.2f s = %,.0f MB/s%n",
                        restoredRows, mb(full.totalBytes()), restoreS, mb(full.totalBytes()) / restoreS);
                if (restoredRows != rows) {
                    throw new IllegalStateException("restored " + restoredRows + " rows of " + rows);
                }
                // The same image restored sharing its blocks: only the block keys are rewrapped under the new DEK.
                long h0 = System.nanoTime();
                long sharedRows;
                try (Store shared = snapshots.restoreShared(
                        "full", base.resolve("shared"), "bench-c", keysA, StoreKeys.of(dekB), n -> {})) {
                    double sharedS = (System.nanoTime() - h0) / 1e9;
                    try (Snapshot snap = shared.snapshot()) {
                        sharedRows = snap.table("t").rowCount();
                    }
                    System.out.printf(
                            "restore, sharing (new keys):  %,d rows, %,.1f MB in %.3f s = %,.0f MB/s;"
                                    + " copying / sharing = %.0fx%n",
                            sharedRows,
                            mb(full.totalBytes()),
                            sharedS,
                            mb(full.totalBytes()) / sharedS,
                            restoreS / sharedS);
                    long check0 = System.nanoTime();
                    long scanned = copy(shared, null);
                    System.out.printf(
                            "  (a full scan of the shared restore read %,d rows in %.2f s: every block opens under the"
                                    + " new keys)%n",
                            scanned, (System.nanoTime() - check0) / 1e9);
                    if (sharedRows != rows || scanned != rows) {
                        throw new IllegalStateException("shared restore holds " + sharedRows + " rows of " + rows);
                    }
                }
                snapshots.unpin("bench-c");

                long changed = rows / 100;
                try (Transaction tx = store.begin()) {
                    tx.delete("t", (batch, r) -> batch.column(0).getLong(r) % 100 == 7);
                    tx.append("t", StoreThroughput.generate(rows, (int) changed));
                    tx.commit();
                }
                long i0 = System.nanoTime();
                SnapshotStore.ImageStats inc;
                try (Snapshot snap = store.snapshot()) {
                    inc = snapshots.write("incremental", snap);
                }
                double incS = (System.nanoTime() - i0) / 1e9;
                System.out.printf(
                        "incremental snapshot after changing 1%% of rows (%,d deleted, %,d appended): %,d of %,d blocks"
                                + " new (%.2f%%), %,.1f of %,.1f MB new (%.2f%%), in %.2f s%n",
                        changed,
                        changed,
                        inc.newBlocks(),
                        inc.blocks(),
                        100.0 * inc.newBlocks() / inc.blocks(),
                        mb(inc.newBytes()),
                        mb(inc.totalBytes()),
                        100.0 * inc.newBytes() / inc.totalBytes(),
                        incS);
                System.out.printf(
                        "pool after both snapshots: %,d blocks, %,.1f MB%n",
                        snapshots.poolBlockCount(), mb(snapshots.poolBytes()));
            }
        } finally {
            delete(base);
        }
    }

    /** Copies every row of {@code from} into {@code to} (or only reads them, when {@code to} is null). */
    private static long copy(Store from, @Nullable Store to) {
        long n = 0;
        try (Snapshot snap = from.snapshot();
                Transaction tx = to == null ? null : to.begin()) {
            for (TableSpec spec : snap.tables()) {
                if (tx != null) {
                    tx.createTable(spec);
                }
                TableReader r = snap.table(spec.qualifiedName());
                for (TableReader.SliceScan scan :
                        r.scan(ScanSpec.all(spec.columns().size()))) {
                    while (scan.hasNext()) {
                        var batch = scan.next();
                        n += batch.rowCount();
                        if (tx != null) {
                            tx.append(spec.qualifiedName(), batch);
                        }
                    }
                }
            }
            if (tx != null) {
                tx.commit();
            }
        }
        return n;
    }

    private static long blockBytes(Store store) throws IOException {
        try (Stream<Path> s = Files.walk(store.root().resolve("tables"))) {
            return s.filter(p -> p.toString().endsWith(".blk"))
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    private static double mb(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static DatabaseKey dek(String id, byte[] material) {
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, id, 1), SecretBytes.copyOf(material));
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The StoreThroughput table's columns (id BIGINT, k INTEGER, v DOUBLE PRECISION, s VARCHAR(16)). */
    private static final class StoreThroughputColumns {
        static final List<Column> COLS = List.of(
                new Column(0, "id", ColumnType.BIGINT),
                new Column(1, "k", ColumnType.INTEGER),
                new Column(2, "v", ColumnType.DOUBLE),
                new Column(3, "s", ColumnType.varchar(16)));
    }
}
