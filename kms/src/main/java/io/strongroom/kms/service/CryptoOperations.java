package io.strongroom.kms.service;

import static io.strongroom.kms.service.KeyChecks.algorithm;
import static io.strongroom.kms.service.KeyChecks.authorize;
import static io.strongroom.kms.service.KeyChecks.dryRun;
import static io.strongroom.kms.service.KeyChecks.requireUsage;
import static io.strongroom.kms.service.KeyChecks.usable;
import static io.strongroom.kms.service.KmsJson.blob;
import static io.strongroom.kms.service.KmsJson.context;
import static io.strongroom.kms.service.KmsJson.obj;
import static io.strongroom.kms.service.KmsJson.optStr;
import static io.strongroom.kms.service.KmsJson.reqStr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.model.Asymmetric;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.CiphertextBlob;
import io.strongroom.kms.model.KeyMaterial;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;

/**
 * The cryptographic operations on data: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext and GenerateRandom. Symmetric keys seal under their current material version
 * into a {@link CiphertextBlob} that names the key and version, with the encryption context as associated data;
 * RSA keys encrypt with OAEP and take no encryption context.
 *
 * <p>Invariants: a symmetric ciphertext opens only under the key, material version and encryption context it was
 * sealed with, and a failed decryption does not say whether the ciphertext or the context was wrong. A plaintext
 * taken from a request or made for one is zeroed before the operation returns or fails, unless it is placed in
 * the response, which the HTTP layer zeroes once written.
 * Material ids go to the audit event, material never.
 *
 * <p>Not thread-safe on its own: it runs only inside {@link KmsService#call}, under the service's read lock for the
 * operations that change nothing and its write lock for the rest, and keeps no state of its own beyond its
 * references into the shared {@link KmsState}.
 */
final class CryptoOperations {
    private final KmsState state;
    private final Map<String, KmsKey> keys;
    private final SecureRandom random;

    CryptoOperations(KmsState state) {
        this.state = state;
        this.keys = state.keys;
        this.random = state.random;
    }

