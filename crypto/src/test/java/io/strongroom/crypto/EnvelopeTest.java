package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
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

    @Test
    void template_encodesExactlyAsTheBuilder_andShowsItsFields() {
        AssociatedData.Template t = AssociatedData.of("test/block-key/v1")
                .with("store", "s1")
                .with("table", 7)
                .template("block", "version");
        for (long[] v : new long[][] {{0, 0}, {1, 2}, {-1, Long.MAX_VALUE}, {Long.MIN_VALUE, 123_456_789_012L}}) {
            AssociatedData built = AssociatedData.of("test/block-key/v1")
                    .with("store", "s1")
                    .with("table", 7)
                    .with("block", v[0])
                    .with("version", v[1])
                    .build();
            AssociatedData made = t.with(v[0], v[1]);
            assertThat(made.encoded()).isEqualTo(built.encoded());
            assertThat(made).isEqualTo(built).hasSameHashCodeAs(built);
            assertThat(made).hasToString(built.toString());
        }
        // Each one is its own: filling one in does not change another.
        AssociatedData a = t.with(1, 1);
        AssociatedData b = t.with(2, 1);
        assertThat(a.encoded()).isNotEqualTo(b.encoded());
        assertThat(a).isEqualTo(t.with(1, 1));
        assertThatThrownBy(() -> t.with(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AssociatedData.of("p").template()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AssociatedData.of("p").template("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rewrapBlockKey_givesWhatUnwrapThenWrapGives_andFailsAsUnwrapDoes() {
        AssociatedData fromAd = AssociatedData.of("test/block-key/v1")
                .with("block", 7)
                .with("v", 1)
                .build();
        AssociatedData toAd = AssociatedData.of("test/block-key/v1")
                .with("block", 7)
                .with("v", 2)
                .build();
        try (DatabaseKey v1 = dek(1);
                DatabaseKey v2 = dek(2);
                BlockKey bk = BlockKey.generate(RANDOM)) {
            byte[] data = "one block".getBytes(StandardCharsets.UTF_8);
            byte[] block = bk.encrypt(here, data, 0, data.length);
            byte[] wrapped = v1.wrap(bk, fromAd);
            byte[] rewrapped = v2.rewrapBlockKey(v1, wrapped, fromAd, toAd);
            assertThat(Envelope.keyVersionOf(rewrapped, 0, rewrapped.length)).isEqualTo(2);
            assertThat(rewrapped).hasSameSizeAs(wrapped);
            try (BlockKey back = v2.unwrapBlockKey(rewrapped, toAd)) {
                assertThat(back.decrypt(here, block, 0, block.length)).isEqualTo(data);
            }
            // Bound to its new place and key as any wrap is.
            assertThatThrownBy(() -> v2.unwrapBlockKey(rewrapped, fromAd))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MISPLACED_CIPHERTEXT));
            assertThatThrownBy(() -> v1.unwrapBlockKey(rewrapped, toAd))
                    .isInstanceOfSatisfying(
                            StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_KEY));
            // The source is checked as unwrapBlockKey checks it.
            assertThatThrownBy(() -> v2.rewrapBlockKey(v1, wrapped, toAd, toAd))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MISPLACED_CIPHERTEXT));
            assertThatThrownBy(() -> v1.rewrapBlockKey(v2, wrapped, fromAd, toAd))
                    .isInstanceOfSatisfying(
                            StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_KEY));
            byte[] flipped = wrapped.clone();
            flipped[Envelope.HEADER_BYTES + 3] ^= 1;
            assertThatThrownBy(() -> v2.rewrapBlockKey(v1, flipped, fromAd, toAd))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
            byte[] notAKey = v1.encrypt(fromAd, new byte[16], 0, 16);
            assertThatThrownBy(() -> v2.rewrapBlockKey(v1, notAKey, fromAd, toAd))
                    .isInstanceOfSatisfying(
                            StrongroomException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        }
    }
}
