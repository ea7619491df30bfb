package io.strongroom.kms.service;

import static io.strongroom.kms.service.KeyChecks.authorize;
import static io.strongroom.kms.service.KeyChecks.notPendingDeletion;
import static io.strongroom.kms.service.KmsJson.obj;
import static io.strongroom.kms.service.KmsJson.optStr;
import static io.strongroom.kms.service.KmsJson.page;
import static io.strongroom.kms.service.KmsJson.reqStr;
import static io.strongroom.kms.service.KmsJson.ts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.model.Alias;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. Resolving an alias to its key is {@link
 * KmsState#resolve}'s job, as every key operation does it.
 *
 * <p>Invariants it keeps: an alias points at a key of its own account and region that is not pending deletion
 * when the alias is set; names under {@code alias/aws/} are the KMS's own (see {@link
 * KmsService#managedKey}); the alias quotas per account and region and per key hold.
 *
 * <p>Not thread-safe on its own: it runs only inside {@link KmsService#call}, under the service's read lock for the
 * operations that change nothing and its write lock for the rest, and keeps no state of its own beyond its
 * references into the shared {@link KmsState}.
 */
final class AliasOperations {
    /**
     * The AliasName constraint of the KMS API model (AliasNameType: 1 to 256 characters of this set). The model lets
     * {@code :} through because the same type carries alias ARNs; the service then refuses it in a name (see {@link
     * #aliasName}).
     */
    private static final Pattern MODEL_PATTERN = Pattern.compile("[a-zA-Z0-9:/_-]+");

    private static final int MAX_NAME_CHARS = 256;

    private final KmsState state;
    private final Map<String, KmsKey> keys;
    private final Map<String, Alias> aliases;
    private final InstantSource clock;
    private final KmsQuotas quotas;

    AliasOperations(KmsState state) {
        this.state = state;
        this.keys = state.keys;
        this.aliases = state.aliases;
        this.clock = state.clock;
        this.quotas = state.quotas;
    }

    JsonNode createAlias(Caller c, String region, JsonNode r, AuditEvent ev) {
        String name = aliasName(reqStr(r, "AliasName"));
        KmsKey k = state.resolve(c, region, reqStr(r, "TargetKeyId"), false, ev);
        if (!k.accountId.equals(c.accountId())) {
            throw KmsApiException.accessDenied("An alias can only point at a key of the caller's own account.");
        }
        authorize(c, k, "kms:CreateAlias", null, Map.of());
        notPendingDeletion(k);
        String mk = Alias.mapKey(region, c.accountId(), name);
        if (aliases.containsKey(mk)) {
            throw new KmsApiException(
                    ErrorCode.ALREADY_EXISTS,
                    "AlreadyExistsException",
                    400,
                    "An alias with the name arn:aws:kms:" + region + ":" + c.accountId() + ":" + name
                            + " already exists");
        }
        aliasQuota(c.accountId(), region, k);
        Instant now = clock.instant();
        aliases.put(mk, new Alias(name, region, c.accountId(), k.keyId, now, now));
        return obj();
    }

    JsonNode updateAlias(Caller c, String region, JsonNode r, AuditEvent ev) {
        String name = aliasName(reqStr(r, "AliasName"));
        Alias a = existingAlias(c, region, name);
        KmsKey k = state.resolve(c, region, reqStr(r, "TargetKeyId"), false, ev);
        if (!k.accountId.equals(c.accountId())) {
            throw KmsApiException.accessDenied("An alias can only point at a key of the caller's own account.");
        }
        authorize(c, k, "kms:UpdateAlias", null, Map.of());
        notPendingDeletion(k);
        if (!a.targetKeyId().equals(k.keyId)) {
            aliasQuota(c.accountId(), region, k);
        }
        aliases.put(a.mapKey(), new Alias(name, region, c.accountId(), k.keyId, a.creationDate(), clock.instant()));
        return obj();
    }

    JsonNode deleteAlias(Caller c, String region, JsonNode r, AuditEvent ev) {
        String name = aliasName(reqStr(r, "AliasName"));
        Alias a = existingAlias(c, region, name);
        KmsKey k = keys.get(a.targetKeyId());
        if (k != null) {
            ev.key(k.arn(), k.accountId);
            authorize(c, k, "kms:DeleteAlias", null, Map.of());
        }
        aliases.remove(a.mapKey());
        return obj();
    }

    /** Refuses one more alias in the account and region, or on {@code target}, beyond the quotas. */
    private void aliasQuota(String accountId, String region, KmsKey target) {
        int inRegion = 0;
        int onKey = 0;
        for (Alias a : aliases.values()) {
            if (a.accountId().equals(accountId) && a.region().equals(region)) {
                inRegion++;
            }
            if (a.targetKeyId().equals(target.keyId)) {
                onKey++;
            }
        }
        if (inRegion >= quotas.aliasesPerAccountRegion()) {
            throw KmsApiException.limitExceeded("Account " + accountId + " has reached its quota of "
                    + quotas.aliasesPerAccountRegion() + " aliases in " + region + ".");
        }
        if (onKey >= quotas.aliasesPerKey()) {
            throw KmsApiException.limitExceeded(
                    target.arn() + " has reached its quota of " + quotas.aliasesPerKey() + " aliases.");
        }
    }

    private Alias existingAlias(Caller c, String region, String name) {
        Alias a = aliases.get(Alias.mapKey(region, c.accountId(), name));
        if (a == null) {
            throw KmsApiException.notFound(
                    "Alias arn:aws:kms:" + region + ":" + c.accountId() + ":" + name + " is not found.");
        }
        return a;
    }

    /**
     * Checks an alias name as AWS KMS does, in its order: the model's length and character constraints first
     * (ValidationException with the model's wording), then the service's own rules: {@code alias/} first
     * (ValidationException "Invalid identifier"), no {@code :} after it (ValidationException), a name after the
     * prefix, and nothing under {@code alias/aws/}, which the KMS keeps for its managed keys
     * (InvalidAliasNameException, as the CreateAlias reference lists).
     */
    static String aliasName(String name) {
        if (name.length() > MAX_NAME_CHARS) {
            throw KmsApiException.validation("1 validation error detected: Value '" + name
                    + "' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to "
                    + MAX_NAME_CHARS);
        }
        if (!MODEL_PATTERN.matcher(name).matches()) {
            throw KmsApiException.validation("1 validation error detected: Value '" + name
                    + "' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern:"
                    + " ^[a-zA-Z0-9:/_-]+$");
        }
        if (!name.startsWith("alias/")) {
            throw KmsApiException.validation(
                    "Invalid identifier: an alias name starts with alias/ (for example alias/my-key), not " + name);
        }
        if (name.indexOf(':') >= 0) {
            throw KmsApiException.validation(name + " contains invalid characters for an alias");
        }
        if (name.equals("alias/")) {
            throw KmsApiException.of(
                    "InvalidAliasNameException",
                    "Alias name alias/ has no name after alias/; for example alias/my-key.");
        }
        if (name.startsWith("alias/aws/")) {
            throw KmsApiException.of(
                    "InvalidAliasNameException",
                    "Alias names starting with alias/aws/ are reserved for AWS managed keys; choose another name.");
        }
        return name;
    }

    JsonNode listAliases(Caller c, String region, JsonNode r) {
        String keyFilter = optStr(r, "KeyId", "");
        List<Alias> mine = new ArrayList<>();
        for (Alias a : aliases.values()) {
            if (a.accountId().equals(c.accountId()) && a.region().equals(region)) {
                KmsKey target = keys.get(a.targetKeyId());
                if (keyFilter.isEmpty()
                        || a.targetKeyId().equals(keyFilter)
                        || (target != null && target.arn().equals(keyFilter))) {
                    mine.add(a);
                }
            }
        }
        ObjectNode out = obj();
        ArrayNode list = out.putArray("Aliases");
        for (Alias a : page(mine, r, out, 100)) {
            ObjectNode e = list.addObject()
                    .put("AliasName", a.name())
                    .put("AliasArn", a.arn())
                    .put("TargetKeyId", a.targetKeyId());
            e.set("CreationDate", ts(a.creationDate()));
            e.set("LastUpdatedDate", ts(a.lastUpdatedDate()));
        }
        return out;
    }
}
