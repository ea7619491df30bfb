package io.strongroom.kms.service;

import static io.strongroom.kms.service.KeyChecks.authorize;
import static io.strongroom.kms.service.KeyChecks.notPendingDeletion;
import static io.strongroom.kms.service.KmsJson.metadata;
import static io.strongroom.kms.service.KmsJson.obj;
import static io.strongroom.kms.service.KmsJson.optInt;
import static io.strongroom.kms.service.KmsJson.optStr;
import static io.strongroom.kms.service.KmsJson.page;
import static io.strongroom.kms.service.KmsJson.reqStr;
import static io.strongroom.kms.service.KmsJson.ts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.model.Asymmetric;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KeyState;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Key lifecycle and metadata: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey, DisableKey,
 * ScheduleKeyDeletion, CancelKeyDeletion, and the key's tags (TagResource, UntagResource, ListResourceTags). The
 * end of a deletion waiting period is not here: {@link KmsService#runScheduledWork} destroys the key.
 *
 * <p>Invariants it keeps: a new key starts {@code Enabled} with one material version; these operations refuse a
 * key pending deletion, except CancelKeyDeletion (which leaves it {@code Disabled}); tags stay within the quota
 * per key.
 *
 * <p>Not thread-safe on its own: it runs only inside {@link KmsService#call}, under the service's read lock for the
 * operations that change nothing and its write lock for the rest, and keeps no state of its own beyond its
 * references into the shared {@link KmsState}.
 */
final class KeyLifecycle {
    private final KmsState state;
    private final Map<String, KmsKey> keys;
    private final InstantSource clock;
    private final KmsQuotas quotas;

    KeyLifecycle(KmsState state) {
        this.state = state;
        this.keys = state.keys;
        this.clock = state.clock;
        this.quotas = state.quotas;
    }

    /** The longest key description KMS accepts. */
    private static final int MAX_DESCRIPTION_CHARS = 8192;

    private static void checkDescription(String description) {
        if (description.length() > MAX_DESCRIPTION_CHARS) {
            throw KmsApiException.validation("1 validation error detected: Value at 'description' failed to satisfy"
                    + " constraint: Member must have length less than or equal to " + MAX_DESCRIPTION_CHARS);
        }
    }

    JsonNode createKey(Caller c, String region, JsonNode r, AuditEvent ev) {
        String usage = KmsJson.enumStr(r, "KeyUsage", "ENCRYPT_DECRYPT", KmsJson.KEY_USAGES);
        String spec = KmsJson.enumStr(
                r,
                "KeySpec",
                KmsJson.enumStr(r, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT", KmsJson.KEY_SPECS),
                KmsJson.KEY_SPECS);
        String origin = KmsJson.enumStr(r, "Origin", "AWS_KMS", KmsJson.ORIGINS);
        String description = optStr(r, "Description", "");
        checkDescription(description);
        if (!origin.equals("AWS_KMS")) {
            throw KmsApiException.unsupported("Origin " + origin + " is not supported by this KMS; use AWS_KMS.");
        }
        if (r.path("MultiRegion").asBoolean(false)) {
            throw KmsApiException.unsupported("Multi-Region keys are not supported by this KMS.");
        }
        if (r.has("CustomKeyStoreId") || r.has("XksKeyId")) {
            throw KmsApiException.unsupported("Custom key stores are not supported by this KMS.");
        }
        boolean symmetric = spec.equals("SYMMETRIC_DEFAULT");
        if (!symmetric && !Asymmetric.isSupported(spec)) {
            throw KmsApiException.unsupported("KeySpec " + spec + " is not supported by this KMS (supported:"
                    + " SYMMETRIC_DEFAULT, RSA_2048/3072/4096, ECC_NIST_P256/P384/P521).");
        }
        boolean usageOk = switch (usage) {
            case "ENCRYPT_DECRYPT" -> symmetric || spec.startsWith("RSA_");
            case "SIGN_VERIFY" -> !symmetric;
            default -> false;
        };
        if (!usageOk) {
            throw KmsApiException.validation("KeyUsage " + usage + " is not compatible with KeySpec " + spec + ".");
        }
        String policyText = optStr(r, "Policy", KeyPolicy.defaultPolicy(c.accountId()));
        state.policySize(policyText);
        KeyPolicy policy = KeyPolicy.parse(policyText);
        if (r.has("Policy") && !r.path("BypassPolicyLockoutSafetyCheck").asBoolean(false)) {
            KeyPolicyOperations.lockoutCheck(policy, c);
        }
        Map<String, String> tags = tags(r);
        tagCount(tags.size(), null);
        state.keyQuota(c.accountId(), region);
        KmsKey k = state.newKey(c.accountId(), region, spec, usage, "CUSTOMER", description, policy);
        k.tags.putAll(tags);
        keys.put(k.keyId, k);
        ev.key(k.arn(), k.accountId);
        return obj().set("KeyMetadata", metadata(k));
    }

    private void tagCount(int after, @Nullable KmsKey k) {
        if (after > quotas.tagsPerKey()) {
            throw KmsApiException.limitExceeded((k == null ? "A key" : k.arn()) + " would have " + after
                    + " tags; the quota is " + quotas.tagsPerKey() + " tags per key.");
        }
    }

    JsonNode describeKey(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), true, ev);
        authorize(c, k, "kms:DescribeKey", "DescribeKey", Map.of());
        return obj().set("KeyMetadata", metadata(k));
    }

    JsonNode listKeys(Caller c, String region, JsonNode r) {
        List<KmsKey> mine = keys.values().stream()
                .filter(k -> k.accountId.equals(c.accountId()) && k.region.equals(region))
                .toList();
        ObjectNode out = obj();
        ArrayNode list = out.putArray("Keys");
        for (KmsKey k : page(mine, r, out, 1000)) {
            list.addObject().put("KeyId", k.keyId).put("KeyArn", k.arn());
        }
        return out;
    }

    JsonNode updateKeyDescription(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:UpdateKeyDescription", null, Map.of());
        notPendingDeletion(k);
        String description = reqStr(r, "Description");
        checkDescription(description);
        k.description = description;
        return obj();
    }

    JsonNode setEnabled(Caller c, String region, JsonNode r, AuditEvent ev, boolean enable) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, enable ? "kms:EnableKey" : "kms:DisableKey", null, Map.of());
        notPendingDeletion(k);
        k.state = enable ? KeyState.ENABLED : KeyState.DISABLED;
        return obj();
    }

    JsonNode scheduleKeyDeletion(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        int days = optInt(r, "PendingWindowInDays", 30);
        if (days < 7 || days > 30) {
            throw KmsApiException.validation("1 validation error detected: Value '" + days
                    + "' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7"
                    + " and 30");
        }
        authorize(c, k, "kms:ScheduleKeyDeletion", null, Map.of());
        notPendingDeletion(k);
        k.state = KeyState.PENDING_DELETION;
        k.pendingWindowDays = days;
        Instant deletion = clock.instant().plus(Duration.ofDays(days));
        k.deletionDate = deletion;
        return obj().put("KeyId", k.arn())
                .put("KeyState", k.state.wireName())
                .put("PendingWindowInDays", days)
                .set("DeletionDate", ts(deletion));
    }

    JsonNode cancelKeyDeletion(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:CancelKeyDeletion", null, Map.of());
        if (k.state != KeyState.PENDING_DELETION) {
            throw KmsApiException.invalidState(k.arn() + " is not pending deletion.");
        }
        k.state = KeyState.DISABLED;
        k.deletionDate = null;
        k.pendingWindowDays = 0;
        return obj().put("KeyId", k.arn());
    }

    JsonNode tagResource(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        Map<String, String> tags = tags(r);
        authorize(c, k, "kms:TagResource", null, Map.of());
        notPendingDeletion(k);
        Map<String, String> merged = new TreeMap<>(k.tags);
        merged.putAll(tags);
        tagCount(merged.size(), k);
        k.tags.putAll(tags);
        return obj();
    }

    JsonNode untagResource(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:UntagResource", null, Map.of());
        notPendingDeletion(k);
        for (JsonNode t : r.path("TagKeys")) {
            k.tags.remove(t.asText());
        }
        return obj();
    }

    JsonNode listResourceTags(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:ListResourceTags", null, Map.of());
        ObjectNode out = obj();
        ArrayNode list = out.putArray("Tags");
        for (Map.Entry<String, String> t : page(new ArrayList<>(k.tags.entrySet()), r, out, 50)) {
            list.addObject().put("TagKey", t.getKey()).put("TagValue", t.getValue());
        }
        return out;
    }

    private static Map<String, String> tags(JsonNode r) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode t : r.path("Tags")) {
            String key = t.path("TagKey").asText("");
            String value = t.path("TagValue").asText("");
            if (key.isEmpty() || key.length() > 128 || value.length() > 256) {
                throw KmsApiException.of("TagException", "Tag keys need 1 to 128 characters, values at most 256.");
            }
            if (key.startsWith("aws:")) {
                throw KmsApiException.of("TagException", "Tag keys starting with aws: are reserved.");
            }
            out.put(key, value);
        }
        return out;
    }
}
