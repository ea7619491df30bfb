package io.strongroom.control.keyvault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.testkit.durable.DurableWriteRecorder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the durable write sequence of every control-plane file (vault entries, job records, cluster state): write
 * and fsync {@code <name>.tmp}, rename it over the file, fsync the directory; a delete removes the file and fsyncs
 * the directory.
 */
class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void write_thenDelete_takeTheDurableStepsInOrder() throws IOException {
        Path file = dir.resolve("vault").resolve("entry.json");
        DurableWriteRecorder recorder = DurableWriteRecorder.under(dir);

        AtomicFile.write(file, "one".getBytes(StandardCharsets.UTF_8), recorder);
        AtomicFile.write(file, "two".getBytes(StandardCharsets.UTF_8), recorder);
        AtomicFile.delete(file, recorder);

        assertThat(recorder.durableWrites())
                .containsExactly(
                        "WRITE vault/entry.json.tmp",
                        "SYNC_FILE vault/entry.json.tmp",
                        "RENAME vault/entry.json",
                        "SYNC_DIRECTORY vault",
                        "WRITE vault/entry.json.tmp",
                        "SYNC_FILE vault/entry.json.tmp",
                        "RENAME vault/entry.json",
                        "SYNC_DIRECTORY vault",
                        "DELETE vault/entry.json",
                        "SYNC_DIRECTORY vault");
        assertThat(file).doesNotExist();
    }

    @Test
    void aFaultBeforeTheRename_keepsTheOldContent_andIsAnIoError() throws IOException {
        Path file = dir.resolve("entry.json");
        AtomicFile.write(file, "old".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> AtomicFile.write(
                        file,
                        "new".getBytes(StandardCharsets.UTF_8),
                        DurableWriteRecorder.under(dir).then((point, f) -> {
                            if (point == DurableFile.Step.RENAME) {
                                throw new IOException("injected at rename");
                            }
                        })))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR))
                .hasMessageContaining("injected at rename");
        assertThat(Files.readString(file)).isEqualTo("old");
    }
}
