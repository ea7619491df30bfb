package io.strongroom.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.DestroyFailedException;

/**
 * An AES-256 key in memory with its key commitment computed once. The shared engine behind {@link
 * ClusterKey}, {@link DatabaseKey} and {@link BlockKey}; not part of the public API.
 *
 * <p>Thread-safe for concurrent encrypt and decrypt; {@link #close()} must not race with use.
 */
final class AeadKey implements AutoCloseable {
    static final int KEY_BYTES = 32;
    private static final byte[] COMMITMENT_LABEL = "strongroom key commitment v1".getBytes(StandardCharsets.US_ASCII);

    /** Whether this JDK's SecretKeySpec can destroy its copy of a key; false after its first refusal. */
    private static volatile boolean specDestroyable = true;

    private final SecretBytes material;
    private final SecretKeySpec spec;
    private final byte[] commitment;

    AeadKey(SecretBytes material) {
        if (material.length() != KEY_BYTES) {
            throw new IllegalArgumentException("AES-256 keys are 32 bytes, got " + material.length());
        }
        this.material = material;
        this.spec = Envelope.aesSpec(material.unsafeView());
        this.commitment = commit(material.unsafeView());
    }

    private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 missing from this JDK", e);
        }
    });

    private static byte[] commit(byte[] key) {
        try {
            Mac mac = HMAC.get();
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Arrays.copyOf(mac.doFinal(COMMITMENT_LABEL), 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 missing from this JDK", e);
        }
    }

    SecretKeySpec spec() {
        if (material.isClosed()) {
            throw new IllegalStateException("key used after close");
        }
        return spec;
    }

    byte[] commitment() {
        return commitment;
    }

    SecretBytes material() {
        return material;
    }

    @Override
    public void close() {
        material.close();
        if (specDestroyable) {
            try {
                spec.destroy();
            } catch (DestroyFailedException e) {
                // SecretKeySpec keeps its own copy and cannot destroy it on every JDK; once this one has said so,
                // later closes skip the attempt (and its exception). The SecretBytes are zeroed either way.
                specDestroyable = false;
            }
        }
    }
}
