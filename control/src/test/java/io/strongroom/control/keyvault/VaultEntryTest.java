package io.strongroom.control.keyvault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.WrappedKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultEntryTest {
    static final String ROOT = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    /** A fixed entry: the golden file {@code keyvault/v1-entry.vault} is its encoding. */
    static VaultEntry sample() {
        byte[] cek = new byte[48];
        byte[] dek = new byte[60];
        for (int i = 0; i < cek.length; i++) {
            cek[i] = (byte) i;
        }
        for (int i = 0; i < dek.length; i++) {
            dek[i] = (byte) (255 - i);
        }
        return new VaultEntry(
                "c-0123456789abcdef0123",
                ROOT,
                "f00dfeed",
                EncryptionContext.of(Map.of(
                        "aws:redshift:arn", "arn:aws:redshift:us-east-1:111122223333:cluster:dw1",
                        "aws:redshift:createtime", "20250301T1159Z")),
                1,
                new WrappedKey(new KeyInfo(KeyTier.ROOT, ROOT, 0), cek),
                1,
                new WrappedKey(VaultEntry.cekInfo("c-0123456789abcdef0123", 1), dek),
                Instant.parse("2025-03-01T11:59:30Z"));
    }

    static byte[] golden() throws IOException {
        try (InputStream in = VaultEntryTest.class.getResourceAsStream("/keyvault/v1-entry.vault")) {
            assertThat(in).as("golden file keyvault/v1-entry.vault").isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void encode_matchesTheVersion1GoldenFile_andDecodesBack() throws IOException {
        assertThat(sample().encode()).isEqualTo(golden());
        assertThat(VaultEntry.decode(golden(), "golden")).isEqualTo(sample());
    }

    static final String INTERNAL = "arn:aws:kms:us-east-1:999988887777:key/0000aaaa-11bb-22cc-33dd-444455556666";
    static final String HSM_KEY = "6f1c1a56-3c1e-4c4e-9a59-2b7e5f0e4d11";

    /** A fixed HSM-protected entry: the golden file {@code keyvault/v1-hsm-entry.vault} is its encoding. */
    static VaultEntry hsmSample() {
        byte[] dek = new byte[120];
        for (int i = 0; i < dek.length; i++) {
            dek[i] = (byte) (7 * i);
        }
        return VaultEntry.hsm(
                "c-0123456789abcdef0123",
                INTERNAL,
                EncryptionContext.of(Map.of(
                        "aws:redshift:arn", "arn:aws:redshift:us-east-1:111122223333:cluster:dw-hsm",
                        "aws:redshift:createtime", "20261206T1200Z")),
                2,
                HSM_KEY,
                3,
                new WrappedKey(VaultEntry.cekInfo("c-0123456789abcdef0123", 2), dek),
                Instant.parse("2026-12-06T12:00:30Z"));
    }

    @Test
    void hsmEntry_matchesItsGoldenFile_andNamesTheCekOnlyByItsKmipIdentifier() throws IOException {
        byte[] golden;
        try (InputStream in = VaultEntryTest.class.getResourceAsStream("/keyvault/v1-hsm-entry.vault")) {
            assertThat(in).as("golden file keyvault/v1-hsm-entry.vault").isNotNull();
            golden = in.readAllBytes();
        }
        assertThat(hsmSample().encode()).isEqualTo(golden);
        VaultEntry e = VaultEntry.decode(golden, "golden");
        assertThat(e).isEqualTo(hsmSample());
        assertThat(e.hsmProtected()).isTrue();
        assertThat(e.protection()).isEqualTo(VaultEntry.PROTECTION_HSM);
        assertThat(e.hsmCekUid()).isEqualTo(HSM_KEY);
        assertThat(e.grantId()).isEmpty();
        assertThat(e.rootKeyArn()).isEqualTo(INTERNAL);
        assertThat(golden[6]).isEqualTo((byte) 2);
        assertThat(sample().hsmProtected()).isFalse();
        assertThatThrownBy(() -> sample().hsmCekUid()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void hsmEntryNamingAGrant_isDamaged() {
        VaultEntry h = hsmSample();
        byte[] bad = new VaultEntry(
                        h.clusterId(),
                        h.rootKeyArn(),
                        "grant-1",
                        h.context(),
                        h.cekVersion(),
                        h.wrappedCek(),
                        h.dekVersion(),
                        h.wrappedDek(),
                        h.createdAt(),
                        VaultEntry.PROTECTION_HSM)
                .encode();
        assertThatThrownBy(() -> VaultEntry.decode(bad, "f"))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessageContaining("names a KMS grant");
    }

    @Test
    void everyFlippedByte_isAnIntegrityFailureOrUnsupportedFormat_neverAnotherEntry() throws IOException {
        byte[] g = golden();
        for (int i = 0; i < g.length; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                byte[] d = g.clone();
                d[i] ^= (byte) (1 << bit);
                int at = i;
                assertThatThrownBy(() -> VaultEntry.decode(d, "f"))
                        .as("byte %d bit %d", at, bit)
                        .isInstanceOfSatisfying(
                                StrongroomException.class,
                                e -> assertThat(e.code())
                                        .isIn(ErrorCode.INTEGRITY_FAILURE, ErrorCode.UNSUPPORTED_FORMAT));
            }
        }
    }

    @Test
    void truncated_isAnIntegrityFailure_namingTheFile() throws IOException {
        byte[] g = golden();
        for (int n = 0; n < g.length; n += 7) {
            byte[] d = Arrays.copyOf(g, n);
            assertThatThrownBy(() -> VaultEntry.decode(d, "keyvault/x.vault"))
                    .isInstanceOfSatisfying(StrongroomException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE);
                        assertThat(e.getMessage()).contains("keyvault/x.vault");
                    });
        }
    }

    @Test
    void keyVault_roundTrips_andRefusesAnEntryMovedToAnotherCluster(@TempDir Path dir) throws IOException {
        KeyVault v = KeyVault.open(dir.resolve("vault"));
        v.put(sample());
        assertThat(v.get("c-0123456789abcdef0123")).contains(sample());
        assertThat(v.clusterIds()).containsExactly("c-0123456789abcdef0123");
        Files.copy(dir.resolve("vault/c-0123456789abcdef0123.vault"), dir.resolve("vault/c-other.vault"));
        assertThatThrownBy(() -> v.get("c-other"))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        v.delete("c-0123456789abcdef0123");
        assertThat(v.get("c-0123456789abcdef0123")).isEmpty();
        assertThat(Files.getPosixFilePermissions(dir.resolve("vault/c-other.vault")))
                .isNotNull();
    }

    @Test
    void toString_namesKeysButNoWrappedBytes() {
        assertThat(sample().toString()).contains(ROOT).contains("f00dfeed").doesNotContain("[B@");
    }
}
