package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.RawKeyAccess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key material appears in no file, log line, exception message or toString. */
class SecretsTest {
    @TempDir
    Path dir;

    @Test
    void databaseKey_neverAppearsOnDisk_inMessages_orInToString() throws Exception {
        DatabaseKey dek = Fixtures.dek((byte) 77);
        byte[] material = dek.copyRawMaterial(RawKeyAccess.insecure());
        List<String> forms = List.of(
                HexFormat.of().formatHex(material),
                Base64.getEncoder().encodeToString(material),
                new String(material, StandardCharsets.ISO_8859_1));
        StringBuilder text = new StringBuilder();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            StoreKeys keys = StoreKeys.of(dek);
            try (Store store = Store.create(dir, "secret", new ClusterLayout(1, 2), keys)) {
                try (Transaction tx = store.begin()) {
                    tx.createTable(TableSpec.of("public", "t", Fixtures.allTypes()));
                    tx.append("t", Fixtures.allTypesBatch(0, 3000));
                    tx.commit();
                }
                text.append(store).append(keys).append(dek);
                try (Snapshot s = store.snapshot()) {
                    s.table("t").blocks().forEach(text::append);
                }
            }
            // Damage a block and collect the error message and its causes.
            try (Stream<Path> s = Files.walk(dir)) {
                Path blk =
                        s.filter(p -> p.toString().endsWith(".blk")).findFirst().orElseThrow();
                byte[] b = Files.readAllBytes(blk);
                b[b.length - 3] ^= 1;
                Files.write(blk, b);
            }
            try (Store store = Store.open(dir, keys);
                    Snapshot s = store.snapshot()) {
                Fixtures.countAndChecksum(s.table("t"));
            } catch (StrongroomException e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    text.append(t).append(t.getMessage());
                }
            }
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        text.append(captured.toString(StandardCharsets.UTF_8));
        for (String f : forms) {
            assertThat(text.toString()).doesNotContain(f);
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(p);
                assertThat(indexOf(bytes, material)).as("key material in " + p).isEqualTo(-1);
            }
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
}
