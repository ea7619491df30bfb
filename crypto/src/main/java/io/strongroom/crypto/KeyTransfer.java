package io.strongroom.crypto;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.security.auth.DestroyFailedException;
import org.jspecify.annotations.Nullable;

/**
 * Moves a database key (DEK) between two places that share no key, as the seed moves a snapshot's keys between
 * regions: the receiver makes a fresh RSA-3072 key pair for this one transfer; the sender seals the DEK under a fresh
 * AES-256-GCM transit key and encrypts the transit key with the public key (RSA-OAEP, SHA-256, MGF1-SHA-256); the
 * receiver decrypts it with the private key, which never leaves this object's memory, and opens the DEK.
 *
 * <pre>
 * transfer = "SRTX" 00 00 00 01 | u32 n | RSA-OAEP(transit key) | u32 m | envelope of the DEK under the transit key
 * </pre>
 *
 * No key is in a transfer in the clear. When sender and receiver are two processes, the receiver sends {@link
 * #publicKey} (X.509 SubjectPublicKeyInfo, no secret) and the sender seals with {@link #sealFor}, which holds no
 * private key at all. {@link #close} destroys the private key where the provider supports it ({@link
 * PrivateKey#destroy}; the JDK's RSA keys do not, and Java cannot zero their internals) and drops this object's only
 * reference to it: no field keeps the key pair, so the key is unreachable from then on. Not thread-safe: one
 * transfer, one thread.
 */
public final class KeyTransfer implements AutoCloseable {
    static final byte[] MAGIC = {'S', 'R', 'T', 'X', 0, 0, 0, 1};
    private static final KeyInfo TRANSIT = new KeyInfo(KeyTier.CLUSTER, "transit", 1);
    private static final OAEPParameterSpec OAEP =
            new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
    private static final int MAX_PART = 4096;

    private static final int RSA_BITS = 3072;

    private final PublicKey publicKey;
    private final SecureRandom random;
    private @Nullable PrivateKey privateKey;

    private KeyTransfer(PublicKey publicKey, PrivateKey privateKey, SecureRandom random) {
        this.publicKey = publicKey;
        this.random = random;
        this.privateKey = privateKey;
    }

    /** A transfer with a fresh RSA-3072 key pair. */
    public static KeyTransfer start(SecureRandom random) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(RSA_BITS, random);
            KeyPair pair = g.generateKeyPair(); // dropped on return: only this object holds the private key
            return new KeyTransfer(pair.getPublic(), pair.getPrivate(), random);
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "RSA is not available in this JDK", e);
        }
    }

    /** This transfer's public key (X.509 SubjectPublicKeyInfo): what the receiver sends the sender. */
    public byte[] publicKey() {
        return publicKey.getEncoded();
    }

    /** The sender's side, in this process: {@code dek} sealed for the holder of this transfer's private key. */
    public byte[] seal(DatabaseKey dek, String clusterId) {
        return seal(publicKey, dek, clusterId, random);
    }

    /**
     * The sender's side, in another process: {@code dek} sealed for the holder of the private key of {@code
     * encodedPublicKey} (what {@link #publicKey} gave the receiver; an RSA-3072 key, else UNSUPPORTED_FORMAT).
     */
    public static byte[] sealFor(byte[] encodedPublicKey, DatabaseKey dek, String clusterId, SecureRandom random) {
        PublicKey key;
        try {
            key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(encodedPublicKey));
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT, "the receiver's transfer key is not an RSA public key", e);
        }
        if (!(key instanceof RSAPublicKey rsa) || rsa.getModulus().bitLength() != RSA_BITS) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT, "the receiver's transfer key is not an RSA-" + RSA_BITS + " key");
        }
        return seal(key, dek, clusterId, random);
    }

    private static byte[] seal(PublicKey publicKey, DatabaseKey dek, String clusterId, SecureRandom random) {
        try (SecretBytes material = SecretBytes.random(32, random);
                ClusterKey transit = ClusterKey.ofMaterial(TRANSIT, SecretBytes.copyOf(material.copyBytes()))) {
            byte[] sealed = transit.wrap(dek, clusterId).ciphertext();
            Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
            rsa.init(Cipher.ENCRYPT_MODE, publicKey, OAEP, random);
            byte[] m = material.copyBytes();
            byte[] wrapped;
            try {
                wrapped = rsa.doFinal(m);
            } finally {
                Arrays.fill(m, (byte) 0);
            }
            return ByteBuffer.allocate(MAGIC.length + 8 + wrapped.length + sealed.length)
                    .put(MAGIC)
                    .putInt(wrapped.length)
                    .put(wrapped)
                    .putInt(sealed.length)
                    .put(sealed)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot seal the key transfer: " + e.getMessage(), e);
        }
    }

    /** The receiver's side: the DEK in {@code transfer}, with {@code dekInfo}; integrity failure if damaged. */
    public DatabaseKey open(byte[] transfer, KeyInfo dekInfo, String clusterId) {
        PrivateKey key = privateKey;
        if (key == null) {
            throw new StrongroomException(ErrorCode.INVALID_STATE, "this key transfer is closed");
        }
        byte[] m = null;
        try {
            ByteBuffer in = ByteBuffer.wrap(transfer);
            byte[] magic = new byte[MAGIC.length];
            in.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new StrongroomException(ErrorCode.UNSUPPORTED_FORMAT, "not a key transfer of format 1");
            }
            byte[] wrapped = part(in);
            byte[] sealed = part(in);
            if (in.hasRemaining()) {
                throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "the key transfer has trailing bytes");
            }
            Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
            rsa.init(Cipher.DECRYPT_MODE, key, OAEP);
            m = rsa.doFinal(wrapped);
            try (ClusterKey transit = ClusterKey.ofMaterial(TRANSIT, SecretBytes.copyOf(m))) {
                return transit.unwrapDatabaseKey(new WrappedKey(TRANSIT, sealed), dekInfo, clusterId);
            }
        } catch (GeneralSecurityException | BufferUnderflowException e) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "the key transfer is damaged", e);
        } finally {
            if (m != null) {
                Arrays.fill(m, (byte) 0);
            }
        }
    }

    private static byte[] part(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > MAX_PART) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "the key transfer is damaged");
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /**
     * Destroys the private key where its provider can ({@code destroy()}; the JDK's RSA keys cannot, which is not an
     * error) and drops the only reference to it. Idempotent.
     */
    @Override
    public void close() {
        PrivateKey key = privateKey;
        privateKey = null;
        if (key != null && !key.isDestroyed()) {
            try {
                key.destroy();
            } catch (DestroyFailedException | RuntimeException e) {
                // The provider cannot destroy it; unreachable from here on is what remains.
            }
        }
    }

    /** Whether {@link #close} ran (the private key is gone from this object). */
    public boolean closed() {
        return privateKey == null;
    }

    @Override
    public String toString() {
        return "KeyTransfer[RSA-3072, " + (privateKey == null ? "closed" : "open") + "]";
    }
}
