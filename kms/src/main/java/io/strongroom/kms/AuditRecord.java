package io.strongroom.kms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One CloudTrail-style record of the KMS audit trail, with typed access to the fields queries use and the
 * whole JSON for the rest. It holds no secret: the trail never contains plaintext, ciphertext or tokens.
 * Immutable (the JSON is a private copy).
 */
public final class AuditRecord {
    private final ObjectNode json;

    AuditRecord(ObjectNode json) {
        this.json = json;
    }

    public String eventName() {
        return json.path("eventName").asText();
    }

    public Instant eventTime() {
        return Instant.parse(json.path("eventTime").asText());
    }

    public String region() {
        return json.path("awsRegion").asText();
    }

    /** The principal ARN of the caller, or "" for a request whose signature did not verify. */
    public String principalArn() {
        return json.path("userIdentity").path("arn").asText("");
    }

    public String accountId() {
        return json.path("userIdentity").path("accountId").asText("");
    }

    public String accessKeyId() {
        return json.path("userIdentity").path("accessKeyId").asText("");
    }

    /** The ARN of the key the call acted on, or null. */
    public @Nullable String keyArn() {
        JsonNode r = json.path("resources").path(0).path("ARN");
        return r.isTextual() ? r.asText() : null;
    }

    /** The AWS error code of a failed call, or null for a success. */
    public @Nullable String errorCode() {
        JsonNode e = json.get("errorCode");
        return e == null || e.isNull() ? null : e.asText();
    }

    public @Nullable String errorMessage() {
        JsonNode e = json.get("errorMessage");
        return e == null || e.isNull() ? null : e.asText();
    }

    /** Every encryption-context pair of the request (source, destination and constraint contexts merged). */
    public Map<String, String> encryptionContext() {
        Map<String, String> out = new TreeMap<>();
        JsonNode p = json.path("requestParameters");
        for (String f : new String[] {"encryptionContext", "sourceEncryptionContext", "destinationEncryptionContext"}) {
            p.path(f).properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        JsonNode c = p.path("constraints");
        for (String f : new String[] {"encryptionContextSubset", "encryptionContextEquals"}) {
            c.path(f).properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }

    /** The {@code keyId} request parameter as the caller passed it, or "". */
    public String requestedKeyId() {
        return json.path("requestParameters").path("keyId").asText("");
    }

    /** A copy of the whole record. */
    public ObjectNode json() {
        return json.deepCopy();
    }

    @Override
    public String toString() {
        return json.toString();
    }
}
