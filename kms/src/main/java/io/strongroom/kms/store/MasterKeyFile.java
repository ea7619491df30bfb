package io.strongroom.kms.store;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.kms.PassphraseKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The KMS master key file ({@code master.key}, docs/format/kms-store.md), in one of two forms:
 *
 * <ul>
 *   <li>{@code SRKMSMK1}: the 32-byte master key in the clear, protected by file mode only: development mode, which
 *       the start-up report names as such.
 *   <li>{@code SRKMSMK2}: the master key sealed by a passphrase: AES-256-GCM under a key derived with Argon2id
 *       (RFC 9106; BouncyCastle's implementation), the KDF parameters and salt in the header, which is the
 *       associated data. Nothing in the file opens without the passphrase.
 * </ul>
 *
 * <p>Layout of {@code SRKMSMK2} (big-endian): magic (8) | KDF id (1, 1 = Argon2id) | memory in KiB (4) | iterations
 * (4) | parallelism (1) | salt (16) | the master key sealed under the derived key (a Strongroom envelope,
 * docs/format/envelope.md, with associated data naming this file's purpose and its header bytes). Stateless.
 */
final class MasterKeyFile {
    static final byte[] PLAIN_MAGIC = "SRKMSMK1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] SEALED_MAGIC = "SRKMSMK2".getBytes(StandardCharsets.US_ASCII);
    static final int KEY_BYTES = 32;
    private static final int KDF_ARGON2ID = 1;
    private static final int SALT_BYTES = 16;
    private static final int HEADER_BYTES = 8 + 1 + 4 + 4 + 1 + SALT_BYTES;
    private static final String PURPOSE = "strongroom/kms-master-key/v1";

    /** Argon2id cost: RFC 9106's second recommended option, with one lane (BouncyCastle runs lanes in turn). */
    record Cost(int memoryKiB, int iterations, int parallelism) {
        static final Cost DEFAULT = new Cost(64 * 1024, 3, 1);
    }

    private MasterKeyFile() {}

    static boolean isSealed(byte[] content) {
        return content.length >= SEALED_MAGIC.length && Arrays.equals(content, 0, 8, SEALED_MAGIC, 0, 8);
    }

    static byte[] plain(byte[] material) {
        byte[] content = new byte[PLAIN_MAGIC.length + KEY_BYTES];
        System.arraycopy(PLAIN_MAGIC, 0, content, 0, PLAIN_MAGIC.length);
        System.arraycopy(material, 0, content, PLAIN_MAGIC.length, KEY_BYTES);
        return content;
    }

    /** {@code material} sealed by {@code passphrase}. */
    static byte[] sealed(byte[] material, char[] passphrase, SecureRandom random, Cost cost) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] header = ByteBuffer.allocate(HEADER_BYTES)
                .put(SEALED_MAGIC)
                .put((byte) KDF_ARGON2ID)
                .putInt(cost.memoryKiB())
                .putInt(cost.iterations())
                .put((byte) cost.parallelism())
                .put(salt)
                .array();
        try (SoftwareRootKey kek = derive(passphrase, salt, cost)) {
            byte[] envelope = kek.encrypt(ad(header), material);
            return ByteBuffer.allocate(header.length + envelope.length)
                    .put(header)
                    .put(envelope)
                    .array();
        }
    }

    /**
     * The master key in {@code content} (read from {@code file}, for messages). A sealed file needs {@code
     * passphrase}; the caller zeroes the result.
     */
    static byte[] open(byte[] content, char @Nullable [] passphrase, Path file) {
        if (content.length == PLAIN_MAGIC.length + KEY_BYTES
                && Arrays.equals(content, 0, PLAIN_MAGIC.length, PLAIN_MAGIC, 0, PLAIN_MAGIC.length)) {
            return Arrays.copyOfRange(content, PLAIN_MAGIC.length, content.length);
        }
        if (!isSealed(content) || content.length <= HEADER_BYTES) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "KMS master key file " + file + " is not a Strongroom master key (it starts with neither"
                            + " SRKMSMK1 nor SRKMSMK2)");
        }
        if (passphrase == null) {
            throw new StrongroomException(
                    ErrorCode.KEY_UNAVAILABLE,
                    "KMS master key file " + file + " is sealed by a passphrase; give it in STRONGROOM_KMS_PASSPHRASE"
                            + " (or STRONGROOM_KMS_PASSPHRASE_FILE) to start the KMS");
        }
        ByteBuffer b = ByteBuffer.wrap(content, SEALED_MAGIC.length, HEADER_BYTES - SEALED_MAGIC.length);
        int kdf = Byte.toUnsignedInt(b.get());
        Cost cost = new Cost(b.getInt(), b.getInt(), Byte.toUnsignedInt(b.get()));
        if (kdf != KDF_ARGON2ID
                || cost.memoryKiB() < 8 * 1024
                || cost.memoryKiB() > 4 * 1024 * 1024
                || cost.iterations() < 1
                || cost.iterations() > 100
                || cost.parallelism() < 1
                || cost.parallelism() > 16) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "KMS master key file " + file + " names a key derivation this build does not use (damaged?)");
        }
        byte[] salt = Arrays.copyOfRange(content, HEADER_BYTES - SALT_BYTES, HEADER_BYTES);
        byte[] header = Arrays.copyOfRange(content, 0, HEADER_BYTES);
        byte[] envelope = Arrays.copyOfRange(content, HEADER_BYTES, content.length);
        try (SoftwareRootKey kek = derive(passphrase, salt, cost)) {
            byte[] material = kek.decrypt(ad(header), envelope);
            if (material.length != KEY_BYTES) {
                Arrays.fill(material, (byte) 0);
                throw new StrongroomException(
                        ErrorCode.INTEGRITY_FAILURE, "KMS master key file " + file + " holds a key of the wrong size");
            }
            return material;
        } catch (StrongroomException e) {
            // Whatever the envelope says (tag, header, version), only the passphrase or the file can be wrong.
            throw new StrongroomException(
                    ErrorCode.ACCESS_DENIED,
                    "the passphrase does not open the KMS master key in " + file
                            + " (wrong passphrase, or the file was changed)");
        }
    }

    private static AssociatedData ad(byte[] header) {
        return AssociatedData.of(PURPOSE).withBytes("header", header).build();
    }

    private static SoftwareRootKey derive(char[] passphrase, byte[] salt, Cost cost) {
        return PassphraseKey.derive(
                passphrase, salt, new PassphraseKey.Cost(cost.memoryKiB(), cost.iterations(), cost.parallelism()));
    }
}
