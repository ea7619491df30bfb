package io.strongroom.bench;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.SnapshotStore;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import io.strongroom.storage.format.BlockCodec;
import io.strongroom.storage.format.BlockRef;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.DurableFiles;
import io.strongroom.storage.format.Sealer;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.storage.format.TableManifest;
import io.strongroom.storage.format.WrappedBlockKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Restore time against the number of blocks: a table of {@code blocks} one-row blocks (default 1,000,000), each a
 * real encrypted block under its own key, snapshotted through the snapshot store, then restored sharing its blocks
 * under a new database key (what RestoreFromClusterSnapshot does when the layout and encryption stay): the time
 * until the restored store is open and serving, and its parts (rewrap, manifest, open).
 *
 * <p>The million block files are made directly (as a commit would, without its per-block fsync) and the work
 * directory is {@code /dev/shm} when it exists: on disk, creating and snapshotting a million files (each snapshot
 * block is fsynced) takes many minutes and measures the file system, not the restore. The restore itself reads no
 * block file: it rewraps keys and writes manifests, which is what this measures.
 *
 * <p>Usage: {@code RestoreBlocks [blocks] [workDir]}.
 */
public final class RestoreBlocks {
    private static final List<Column> COLS = List.of(new Column(0, "id", ColumnType.BIGINT));

    private RestoreBlocks() {}

    public static void main(String[] args) throws Exception {
        int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path shm = Path.of("/dev/shm");
        Path parent = args.length > 1
                ? Path.of(args[1])
                : Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        Path base = Files.createTempDirectory(parent, "strongroom-restorebench");
        SecureRandom random = new SecureRandom();
        try (DatabaseKey dekA = dek("bench-a/dek", random);
                DatabaseKey dekB = dek("bench-b/dek", random)) {
            StoreKeys keysA = StoreKeys.of(dekA);
            StoreKeys keysB = StoreKeys.of(dekB);
            long b0 = System.nanoTime();
            Path src = base.resolve("cluster");
            try (Store s = Store.create(src, "bench-a", new ClusterLayout(1, 2), keysA)) {
                try (Transaction tx = s.begin()) {
                    tx.createTable(TableSpec.of("public", "big", COLS));
                    tx.commit();
                }
            }
            addOneRowBlocks(src, keysA, blocks);
            SnapshotStore snapshots = SnapshotStore.open(base.resolve("snapshots"));
            try (Store s = Store.open(src, keysA);
                    Snapshot snap = s.snapshot()) {
                snapshots.write("image", snap);
            }
            System.out.printf(
                    "a table of %,d one-row encrypted blocks and its snapshot made in %.1f s (in %s)%n",
                    blocks, (System.nanoTime() - b0) / 1e9, parent);

            long r0 = System.nanoTime();
            long rows;
            try (Store restored =
                    snapshots.restoreShared("image", base.resolve("restored"), "bench-b", keysA, keysB, n -> {})) {
                double restoreS = (System.nanoTime() - r0) / 1e9;
                try (Snapshot snap = restored.snapshot()) {
                    TableReader r = snap.table("big");
                    rows = r.rowCount();
                    // Reads the first blocks of each slice: they open under the new keys.
                    long read = 0;
                    for (TableReader.SliceScan scan : r.scan(ScanSpec.all(1))) {
                        for (long sliceRead = 0; sliceRead < 5000 && scan.hasNext(); ) {
                            long n = scan.next().rowCount();
                            sliceRead += n;
                            read += n;
                        }
                    }
                    System.out.printf(
                            "restore sharing the blocks, %,d blocks (%,d rows): %.2f s until the store serves"
                                    + " (goal: under 10 s); %,d rows read back under the new keys%n",
                            blocks, rows, restoreS, read);
                }
            }
            if (rows != blocks) {
                throw new IllegalStateException("restored " + rows + " rows of " + blocks);
            }
        } finally {
            delete(base);
        }
    }

    /**
     * Gives table {@code big} {@code n} one-row blocks spread over the slices, each a real block sealed under its own
     * key, and commits them with a new catalog as a commit would (without fsyncing each block).
     */
    private static void addOneRowBlocks(Path dir, StoreKeys keys, int n) throws IOException {
        StoreFiles.Superblock sb = StoreFiles.readSuperblock(dir);
        StoreFiles files = new StoreFiles(dir, sb.storeId());
        Sealer sealer = new Sealer(keys, sb.newestKeyVersion());
        StoreFiles.Pointer p = files.readPointer(sealer);
        Catalog cat = files.readCatalog(p.seq(), p.catalogDigest(), sealer);
        Catalog.Entry big = cat.tables().get(0);
        long tableId = big.tableId();
        int slices = sb.layout().sliceCount();
        long[] sliceRows = new long[slices];
        List<BlockRef> refs = new ArrayList<>(n);
        WrappedBlockKeys.Builder wrapped = WrappedBlockKeys.builder(n);
        long nextBlock = cat.nextBlockId();
        Files.createDirectories(files.tableDir(tableId));
        for (int i = 0; i < n; i++) {
            int slice = i % slices;
            long blockId = nextBlock++;
            ColumnVector v = new ColumnVector(ColumnType.BIGINT, 1);
            v.appendLong(i);
            BlockCodec.Written w =
                    BlockCodec.encode(v, 0, 1, sb.storeId(), tableId, 0, slice, blockId, sliceRows[slice], sealer);
            Files.write(files.blockFile(tableId, blockId), Arrays.copyOf(w.file(), w.length()));
            refs.add(w.entry().ref());
            wrapped.add(w.entry());
            sliceRows[slice]++;
        }
        long version = big.manifestVersion() + 1;
        TableManifest m = new TableManifest(tableId, version, sliceRows, refs, wrapped.build(), Map.of());
        byte[] mb = files.encodeManifest(m, sealer);
        DurableFiles.writeNew(files.manifestFile(tableId, version), mb);
        Catalog next = new Catalog(
                cat.seq() + 1,
                cat.nextTableId(),
                nextBlock,
                List.of(new Catalog.Entry(tableId, big.spec(), big.nextColumnId(), version, StoreFiles.sha256(mb), n)));
        byte[] cb = files.encodeCatalog(next, sealer);
        DurableFiles.writeNew(files.catalogFile(next.seq()), cb);
        DurableFiles.replaceAtomically(
                dir.resolve(StoreFiles.POINTER),
                files.encodePointer(new StoreFiles.Pointer(next.seq(), StoreFiles.sha256(cb)), sealer));
    }

    private static DatabaseKey dek(String id, SecureRandom random) {
        byte[] m = new byte[32];
        random.nextBytes(m);
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, id, 1), SecretBytes.copyOf(m));
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
