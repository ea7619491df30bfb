package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class KeyTransferTest {
    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void theDekCrosses_withNoKeyInTheClear_andOnlyThePrivateKeyOpensIt() {
        SecureRandom random = new SecureRandom();
        byte[] material = new byte[32];
        random.nextBytes(material);
        KeyInfo info = new KeyInfo(KeyTier.DATABASE, "c-1/dek", 3);
        AssociatedData ad = AssociatedData.of("test").with("x", "y").build();
        try (DatabaseKey dek = DatabaseKey.ofMaterial(info, SecretBytes.copyOf(material));
                KeyTransfer t = KeyTransfer.start(random);
                KeyTransfer other = KeyTransfer.start(random)) {
            byte[] transfer = t.seal(dek, "c-1");
            assertThat(contains(transfer, material)).as("the DEK in the clear").isFalse();
            assertThat(contains(transfer, Arrays.copyOf(material, 8))).isFalse();
            assertThat(ByteBuffer.wrap(transfer, 8, 4).getInt())
                    .as("RSA-3072 block")
                    .isEqualTo(384);
            byte[] env = dek.encrypt(ad, new byte[] {1, 2, 3}, 0, 3);
            try (DatabaseKey arrived = t.open(transfer, info, "c-1")) {
                assertThat(arrived.decrypt(ad, env, 0, env.length)).containsExactly(1, 2, 3);
            }
            // Another transfer's private key cannot open it; a flipped byte is an integrity failure.
            assertThatThrownBy(() -> other.open(transfer, info, "c-1"))
                    .isInstanceOf(StrongroomException.class)
                    .satisfies(
                            e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
            byte[] bad = transfer.clone();
            bad[bad.length - 1] ^= 1;
            assertThatThrownBy(() -> t.open(bad, info, "c-1")).isInstanceOf(StrongroomException.class);
            t.close();
            assertThatThrownBy(() -> t.open(transfer, info, "c-1")).hasMessageContaining("closed");
        }
    }
}
