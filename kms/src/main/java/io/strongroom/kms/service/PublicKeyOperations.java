package io.strongroom.kms.service;

import static io.strongroom.kms.service.KeyChecks.algorithm;
import static io.strongroom.kms.service.KeyChecks.authorize;
import static io.strongroom.kms.service.KeyChecks.dryRun;
import static io.strongroom.kms.service.KeyChecks.requireUsage;
import static io.strongroom.kms.service.KeyChecks.usable;
import static io.strongroom.kms.service.KmsJson.algorithmsInto;
import static io.strongroom.kms.service.KmsJson.blob;
import static io.strongroom.kms.service.KmsJson.obj;
import static io.strongroom.kms.service.KmsJson.reqStr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.model.Asymmetric;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Map;

/**
 * The operations only asymmetric keys have: GetPublicKey, Sign and Verify. The key pairs themselves and the
 * algorithm tables are in {@link Asymmetric}; RSA encryption and decryption go through {@link CryptoOperations}
 * with the symmetric operations of the same name.
 *
 * <p>Invariant: the private key never reaches a response, an error or the audit trail; only signatures and the
 * public key do.
 *
 * <p>Not thread-safe on its own: it runs only inside {@link KmsService#call}, under the service's read lock for the
 * operations that change nothing and its write lock for the rest, and keeps no state of its own beyond its
 * references into the shared {@link KmsState}.
 */
final class PublicKeyOperations {
    private final KmsState state;

    PublicKeyOperations(KmsState state) {
        this.state = state;
    }

    JsonNode getPublicKey(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), true, ev);
        authorize(c, k, "kms:GetPublicKey", "GetPublicKey", Map.of());
        usable(k);
        PublicKey pub = k.current().publicKey();
        if (pub == null) {
            throw KmsApiException.unsupported(k.arn() + " is a symmetric key; it has no public key.");
        }
        ObjectNode out = obj().put("KeyId", k.arn())
                .put("PublicKey", pub.getEncoded())
                .put("CustomerMasterKeySpec", k.keySpec)
                .put("KeySpec", k.keySpec)
                .put("KeyUsage", k.keyUsage);
        algorithmsInto(k, out);
        return out;
    }

    JsonNode sign(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), true, ev);
        byte[] message = blob(r, "Message", 4096);
        String alg = KmsJson.enumStr(r, "SigningAlgorithm", reqStr(r, "SigningAlgorithm"), KmsJson.SIGNING_ALGORITHMS);
        boolean digest = messageType(r);
        authorize(c, k, "kms:Sign", "Sign", Map.of());
        requireUsage(k, "SIGN_VERIFY", "Sign");
        usable(k);
        algorithm(alg, Asymmetric.signingAlgorithms(k.keySpec), k);
        dryRun(r);
        PrivateKey key = k.current().privateKey();
        if (key == null) {
            throw KmsApiException.internal("key " + k.arn() + " has no private key", null);
        }
        try {
            return obj().put("KeyId", k.arn())
                    .put("Signature", Asymmetric.sign(key, alg, digest, message))
                    .put("SigningAlgorithm", alg);
        } catch (GeneralSecurityException e) {
            throw KmsApiException.internal("Signing with " + alg + " failed.", e);
        }
    }

    JsonNode verify(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), true, ev);
        byte[] message = blob(r, "Message", 4096);
        byte[] signature = blob(r, "Signature", 6144);
        String alg = KmsJson.enumStr(r, "SigningAlgorithm", reqStr(r, "SigningAlgorithm"), KmsJson.SIGNING_ALGORITHMS);
        boolean digest = messageType(r);
        authorize(c, k, "kms:Verify", "Verify", Map.of());
        requireUsage(k, "SIGN_VERIFY", "Verify");
        usable(k);
        algorithm(alg, Asymmetric.signingAlgorithms(k.keySpec), k);
        dryRun(r);
        PublicKey key = k.current().publicKey();
        if (key == null) {
            throw KmsApiException.internal("key " + k.arn() + " has no public key", null);
        }
        boolean ok;
        try {
            ok = Asymmetric.verify(key, alg, digest, message, signature);
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new KmsApiException(
                    ErrorCode.INTEGRITY_FAILURE, "KMSInvalidSignatureException", 400, "Signature verification failed.");
        }
        return obj().put("KeyId", k.arn()).put("SignatureValid", true).put("SigningAlgorithm", alg);
    }

    private static boolean messageType(JsonNode r) {
        String t = KmsJson.enumStr(r, "MessageType", "RAW", KmsJson.MESSAGE_TYPES);
        if (t.equals("EXTERNAL_MU")) {
            throw KmsApiException.unsupported(
                    "MessageType EXTERNAL_MU (for ML-DSA keys) is not supported by this KMS.");
        }
        return t.equals("DIGEST");
    }
}
