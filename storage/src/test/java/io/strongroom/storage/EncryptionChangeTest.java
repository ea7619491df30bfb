package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.testkit.seed.Seeds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncryptionChangeTest {
    private static final String CANARY = "CANARY-plaintext-7f3a91";

    @TempDir
    Path tmp;

    /** An unencrypted store with table t (every type) in {@code batches} commits, and a canary in table c. */
    private static Store plainStore(Path dir, int batches) {
        Store s = Store.create(dir, "enc-store", new ClusterLayout(2, 2), StoreKeys.unencrypted());
        try (Transaction tx = s.begin()) {
            tx.createTable(TableSpec.of("public", "t", Fixtures.allTypes()));
            tx.createTable(TableSpec.of("public", "c", List.of(new Column(0, "s", ColumnType.varchar(100)))));
            RowBatch b = RowBatch.builder(List.of(new Column(0, "s", ColumnType.varchar(100))), 1);
            b.addRow(new Object[] {CANARY});
            tx.append("c", b);
            tx.commit();
        }
        for (int i = 0; i < batches; i++) {
            try (Transaction tx = s.begin()) {
                tx.append("t", Fixtures.allTypesBatch(i * 100L, 100));
                tx.commit();
            }
        }
        return s;
    }

    private static String checksum(Store s) {
        try (Snapshot snap = s.snapshot()) {
            return Fixtures.countAndChecksum(snap.table("t")) + "/" + Fixtures.countAndChecksum(snap.table("c"));
        }
    }

    private static void append(Store s, long from) {
        try (Transaction tx = s.begin()) {
            tx.append("t", Fixtures.allTypesBatch(from, 100));
            tx.commit();
        }
    }

    /** Files under {@code dir} that contain {@code needle}. */
    private static List<Path> filesContaining(Path dir, String needle) throws IOException {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> {
                        try {
                            return indexOf(Files.readAllBytes(p), n) >= 0;
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .toList();
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void encryptThenDecrypt_inPlace_keepsEveryRow_andLeavesNoPlaintextBehind() throws IOException {
        Path dir = tmp.resolve("s");
        String before;
        try (Store s = plainStore(dir, 12)) {
            assertThat(filesContaining(dir, CANARY)).isNotEmpty();
            before = checksum(s);
            s.beginEncryption(Fixtures.dek((byte) 1));
            assertThat(s.encrypted()).isTrue();
            // Reads see the mix; writes are encrypted at once.
            assertThat(checksum(s)).isEqualTo(before);
            assertThat(s.toReseal(true).blocks()).isGreaterThan(0);
            long clearBefore = s.toReseal(true).blocks();
            append(s, 10_000);
            assertThat(s.toReseal(true).blocks()).isEqualTo(clearBefore);
            AtomicInteger calls = new AtomicInteger();
            long n = s.resealBlocks(true, (done, total, blocks) -> calls.incrementAndGet(), () -> {});
            assertThat(n).isEqualTo(clearBefore);
            assertThat(calls.get()).isGreaterThan(1);
            assertThat(s.toReseal(true).blocks()).isZero();
            try (Snapshot snap = s.snapshot()) {
                assertThat(snap.table("t").blocks()).allMatch(b -> b.encrypted());
            }
        }
        assertThat(filesContaining(dir, CANARY)).isEmpty();
        String encrypted;
        try (Store s = Store.open(dir, StoreKeys.of(Fixtures.dek((byte) 1)))) {
            encrypted = checksum(s);
            assertThat(encrypted).isNotEqualTo(before); // one more batch
            s.beginDecryption();
            append(s, 20_000);
            AtomicBoolean released = new AtomicBoolean();
            s.resealBlocks(false, EncryptionChange.Listener.NONE, () -> {});
            try (Snapshot old = s.snapshot()) {
                s.finishDecryption(new KeyRotation.Listener() {
                    @Override
                    public void progress(long rewrapped, long total) {}

                    @Override
                    public void olderKeysReleased() {
                        released.set(true);
                    }
                });
                assertThat(released).isFalse(); // a reader from before still holds the keys
                assertThat(Fixtures.countAndChecksum(old.table("t"))).isNotEmpty();
            }
            assertThat(released).isTrue();
            assertThat(s.encrypted()).isFalse();
            append(s, 30_000);
            encrypted = checksum(s);
        }
        assertThat(Store.committedKeyVersion(dir)).isZero();
        try (Store s = Store.open(dir, StoreKeys.unencrypted())) {
            assertThat(checksum(s)).isEqualTo(encrypted);
            assertThat(s.toReseal(false).blocks()).isZero();
        }
        assertThat(filesContaining(dir, CANARY)).isNotEmpty();
    }

    @Test
    void commitsDuringThePass_areKept_andATruncateBegunBeforeARe_sealRetries() {
        try (Store s = plainStore(tmp.resolve("s"), 6)) {
            s.beginEncryption(Fixtures.dek((byte) 2));
            Transaction deleter = s.begin();
            Transaction truncater = s.begin();
            deleter.delete(
                    "t",
                    (batch, row) ->
                            ((Number) Objects.requireNonNull(batch.column(0).get(row))).longValue() % 2 == 0);
            truncater.truncate("t");
            s.resealBlocks(true, EncryptionChange.Listener.NONE, () -> {});
            deleter.commit();
            append(s, 50_000);
            assertThatThrownBy(truncater::commit)
                    .isInstanceOf(StrongroomException.class)
                    .satisfies(e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.CONFLICT));
            truncater.close();
            try (Snapshot snap = s.snapshot()) {
                assertThat(snap.table("t").rowCount()).isEqualTo(600 - 300 + 100);
            }
            assertThat(s.toReseal(true).blocks()).isZero();
        }
    }

    /** A transaction that began after a switch is not in conflict with the switch (it was, through a rewrite chain). */
    @Test
    void aTransactionBegunAfterTheSwitch_commitsAfterAnotherTablesCommit() {
        try (Store s = plainStore(tmp.resolve("s"), 2)) {
            s.beginEncryption(Fixtures.dek((byte) 6));
            Transaction later = s.begin();
            later.append("t", Fixtures.allTypesBatch(70_000, 5));
            try (Transaction other = s.begin()) {
                RowBatch b = RowBatch.builder(List.of(new Column(0, "s", ColumnType.varchar(100))), 1);
                b.addRow(new Object[] {"x"});
                other.append("c", b);
                other.commit();
            }
            later.commit();
            later.close();
            try (Snapshot snap = s.snapshot()) {
                assertThat(snap.table("t").rowCount()).isEqualTo(205);
            }
        }
    }

    @Test
    void aTransactionBegunBeforeEncryption_commitsItsClearBlocks_andTheNextPassSealsThem() {
        try (Store s = plainStore(tmp.resolve("s"), 2)) {
            Transaction early = s.begin();
            early.append("t", Fixtures.allTypesBatch(90_000, 50)); // written in the clear
            s.beginEncryption(Fixtures.dek((byte) 3));
            s.resealBlocks(true, EncryptionChange.Listener.NONE, () -> {});
            early.commit();
            assertThat(s.toReseal(true).blocks()).isGreaterThan(0);
            s.resealBlocks(true, EncryptionChange.Listener.NONE, () -> {});
            assertThat(s.toReseal(true).blocks()).isZero();
        }
    }

    @Test
    void rotationIsRefusedWhileBlocksAreInTheClear() {
        try (Store s = plainStore(tmp.resolve("s"), 2)) {
            s.beginEncryption(Fixtures.dek((byte) 4));
            assertThatThrownBy(() -> s.rotateDatabaseKey(KeyRotationTest.dek(2, (byte) 4), KeyRotation.Listener.NONE))
                    .hasMessageContaining("changing its encryption");
        }
    }

    /** A crash at every durable step of an encryption and of a decryption: reopening and going on ends whole. */
    @Test
    void crashAtEveryStep_resumesAndEndsWithEveryRow() throws IOException {
        long seed = Seeds.of("EncryptionChangeTest");
        Random random = new Random(seed);
        String expected;
        Path model = tmp.resolve("model");
        try (Store s = plainStore(model, 5)) {
            expected = checksum(s);
        }
        int[] steps = {0};
        runChange(tmp.resolve("count"), (step, file) -> steps[0]++);
        assertThat(steps[0]).isGreaterThan(20);
        // Every step would take minutes (each run fsyncs a whole store); a seeded sample of 16 covers them over
        // runs, the first and the last always.
        TreeSet<Integer> points = new TreeSet<>(List.of(0, steps[0] - 1));
        while (points.size() < Math.min(16, steps[0])) {
            points.add(random.nextInt(steps[0]));
        }
        for (int k : points) {
            Path dir = tmp.resolve("crash-" + k);
            int target = k;
            CommitStep[] at = {null};
            boolean tear = random.nextBoolean();
            try {
                runChange(dir, Fixtures.crashAtStep(target, tear, at));
                throw new AssertionError("no crash at fault point " + k);
            } catch (CrashTest.SimulatedCrash expectedCrash) {
                // the process "died" here
            }
            String what = "seed " + seed + ", fault point " + k + " (" + at[0] + ", torn " + tear + ")";
            // Restart: open as the disk says, then finish whichever change was under way.
            boolean keyed = Store.committedKeyVersion(dir) > 0;
            try (Store s = Store.open(dir, keyed ? StoreKeys.of(Fixtures.dek((byte) 5)) : StoreKeys.unencrypted())) {
                assertThat(checksum(s)).as(what).isEqualTo(expected);
                if (keyed) {
                    s.resealBlocks(true, EncryptionChange.Listener.NONE, () -> {});
                    assertThat(s.toReseal(true).blocks()).as(what).isZero();
                    assertThat(checksum(s)).as(what).isEqualTo(expected);
                    s.beginDecryption();
                    s.resealBlocks(false, EncryptionChange.Listener.NONE, () -> {});
                    s.finishDecryption(KeyRotation.Listener.NONE);
                }
                assertThat(checksum(s)).as(what).isEqualTo(expected);
            }
            try (Store s = Store.open(dir, StoreKeys.unencrypted())) {
                assertThat(checksum(s)).as(what).isEqualTo(expected);
                assertThat(s.toReseal(false).blocks()).as(what).isZero();
            }
        }
    }

    /** Encrypts a fresh store (5 batches) and decrypts it again, with {@code faults} told of every step. */
    private static void runChange(Path dir, BiConsumer<CommitStep, @Nullable Path> faults) {
        try (Store made = plainStore(dir, 5)) {
            // built without faults
        }
        try (Store s = Store.open(dir, StoreKeys.unencrypted(), Fixtures.commitSteps(faults))) {
            s.beginEncryption(Fixtures.dek((byte) 5));
            s.resealBlocks(true, EncryptionChange.Listener.NONE, () -> {});
        }
        try (Store s = Store.open(dir, StoreKeys.of(Fixtures.dek((byte) 5)), Fixtures.commitSteps(faults))) {
            s.beginDecryption();
            s.resealBlocks(false, EncryptionChange.Listener.NONE, () -> {});
            s.finishDecryption(KeyRotation.Listener.NONE);
        }
    }
}
