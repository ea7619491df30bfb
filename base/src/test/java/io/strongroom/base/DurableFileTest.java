package io.strongroom.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.DurableFile.Step;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFileTest {
    @TempDir
    Path tmp;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void replace_writesOwnerOnly_inTheDocumentedOrder_andLeavesNoTemporaryFile() throws IOException {
        Path target = tmp.resolve("sub/state.json");
        List<String> seen = new ArrayList<>();
        DurableFile.replace(
                target,
                bytes("one"),
                (step, file) -> seen.add(step + " " + tmp.relativize(Objects.requireNonNull(file))));
        DurableFile.replace(
                target,
                bytes("two"),
                (step, file) -> seen.add(step + " " + tmp.relativize(Objects.requireNonNull(file))));

        assertThat(Files.readString(target)).isEqualTo("two");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");
        assertThat(tmp.resolve("sub/state.json.tmp")).doesNotExist();
        assertThat(seen.subList(0, 4))
                .containsExactly(
                        "WRITE sub/state.json.tmp",
                        "SYNC_FILE sub/state.json.tmp",
                        "RENAME sub/state.json",
                        "SYNC_DIRECTORY sub");
    }

    @Test
    void aFaultBeforeTheRename_leavesTheOldContent() throws IOException {
        Path target = tmp.resolve("state");
        DurableFile.replace(target, bytes("old"));
        for (Step at : List.of(Step.WRITE, Step.SYNC_FILE, Step.RENAME)) {
            assertThatThrownBy(() -> DurableFile.replace(target, bytes("new"), (step, file) -> {
                        if (step == at) {
                            throw new IOException("injected at " + step);
                        }
                    }))
                    .hasMessage("injected at " + at);
            assertThat(Files.readString(target)).as("fault at %s", at).isEqualTo("old");
        }
        DurableFile.replace(target, bytes("new"));
        assertThat(Files.readString(target)).isEqualTo("new");
    }

    @Test
    void aFailedDirectorySync_isReportedAfterTheRename_asNotYetDurable() throws IOException {
        Path target = tmp.resolve("state");
        assertThatThrownBy(() -> DurableFile.replace(target, bytes("new"), (step, file) -> {
                    if (step == Step.SYNC_DIRECTORY) {
                        throw new IOException("disk gone");
                    }
                }))
                .isInstanceOf(DurableFile.DirectorySyncFailed.class)
                .hasMessageContaining("cannot fsync directory")
                .hasMessageContaining("disk gone");
        assertThat(Files.readString(target)).isEqualTo("new");
    }

    @Test
    void writeNew_refusesAnExistingFile_andRemovesWhatAFailedWriteLeft() throws IOException {
        Path file = tmp.resolve("block");
        DurableFile.writeNew(file, bytes("data"));
        assertThatThrownBy(() -> DurableFile.writeNew(file, bytes("other")))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(file)).isEqualTo("data");

        Path half = tmp.resolve("half");
        assertThatThrownBy(() -> DurableFile.writeNew(half, bytes("0123456789"), 10, 4, (step, f) -> {
                    if (step == Step.SYNC_FILE) {
                        throw new IOException("no space left");
                    }
                }))
                .hasMessage("no space left");
        assertThat(half).doesNotExist();
    }

    @Test
    void writeNew_inSlices_writesEveryByte() throws IOException {
        byte[] data = new byte[10_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        Path file = tmp.resolve("big");
        DurableFile.writeNew(file, data, 9_999, 1_000, FaultHook.NONE);
        byte[] read = Files.readAllBytes(file);
        assertThat(read).hasSize(9_999);
        assertThat(read[9_998]).isEqualTo(data[9_998]);
    }

    @Test
    void emptyContent_isAFile() throws IOException {
        Path target = tmp.resolve("empty");
        DurableFile.replace(target, new byte[0]);
        DurableFile.writeNew(tmp.resolve("empty-new"), new byte[0]);
        assertThat(Files.size(target)).isZero();
        assertThat(Files.size(tmp.resolve("empty-new"))).isZero();
    }

    @Test
    void delete_removesAndSyncs_andAMissingFileIsNotAnError() throws IOException {
        Path file = tmp.resolve("gone");
        DurableFile.replace(file, bytes("x"));
        List<String> seen = new ArrayList<>();
        FaultHook record = (point, f) -> seen.add(point.name() + " " + tmp.relativize(Objects.requireNonNull(f)));
        assertThat(DurableFile.delete(file, record)).isTrue();
        assertThat(DurableFile.delete(file, record)).isFalse();
        assertThat(file).doesNotExist();
        assertThat(seen).containsExactly("DELETE gone", "SYNC_DIRECTORY ", "DELETE gone");
    }

    @Test
    void aFaultAtDelete_leavesTheFile() throws IOException {
        Path file = tmp.resolve("kept");
        DurableFile.replace(file, bytes("x"));
        assertThatThrownBy(() -> DurableFile.delete(file, (point, f) -> {
                    if (point == Step.DELETE) {
                        throw new IOException("injected at delete");
                    }
                }))
                .hasMessage("injected at delete");
        assertThat(file).exists();
    }
}
