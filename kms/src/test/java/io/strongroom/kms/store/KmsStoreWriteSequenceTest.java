package io.strongroom.kms.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.testkit.durable.DurableWriteRecorder;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the durable write sequence of the KMS store (every key, alias and grant lives in {@code kms-store.bin}):
 * a save writes and fsyncs {@code kms-store.bin.tmp}, renames it over the store, then fsyncs the directory, so a
 * crash leaves the previous store or the new one whole and a saved change survives power loss.
 */
class KmsStoreWriteSequenceTest {
    @TempDir
    Path dir;

    @Test
    void save_writesTheTemporaryFile_fsyncsIt_renamesIt_thenFsyncsTheDirectory() {
        DurableWriteRecorder recorder = DurableWriteRecorder.under(dir);
        try (KmsStore store = KmsStore.open(dir, new SecureRandom(), recorder, KmsStore.MAX_STORE_BYTES)) {
            recorder.clear();
            store.save(StateDocument.write(List.of(), List.of()));
            store.load();
        }

        assertThat(recorder.points())
                .containsExactly(
                        "WRITE kms-store.bin.tmp",
                        "SYNC_FILE kms-store.bin.tmp",
                        "RENAME kms-store.bin",
                        "SYNC_DIRECTORY .",
                        "LOAD kms-store.bin");
    }
}
