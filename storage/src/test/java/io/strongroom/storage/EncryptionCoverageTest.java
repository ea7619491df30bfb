package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.DatabaseKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coverage read from the block files against a store with a known mix: an encryption change stopped part-way
 * (some tables sealed under DEK v1, the rest still in the clear), the same store after the pass and a rotation to
 * v2 (every block under v2), and a block file whose header says something other than its manifest.
 */
class EncryptionCoverageTest {
    @TempDir
    Path dir;

    private static final List<Column> COLS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "s", ColumnType.varchar(20)));

    /** Blocks per table, state and key version: "t/encrypted/1" -> blocks. */
    private static Map<String, Long> census(Store s) {
        Map<String, Long> out = new TreeMap<>();
        try (Snapshot snap = s.snapshot()) {
            for (TableSpec spec : snap.tables()) {
                for (EncryptionCoverage.Block b :
                        snap.table(spec.qualifiedName()).coverage()) {
                    out.merge(spec.name() + "/" + b.state() + "/" + b.manifestKeyVersion(), 1L, Long::sum);
                }
            }
        }
        return out;
    }

    private static long blocks(Map<String, Long> census, String table, String state) {
        return census.entrySet().stream()
                .filter(e -> e.getKey().startsWith(table + "/" + state + "/"))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    @Test
    void aHalfFinishedEncryption_thenARotation_thenATamperedFile_areEachCountedAsTheyAre() throws Exception {
        try (Store s = Store.create(dir, "mix", new ClusterLayout(1, 2), StoreKeys.unencrypted())) {
            for (String t : List.of("a", "b", "c")) {
                try (Transaction tx = s.begin()) {
                    tx.createTable(TableSpec.of("public", t, COLS));
                    tx.commit();
                }
                // Many small commits: many blocks, so the pass commits in several chunks.
                for (int i = 0; i < 80; i++) {
                    try (Transaction tx = s.begin()) {
                        RowBatch b = RowBatch.builder(COLS, 3);
                        for (int r = 0; r < 3; r++) {
                            b.addRow((long) (i * 3 + r), t + i);
                        }
                        tx.append("public." + t, b);
                        tx.commit();
                    }
                }
            }
            Map<String, Long> before = census(s);
            long all = before.values().stream().mapToLong(Long::longValue).sum();
            assertThat(before.keySet()).allMatch(k -> k.endsWith("/unencrypted/0"));

            // The encryption change, stopped after its first commit.
            DatabaseKey v1 = Fixtures.dek((byte) 7);
            s.beginEncryption(v1);
            AtomicInteger commits = new AtomicInteger();
            assertThatThrownBy(() -> s.resealBlocks(true, EncryptionChange.Listener.NONE, () -> {
                        if (commits.incrementAndGet() > 1) {
                            throw new IllegalStateException("stopped part-way");
                        }
                    }))
                    .hasMessageContaining("stopped part-way");
            Map<String, Long> half = census(s);
            long encrypted = half.entrySet().stream()
                    .filter(e -> e.getKey().contains("/encrypted/1"))
                    .mapToLong(Map.Entry::getValue)
                    .sum();
            long clear = half.entrySet().stream()
                    .filter(e -> e.getKey().contains("/unencrypted/0"))
                    .mapToLong(Map.Entry::getValue)
                    .sum();
            assertThat(encrypted).as("some blocks sealed: %s", half).isPositive();
            assertThat(clear).as("some blocks still in the clear: %s", half).isPositive();
            assertThat(encrypted + clear).isEqualTo(all);
            assertThat(half.keySet()).noneMatch(k -> k.contains("mismatch"));
            // What the store itself counts as left agrees with what the files say.
            assertThat(s.toReseal(true).blocks()).isEqualTo(clear);

            // The pass finished, then a rotation: every block under v2, none in the clear.
            s.resealBlocks(true, EncryptionChange.Listener.NONE, () -> {});
            DatabaseKey v2 = KeyRotationTest.dek(2, (byte) 8);
            s.rotateDatabaseKey(v2, KeyRotation.Listener.NONE);
            Map<String, Long> rotated = census(s);
            assertThat(rotated.keySet()).allMatch(k -> k.endsWith("/encrypted/2"));
            assertThat(rotated.values().stream().mapToLong(Long::longValue).sum())
                    .isEqualTo(all);
            assertThat(blocks(rotated, "b", "encrypted")).isEqualTo(blocks(before, "b", "unencrypted"));

            // A block file whose header says "in the clear" under a manifest that says v2: a mismatch, named.
            Path block;
            try (Stream<Path> files = Files.walk(dir.resolve("tables"))) {
                block = files.filter(p -> p.toString().endsWith(".blk"))
                        .sorted()
                        .findFirst()
                        .orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(block);
            bytes[20 + 1] = 0; // the envelope's algorithm byte, after the 20-byte file header
            Files.write(block, bytes);
            Map<String, Long> tampered = census(s);
            assertThat(tampered.keySet()).anyMatch(k -> k.contains("/mismatch/2"));
            try (Snapshot snap = s.snapshot()) {
                assertThat(snap.tables().stream()
                                .flatMap(spec -> snap.table(spec.qualifiedName()).coverage().stream())
                                .filter(b -> b.problem() != null)
                                .toList())
                        .singleElement()
                        .satisfies(b -> assertThat(b.problem()).contains("clear"));
            }
        }
    }
}
