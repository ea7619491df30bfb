package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: the store lives on a 16 MiB tmpfs mounted for the test (the tests run as root, as the test
 * command does). Writes fail with DISK_FULL (SQLSTATE 53100) and a message that names no server path, reads go on,
 * nothing is half-written, and once space is freed the same store commits again without being reopened.
 */
class DiskFullTest {
    @TempDir
    Path tmp;

    Path mount;

    @BeforeEach
    void mountSmallFileSystem() throws Exception {
        mount = Files.createDirectories(tmp.resolve("small"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as("mounting a 16 MiB tmpfs needs root (the test command runs as root): %s", out)
                .isZero();
    }

    @AfterEach
    void unmount() throws Exception {
        new ProcessBuilder("umount", mount.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }

    /** Fills the file system; returns the filler file. */
    private static Path fill(Path dir) throws IOException {
        Path filler = dir.resolve("filler");
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            assertThat(full.getMessage()).contains("No space left on device");
        }
        return filler;
    }

    private static long count(Store store) {
        try (Snapshot s = store.snapshot()) {
            return Fixtures.readAll(s.table("t")).size();
        }
    }

    @Test
    void fullDisk_refusesWritesWith53100_readsGoOn_andTheStoreRecoversOnceSpaceIsBack() throws IOException {
        Path dir = mount.resolve("store");
        try (Store store = Store.create(dir, "full", new ClusterLayout(1, 2), StoreKeys.of(Fixtures.dek((byte) 3)))) {
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "t", CrashTest.COLS));
                tx.append("t", CrashTest.batch(0, 2_000));
                tx.commit();
            }
            Path filler = fill(mount);

            // An append needs new blocks: refused, typed, no path in the message, nothing left behind.
            assertThatThrownBy(() -> {
                        try (Transaction tx = store.begin()) {
                            tx.append("t", CrashTest.batch(1, 50_000));
                            tx.commit();
                        }
                    })
                    .isInstanceOfSatisfying(StrongroomException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.DISK_FULL);
                        assertThat(e.code().sqlState()).isEqualTo("53100");
                        assertThat(e.getMessage())
                                .doesNotContain(mount.toString())
                                .contains("full");
                    });
            // A commit that writes only metadata (a new table) fails before its commit point and leaves the store
            // open (no fail-stop).
            assertThatThrownBy(() -> {
                        try (Transaction tx = store.begin()) {
                            tx.createTable(TableSpec.of("public", "u", CrashTest.COLS));
                            tx.commit();
                        }
                    })
                    .isInstanceOfSatisfying(
                            StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DISK_FULL));
            assertThat(store.diskFullSince()).isNotNull();
            assertThat(count(store)).isEqualTo(2_000);
            assertThat(store.probeWritable(1 << 20)).isFalse();

            // Space is back: no reopen, the same store commits again.
            Files.delete(filler);
            assertThat(store.probeWritable(1 << 20)).isTrue();
            assertThat(store.diskFullSince()).isNull();
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "u", CrashTest.COLS));
                tx.append("t", CrashTest.batch(1, 3_000));
                tx.commit();
            }
            assertThat(count(store)).isEqualTo(5_000);
        }
        // Reopened: the committed version whole, and no file of the failed attempts left.
        try (Store store = Store.open(dir, StoreKeys.of(Fixtures.dek((byte) 3)))) {
            assertThat(count(store)).isEqualTo(5_000);
            try (Stream<Path> files = Files.walk(dir)) {
                assertThat(files.filter(p -> p.toString().endsWith(".tmp"))).isEmpty();
            }
        }
    }
}
