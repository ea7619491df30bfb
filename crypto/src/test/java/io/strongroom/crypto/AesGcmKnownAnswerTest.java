package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Wycheproof AES-256-GCM vectors (test resource vectors/aes_gcm_256.json) through the provider in use. */
class AesGcmKnownAnswerTest {
    private static final HexFormat HEX = HexFormat.of();

    record Vector(
            int tcId,
            String comment,
            byte[] key,
            byte[] iv,
            byte[] aad,
            byte[] msg,
            byte[] ct,
            byte[] tag,
            boolean valid) {
        @Override
        public String toString() {
            return "tc" + tcId + " " + comment;
        }
    }

    static List<Vector> vectors() throws Exception {
        try (InputStream in =
                Objects.requireNonNull(AesGcmKnownAnswerTest.class.getResourceAsStream("/vectors/aes_gcm_256.json"))) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Vector> out = new ArrayList<>();
            for (JsonNode g : root.get("testGroups")) {
                for (JsonNode t : g.get("tests")) {
                    out.add(new Vector(
                            t.get("tcId").asInt(),
                            t.get("comment").asText(),
                            HEX.parseHex(t.get("key").asText()),
                            HEX.parseHex(t.get("iv").asText()),
                            HEX.parseHex(t.get("aad").asText()),
                            HEX.parseHex(t.get("msg").asText()),
                            HEX.parseHex(t.get("ct").asText()),
                            HEX.parseHex(t.get("tag").asText()),
                            t.get("result").asText().equals("valid")));
                }
            }
            assertThat(out).hasSizeGreaterThan(50);
            return out;
        }
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void vector_encryptsAndDecryptsAsPublished(Vector v) throws Exception {
        Cipher c = CryptoProvider.get().gcm();
        SecretKeySpec key = new SecretKeySpec(v.key(), "AES");
        byte[] sealed = new byte[v.ct().length + v.tag().length];
        System.arraycopy(v.ct(), 0, sealed, 0, v.ct().length);
        System.arraycopy(v.tag(), 0, sealed, v.ct().length, v.tag().length);
        if (v.valid()) {
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, v.iv()));
            c.updateAAD(v.aad());
            assertThat(c.doFinal(v.msg())).isEqualTo(sealed);
        }
        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, v.iv()));
        c.updateAAD(v.aad());
        if (v.valid()) {
            assertThat(c.doFinal(sealed)).isEqualTo(v.msg());
        } else {
            assertThatThrownBy(() -> c.doFinal(sealed)).isInstanceOf(AEADBadTagException.class);
        }
    }
}