    JsonNode encrypt(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), true, ev);
        byte[] plaintext = blob(r, "Plaintext", 4096);
        // Zeroed whatever happens from here, a refused request included.
        try {
            SortedMap<String, String> ctx = context(r, "EncryptionContext");
            String alg = KmsJson.enumStr(r, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT", KmsJson.ENCRYPTION_ALGORITHMS);
            authorize(c, k, "kms:Encrypt", "Encrypt", ctx);
            requireUsage(k, "ENCRYPT_DECRYPT", "Encrypt");
            usable(k);
            dryRun(r);
            byte[] ciphertext;
            if (k.isSymmetric()) {
                algorithm(alg, List.of("SYMMETRIC_DEFAULT"), k);
                ciphertext = sealSymmetric(k, plaintext, ctx, ev);
            } else {
                algorithm(alg, Asymmetric.RSA_ENCRYPTION, k);
                noContext(ctx);
                ciphertext = rsa(k, alg, Cipher.ENCRYPT_MODE, plaintext);
            }
            return obj().put("CiphertextBlob", ciphertext).put("KeyId", k.arn()).put("EncryptionAlgorithm", alg);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    JsonNode decrypt(Caller c, String region, JsonNode r, AuditEvent ev) {
        byte[] ciphertext = blob(r, "CiphertextBlob", CiphertextBlob.MAX_BYTES);
        SortedMap<String, String> ctx = context(r, "EncryptionContext");
        String alg = KmsJson.enumStr(r, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT", KmsJson.ENCRYPTION_ALGORITHMS);
        String keyParam = optStr(r, "KeyId", "");
        byte[] plaintext;
        KmsKey k;
        String materialId = "";
        if (alg.equals("SYMMETRIC_DEFAULT")) {
            CiphertextBlob b = CiphertextBlob.decode(ciphertext);
            k = blobKey(c, region, b, keyParam, ev);
            authorize(c, k, "kms:Decrypt", "Decrypt", ctx);
            usable(k);
            dryRun(r);
            plaintext = openSymmetric(k, b, ctx, ev);
            materialId = materialOf(k, b.materialVersion());
        } else {
            if (keyParam.isEmpty()) {
                throw KmsApiException.validation("KeyId is required to decrypt with " + alg + ".");
            }
            k = state.resolve(c, region, keyParam, true, ev);
            authorize(c, k, "kms:Decrypt", "Decrypt", ctx);
            requireUsage(k, "ENCRYPT_DECRYPT", "Decrypt");
            usable(k);
            algorithm(alg, k.isSymmetric() ? List.of("SYMMETRIC_DEFAULT") : Asymmetric.RSA_ENCRYPTION, k);
            noContext(ctx);
            dryRun(r);
            plaintext = rsa(k, alg, Cipher.DECRYPT_MODE, ciphertext);
        }
        // The plaintext goes into the response; the HTTP layer zeroes it once it is written.
        ObjectNode out = obj().put("KeyId", k.arn()).put("Plaintext", plaintext);
        out.put("EncryptionAlgorithm", alg);
        if (!materialId.isEmpty()) {
            out.put("KeyMaterialId", materialId);
        }
        return out;
    }

    private static String materialOf(KmsKey k, int version) {
        KeyMaterial m = k.material(version);
        return m == null ? "" : m.materialId();
    }

    JsonNode reEncrypt(Caller c, String region, JsonNode r, AuditEvent ev) {
        byte[] ciphertext = blob(r, "CiphertextBlob", CiphertextBlob.MAX_BYTES);
        SortedMap<String, String> srcCtx = context(r, "SourceEncryptionContext");
        SortedMap<String, String> dstCtx = context(r, "DestinationEncryptionContext");
        if (!optStr(r, "SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT").equals("SYMMETRIC_DEFAULT")
                || !optStr(r, "DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT")
                        .equals("SYMMETRIC_DEFAULT")) {
            throw KmsApiException.unsupported("ReEncrypt supports SYMMETRIC_DEFAULT only in this KMS.");
        }
        CiphertextBlob b = CiphertextBlob.decode(ciphertext);
        KmsKey src = blobKey(c, region, b, optStr(r, "SourceKeyId", ""), ev);
        KmsKey dst = state.resolve(
                c, region, reqStr(r, "DestinationKeyId"), true, new AuditEvent("", "", Instant.EPOCH, ""));
        authorize(c, src, "kms:ReEncryptFrom", "ReEncryptFrom", srcCtx);
        authorize(c, dst, "kms:ReEncryptTo", "ReEncryptTo", dstCtx);
        usable(src);
        usable(dst);
        requireUsage(dst, "ENCRYPT_DECRYPT", "ReEncrypt");
        if (!dst.isSymmetric()) {
            throw KmsApiException.unsupported("ReEncrypt to an asymmetric key is not supported by this KMS.");
        }
        dryRun(r);
        byte[] plaintext = openSymmetric(src, b, srcCtx, ev);
        try {
            byte[] out = sealSymmetric(dst, plaintext, dstCtx, new AuditEvent("", "", Instant.EPOCH, ""));
            return obj().put("CiphertextBlob", out)
                    .put("SourceKeyId", src.arn())
                    .put("KeyId", dst.arn())
                    .put("SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT")
                    .put("DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT")
                    .put("SourceKeyMaterialId", materialOf(src, b.materialVersion()))
                    .put("DestinationKeyMaterialId", dst.current().materialId());
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    JsonNode generateDataKey(Caller c, String region, JsonNode r, AuditEvent ev, boolean withPlaintext) {
        String op = withPlaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext";
        String keyId = reqStr(r, "KeyId");
        SortedMap<String, String> ctx = context(r, "EncryptionContext");
        boolean hasSpec = r.hasNonNull("KeySpec");
        boolean hasBytes = r.hasNonNull("NumberOfBytes");
        if (hasSpec == hasBytes) {
            throw KmsApiException.validation("Please specify either number of bytes or key spec.");
        }
        int length;
        if (hasSpec) {
            length = switch (r.get("KeySpec").asText()) {
                case "AES_256" -> 32;
                case "AES_128" -> 16;
                default ->
                    throw KmsApiException.validation("1 validation error detected: Value '"
                            + r.get("KeySpec").asText() + "' at 'keySpec' failed to satisfy constraint: Member must"
                            + " satisfy enum value set: [AES_256, AES_128]");
            };
        } else {
            length = r.get("NumberOfBytes").asInt(0);
            if (length < 1 || length > 1024) {
                throw KmsApiException.validation("1 validation error detected: Value '" + length
                        + "' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and"
                        + " 1024");
            }
        }
        KmsKey k = state.resolve(c, region, keyId, true, ev);
        authorize(c, k, "kms:" + op, op, ctx);
        requireUsage(k, "ENCRYPT_DECRYPT", op);
        if (!k.isSymmetric()) {
            throw KmsApiException.invalidKeyUsage(k.arn() + " key usage is ENCRYPT_DECRYPT with an asymmetric key"
                    + " spec, which is not valid for " + op + ".");
        }
        usable(k);
        dryRun(r);
        byte[] plaintext = new byte[length];
        random.nextBytes(plaintext);
        byte[] wrapped;
        try {
            wrapped = sealSymmetric(k, plaintext, ctx, ev);
        } catch (RuntimeException e) {
            Arrays.fill(plaintext, (byte) 0);
            throw e;
        }
        ObjectNode out = obj().put("CiphertextBlob", wrapped);
        if (withPlaintext) {
            out.put("Plaintext", plaintext); // zeroed by the HTTP layer once written
        } else {
            Arrays.fill(plaintext, (byte) 0);
        }
        return out.put("KeyId", k.arn()).put("KeyMaterialId", k.current().materialId());
    }

    JsonNode generateRandom(JsonNode r) {
        int n = r.path("NumberOfBytes").asInt(0);
        if (n < 1 || n > 1024) {
            throw KmsApiException.validation("1 validation error detected: Value '" + n
                    + "' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024");
        }
        if (r.has("CustomKeyStoreId")) {
            throw KmsApiException.unsupported("Custom key stores are not supported by this KMS.");
        }
        byte[] b = new byte[n];
        random.nextBytes(b);
        return obj().put("Plaintext", b);
    }

    private byte[] sealSymmetric(KmsKey k, byte[] plaintext, SortedMap<String, String> ctx, AuditEvent ev) {
        KeyMaterial m = k.current();
        SoftwareRootKey key = symmetricKey(k, m);
        byte[] envelope = key.encrypt(EncryptionContext.of(ctx).toAssociatedData(k.arn()), plaintext);
        ev.keyMaterialId(m.materialId());
        return new CiphertextBlob(UUID.fromString(k.keyId), m.version(), envelope).encode();
    }

    private byte[] openSymmetric(KmsKey k, CiphertextBlob b, SortedMap<String, String> ctx, AuditEvent ev) {
        KeyMaterial m = k.material(b.materialVersion());
        if (m == null) {
            throw KmsApiException.invalidCiphertext(
                    "The ciphertext names a key material version that " + k.arn() + " never had.");
        }
        ev.keyMaterialId(m.materialId());
        try {
            return symmetricKey(k, m).decrypt(EncryptionContext.of(ctx).toAssociatedData(k.arn()), b.envelope());
        } catch (StrongroomException e) {
            throw KmsApiException.invalidCiphertext("The ciphertext is invalid, or the encryption context does not"
                    + " match the one it was encrypted with.");
        }
    }

    private static SoftwareRootKey symmetricKey(KmsKey k, KeyMaterial m) {
        SoftwareRootKey key = m.symmetric();
        if (key == null) {
            throw KmsApiException.internal("key " + k.arn() + " has no symmetric material", null);
        }
        return key;
    }

    /** The key a symmetric blob names, checked against the optional {@code KeyId} of the request. */
    private KmsKey blobKey(Caller c, String region, CiphertextBlob b, String keyParam, AuditEvent ev) {
        KmsKey k = keys.get(b.keyId().toString());
        if (k == null || !k.region.equals(region)) {
            throw KmsApiException.accessDenied("The ciphertext refers to a customer master key that does not exist,"
                    + " does not exist in this region, or you are not allowed to access.");
        }
        ev.key(k.arn(), k.accountId);
        if (!keyParam.isEmpty()) {
            KmsKey named = state.resolve(c, region, keyParam, true, new AuditEvent("", "", Instant.EPOCH, ""));
            if (named != k) {
                throw KmsApiException.of(
                        "IncorrectKeyException",
                        "The key ID in the request does not identify a CMK that can perform this operation.");
            }
        }
        return k;
    }

    private byte[] rsa(KmsKey k, String alg, int mode, byte[] input) {
        KeyMaterial m = k.current();
        Key key = mode == Cipher.ENCRYPT_MODE ? m.publicKey() : m.privateKey();
        if (key == null) {
            throw KmsApiException.internal("key " + k.arn() + " has no key pair", null);
        }
        try {
            return Asymmetric.oaep(alg, mode, key).doFinal(input);
        } catch (IllegalBlockSizeException e) {
            throw KmsApiException.validation("The plaintext is too long for " + alg + " with " + k.keySpec + ".");
        } catch (GeneralSecurityException e) {
            if (mode == Cipher.DECRYPT_MODE) {
                throw KmsApiException.invalidCiphertext("The ciphertext is invalid for " + k.arn() + ".");
            }
            throw KmsApiException.internal("RSA encryption failed", e);
        }
    }

    private static void noContext(Map<String, String> ctx) {
        if (!ctx.isEmpty()) {
            throw KmsApiException.validation("EncryptionContext is not supported with asymmetric keys.");
        }
    }
}
