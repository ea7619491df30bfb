package io.strongroom.kms;

import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.SoftwareRootKey;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * A key derived from the installation passphrase ({@code STRONGROOM_KMS_PASSPHRASE}) with Argon2id (RFC 9106,
 * BouncyCastle's implementation): what seals the KMS master key file and the TLS certificate authority's key store.
 * Each sealed thing has a salt of its own and names its purpose in the associated data of what the key seals.
 * Stateless.
 */
public final class PassphraseKey {
    /** Argon2id cost: RFC 9106's second recommended option, with one lane (BouncyCastle runs lanes in turn). */
    public record Cost(int memoryKiB, int iterations, int parallelism) {
        public static final Cost DEFAULT = new Cost(64 * 1024, 3, 1);
    }

    private static final int KEY_BYTES = 32;

    private PassphraseKey() {}

    /** The AES-256 key {@code passphrase} and {@code salt} derive at {@code cost}; the caller closes it. */
    public static SoftwareRootKey derive(char[] passphrase, byte[] salt, Cost cost) {
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(cost.memoryKiB())
                .withIterations(cost.iterations())
                .withParallelism(cost.parallelism())
                .withSalt(salt)
                .build());
        ByteBuffer utf8 = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] pw = new byte[utf8.remaining()];
        utf8.get(pw);
        Arrays.fill(utf8.array(), (byte) 0);
        byte[] k = new byte[KEY_BYTES];
        try {
            g.generateBytes(pw, k);
            return SoftwareRootKey.ofMaterial(
                    new KeyInfo(KeyTier.ROOT, "kms-master-passphrase", 1), SecretBytes.copyOf(k));
        } finally {
            Arrays.fill(pw, (byte) 0);
            Arrays.fill(k, (byte) 0);
        }
    }
}
