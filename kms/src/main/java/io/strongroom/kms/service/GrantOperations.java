package io.strongroom.kms.service;

import static io.strongroom.kms.service.KeyChecks.authorize;
import static io.strongroom.kms.service.KeyChecks.dryRun;
import static io.strongroom.kms.service.KeyChecks.usable;
import static io.strongroom.kms.service.KmsJson.context;
import static io.strongroom.kms.service.KmsJson.mapNode;
import static io.strongroom.kms.service.KmsJson.obj;
import static io.strongroom.kms.service.KmsJson.optStr;
import static io.strongroom.kms.service.KmsJson.page;
import static io.strongroom.kms.service.KmsJson.reqStr;
import static io.strongroom.kms.service.KmsJson.ts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.Grant;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant. How a grant allows an
 * operation is {@link Grant#allows}; {@link KeyChecks#authorize} consults grants after the key policy.
 *
 * <p>Invariants it keeps: a grant created through another grant allows no more than that grant (see {@link
 * #authorizeCreateGrant}); a repeated CreateGrant with the same name and the same terms answers the existing
 * grant instead of adding one; the grants quota per key holds. Grant tokens are compared in {@link
 * Grant#tokenMatches}; the audit trail leaves them out (see {@link AuditEvent}).
 *
 * <p>Not thread-safe on its own: it runs only inside {@link KmsService#call}, under the service's read lock for the
 * operations that change nothing and its write lock for the rest, and keeps no state of its own beyond its
 * references into the shared {@link KmsState}.
 */
final class GrantOperations {
    /** Grant name, principal and constraint bounds (the KMS model's lengths; 8 KiB of constraint text). */
    private static final Pattern GRANT_NAME = Pattern.compile("[a-zA-Z0-9:/_-]{1,256}");

    private static final int MAX_PRINCIPAL_CHARS = 256;
    private static final int MAX_CONSTRAINT_CHARS = 8192;

    private final KmsState state;
    private final Map<String, KmsKey> keys;
    private final InstantSource clock;
    private final SecureRandom random;
    private final KmsQuotas quotas;

    GrantOperations(KmsState state) {
        this.state = state;
        this.keys = state.keys;
        this.clock = state.clock;
        this.random = state.random;
        this.quotas = state.quotas;
    }

    JsonNode createGrant(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        String grantee = principal(reqStr(r, "GranteePrincipal"), "granteePrincipal");
        @Nullable
        String retiring = r.hasNonNull("RetiringPrincipal")
                ? principal(reqStr(r, "RetiringPrincipal"), "retiringPrincipal")
                : null;
        List<String> ops = new ArrayList<>();
        for (JsonNode o : r.path("Operations")) {
            if (!Grant.OPERATIONS.contains(o.asText())) {
                throw KmsApiException.validation("1 validation error detected: Value '" + o.asText()
                        + "' at 'operations' failed to satisfy constraint: Member must satisfy enum value set: "
                        + Grant.OPERATIONS);
            }
            if (!ops.contains(o.asText())) {
                ops.add(o.asText());
            }
        }
        if (ops.isEmpty()) {
            throw KmsApiException.validation("1 validation error detected: Value null at 'operations' failed to"
                    + " satisfy constraint: Member must not be null");
        }
        JsonNode cons = r.path("Constraints");
        SortedMap<String, String> subset =
                cons.has("EncryptionContextSubset") ? context(cons, "EncryptionContextSubset") : null;
        SortedMap<String, String> equals =
                cons.has("EncryptionContextEquals") ? context(cons, "EncryptionContextEquals") : null;
        if (chars(subset) + chars(equals) > MAX_CONSTRAINT_CHARS) {
            throw KmsApiException.validation("The grant constraints hold more than " + MAX_CONSTRAINT_CHARS
                    + " characters of encryption context.");
        }
        String name = optStr(r, "Name", "");
        if (!name.isEmpty() && !GRANT_NAME.matcher(name).matches()) {
            throw KmsApiException.validation("1 validation error detected: Value at 'name' failed to satisfy"
                    + " constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$ and have"
                    + " length between 1 and 256");
        }
        authorizeCreateGrant(c, k, ops, subset, equals);
        usable(k);
        dryRun(r);
        if (!name.isEmpty()) {
            for (Grant g : k.grants.values()) {
                if (g.name().equals(name)
                        && g.granteePrincipal().equals(grantee)
                        && g.operations().equals(ops)
                        && Objects.equals(g.retiringPrincipal(), retiring)
                        && Objects.equals(g.contextSubset(), subset)
                        && Objects.equals(g.contextEquals(), equals)) {
                    return obj().put("GrantToken", g.token()).put("GrantId", g.grantId());
                }
            }
        }
        if (k.grants.size() >= quotas.grantsPerKey()) {
            throw KmsApiException.limitExceeded(k.arn() + " has reached its quota of " + quotas.grantsPerKey()
                    + " grants; retire or revoke grants that are no longer needed.");
        }
        byte[] token = new byte[48];
        random.nextBytes(token);
        Grant g = new Grant(
                state.materialId(),
                Base64.getUrlEncoder().withoutPadding().encodeToString(token),
                name,
                k.arn(),
                grantee,
                retiring,
                ops,
                subset,
                equals,
                c.accountId(),
                clock.instant());
        k.grants.put(g.grantId(), g);
        return obj().put("GrantToken", g.token()).put("GrantId", g.grantId());
    }

    /**
     * Who may create a grant, and which. The key policy allowing {@code kms:CreateGrant} allows any grant. A
     * caller allowed only through a grant of its own that includes {@code CreateGrant} may, as in AWS, create
     * only grants that allow a subset of that grant's operations, with encryption-context constraints at least
     * as strict as its own; otherwise holding one narrow grant with CreateGrant would let a principal hand out
     * (or give itself) every operation on the key with no constraint.
     */
    private static void authorizeCreateGrant(
            Caller c,
            KmsKey k,
            List<String> ops,
            @Nullable SortedMap<String, String> subset,
            @Nullable SortedMap<String, String> equals) {
        KeyPolicy.Decision d = k.policy.evaluate(c, "kms:CreateGrant", Map.of());
        if (d == KeyPolicy.Decision.ALLOW) {
            return;
        }
        boolean parentGrant = false;
        if (d == KeyPolicy.Decision.NONE) {
            for (Grant g : k.grants.values()) {
                if (g.isGrantee(c) && g.operations().contains("CreateGrant")) {
                    parentGrant = true;
                    if (g.operations().containsAll(ops) && g.permitsChildConstraints(subset, equals)) {
                        return;
                    }
                }
            }
        }
        if (parentGrant) {
            throw KmsApiException.accessDenied("User: " + c.principalArn() + " may create grants on " + k.arn()
                    + " only through a grant, so the new grant's operations must be a subset of that grant's"
                    + " operations and its encryption-context constraints at least as strict.");
        }
        throw KmsApiException.accessDenied("User: " + c.principalArn() + " is not authorized to perform:"
                + " kms:CreateGrant on resource: " + k.arn() + " because no resource-based policy allows the"
                + " kms:CreateGrant action");
    }

    private static String principal(String arn, String member) {
        if (arn.length() > MAX_PRINCIPAL_CHARS) {
            throw KmsApiException.validation("1 validation error detected: Value at '" + member + "' failed to"
                    + " satisfy constraint: Member must have length less than or equal to " + MAX_PRINCIPAL_CHARS);
        }
        return arn;
    }

    private static int chars(@Nullable Map<String, String> m) {
        int n = 0;
        if (m != null) {
            for (Map.Entry<String, String> e : m.entrySet()) {
                n += e.getKey().length() + e.getValue().length();
            }
        }
        return n;
    }

    JsonNode listGrants(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:ListGrants", null, Map.of());
        String id = optStr(r, "GrantId", "");
        String grantee = optStr(r, "GranteePrincipal", "");
        List<Grant> found = k.grants.values().stream()
                .filter(g -> id.isEmpty() || g.grantId().equals(id))
                .filter(g -> grantee.isEmpty() || g.granteePrincipal().equals(grantee))
                .toList();
        return grantList(found, r);
    }

    JsonNode listRetirableGrants(Caller c, String region, JsonNode r) {
        String retiring = reqStr(r, "RetiringPrincipal");
        List<Grant> found = new ArrayList<>();
        for (KmsKey k : keys.values()) {
            if (k.region.equals(region)) {
                for (Grant g : k.grants.values()) {
                    if (retiring.equals(g.retiringPrincipal())) {
                        found.add(g);
                    }
                }
            }
        }
        if (!retiring.equals(c.principalArn()) && !retiring.equals(c.accountRootArn())) {
            throw KmsApiException.accessDenied("User: " + c.principalArn() + " is not authorized to perform:"
                    + " kms:ListRetirableGrants for " + retiring);
        }
        return grantList(found, r);
    }

    private JsonNode grantList(List<Grant> grants, JsonNode r) {
        ObjectNode out = obj();
        ArrayNode list = out.putArray("Grants");
        for (Grant g : page(grants, r, out, 100)) {
            ObjectNode e = list.addObject()
                    .put("KeyId", g.keyArn())
                    .put("GrantId", g.grantId())
                    .put("GranteePrincipal", g.granteePrincipal())
                    .put("IssuingAccount", "arn:aws:iam::" + g.issuingAccount() + ":root");
            if (!g.name().isEmpty()) {
                e.put("Name", g.name());
            }
            e.set("CreationDate", ts(g.creationDate()));
            if (g.retiringPrincipal() != null) {
                e.put("RetiringPrincipal", g.retiringPrincipal());
            }
            ArrayNode ops = e.putArray("Operations");
            g.operations().forEach(ops::add);
            if (g.contextSubset() != null || g.contextEquals() != null) {
                ObjectNode cons = e.putObject("Constraints");
                if (g.contextSubset() != null) {
                    cons.set("EncryptionContextSubset", mapNode(g.contextSubset()));
                }
                if (g.contextEquals() != null) {
                    cons.set("EncryptionContextEquals", mapNode(g.contextEquals()));
                }
            }
        }
        return out;
    }

    JsonNode retireGrant(Caller c, String region, JsonNode r, AuditEvent ev) {
        Grant g = null;
        KmsKey k = null;
        if (r.hasNonNull("GrantToken")) {
            String token = r.get("GrantToken").asText();
            for (KmsKey key : keys.values()) {
                for (Grant candidate : key.grants.values()) {
                    if (candidate.tokenMatches(token)) {
                        g = candidate;
                        k = key;
                    }
                }
            }
            if (g == null || k == null) {
                throw KmsApiException.of("InvalidGrantTokenException", "The grant token is not valid.");
            }
            ev.key(k.arn(), k.accountId);
        } else {
            k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
            g = k.grants.get(reqStr(r, "GrantId"));
            if (g == null) {
                throw KmsApiException.notFound("Grant " + r.get("GrantId").asText() + " does not exist on " + k.arn());
            }
        }
        boolean may = c.principalArn().equals(g.retiringPrincipal())
                || c.accountRootArn().equals(g.retiringPrincipal())
                || (g.isGrantee(c) && g.operations().contains("RetireGrant"))
                || k.policy.evaluate(c, "kms:RetireGrant", Map.of()) == KeyPolicy.Decision.ALLOW;
        if (!may) {
            throw KmsApiException.accessDenied("User: " + c.principalArn() + " is not authorized to retire grant "
                    + g.grantId() + " on " + k.arn());
        }
        dryRun(r);
        k.grants.remove(g.grantId());
        return obj();
    }

    JsonNode revokeGrant(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = state.resolve(c, region, reqStr(r, "KeyId"), false, ev);
        String id = reqStr(r, "GrantId");
        authorize(c, k, "kms:RevokeGrant", null, Map.of());
        if (!k.grants.containsKey(id)) {
            throw KmsApiException.notFound("Grant " + id + " does not exist on " + k.arn());
        }
        dryRun(r);
        k.grants.remove(id);
        return obj();
    }
}
