package io.strongroom.kms.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.Grant;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KeyState;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The checks the key operations make once they have resolved their key: authorization (key policy, then
 * grants), the key's state and usage, the algorithm, and the {@code DryRun} flag, which answers {@code
 * DryRunOperationException} in place of acting. Each operation calls them in its own order, which is part of its
 * behaviour (which error a request with several faults gets), so they are separate checks rather than one. Each
 * throws the {@link KmsApiException} AWS KMS answers, naming the key's ARN and the action, never material.
 *
 * <p>Static and stateless; it reads a key's fields, so callers hold the service's lock (see {@link KmsKey}).
 */
final class KeyChecks {
    private KeyChecks() {}

    static void authorize(Caller c, KmsKey k, String action, @Nullable String grantOp, Map<String, String> context) {
        KeyPolicy.Decision d = k.policy.evaluate(c, action, context);
        if (d == KeyPolicy.Decision.ALLOW) {
            return;
        }
        if (d == KeyPolicy.Decision.NONE && grantOp != null) {
            for (Grant g : k.grants.values()) {
                if (g.allows(c, grantOp, context)) {
                    return;
                }
            }
        }
        throw KmsApiException.accessDenied("User: " + c.principalArn() + " is not authorized to perform: " + action
                + " on resource: " + k.arn() + " because no resource-based policy allows the " + action + " action");
    }

    static void usable(KmsKey k) {
        switch (k.state) {
            case ENABLED -> {}
            case DISABLED -> throw KmsApiException.disabled(k.arn());
            case PENDING_DELETION -> throw KmsApiException.invalidState(k.arn() + " is pending deletion.");
        }
    }

    static void notPendingDeletion(KmsKey k) {
        if (k.state == KeyState.PENDING_DELETION) {
            throw KmsApiException.invalidState(k.arn() + " is pending deletion.");
        }
    }

    static void requireUsage(KmsKey k, String usage, String op) {
        if (!k.keyUsage.equals(usage)) {
            throw KmsApiException.invalidKeyUsage(
                    k.arn() + " key usage is " + k.keyUsage + " which is not valid for " + op + ".");
        }
    }

    static void algorithm(String alg, List<String> allowed, KmsKey k) {
        if (!allowed.contains(alg)) {
            throw KmsApiException.invalidKeyUsage(
                    "Algorithm " + alg + " is not valid for " + k.arn() + " (valid: " + allowed + ").");
        }
    }

    static void dryRun(JsonNode r) {
        if (r.path("DryRun").asBoolean(false)) {
            throw new KmsApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "DryRunOperationException",
                    412,
                    "The request would have succeeded, but the DryRun option is set.");
        }
    }
}
