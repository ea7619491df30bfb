package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final AssociatedData here =
            AssociatedData.of("test/v1").with("table", "t1").with("block", 7).build();
    private final AssociatedData elsewhere =
            AssociatedData.of("test/v1").with("table", "t1").with("block", 8).build();

    private static DatabaseKey dek(int version) {
        return DatabaseKey.generate(new KeyInfo(KeyTier.DATABASE, "db-1", version), RANDOM);
    }

    @Test
    void encrypt_thenDecrypt_returnsPlaintext() {
        try (DatabaseKey k = dek(1)) {
            byte[] plain = "hello, warehouse".getBytes(StandardCharsets.UTF_8);
            byte[] env = k.encrypt(here, plain, 0, plain.length);
            assertThat(env).hasSize(plain.length + Envelope.encryptedOverhead());
            assertThat(k.decrypt(here, env, 0, env.length)).isEqualTo(plain);
        }
    }

    @Test
    void decrypt_withWrongAssociatedData_isMisplaced() {
        try (DatabaseKey k = dek(1)) {
            byte[] env = k.encrypt(here, new byte[100], 0, 100);
            assertThatThrownBy(() -> k.decrypt(elsewhere, env, 0, env.length))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MISPLACED_CIPHERTEXT));
        }
    }

    @Test
    void decrypt_withWrongKey_isWrongKey_evenAtTheSameVersion() {
        try (DatabaseKey k = dek(1);
                DatabaseKey other = dek(1);
                DatabaseKey v2 = dek(2)) {
            byte[] env = k.encrypt(here, new byte[100], 0, 100);
            for (DatabaseKey wrong : new DatabaseKey[] {other, v2}) {
                assertThatThrownBy(() -> wrong.decrypt(here, env, 0, env.length))
                        .isInstanceOfSatisfying(
                                StrongroomException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_KEY));
            }
        }
    }

    @Test
    void decrypt_withAnyFlippedBit_fails_andPayloadFlipsAreIntegrityFailures() {
        try (DatabaseKey k = dek(3)) {
            byte[] env = k.encrypt(here, new byte[64], 0, 64);
            for (int i = 0; i < env.length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] bad = env.clone();
                    bad[i] ^= (byte) (1 << bit);
                    final int pos = i;
                    assertThatThrownBy(() -> k.decrypt(here, bad, 0, bad.length))
                            .as("flip at byte %d bit %d", i, bit)
                            .isInstanceOfSatisfying(StrongroomException.class, e -> {
                                if (pos >= Envelope.HEADER_BYTES || pos >= 32) {
                                    assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE);
                                }
                            });
                }
            }
        }
    }

    @Test
    void decrypt_ofUnknownFormatVersion_isUnsupportedFormat_andTruncationIsIntegrity() {
        try (DatabaseKey k = dek(1)) {
            byte[] env = k.encrypt(here, new byte[10], 0, 10);
            byte[] future = env.clone();
            future[0] = 2;
            assertThatThrownBy(() -> k.decrypt(here, future, 0, future.length))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_FORMAT));
            for (int len : new int[] {0, 10, Envelope.HEADER_BYTES, env.length - 1}) {
                assertThatThrownBy(() -> k.decrypt(here, env, 0, len))
                        .isInstanceOfSatisfying(
                                StrongroomException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
            }
        }
    }

    @Test
    void unencryptedEnvelope_detectsFlipsAndMisplacement() {
        byte[] plain = "plain but checked".getBytes(StandardCharsets.UTF_8);
        byte[] env = Envelope.sealUnencrypted(here, plain, 0, plain.length);
        assertThat(Envelope.openUnencrypted(here, env, 0, env.length)).isEqualTo(plain);
        assertThatThrownBy(() -> Envelope.openUnencrypted(elsewhere, env, 0, env.length))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MISPLACED_CIPHERTEXT));
        for (int i = Envelope.HEADER_BYTES; i < env.length; i++) {
            byte[] bad = env.clone();
            bad[i] ^= 0x10;
            assertThatThrownBy(() -> Envelope.openUnencrypted(here, bad, 0, bad.length))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        }
        try (DatabaseKey k = dek(1)) {
            assertThatThrownBy(() -> k.decrypt(here, env, 0, env.length))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        }
    }

    @Test
    void associatedData_isUnambiguous() {
        AssociatedData a = AssociatedData.of("p").with("ab", "c").build();
        AssociatedData b = AssociatedData.of("p").with("a", "bc").build();
        assertThat(a.encoded()).isNotEqualTo(b.encoded());
        assertThat(EncryptionContext.of(Map.of("ab", "c")).toAssociatedData("k").encoded())
                .isNotEqualTo(EncryptionContext.of(Map.of("a", "bc"))
                        .toAssociatedData("k")
                        .encoded());
        assertThat(EncryptionContext.of(Map.of("x", "1", "y", "2")).toAssociatedData("k"))
                .isEqualTo(EncryptionContext.of(Map.of("y", "2", "x", "1")).toAssociatedData("k"));
    }
}
