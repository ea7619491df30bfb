package io.strongroom.server;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.kms.PassphraseKey;
import io.strongroom.pgwire.KeyStoreSeal;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Seals the TLS certificate authority's key store password by the installation passphrase ({@code
 * STRONGROOM_KMS_PASSPHRASE}, which seals the KMS master key too): AES-256-GCM under a key Argon2id derives from
 * the passphrase and a salt of its own. Layout: {@code SRTLSCA1} (8) | salt (16) | a Strongroom envelope whose
 * associated data names this purpose and the salt. Holds the passphrase (a copy, never shown); thread-safe.
 */
final class PassphraseSeal implements KeyStoreSeal {
    private static final byte[] MAGIC = "SRTLSCA1".getBytes(StandardCharsets.US_ASCII);
    private static final int SALT_BYTES = 16;
    private static final String PURPOSE = "strongroom/tls-authority-key-store/v1";

    private final char[] passphrase;
    private final SecureRandom random = new SecureRandom();

    PassphraseSeal(char[] passphrase) {
        this.passphrase = passphrase.clone();
    }

    @Override
    public byte[] seal(byte[] password) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        try (SoftwareRootKey kek = PassphraseKey.derive(passphrase, salt, PassphraseKey.Cost.DEFAULT)) {
            byte[] envelope = kek.encrypt(ad(salt), password);
            byte[] out = new byte[MAGIC.length + SALT_BYTES + envelope.length];
            System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
            System.arraycopy(salt, 0, out, MAGIC.length, SALT_BYTES);
            System.arraycopy(envelope, 0, out, MAGIC.length + SALT_BYTES, envelope.length);
            return out;
        }
    }

    @Override
    public byte[] open(byte[] sealed) {
        if (sealed.length <= MAGIC.length + SALT_BYTES || !Arrays.equals(sealed, 0, MAGIC.length, MAGIC, 0, 8)) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "not a passphrase seal (it does not start with SRTLSCA1)");
        }
        byte[] salt = Arrays.copyOfRange(sealed, MAGIC.length, MAGIC.length + SALT_BYTES);
        byte[] envelope = Arrays.copyOfRange(sealed, MAGIC.length + SALT_BYTES, sealed.length);
        try (SoftwareRootKey kek = PassphraseKey.derive(passphrase, salt, PassphraseKey.Cost.DEFAULT)) {
            return kek.decrypt(ad(salt), envelope);
        } catch (StrongroomException e) {
            throw new StrongroomException(
                    ErrorCode.ACCESS_DENIED, "the passphrase does not open it (wrong passphrase, or it was changed)");
        }
    }

    @Override
    public String describe() {
        return "the installation passphrase (STRONGROOM_KMS_PASSPHRASE)";
    }

    private static AssociatedData ad(byte[] salt) {
        return AssociatedData.of(PURPOSE).withBytes("salt", salt).build();
    }

    @Override
    public String toString() {
        return "PassphraseSeal[passphrase withheld]";
    }
}
