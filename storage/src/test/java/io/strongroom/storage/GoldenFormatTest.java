package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stores written by format version 1, kept as test resources ({@code golden/v1/...}), must open and read the
 * same rows with every later build. Regenerate only for a new format version, into a new folder:
 * {@code mvn -pl storage test -Dtest=GoldenFormatTest -Dstrongroom.golden.write=<absolute dir>}.
 */
class GoldenFormatTest {
    @TempDir
    Path tmp;

    private static final String[] FILES_LIST = {"files.properties"};

    private static StoreKeys keys(boolean encrypted) {
        return encrypted ? StoreKeys.of(Fixtures.dek((byte) 11)) : StoreKeys.unencrypted();
    }

    private static void write(Path root, boolean encrypted) {
        try (Store store = Store.create(root, "golden", new ClusterLayout(1, 2), keys(encrypted))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(
                        TableSpec.of("public", "all_types", Fixtures.allTypes()).withSortKey(List.of("id")));
                tx.append("all_types", Fixtures.allTypesBatch(0, 500));
                tx.commit();
            }
            try (Transaction tx = store.begin()) {
                tx.delete("all_types", (b, r) -> b.column(0).getLong(r) % 7 == 3);
                tx.commit();
            }
        }
    }

    @Test
    void writeGoldenFiles_whenAsked() throws IOException {
        String target = System.getProperty("strongroom.golden.write");
        if (target == null) {
            return;
        }
        for (boolean enc : new boolean[] {true, false}) {
            Path root = Path.of(target, enc ? "encrypted" : "unencrypted");
            write(root, enc);
            Files.deleteIfExists(root.resolve("LOCK"));
            Properties p = new Properties();
            try (var s = Files.walk(root)) {
                s.filter(Files::isRegularFile)
                        .forEach(f -> p.setProperty(root.relativize(f).toString(), ""));
            }
            try (var out = Files.newOutputStream(root.resolve(FILES_LIST[0]))) {
                p.store(out, "files of this golden store");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void version1Store_opensAndReadsTheSameRows(boolean encrypted) throws IOException {
        String base = "/golden/v1/" + (encrypted ? "encrypted" : "unencrypted") + "/";
        Properties list = new Properties();
        try (InputStream in =
                Objects.requireNonNull(getClass().getResourceAsStream(base + FILES_LIST[0]), "golden files missing")) {
            list.load(in);
        }
        Path root = tmp.resolve("golden");
        for (String name : list.stringPropertyNames()) {
            Path dst = root.resolve(name);
            Files.createDirectories(Objects.requireNonNull(dst.getParent()));
            try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream(base + name), name)) {
                Files.copy(in, dst);
            }
        }
        try (Store store = Store.open(root, keys(encrypted));
                Snapshot s = store.snapshot()) {
            List<Object[]> rows = Fixtures.readAll(s.table("all_types"));
            List<Object[]> expected = new java.util.ArrayList<>();
            for (long id = 0; id < 500; id++) {
                if (id % 7 != 3) {
                    expected.add(Fixtures.allTypesRow(id));
                }
            }
            assertThat(rows).hasSameSizeAs(expected);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i)).containsExactly(expected.get(i));
            }
            assertThat(s.table("all_types").spec().sortKey()).containsExactly("id");
        }
        byte[] header = Files.readAllBytes(root.resolve("CURRENT"));
        assertThat(new String(header, 0, 4, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("SRCP");
        assertThat(header[4] * 256 + header[5]).isEqualTo(1);
    }
}
