package io.strongroom.kms.service;

import static io.strongroom.kms.service.KeyChecks.authorize;
import static io.strongroom.kms.service.KeyChecks.notPendingDeletion;
import static io.strongroom.kms.service.KmsJson.obj;
import static io.strongroom.kms.service.KmsJson.optStr;
import static io.strongroom.kms.service.KmsJson.reqStr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.util.Map;

/**
 * Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, and the lockout check CreateKey shares. Each key has
 * exactly one policy, named {@code default}; how it is evaluated is {@link KeyPolicy}'s.
 *
 * <p>Invariant it keeps: unless the request bypasses the lockout safety check, a new policy still allows the
 * caller {@code kms:PutKeyPolicy}, so nobody locks themselves out of a key by accident.
 *
 * <p>Not thread-safe on its own: it runs only inside {@link KmsService#call}, under the service's read lock for the
 * operations that change nothing and its write lock for the rest, and keeps no state of its own beyond its
 * references into the shared {@link KmsState}.
 */
final class KeyPolicyOperations {
    private final KmsState state;

    KeyPolicyOperations(KmsState state) {
        this.state = state;
    }

    JsonNode getKeyPolicy(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        policyName(r);
        authorize(c, k, "kms:GetKeyPolicy", null, Map.of());
        return obj().put("Policy", k.policy.document()).put("PolicyName", "default");
    }

    JsonNode putKeyPolicy(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        policyName(r);
        String text = reqStr(r, "Policy");
        state.policySize(text);
        KeyPolicy p = KeyPolicy.parse(text);
        authorize(c, k, "kms:PutKeyPolicy", null, Map.of());
        notPendingDeletion(k);
        if (!r.path("BypassPolicyLockoutSafetyCheck").asBoolean(false)) {
            lockoutCheck(p, c);
        }
        k.policy = p;
        return obj();
    }

    static void lockoutCheck(KeyPolicy p, Caller c) {
        if (p.evaluate(c, "kms:PutKeyPolicy", Map.of()) != KeyPolicy.Decision.ALLOW) {
            throw KmsApiException.of(
                    "MalformedPolicyDocumentException",
                    "The new key policy will not allow you to update the key policy in the future.");
        }
    }

    private static void policyName(JsonNode r) {
        String name = optStr(r, "PolicyName", "default");
        if (!name.equals("default")) {
            throw KmsApiException.notFound("Policy " + name + " does not exist; the only policy name is default.");
        }
    }

    JsonNode listKeyPolicies(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:ListKeyPolicies", null, Map.of());
        ObjectNode out = obj().put("Truncated", false);
        out.putArray("PolicyNames").add("default");
        return out;
    }
}
