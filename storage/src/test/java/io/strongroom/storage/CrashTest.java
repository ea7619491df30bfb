package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.base.FaultHook;
import io.strongroom.storage.format.StoreFiles;
import io.strongroom.testkit.seed.Seeds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stops writes at every durable step of a commit (a seeded fault schedule, with torn files), then reopens:
 * the last committed version must be whole and nothing half-written visible. Then a real {@code kill -9} of a
 * child JVM in the middle of a load loop.
 */
class CrashTest {
    @TempDir
    Path tmp;

    static final List<Column> COLS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "s", ColumnType.varchar(32)));

    /** Thrown by the fault schedule: the "process" dies here. */
    static final class SimulatedCrash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(String m) {
            super(m);
        }
    }

    static RowBatch batch(int n, int rows) {
        RowBatch b = RowBatch.builder(COLS, rows);
        for (int i = 0; i < rows; i++) {
            long id = (long) n * rows + i;
            b.addRow(id, "v" + id);
        }
        return b;
    }

    /** Expected count:checksum after {@code batches} committed batches (of {@code rows}) minus deletes of id%5==0 if asked. */
    private static String expected(Path dir, int batches, int rows, boolean deleted) {
        Path ref = dir.resolveSibling(dir.getFileName() + "-ref-" + batches + "-" + deleted);
        try (Store s = Store.create(ref, "ref", new ClusterLayout(1, 1), StoreKeys.unencrypted())) {
            try (Transaction tx = s.begin()) {
                tx.createTable(TableSpec.of("public", "t", COLS));
                for (int b = 0; b < batches; b++) {
                    tx.append("t", batch(b, rows));
                }
                if (deleted) {
                    tx.delete("t", (bt, r) -> bt.column(0).getLong(r) % 5 == 0);
                }
                tx.commit();
            }
            try (Snapshot snap = s.snapshot()) {
                return Fixtures.countAndChecksum(snap.table("t"));
            }
        }
    }

    /**
     * Every commit of the workload appends: each makes a manifest delta (create on the empty base 0), held in its
     * catalog file, so every catalog stays as long as the chain needs it.
     */
    @Test
    void crashAtEveryStepOfEveryCommit_leavesTheLastCommittedVersionWhole() throws IOException {
        crashAtEveryStep(Committer.DEFAULT_MAX_DELTAS, CommitStep.CATALOG_WRITTEN);
    }

    /**
     * At most two deltas: the third commit folds the chain into a new base (and deletes the old chain once no
     * reader needs it), the fourth starts a new chain on that base.
     */
    @Test
    void crashAtEveryStep_withDeltasFoldedIntoANewBase_leavesTheLastCommittedVersionWhole() throws IOException {
        crashAtEveryStep(2, CommitStep.MANIFEST_WRITTEN);
    }

    /** Stops the workload at each fault point in turn, with {@code maxDeltas}; {@code mustReach} must be one. */
    private void crashAtEveryStep(int maxDeltas, CommitStep mustReach) throws IOException {
        long seed = Seeds.of("CrashTest");
        Random random = new Random(seed);
        int rows = 300;
        // The workload: create, three appends, a delete. Count the fault points it reaches when nothing fails.
        int[] total = {0};
        List<CommitStep> reached = new ArrayList<>();
        runWorkload(
                tmp.resolve("count"),
                (step, file) -> {
                    total[0]++;
                    reached.add(step);
                },
                rows,
                maxDeltas);
        assertThat(reached).contains(mustReach, CommitStep.CATALOG_WRITTEN);
        assertThat(total[0]).isGreaterThan(30);
        String[] expectations = new String[6];
        for (int committed = 0; committed <= 4; committed++) {
            expectations[committed] = committed == 0
                    ? null
                    : expected(tmp.resolve("e"), Math.min(committed - 1, 3), rows, committed == 5);
        }
        expectations[5] = expected(tmp.resolve("e"), 3, rows, true);
        for (int k = 0; k < total[0]; k++) {
            Path dir = tmp.resolve("crash-" + k);
            int target = k;
            boolean tear = random.nextBoolean();
            CommitStep[] crashedAt = {null};
            BiConsumer<CommitStep, @Nullable Path> faults = Fixtures.crashAtStep(target, tear, crashedAt);
            int committed;
            try {
                committed = runWorkload(dir, faults, rows, maxDeltas);
                throw new AssertionError("workload finished without reaching fault point " + k);
            } catch (SimulatedCrash | WorkloadCrash e) {
                committed = e instanceof WorkloadCrash w ? w.committed : 0;
            }
            if (!Files.exists(dir.resolve("STORE"))) {
                continue; // crashed while creating: no store exists, which is the right outcome
            }
            try (Store store = Store.open(dir, StoreKeys.of(Fixtures.dek((byte) 9)));
                    Snapshot snap = store.snapshot()) {
                String what = "seed " + seed + ", fault point " + k + " (" + crashedAt[0] + ", torn " + tear + ")";
                if (committed == 0) {
                    assertThat(snap.exists("t")).as(what).isFalse();
                } else {
                    assertThat(Fixtures.countAndChecksum(snap.table("t")))
                            .as(what)
                            .isEqualTo(expectations[committed]);
                }
                assertNoUnreferencedFiles(dir, snap, what);
                // Manifest files: exactly the base and deltas the committed catalog names (a torn or uncommitted
                // delta or base is gone).
                List<Path> named = new ArrayList<>();
                store.current()
                        .catalog()
                        .tables()
                        .forEach(e -> named.addAll(store.files().manifestFiles(e)));
                try (Stream<Path> s = Files.walk(dir.resolve("tables"))) {
                    assertThat(s.filter(p -> p.toString().endsWith(".man")
                                    || p.toString().endsWith(".mdl")))
                            .as(what)
                            .containsExactlyInAnyOrderElementsOf(named);
                }
                // Catalog files: exactly the current one and those holding a delta of the committed chain.
                List<Path> catalogs = new ArrayList<>();
                catalogs.add(store.files().catalogFile(store.current().seq()));
                store.current().deltaHolders().values().forEach(h -> {
                    for (long seq : h) {
                        Path c = store.files().catalogFile(seq);
                        if (!catalogs.contains(c)) {
                            catalogs.add(c);
                        }
                    }
                });
                try (Stream<Path> s = Files.list(dir.resolve("catalog"))) {
                    assertThat(s.toList()).as(what).containsExactlyInAnyOrderElementsOf(catalogs);
                }
                // and all but the current one are cut back to their deltas: none is a whole older catalog
                for (Path c : catalogs.subList(1, catalogs.size())) {
                    byte[] b = Files.readAllBytes(c);
                    assertThat(StoreFiles.catalogEnvelopeOffset(b, c.toString()))
                            .as(what + ": " + c + " cut")
                            .isEqualTo(b.length);
                }
            }
        }
    }

    private static void assertNoUnreferencedFiles(Path dir, Snapshot snap, String what) throws IOException {
        long referenced = snap.tables().isEmpty() ? 0 : snap.table("t").blocks().size();
        try (Stream<Path> s = Files.walk(dir)) {
            long onDisk = s.filter(p -> p.toString().endsWith(".blk")).count();
            assertThat(onDisk).as(what + ": block files on disk").isEqualTo(referenced);
        }
        try (Stream<Path> s = Files.walk(dir)) {
            assertThat(s.filter(p -> p.toString().endsWith(".tmp")).count())
                    .as(what)
                    .isZero();
        }
    }

    /** Carries how many transactions had committed when the crash came. */
    static final class WorkloadCrash extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int committed;

        WorkloadCrash(int committed, RuntimeException cause) {
            super(cause);
            this.committed = committed;
        }
    }

    /**
     * create table; append x3 (one commit each); delete id%5==0. Returns the commits made (5); on a crash throws
     * WorkloadCrash with the number of commits that completed, counting a commit that crashed after its pointer
     * switch as completed.
     */
    private static int runWorkload(Path dir, BiConsumer<CommitStep, @Nullable Path> faults, int rows, int maxDeltas) {
        int committed = 0;
        CommitStep[] last = {null};
        FaultHook tracking = Fixtures.commitSteps((step, file) -> {
            last[0] = step;
            faults.accept(step, file);
        });
        try (Store store =
                Store.create(dir, "crash", new ClusterLayout(1, 2), StoreKeys.of(Fixtures.dek((byte) 9)), tracking)) {
            store.maxManifestDeltas(maxDeltas);
            try {
                try (Transaction tx = store.begin()) {
                    tx.createTable(TableSpec.of("public", "t", COLS));
                    tx.commit();
                }
                committed++;
                for (int b = 0; b < 3; b++) {
                    try (Transaction tx = store.begin()) {
                        tx.append("t", batch(b, rows));
                        tx.commit();
                    }
                    committed++;
                }
                try (Transaction tx = store.begin()) {
                    tx.delete("t", (bt, r) -> bt.column(0).getLong(r) % 5 == 0);
                    tx.commit();
                }
                committed++;
            } catch (SimulatedCrash e) {
                boolean switched = last[0] != null && last[0].compareTo(CommitStep.POINTER_SWITCHED) >= 0;
                throw new WorkloadCrash(committed + (switched ? 1 : 0), e);
            }
        }
        return committed;
    }

    // ---- a real kill -9 ----

    @Test
    void killMinus9_duringALoadLoop_keepsEveryCommittedBatch() throws Exception {
        Path dir = tmp.resolve("killed");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                LoadLoop.class.getName(),
                dir.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        int lastReported = -1;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("committed ")) {
                    lastReported = Integer.parseInt(line.substring(10));
                    if (lastReported >= 5 + new Random().nextInt(5)) {
                        break;
                    }
                }
            }
            // SIGKILL while the child is in the middle of writing its next batch.
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(lastReported).as("child reported commits").isGreaterThanOrEqualTo(5);
        try (Store store = Store.open(dir, StoreKeys.of(Fixtures.dek((byte) 5)));
                Snapshot snap = store.snapshot()) {
            String got = Fixtures.countAndChecksum(snap.table("t"));
            // The batch after the last reported one may have committed before the kill landed.
            List<String> allowed = new ArrayList<>();
            allowed.add(expected(tmp.resolve("k"), lastReported, LoadLoop.ROWS, false));
            allowed.add(expected(tmp.resolve("k"), lastReported + 1, LoadLoop.ROWS, false));
            assertThat(got).isIn(allowed);
        }
    }

    /** The child process: appends batch after batch, printing each commit. */
    public static final class LoadLoop {
        static final int ROWS = 5_000;

        public static void main(String[] args) {
            Path dir = Path.of(args[0]);
            try (Store store =
                    Store.create(dir, "crash", new ClusterLayout(1, 2), StoreKeys.of(Fixtures.dek((byte) 5)))) {
                try (Transaction tx = store.begin()) {
                    tx.createTable(TableSpec.of("public", "t", COLS));
                    tx.commit();
                }
                for (int b = 0; ; b++) {
                    try (Transaction tx = store.begin()) {
                        tx.append("t", batch(b, ROWS));
                        tx.commit();
                    }
                    System.out.println("committed " + (b + 1));
                    System.out.flush();
                }
            }
        }
    }
}
