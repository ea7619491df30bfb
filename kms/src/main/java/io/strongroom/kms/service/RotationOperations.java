package io.strongroom.kms.service;

import static io.strongroom.kms.service.KeyChecks.authorize;
import static io.strongroom.kms.service.KeyChecks.usable;
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
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KeyMaterial;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/**
 * Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations,
 * and the automatic rotation step {@link KmsService#runScheduledWork} takes for each key that is due. Rotating
 * adds a material version and makes it current; older versions stay, so older ciphertexts still decrypt.
 *
 * <p>Invariants it keeps: only symmetric keys rotate; an AWS-managed key's rotation cannot be changed (it rotates
 * yearly from creation); a key rotates on demand at most 25 times ({@code MAX_ON_DEMAND_ROTATIONS}).
 *
 * <p>Not thread-safe on its own: it runs only inside {@link KmsService#call} (under the service's read lock for the
 * operations that change nothing and its write lock for the rest) or {@link KmsService#runScheduledWork} (under
 * the write lock), and keeps no state of its own beyond its references into the shared {@link KmsState}.
 */
final class RotationOperations {
    private static final int MAX_ON_DEMAND_ROTATIONS = 25;

    private final KmsState state;
    private final InstantSource clock;

    RotationOperations(KmsState state) {
        this.state = state;
        this.clock = state.clock;
    }

    private KmsKey rotatable(Caller c, String region, JsonNode r, AuditEvent ev, String action) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, action, null, Map.of());
        if (!k.isSymmetric()) {
            throw KmsApiException.unsupported(k.arn() + " is an asymmetric key; only symmetric keys rotate.");
        }
        return k;
    }

    JsonNode enableKeyRotation(Caller c, String region, JsonNode r, AuditEvent ev) {
        int days = optInt(r, "RotationPeriodInDays", 365);
        if (days < 90 || days > 2560) {
            throw KmsApiException.validation("1 validation error detected: Value '" + days
                    + "' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90"
                    + " and 2560");
        }
        KmsKey k = rotatable(c, region, r, ev, "kms:EnableKeyRotation");
        managedRefused(k);
        usable(k);
        k.rotationEnabled = true;
        k.rotationPeriodDays = days;
        k.nextRotationDate = clock.instant().plus(Duration.ofDays(days));
        return obj();
    }

    JsonNode disableKeyRotation(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = rotatable(c, region, r, ev, "kms:DisableKeyRotation");
        managedRefused(k);
        usable(k);
        k.rotationEnabled = false;
        k.nextRotationDate = null;
        return obj();
    }

    JsonNode getKeyRotationStatus(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = rotatable(c, region, r, ev, "kms:GetKeyRotationStatus");
        ObjectNode out = obj().put("KeyRotationEnabled", k.rotationEnabled).put("KeyId", k.arn());
        if (k.rotationEnabled) {
            out.put("RotationPeriodInDays", k.rotationPeriodDays);
            if (k.nextRotationDate != null) {
                out.set("NextRotationDate", ts(k.nextRotationDate));
            }
        }
        if (k.onDemandRotationStartDate != null) {
            out.set("OnDemandRotationStartDate", ts(k.onDemandRotationStartDate));
        }
        return out;
    }

    JsonNode rotateKeyOnDemand(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = rotatable(c, region, r, ev, "kms:RotateKeyOnDemand");
        managedRefused(k);
        usable(k);
        if (k.onDemandRotations >= MAX_ON_DEMAND_ROTATIONS) {
            throw KmsApiException.limitExceeded(
                    k.arn() + " has reached the limit of " + MAX_ON_DEMAND_ROTATIONS + " on-demand rotations.");
        }
        k.addMaterial(state.newSymmetricMaterial(k, k.materials.size() + 1, "ON_DEMAND"));
        k.onDemandRotations++;
        k.onDemandRotationStartDate = clock.instant();
        ev.keyMaterialId(k.current().materialId());
        // AWS answers RotateKeyOnDemand with the key id, not the ARN the other rotation operations return.
        return obj().put("KeyId", k.keyId);
    }

    JsonNode listKeyRotations(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = rotatable(c, region, r, ev, "kms:ListKeyRotations");
        boolean all = optStr(r, "IncludeKeyMaterial", "ROTATIONS_ONLY").equals("ALL_KEY_MATERIAL");
        List<KeyMaterial> versions =
                k.materials.stream().filter(m -> all || m.version() > 1).toList();
        ObjectNode out = obj();
        ArrayNode list = out.putArray("Rotations");
        for (KeyMaterial m : page(versions, r, out, 1000)) {
            ObjectNode e = list.addObject()
                    .put("KeyId", k.arn())
                    .put("KeyMaterialId", m.materialId())
                    .put("KeyMaterialState", m == k.current() ? "CURRENT" : "NON_CURRENT");
            if (m.rotationType() != null) {
                e.put("RotationType", m.rotationType());
                e.set("RotationDate", ts(m.createdAt()));
            }
        }
        return out;
    }

    private static void managedRefused(KmsKey k) {
        if (k.keyManager.equals("AWS")) {
            throw KmsApiException.unsupported(k.arn() + " is an AWS managed key; its rotation cannot be changed.");
        }
    }

    /**
     * Rotates {@code k} because its next rotation date has come: adds a material version and sets the next date
     * one rotation period after {@code now}. {@link KmsService#runScheduledWork} decides which keys are due,
     * writes the audit event and saves.
     */
    void rotateAutomatically(KmsKey k, Instant now) {
        k.addMaterial(state.newSymmetricMaterial(k, k.materials.size() + 1, "AUTOMATIC"));
        k.nextRotationDate = now.plus(Duration.ofDays(k.rotationPeriodDays));
    }
}
