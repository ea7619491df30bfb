package io.strongroom.kms.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KMS master key sealed by a passphrase (Argon2id): written sealed at first start, a clear one sealed in place,
 * opened only with the right passphrase, and the clear form only as development mode. A small Argon2 cost keeps the
 * test fast; the format records the cost, so the default (64 MiB, 3 passes) reads the same way.
 */
class MasterKeySealingTest {
    static final MasterKeyFile.Cost CHEAP = new MasterKeyFile.Cost(8 * 1024, 1, 1);

    @TempDir
    Path dir;

    private KmsStore open(char[] passphrase) {
        return KmsStore.open(dir, new SecureRandom(), FaultHook.NONE, KmsStore.MAX_STORE_BYTES, passphrase, CHEAP);
    }

    private byte[] masterFile() throws IOException {
        return Files.readAllBytes(dir.resolve(KmsStore.MASTER_FILE));
    }

    private static StrongroomException refused(Runnable r) {
        try {
            r.run();
        } catch (StrongroomException e) {
            return e;
        }
        throw new AssertionError("expected a refusal");
    }

    @Test
    void newMasterKey_isSealed_opensOnlyWithItsPassphrase() throws IOException {
        byte[] document;
        try (KmsStore s = open("correct horse battery staple".toCharArray())) {
            assertThat(s.masterSealed()).isTrue();
            s.save(StateDocument.write(List.of(), List.of()));
            document = s.load();
        }
        byte[] file = masterFile();
        assertThat(new String(file, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("SRKMSMK2");
        try (KmsStore s = open("correct horse battery staple".toCharArray())) {
            assertThat(s.load()).isEqualTo(document);
        }
        StrongroomException wrong = refused(() -> open("wrong horse".toCharArray()));
        assertThat(wrong.code()).isEqualTo(ErrorCode.ACCESS_DENIED);
        assertThat(wrong.getMessage()).contains("passphrase does not open");
        StrongroomException none = refused(() -> KmsStore.open(dir, new SecureRandom()));
        assertThat(none.code()).isEqualTo(ErrorCode.KEY_UNAVAILABLE);
        assertThat(none.getMessage()).contains("STRONGROOM_KMS_PASSPHRASE");
    }

    @Test
    void aClearMasterKey_isSealedInPlace_andTheStoreStillOpens() throws IOException {
        byte[] document;
        try (KmsStore s = KmsStore.open(dir, new SecureRandom())) {
            assertThat(s.masterSealed()).isFalse();
            document = s.load();
        }
        byte[] clear = masterFile();
        assertThat(new String(clear, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("SRKMSMK1");
        byte[] material = Arrays.copyOfRange(clear, 8, 40);
        try (KmsStore s = open("a passphrase".toCharArray())) {
            assertThat(s.masterSealed()).isTrue();
            assertThat(s.load()).isEqualTo(document);
        }
        byte[] sealed = masterFile();
        assertThat(new String(sealed, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("SRKMSMK2");
        for (int i = 0; i + material.length <= sealed.length; i++) {
            assertThat(Arrays.equals(sealed, i, i + material.length, material, 0, material.length))
                    .as("the master key in the clear at offset %d", i)
                    .isFalse();
        }
        assertThat(refused(() -> KmsStore.open(dir, new SecureRandom())).code()).isEqualTo(ErrorCode.KEY_UNAVAILABLE);
    }

    @Test
    void aChangedByte_inTheSealedFile_isRefused() throws IOException {
        open("pass".toCharArray()).close();
        byte[] file = masterFile();
        for (int i = 8; i < file.length; i++) {
            byte[] d = file.clone();
            d[i] ^= 0x04;
            Files.write(dir.resolve(KmsStore.MASTER_FILE), d);
            int at = i;
            assertThatThrownBy(() -> open("pass".toCharArray()).close())
                    .as("byte %d", at)
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isIn(ErrorCode.ACCESS_DENIED, ErrorCode.INTEGRITY_FAILURE));
        }
    }
}
