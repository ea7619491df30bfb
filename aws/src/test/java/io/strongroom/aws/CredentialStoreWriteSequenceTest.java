package io.strongroom.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.testkit.durable.DurableWriteRecorder;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the durable write sequence of the KMS credentials file: the first start's admin credential and every later
 * addition each write and fsync {@code credentials.json.tmp}, rename it over the file, then fsync the directory.
 */
class CredentialStoreWriteSequenceTest {
    @TempDir
    Path dir;

    @Test
    void firstStart_andAnAddition_eachReplaceTheFileDurably() {
        DurableWriteRecorder recorder = DurableWriteRecorder.under(dir);
        CredentialStore store = CredentialStore.open(dir, new SecureRandom(), recorder);
        store.add("111122223333", "user/alice");

        String[] replace = {
            "WRITE credentials.json.tmp",
            "SYNC_FILE credentials.json.tmp",
            "RENAME credentials.json",
            "SYNC_DIRECTORY ."
        };
        assertThat(recorder.durableWrites()).containsExactly(concat(replace, replace));
        assertThat(CredentialStore.open(dir, new SecureRandom()).all()).hasSize(2);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
