package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.security.Key;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    /** Every object an instance field of {@code t} references that is a private key or a key pair. */
    private static List<Object> privateKeysHeldBy(KeyTransfer t) throws IllegalAccessException {
        List<Object> out = new ArrayList<>();
        for (Field f : KeyTransfer.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            f.setAccessible(true);
            Object v = f.get(t);
            if (v instanceof PrivateKey || v instanceof KeyPair) {
                out.add(v);
            }
        }
        return out;
    }

    @Test
    void close_leavesNoReferenceToThePrivateKey() throws Exception {
        SecureRandom random = new SecureRandom();
        KeyTransfer t = KeyTransfer.start(random);
        assertThat(privateKeysHeldBy(t))
                .as("the open transfer holds its private key")
                .hasSize(1);
        Key held = (Key) privateKeysHeldBy(t).get(0);
        t.close();
        assertThat(t.closed()).isTrue();
        assertThat(privateKeysHeldBy(t))
                .as("no field reaches the private key after close")
                .isEmpty();
        // destroy() was tried; the JDK's RSA keys refuse it, which close tolerates (a second close is harmless).
        assertThat(held).isInstanceOf(PrivateKey.class);
        t.close();
    }

    @Test
    void aSenderWithOnlyThePublicKey_sealsWhatTheReceiverOpens() {
        SecureRandom random = new SecureRandom();
        byte[] material = new byte[32];
        random.nextBytes(material);
        KeyInfo info = new KeyInfo(KeyTier.DATABASE, "c-2/dek", 1);
        try (DatabaseKey dek = DatabaseKey.ofMaterial(info, SecretBytes.copyOf(material));
                KeyTransfer receiver = KeyTransfer.start(random)) {
            byte[] transfer = KeyTransfer.sealFor(receiver.publicKey(), dek, "c-2", random);
            assertThat(contains(transfer, material)).isFalse();
            try (DatabaseKey arrived = receiver.open(transfer, info, "c-2")) {
                assertThat(arrived.copyMaterial()).containsExactly(material);
            }
            // Bound to the cluster id: a transfer for another cluster does not open as this one.
            assertThatThrownBy(() -> receiver.open(transfer, info, "c-3")).isInstanceOf(StrongroomException.class);
            assertThatThrownBy(() -> KeyTransfer.sealFor(new byte[] {1, 2, 3}, dek, "c-2", random))
                    .isInstanceOf(StrongroomException.class)
                    .satisfies(
                            e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.UNSUPPORTED_FORMAT));
        }
    }
}
