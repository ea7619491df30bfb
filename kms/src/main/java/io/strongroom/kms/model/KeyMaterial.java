package io.strongroom.kms.model;

import io.strongroom.crypto.SoftwareRootKey;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Instant;
import javax.security.auth.DestroyFailedException;
import org.jspecify.annotations.Nullable;

/**
 * One version of a key's material. A symmetric key gains a version at every rotation and keeps all older
 * ones, so every ciphertext ever made under the key still decrypts; an asymmetric key has exactly one.
 *
 * <p>Exactly one of {@link #symmetric()} and {@link #privateKey()} is set. {@code toString} names the version
 * and its public material id only. Thread-safe for use; {@link #close()} must not race with use.
 */
public final class KeyMaterial implements AutoCloseable {
    private final int version;
    private final String materialId;
    private final Instant createdAt;
    private final @Nullable String rotationType;
    private final @Nullable SoftwareRootKey symmetric;
    private final @Nullable PrivateKey privateKey;
    private final @Nullable PublicKey publicKey;
    private final byte[] sealed;

    private KeyMaterial(
            int version,
            String materialId,
            Instant createdAt,
            @Nullable String rotationType,
            @Nullable SoftwareRootKey symmetric,
            @Nullable PrivateKey privateKey,
            @Nullable PublicKey publicKey,
            byte[] sealed) {
        if (version < 1) {
            throw new IllegalArgumentException("key material versions start at 1: " + version);
        }
        this.version = version;
        this.materialId = materialId;
        this.createdAt = createdAt;
        this.rotationType = rotationType;
        this.symmetric = symmetric;
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.sealed = sealed.clone();
    }

    /** {@code sealed} is the same material sealed under the KMS master key, as the store keeps it. */
    public static KeyMaterial symmetric(
            int version,
            String materialId,
            Instant createdAt,
            @Nullable String rotationType,
            SoftwareRootKey key,
            byte[] sealed) {
        return new KeyMaterial(version, materialId, createdAt, rotationType, key, null, null, sealed);
    }

    /** {@code sealed} is the PKCS#8 private key sealed under the KMS master key, as the store keeps it. */
    public static KeyMaterial asymmetric(
            String materialId, Instant createdAt, PrivateKey privateKey, PublicKey publicKey, byte[] sealed) {
        return new KeyMaterial(1, materialId, createdAt, null, null, privateKey, publicKey, sealed);
    }

    /** The material sealed under the master key: safe to write to the store. */
    public byte[] sealed() {
        return sealed.clone();
    }

    public int version() {
        return version;
    }

    /** 64 hex characters naming this material in responses and the audit trail; derived from no secret. */
    public String materialId() {
        return materialId;
    }

    public Instant createdAt() {
        return createdAt;
    }

    /** {@code AUTOMATIC} or {@code ON_DEMAND} for a rotated version, null for the key's first material. */
    public @Nullable String rotationType() {
        return rotationType;
    }

    public @Nullable SoftwareRootKey symmetric() {
        return symmetric;
    }

    public @Nullable PrivateKey privateKey() {
        return privateKey;
    }

    public @Nullable PublicKey publicKey() {
        return publicKey;
    }

    /** Zeroes the symmetric material; asymmetric private keys are destroyed where the provider allows. */
    @Override
    public void close() {
        if (symmetric != null) {
            symmetric.close();
        }
        if (privateKey != null) {
            try {
                privateKey.destroy();
            } catch (DestroyFailedException e) {
                // The JDK's RSA and EC private keys do not implement destroy(); they become garbage instead.
            }
        }
    }

    @Override
    public String toString() {
        return "KeyMaterial[v" + version + " " + materialId + "]";
    }
}
