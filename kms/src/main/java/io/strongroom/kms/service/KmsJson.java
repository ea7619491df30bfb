package io.strongroom.kms.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.kms.model.Asymmetric;
import io.strongroom.kms.model.KeyState;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The KMS JSON protocol as the operations see it: reading and validating request members the way AWS KMS does
 * (same error types and messages), and the response shapes several operations share (key metadata, paging,
 * timestamps). Every failure is a {@link KmsApiException} naming the member; the value of a binary member
 * (plaintext, ciphertext, message) never appears in one, as it may be secret.
 *
 * <p>Static and stateless, so thread-safe.
 */
final class KmsJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private KmsJson() {}

    static ObjectNode metadata(KmsKey k) {
        ObjectNode m =
                obj().put("AWSAccountId", k.accountId).put("KeyId", k.keyId).put("Arn", k.arn());
        m.set("CreationDate", ts(k.creationDate));
        m.put("Enabled", k.state == KeyState.ENABLED)
                .put("Description", k.description)
                .put("KeyUsage", k.keyUsage)
                .put("KeyState", k.state.wireName());
        if (k.deletionDate != null) {
            m.set("DeletionDate", ts(k.deletionDate));
            m.put("PendingDeletionWindowInDays", k.pendingWindowDays);
        }
        m.put("Origin", "AWS_KMS")
                .put("KeyManager", k.keyManager)
                .put("CustomerMasterKeySpec", k.keySpec)
                .put("KeySpec", k.keySpec);
        algorithmsInto(k, m);
        m.put("MultiRegion", false);
        if (k.isSymmetric()) {
            m.put("CurrentKeyMaterialId", k.current().materialId());
        }
        return m;
    }

    static void algorithmsInto(KmsKey k, ObjectNode m) {
        if (k.keyUsage.equals("ENCRYPT_DECRYPT")) {
            ArrayNode a = m.putArray("EncryptionAlgorithms");
            (k.isSymmetric() ? List.of("SYMMETRIC_DEFAULT") : Asymmetric.RSA_ENCRYPTION).forEach(a::add);
        } else {
            ArrayNode a = m.putArray("SigningAlgorithms");
            Asymmetric.signingAlgorithms(k.keySpec).forEach(a::add);
        }
    }

    /** Pages {@code all} by the request's {@code Limit} and {@code Marker} (an opaque offset). */
    static <T> List<T> page(List<T> all, JsonNode r, ObjectNode out, int maxLimit) {
        int limit = optInt(r, "Limit", Math.min(100, maxLimit));
        if (limit < 1 || limit > maxLimit) {
            throw KmsApiException.validation("1 validation error detected: Value '" + limit
                    + "' at 'limit' failed to satisfy constraint: Member must have value between 1 and " + maxLimit);
        }
        int from = 0;
        if (r.hasNonNull("Marker")) {
            try {
                from = Integer.parseInt(r.get("Marker").asText().substring(2));
            } catch (RuntimeException e) {
                throw KmsApiException.of("InvalidMarkerException", "The marker is not valid.");
            }
            if (from < 0 || from > all.size()) {
                throw KmsApiException.of("InvalidMarkerException", "The marker is not valid.");
            }
        }
        int to = Math.min(all.size(), from + limit);
        boolean truncated = to < all.size();
        out.put("Truncated", truncated);
        if (truncated) {
            out.put("NextMarker", "m-" + to);
        }
        return all.subList(from, to);
    }

    static ObjectNode obj() {
        return NODES.objectNode();
    }

    /** A timestamp as the JSON protocol wants it: epoch seconds with a millisecond fraction. */
    static JsonNode ts(Instant t) {
        return DecimalNode.valueOf(BigDecimal.valueOf(t.toEpochMilli(), 3));
    }

    static ObjectNode mapNode(Map<String, String> m) {
        ObjectNode o = obj();
        m.forEach(o::put);
        return o;
    }

    static String reqStr(JsonNode r, String field) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull() || !n.isTextual() || n.asText().isEmpty()) {
            throw KmsApiException.validation("1 validation error detected: Value null at '" + lowerFirst(field)
                    + "' failed to satisfy constraint: Member must not be null");
        }
        return n.asText();
    }

    /**
     * Member {@code field} of {@code r}, or {@code dflt} when absent, which must be one of {@code values}, AWS's enum
     * for it: anything else is AWS's schema refusal, a ValidationException naming the member as the wire does
     * ({@code keySpec} for {@code KeySpec}). A value in the enum that this KMS or this key cannot use is for the
     * operation to refuse (UnsupportedOperationException, InvalidKeyUsageException), as AWS does.
     */
    static String enumStr(JsonNode r, String field, String dflt, List<String> values) {
        String v = optStr(r, field, dflt);
        if (!values.contains(v)) {
            throw KmsApiException.validation("1 validation error detected: Value '" + v + "' at '"
                    + Character.toLowerCase(field.charAt(0)) + field.substring(1)
                    + "' failed to satisfy constraint: Member must satisfy enum value set: " + values);
        }
        return v;
    }

    /** AWS's KeySpec (and CustomerMasterKeySpec) enum. */
    static final List<String> KEY_SPECS = List.of(
            "RSA_2048",
            "RSA_3072",
            "RSA_4096",
            "ECC_NIST_P256",
            "ECC_NIST_P384",
            "ECC_NIST_P521",
            "ECC_SECG_P256K1",
            "SYMMETRIC_DEFAULT",
            "HMAC_224",
            "HMAC_256",
            "HMAC_384",
            "HMAC_512",
            "SM2",
            "ML_DSA_44",
            "ML_DSA_65",
            "ML_DSA_87",
            "ECC_NIST_EDWARDS25519");

    static final List<String> KEY_USAGES =
            List.of("SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT");
    static final List<String> ORIGINS = List.of("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE");
    static final List<String> ENCRYPTION_ALGORITHMS =
            List.of("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE");
    static final List<String> SIGNING_ALGORITHMS = List.of(
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512",
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512",
            "ECDSA_SHA_256",
            "ECDSA_SHA_384",
            "ECDSA_SHA_512",
            "SM2DSA",
            "ML_DSA_SHAKE_256",
            "ED25519_SHA_512",
            "ED25519_PH_SHA_512");
    static final List<String> MESSAGE_TYPES = List.of("RAW", "DIGEST", "EXTERNAL_MU");

    static String optStr(JsonNode r, String field, String dflt) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw KmsApiException.of("SerializationException", "Member " + field + " must be a string.");
        }
        return n.asText();
    }

    static int optInt(JsonNode r, String field, int dflt) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.canConvertToInt()) {
            throw KmsApiException.of("SerializationException", "Member " + field + " must be an integer.");
        }
        return n.asInt();
    }

    static byte[] blob(JsonNode r, String field, int maxBytes) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull()) {
            throw KmsApiException.validation("1 validation error detected: Value null at '" + lowerFirst(field)
                    + "' failed to satisfy constraint: Member must not be null");
        }
        byte[] b;
        try {
            b = Base64.getDecoder().decode(n.asText());
        } catch (IllegalArgumentException e) {
            throw KmsApiException.of("SerializationException", "Member " + field + " is not valid base64.");
        }
        if (b.length < 1 || b.length > maxBytes) {
            throw KmsApiException.validation("1 validation error detected: Value at '" + lowerFirst(field)
                    + "' failed to satisfy constraint: Member must have length between 1 and " + maxBytes);
        }
        return b;
    }

    static SortedMap<String, String> context(JsonNode r, String field) {
        JsonNode n = r.get(field);
        SortedMap<String, String> out = new TreeMap<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw KmsApiException.of("SerializationException", "Member " + field + " must be a map of strings.");
        }
        long chars = 0;
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (!e.getValue().isTextual()) {
                throw KmsApiException.of("SerializationException", "Member " + field + " must be a map of strings.");
            }
            if (e.getKey().isEmpty()) {
                throw KmsApiException.validation(field + " has an empty key; every key of an encryption context must"
                        + " be a non-empty string.");
            }
            chars += e.getKey().length() + e.getValue().asText().length();
            if (chars > MAX_CONTEXT_CHARS) {
                throw KmsApiException.validation(field + " is longer than " + MAX_CONTEXT_CHARS + " characters (keys"
                        + " and values together).");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** The most characters an encryption context holds, keys and values together (AWS KMS's limit). */
    static final int MAX_CONTEXT_CHARS = 8192;

    private static String lowerFirst(String s) {
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
