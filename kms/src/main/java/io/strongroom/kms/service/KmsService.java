package io.strongroom.kms.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.crypto.StrongroomException;
import java.math.BigDecimal;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import org.jspecify.annotations.Nullable;

/**
 * The KMS itself: every API operation over the keys, aliases, grants and policies of all accounts and
 * regions, independent of HTTP. The HTTP layer verifies the signature, then calls {@link #call} with the
 * caller, the region from the credential scope and the JSON request.
 *
 * <p>How this works. All state lives in two maps (keys by UUID, aliases by region/account/name) guarded by
 * one read-write lock: the cryptographic and read operations take the read lock and run in parallel; every
 * change takes the write lock, changes memory, and saves the whole state durably through {@link KmsStore}
 * before answering. If the save fails, memory is re-read from the store into fresh maps and swapped in only
 * once that read succeeded, so the change is undone and an answered change is a durable one; if the store
 * cannot be re-read either, the service fails stop (every request answers KMSInternalException and nothing is
 * written again). Quotas ({@link KmsQuotas}) and the store's size check bound what any caller can add. Every key operation goes: resolve the key id (id, ARN, alias or alias ARN, as the operation allows) in
 * the caller's region, record the key in the audit event, authorize (key policy, then grants), check the key
 * state, then act. Time comes from an injected {@link InstantSource}; automatic rotation and the deletion of
 * keys whose waiting period ended happen in {@link #runScheduledWork}, which the server calls periodically.
 *
 * <p>Rejected alternative: a lock per key. Changes are rare and whole-state saves serialise them anyway; the
 * hot paths (GenerateDataKey, Decrypt) only read, so a single read-write lock costs nothing measurable.
 *
 * <p>Thread-safe.
 */
public final class KmsService implements AutoCloseable {
    public static final String MANAGED_REDSHIFT_ALIAS = "alias/aws/redshift";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern UUID_FORM =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern ALIAS_NAME = Pattern.compile("alias/[a-zA-Z0-9:/_-]{1,250}");
    private static final Pattern KEY_ARN = Pattern.compile("arn:aws:kms:([a-z0-9-]+):(\\d{12}):(key/[^/]+|alias/.+)");
    private static final int MAX_ON_DEMAND_ROTATIONS = 25;
    /** AWS region names: two letters, one or more dash-separated words, a digit ({@code us-gov-west-1}). */
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d");

    private static final int MAX_REGION_CHARS = 32;
    /** Grant name, principal and constraint bounds (the KMS model's lengths; 8 KiB of constraint text). */
    private static final Pattern GRANT_NAME = Pattern.compile("[a-zA-Z0-9:/_-]{1,256}");

    private static final int MAX_PRINCIPAL_CHARS = 256;
    private static final int MAX_CONSTRAINT_CHARS = 8192;

    /**
     * Operations that may create the account's {@code aws/redshift} key on first use, with the key-policy
     * action the caller must be allowed by the managed key's policy for that to happen.
     */
    private static final Map<String, String> CREATES_MANAGED_KEY = Map.of(
            "DescribeKey", "kms:DescribeKey",
            "Encrypt", "kms:Encrypt",
            "GenerateDataKey", "kms:GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext",
            "ReEncrypt", "kms:ReEncryptTo");

    /** Operations that change nothing; they run under the read lock and are {@code readOnly} in the trail. */
    private static final Set<String> READ_ONLY = Set.of(
            "DescribeKey",
            "ListKeys",
            "ListResourceTags",
            "ListAliases",
            "Encrypt",
            "Decrypt",
            "ReEncrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "GenerateRandom",
            "GetPublicKey",
            "Sign",
            "Verify",
            "ListGrants",
            "ListRetirableGrants",
            "GetKeyPolicy",
            "ListKeyPolicies",
            "GetKeyRotationStatus",
            "ListKeyRotations");

    private static final Set<String> MUTATING = Set.of(
            "CreateKey",
            "UpdateKeyDescription",
            "EnableKey",
            "DisableKey",
            "ScheduleKeyDeletion",
            "CancelKeyDeletion",
            "TagResource",
            "UntagResource",
            "CreateAlias",
            "UpdateAlias",
            "DeleteAlias",
            "CreateGrant",
            "RetireGrant",
            "RevokeGrant",
            "PutKeyPolicy",
            "EnableKeyRotation",
            "DisableKeyRotation",
            "RotateKeyOnDemand");

    private final KmsStore store;
    private final InstantSource clock;
    private final SecureRandom random;
    private final AuditLog audit;
    private final KmsQuotas quotas;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final Map<String, KmsKey> keys = new LinkedHashMap<>();
    private final Map<String, Alias> aliases = new TreeMap<>();

    /**
     * Why the service stopped serving, or null while it serves. Set once, never cleared: when a save failed
     * and the store could not be re-read either, memory no longer matches any state on disk, so the only
     * safe course is to answer every request with KMSInternalException and never write again (a write would
     * replace the good store on disk with whatever memory holds). Restarting the KMS re-reads the store.
     */
    private volatile @Nullable String failStopReason;

    private KmsService(KmsStore store, InstantSource clock, SecureRandom random, AuditLog audit, KmsQuotas quotas) {
        this.store = store;
        this.clock = clock;
        this.random = random;
        this.audit = audit;
        this.quotas = quotas;
    }

    /** Loads the state from {@code store}; a store that fails authentication throws before anything runs. */
    public static KmsService open(KmsStore store, InstantSource clock, SecureRandom random, AuditLog audit) {
        return open(store, clock, random, audit, KmsQuotas.DEFAULTS);
    }

    /** As {@link #open(KmsStore, InstantSource, SecureRandom, AuditLog)}, with other quotas (tests use small ones). */
    public static KmsService open(
            KmsStore store, InstantSource clock, SecureRandom random, AuditLog audit, KmsQuotas quotas) {
        KmsService s = new KmsService(store, clock, random, audit, quotas);
        s.reload();
        return s;
    }

    /**
     * Replaces memory with the state on disk. The whole store is read into new maps first; memory changes
     * only once that succeeded, so a failing read leaves memory as it was (and the caller decides what that
     * means). Called under the write lock, or before the service is shared.
     */
    private void reload() {
        Map<String, KmsKey> loadedKeys = new LinkedHashMap<>();
        Map<String, Alias> loadedAliases = new TreeMap<>();
        try {
            StateDocument.read(store.load(), store, loadedKeys, loadedAliases);
        } catch (RuntimeException e) {
            loadedKeys.values().forEach(k -> k.materials.forEach(KeyMaterial::close));
            throw e;
        }
        keys.values().forEach(k -> k.materials.forEach(KeyMaterial::close));
        keys.clear();
        keys.putAll(loadedKeys);
        aliases.clear();
        aliases.putAll(loadedAliases);
    }

    /**
     * Saves memory durably, or puts memory back to the state on disk and throws. Called under the write lock
     * after a change. Outcomes: saved; not saved and memory restored from disk (the change is undone; a
     * {@link KmsApiException} from the store, such as LimitExceededException, passes through); or, when the
     * store cannot be re-read either, fail-stop (see {@link #failStopReason}).
     */
    private void persist() {
        checkServing();
        try {
            store.save(StateDocument.write(keys.values(), aliases.values()));
        } catch (StrongroomException saveFailure) {
            restoreFromDisk(saveFailure);
            if (saveFailure instanceof KmsApiException api) {
                throw api;
            }
            throw KmsApiException.internal(
                    "The KMS could not save the change durably; nothing was changed.", saveFailure);
        }
    }

    /** Re-reads the store after a failed change; if that fails too, stops serving for good. */
    private void restoreFromDisk(RuntimeException cause) {
        try {
            reload();
        } catch (RuntimeException reloadFailure) {
            cause.addSuppressed(reloadFailure);
            failStopReason = "a change could not be saved (" + cause.getMessage() + ") and the store could not be"
                    + " re-read (" + reloadFailure.getMessage() + ")";
            throw KmsApiException.internal(
                    "The KMS could not save a change and could not re-read its store; it has stopped serving"
                            + " requests until it is restarted. The store on disk was not changed by this request.",
                    cause);
        }
    }

    private void checkServing() {
        String reason = failStopReason;
        if (reason != null) {
            throw KmsApiException.internal(
                    "The KMS has stopped serving requests because " + reason + "; restart it.", null);
        }
    }

    /** True while the service answers requests; false after a fail-stop (see {@link #call}). */
    public boolean isServing() {
        return failStopReason == null;
    }

    /** True when {@code region} is a well-formed AWS region name such as {@code us-east-1}. */
    public static boolean isValidRegion(String region) {
        return region.length() <= MAX_REGION_CHARS && REGION.matcher(region).matches();
    }

    /** True when {@code operation} is one this KMS implements. */
    public static boolean supports(String operation) {
        return READ_ONLY.contains(operation) || MUTATING.contains(operation);
    }

    /**
     * Runs one API operation for an authenticated caller and returns the response body. Failures are {@link
     * KmsApiException}s carrying the AWS error type; the audit event is filled in either way (the caller writes
     * it).
     */
    public JsonNode call(String operation, Caller caller, String region, JsonNode request, AuditEvent ev) {
        if (!supports(operation)) {
            throw KmsApiException.of("UnknownOperationException", "Operation " + operation + " is not supported.");
        }
        boolean readOnly = READ_ONLY.contains(operation);
        ev.readOnly(readOnly);
        checkServing();
        if (!isValidRegion(region)) {
            throw KmsApiException.validation("Region '" + region + "' is not a valid AWS region name.");
        }
        ensureManagedKeys(operation, caller, region, request);
        Lock lock = readOnly ? rw.readLock() : rw.writeLock();
        lock.lock();
        try {
            checkServing();
            JsonNode response;
            try {
                response = dispatch(operation, caller, region, request, ev);
            } catch (KmsApiException e) {
                throw e; // raised before anything changed
            } catch (RuntimeException e) {
                if (!readOnly) {
                    // An unexpected failure part-way through a change: memory may hold half of it.
                    restoreFromDisk(e);
                }
                throw e;
            }
            if (!readOnly) {
                persist();
                ev.responseElements(response);
            }
            return response;
        } finally {
            lock.unlock();
        }
    }

    private JsonNode dispatch(String op, Caller c, String region, JsonNode r, AuditEvent ev) {
        return switch (op) {
            case "CreateKey" -> createKey(c, region, r, ev);
            case "DescribeKey" -> describeKey(c, region, r, ev);
            case "ListKeys" -> listKeys(c, region, r);
            case "UpdateKeyDescription" -> updateKeyDescription(c, region, r, ev);
            case "EnableKey" -> setEnabled(c, region, r, ev, true);
            case "DisableKey" -> setEnabled(c, region, r, ev, false);
            case "ScheduleKeyDeletion" -> scheduleKeyDeletion(c, region, r, ev);
            case "CancelKeyDeletion" -> cancelKeyDeletion(c, region, r, ev);
            case "TagResource" -> tagResource(c, region, r, ev);
            case "UntagResource" -> untagResource(c, region, r, ev);
            case "ListResourceTags" -> listResourceTags(c, region, r, ev);
            case "CreateAlias" -> createAlias(c, region, r, ev);
            case "UpdateAlias" -> updateAlias(c, region, r, ev);
            case "DeleteAlias" -> deleteAlias(c, region, r, ev);
            case "ListAliases" -> listAliases(c, region, r);
            case "Encrypt" -> encrypt(c, region, r, ev);
            case "Decrypt" -> decrypt(c, region, r, ev);
            case "ReEncrypt" -> reEncrypt(c, region, r, ev);
            case "GenerateDataKey" -> generateDataKey(c, region, r, ev, true);
            case "GenerateDataKeyWithoutPlaintext" -> generateDataKey(c, region, r, ev, false);
            case "GenerateRandom" -> generateRandom(r);
            case "GetPublicKey" -> getPublicKey(c, region, r, ev);
            case "Sign" -> sign(c, region, r, ev);
            case "Verify" -> verify(c, region, r, ev);
            case "CreateGrant" -> createGrant(c, region, r, ev);
            case "ListGrants" -> listGrants(c, region, r, ev);
            case "ListRetirableGrants" -> listRetirableGrants(c, region, r);
            case "RetireGrant" -> retireGrant(c, region, r, ev);
            case "RevokeGrant" -> revokeGrant(c, region, r, ev);
            case "GetKeyPolicy" -> getKeyPolicy(c, region, r, ev);
            case "PutKeyPolicy" -> putKeyPolicy(c, region, r, ev);
            case "ListKeyPolicies" -> listKeyPolicies(c, region, r, ev);
            case "EnableKeyRotation" -> enableKeyRotation(c, region, r, ev);
            case "DisableKeyRotation" -> disableKeyRotation(c, region, r, ev);
            case "GetKeyRotationStatus" -> getKeyRotationStatus(c, region, r, ev);
            case "RotateKeyOnDemand" -> rotateKeyOnDemand(c, region, r, ev);
            case "ListKeyRotations" -> listKeyRotations(c, region, r, ev);
            default -> throw KmsApiException.of("UnknownOperationException", "Operation " + op + " is not supported.");
        };
    }

    // ---------------------------------------------------------------------------------------------------
    // Keys

    private JsonNode createKey(Caller c, String region, JsonNode r, AuditEvent ev) {
        String usage = optStr(r, "KeyUsage", "ENCRYPT_DECRYPT");
        String spec = optStr(r, "KeySpec", optStr(r, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"));
        String origin = optStr(r, "Origin", "AWS_KMS");
        String description = optStr(r, "Description", "");
        if (description.length() > 8192) {
            throw KmsApiException.validation("1 validation error detected: Value at 'description' failed to satisfy"
                    + " constraint: Member must have length less than or equal to 8192");
        }
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
        policySize(policyText);
        KeyPolicy policy = KeyPolicy.parse(policyText);
        if (r.has("Policy") && !r.path("BypassPolicyLockoutSafetyCheck").asBoolean(false)) {
            lockoutCheck(policy, c);
        }
        Map<String, String> tags = tags(r);
        tagCount(tags.size(), null);
        keyQuota(c.accountId(), region);
        KmsKey k = newKey(c.accountId(), region, spec, usage, "CUSTOMER", description, policy);
        k.tags.putAll(tags);
        keys.put(k.keyId, k);
        ev.key(k.arn(), k.accountId);
        return obj().set("KeyMetadata", metadata(k));
    }

    /** Refuses a new key when the account already has its quota of keys in the region (AWS-managed ones count). */
    private void keyQuota(String accountId, String region) {
        long n = keys.values().stream()
                .filter(k -> k.accountId.equals(accountId) && k.region.equals(region))
                .count();
        if (n >= quotas.keysPerAccountRegion()) {
            throw KmsApiException.limitExceeded("Account " + accountId + " has reached its quota of "
                    + quotas.keysPerAccountRegion() + " keys in " + region + "; schedule unused keys for deletion.");
        }
    }

    private void policySize(String policyText) {
        int bytes = policyText.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > quotas.policyBytes()) {
            throw KmsApiException.limitExceeded(
                    "The key policy has " + bytes + " bytes; the quota is " + quotas.policyBytes() + " bytes.");
        }
    }

    private void tagCount(int after, @Nullable KmsKey k) {
        if (after > quotas.tagsPerKey()) {
            throw KmsApiException.limitExceeded((k == null ? "A key" : k.arn()) + " would have " + after
                    + " tags; the quota is " + quotas.tagsPerKey() + " tags per key.");
        }
    }

    private KmsKey newKey(
            String accountId,
            String region,
            String spec,
            String usage,
            String manager,
            String description,
            KeyPolicy p) {
        Instant now = clock.instant();
        KmsKey k = new KmsKey(
                UUID.randomUUID().toString(),
                region,
                accountId,
                now,
                spec,
                usage,
                manager,
                description,
                KeyState.ENABLED,
                p);
        if (spec.equals("SYMMETRIC_DEFAULT")) {
            k.addMaterial(newSymmetricMaterial(k, 1, null));
        } else {
            try {
                KeyPair pair = Asymmetric.generate(spec, random);
                byte[] pkcs8 = pair.getPrivate().getEncoded();
                byte[] sealed = store.sealMaterial(k.arn(), 1, pkcs8);
                Arrays.fill(pkcs8, (byte) 0);
                k.addMaterial(KeyMaterial.asymmetric(materialId(), now, pair.getPrivate(), pair.getPublic(), sealed));
            } catch (GeneralSecurityException e) {
                throw KmsApiException.internal("Could not generate a " + spec + " key pair.", e);
            }
        }
        if (manager.equals("AWS")) {
            k.rotationEnabled = true;
            k.nextRotationDate = now.plus(Duration.ofDays(k.rotationPeriodDays));
        }
        return k;
    }

    private KeyMaterial newSymmetricMaterial(KmsKey k, int version, @Nullable String rotationType) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        try {
            byte[] sealed = store.sealMaterial(k.arn(), version, raw);
            SoftwareRootKey key =
                    SoftwareRootKey.ofMaterial(new KeyInfo(KeyTier.ROOT, k.arn(), version), SecretBytes.copyOf(raw));
            return KeyMaterial.symmetric(version, materialId(), clock.instant(), rotationType, key, sealed);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    private String materialId() {
        byte[] id = new byte[32];
        random.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    private JsonNode describeKey(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), true, ev);
        authorize(c, k, "kms:DescribeKey", "DescribeKey", Map.of());
        return obj().set("KeyMetadata", metadata(k));
    }

    private JsonNode listKeys(Caller c, String region, JsonNode r) {
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

    private JsonNode updateKeyDescription(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:UpdateKeyDescription", null, Map.of());
        notPendingDeletion(k);
        String description = reqStr(r, "Description");
        if (description.length() > 8192) {
            throw KmsApiException.validation("1 validation error detected: Value at 'description' failed to satisfy"
                    + " constraint: Member must have length less than or equal to 8192");
        }
        k.description = description;
        return obj();
    }

    private JsonNode setEnabled(Caller c, String region, JsonNode r, AuditEvent ev, boolean enable) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, enable ? "kms:EnableKey" : "kms:DisableKey", null, Map.of());
        notPendingDeletion(k);
        k.state = enable ? KeyState.ENABLED : KeyState.DISABLED;
        return obj();
    }

    private JsonNode scheduleKeyDeletion(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
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

    private JsonNode cancelKeyDeletion(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:CancelKeyDeletion", null, Map.of());
        if (k.state != KeyState.PENDING_DELETION) {
            throw KmsApiException.invalidState(k.arn() + " is not pending deletion.");
        }
        k.state = KeyState.DISABLED;
        k.deletionDate = null;
        k.pendingWindowDays = 0;
        return obj().put("KeyId", k.arn());
    }

    private JsonNode tagResource(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        Map<String, String> tags = tags(r);
        authorize(c, k, "kms:TagResource", null, Map.of());
        notPendingDeletion(k);
        Map<String, String> merged = new TreeMap<>(k.tags);
        merged.putAll(tags);
        tagCount(merged.size(), k);
        k.tags.putAll(tags);
        return obj();
    }

    private JsonNode untagResource(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:UntagResource", null, Map.of());
        notPendingDeletion(k);
        for (JsonNode t : r.path("TagKeys")) {
            k.tags.remove(t.asText());
        }
        return obj();
    }

    private JsonNode listResourceTags(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
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

    // ---------------------------------------------------------------------------------------------------
    // Aliases

    private JsonNode createAlias(Caller c, String region, JsonNode r, AuditEvent ev) {
        String name = aliasName(reqStr(r, "AliasName"));
        KmsKey k = resolve(c, region, reqStr(r, "TargetKeyId"), false, ev);
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

    private JsonNode updateAlias(Caller c, String region, JsonNode r, AuditEvent ev) {
        String name = aliasName(reqStr(r, "AliasName"));
        Alias a = existingAlias(c, region, name);
        KmsKey k = resolve(c, region, reqStr(r, "TargetKeyId"), false, ev);
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

    private JsonNode deleteAlias(Caller c, String region, JsonNode r, AuditEvent ev) {
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

    private static String aliasName(String name) {
        if (!ALIAS_NAME.matcher(name).matches()) {
            throw KmsApiException.of(
                    "InvalidAliasNameException",
                    "Alias name " + name + " must start with alias/ and use only a-zA-Z0-9:/_- (1 to 256 characters).");
        }
        if (name.startsWith("alias/aws/")) {
            throw KmsApiException.of(
                    "InvalidAliasNameException", "Alias names starting with alias/aws/ are reserved for AWS.");
        }
        return name;
    }

    private JsonNode listAliases(Caller c, String region, JsonNode r) {
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

    // ---------------------------------------------------------------------------------------------------
    // Cryptography

    private JsonNode encrypt(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), true, ev);
        byte[] plaintext = blob(r, "Plaintext", 4096);
        SortedMap<String, String> ctx = context(r, "EncryptionContext");
        String alg = optStr(r, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        authorize(c, k, "kms:Encrypt", "Encrypt", ctx);
        requireUsage(k, "ENCRYPT_DECRYPT", "Encrypt");
        usable(k);
        dryRun(r);
        try {
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

    private JsonNode decrypt(Caller c, String region, JsonNode r, AuditEvent ev) {
        byte[] ciphertext = blob(r, "CiphertextBlob", CiphertextBlob.MAX_BYTES);
        SortedMap<String, String> ctx = context(r, "EncryptionContext");
        String alg = optStr(r, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
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
            k = resolve(c, region, keyParam, true, ev);
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

    private JsonNode reEncrypt(Caller c, String region, JsonNode r, AuditEvent ev) {
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
        KmsKey dst = resolve(c, region, reqStr(r, "DestinationKeyId"), true, new AuditEvent("", "", Instant.EPOCH, ""));
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

    private JsonNode generateDataKey(Caller c, String region, JsonNode r, AuditEvent ev, boolean withPlaintext) {
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
        KmsKey k = resolve(c, region, keyId, true, ev);
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
        byte[] wrapped = sealSymmetric(k, plaintext, ctx, ev);
        ObjectNode out = obj().put("CiphertextBlob", wrapped);
        if (withPlaintext) {
            out.put("Plaintext", plaintext); // zeroed by the HTTP layer once written
        } else {
            Arrays.fill(plaintext, (byte) 0);
        }
        return out.put("KeyId", k.arn()).put("KeyMaterialId", k.current().materialId());
    }

    private JsonNode generateRandom(JsonNode r) {
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
            KmsKey named = resolve(c, region, keyParam, true, new AuditEvent("", "", Instant.EPOCH, ""));
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
        java.security.Key key = mode == Cipher.ENCRYPT_MODE ? m.publicKey() : m.privateKey();
        if (key == null) {
            throw KmsApiException.internal("key " + k.arn() + " has no key pair", null);
        }
        try {
            return Asymmetric.oaep(alg, mode, key).doFinal(input);
        } catch (javax.crypto.IllegalBlockSizeException e) {
            throw KmsApiException.validation("The plaintext is too long for " + alg + " with " + k.keySpec + ".");
        } catch (GeneralSecurityException e) {
            if (mode == Cipher.DECRYPT_MODE) {
                throw KmsApiException.invalidCiphertext("The ciphertext is invalid for " + k.arn() + ".");
            }
            throw KmsApiException.internal("RSA encryption failed", e);
        }
    }

    private JsonNode getPublicKey(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), true, ev);
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

    private JsonNode sign(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), true, ev);
        byte[] message = blob(r, "Message", 4096);
        String alg = reqStr(r, "SigningAlgorithm");
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

    private JsonNode verify(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), true, ev);
        byte[] message = blob(r, "Message", 4096);
        byte[] signature = blob(r, "Signature", 6144);
        String alg = reqStr(r, "SigningAlgorithm");
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
        String t = optStr(r, "MessageType", "RAW");
        if (!t.equals("RAW") && !t.equals("DIGEST")) {
            throw KmsApiException.validation("MessageType must be RAW or DIGEST.");
        }
        return t.equals("DIGEST");
    }

    // ---------------------------------------------------------------------------------------------------
    // Grants

    private JsonNode createGrant(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
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
                        && java.util.Objects.equals(g.retiringPrincipal(), retiring)
                        && java.util.Objects.equals(g.contextSubset(), subset)
                        && java.util.Objects.equals(g.contextEquals(), equals)) {
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
                materialId(),
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

    private JsonNode listGrants(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:ListGrants", null, Map.of());
        String id = optStr(r, "GrantId", "");
        String grantee = optStr(r, "GranteePrincipal", "");
        List<Grant> found = k.grants.values().stream()
                .filter(g -> id.isEmpty() || g.grantId().equals(id))
                .filter(g -> grantee.isEmpty() || g.granteePrincipal().equals(grantee))
                .toList();
        return grantList(found, r);
    }

    private JsonNode listRetirableGrants(Caller c, String region, JsonNode r) {
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

    private JsonNode retireGrant(Caller c, String region, JsonNode r, AuditEvent ev) {
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
            k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
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

    private JsonNode revokeGrant(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        String id = reqStr(r, "GrantId");
        authorize(c, k, "kms:RevokeGrant", null, Map.of());
        if (!k.grants.containsKey(id)) {
            throw KmsApiException.notFound("Grant " + id + " does not exist on " + k.arn());
        }
        dryRun(r);
        k.grants.remove(id);
        return obj();
    }

    // ---------------------------------------------------------------------------------------------------
    // Policies

    private JsonNode getKeyPolicy(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        policyName(r);
        authorize(c, k, "kms:GetKeyPolicy", null, Map.of());
        return obj().put("Policy", k.policy.document()).put("PolicyName", "default");
    }

    private JsonNode putKeyPolicy(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        policyName(r);
        String text = reqStr(r, "Policy");
        policySize(text);
        KeyPolicy p = KeyPolicy.parse(text);
        authorize(c, k, "kms:PutKeyPolicy", null, Map.of());
        notPendingDeletion(k);
        if (!r.path("BypassPolicyLockoutSafetyCheck").asBoolean(false)) {
            lockoutCheck(p, c);
        }
        k.policy = p;
        return obj();
    }

    private static void lockoutCheck(KeyPolicy p, Caller c) {
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

    private JsonNode listKeyPolicies(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, "kms:ListKeyPolicies", null, Map.of());
        ObjectNode out = obj().put("Truncated", false);
        out.putArray("PolicyNames").add("default");
        return out;
    }

    // ---------------------------------------------------------------------------------------------------
    // Rotation

    private KmsKey rotatable(Caller c, String region, JsonNode r, AuditEvent ev, String action) {
        KmsKey k = resolve(c, region, reqStr(r, "KeyId"), false, ev);
        authorize(c, k, action, null, Map.of());
        if (!k.isSymmetric()) {
            throw KmsApiException.unsupported(k.arn() + " is an asymmetric key; only symmetric keys rotate.");
        }
        return k;
    }

    private JsonNode enableKeyRotation(Caller c, String region, JsonNode r, AuditEvent ev) {
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

    private JsonNode disableKeyRotation(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = rotatable(c, region, r, ev, "kms:DisableKeyRotation");
        managedRefused(k);
        usable(k);
        k.rotationEnabled = false;
        k.nextRotationDate = null;
        return obj();
    }

    private JsonNode getKeyRotationStatus(Caller c, String region, JsonNode r, AuditEvent ev) {
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

    private JsonNode rotateKeyOnDemand(Caller c, String region, JsonNode r, AuditEvent ev) {
        KmsKey k = rotatable(c, region, r, ev, "kms:RotateKeyOnDemand");
        managedRefused(k);
        usable(k);
        if (k.onDemandRotations >= MAX_ON_DEMAND_ROTATIONS) {
            throw KmsApiException.of(
                    "LimitExceededException",
                    k.arn() + " has reached the limit of " + MAX_ON_DEMAND_ROTATIONS + " on-demand rotations.");
        }
        k.addMaterial(newSymmetricMaterial(k, k.materials.size() + 1, "ON_DEMAND"));
        k.onDemandRotations++;
        k.onDemandRotationStartDate = clock.instant();
        ev.keyMaterialId(k.current().materialId());
        return obj().put("KeyId", k.arn());
    }

    private JsonNode listKeyRotations(Caller c, String region, JsonNode r, AuditEvent ev) {
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
     * Automatic rotation and the end of deletion waiting periods: rotates every key whose next rotation date
     * has come and destroys every key whose deletion date has come (its material is zeroed and removed from
     * the store, its aliases deleted). Called periodically by the server and directly by tests with a moved
     * clock. Each change is written to the audit trail as AWS does ({@code RotateKey}, {@code DeleteKey}).
     *
     * @return how many keys were rotated or deleted
     */
    public int runScheduledWork() {
        rw.writeLock().lock();
        try {
            checkServing();
            Instant now = clock.instant();
            List<AuditEvent> events = new ArrayList<>();
            for (Iterator<KmsKey> it = keys.values().iterator(); it.hasNext(); ) {
                KmsKey k = it.next();
                if (k.state == KeyState.PENDING_DELETION && k.deletionDate != null && !now.isBefore(k.deletionDate)) {
                    it.remove();
                    aliases.values().removeIf(a -> a.targetKeyId().equals(k.keyId));
                    k.materials.forEach(KeyMaterial::close);
                    events.add(serviceEvent("DeleteKey", k, now));
                } else if (k.rotationEnabled
                        && k.state == KeyState.ENABLED
                        && k.nextRotationDate != null
                        && !now.isBefore(k.nextRotationDate)) {
                    k.addMaterial(newSymmetricMaterial(k, k.materials.size() + 1, "AUTOMATIC"));
                    k.nextRotationDate = now.plus(Duration.ofDays(k.rotationPeriodDays));
                    AuditEvent e = serviceEvent("RotateKey", k, now);
                    e.keyMaterialId(k.current().materialId());
                    events.add(e);
                }
            }
            if (!events.isEmpty()) {
                persist();
                events.forEach(audit::append);
            }
            return events.size();
        } finally {
            rw.writeLock().unlock();
        }
    }

    private static AuditEvent serviceEvent(String name, KmsKey k, Instant now) {
        AuditEvent e =
                new AuditEvent(UUID.randomUUID().toString(), UUID.randomUUID().toString(), now, name);
        e.region(k.region);
        e.source("kms.amazonaws.com", "kms.amazonaws.com");
        e.key(k.arn(), k.accountId);
        return e;
    }

    // ---------------------------------------------------------------------------------------------------
    // Resolution, authorization, state

    /**
     * Creates the account's {@code aws/redshift} key in {@code region} on first use, before the operation
     * takes its own lock: when an operation that accepts aliases and may create it ({@link
     * #CREATES_MANAGED_KEY}) names {@code alias/aws/redshift} (or its ARN in the caller's account), and the
     * managed key's policy would allow the caller that operation. The caller is authenticated by now (this
     * runs after SigV4) and the region is well-formed, so nobody can make the KMS create keys without being
     * allowed to use them, and the account's key quota applies.
     */
    private void ensureManagedKeys(String operation, Caller c, String region, JsonNode r) {
        String action = CREATES_MANAGED_KEY.get(operation);
        if (action == null) {
            return;
        }
        String field = operation.equals("ReEncrypt") ? "DestinationKeyId" : "KeyId";
        String v = r.path(field).asText("");
        String ownArn = "arn:aws:kms:" + region + ":" + c.accountId() + ":" + MANAGED_REDSHIFT_ALIAS;
        if (!v.equals(MANAGED_REDSHIFT_ALIAS) && !v.equals(ownArn)) {
            return;
        }
        if (managedKeyId(c.accountId(), region) != null) {
            return;
        }
        KeyPolicy policy = KeyPolicy.parse(KeyPolicy.managedPolicy(c.accountId()));
        if (policy.evaluate(c, action, Map.of()) == KeyPolicy.Decision.ALLOW) {
            managedKey(c.accountId(), region);
        }
    }

    private @Nullable String managedKeyId(String accountId, String region) {
        rw.readLock().lock();
        try {
            Alias a = aliases.get(Alias.mapKey(region, accountId, MANAGED_REDSHIFT_ALIAS));
            return a == null ? null : a.targetKeyId();
        } finally {
            rw.readLock().unlock();
        }
    }

    /**
     * The account's {@code aws/redshift} key in {@code region}, created on first use. For the embedding server
     * (which has already decided the account may have one); requests go through {@link #call}.
     */
    public String managedKey(String accountId, String region) {
        if (!isValidRegion(region)) {
            throw KmsApiException.validation("Region '" + region + "' is not a valid AWS region name.");
        }
        String existing = managedKeyId(accountId, region);
        if (existing != null) {
            return existing;
        }
        String mk = Alias.mapKey(region, accountId, MANAGED_REDSHIFT_ALIAS);
        rw.writeLock().lock();
        try {
            checkServing();
            Alias a = aliases.get(mk);
            if (a != null) {
                return a.targetKeyId();
            }
            keyQuota(accountId, region);
            KmsKey k = newKey(
                    accountId,
                    region,
                    "SYMMETRIC_DEFAULT",
                    "ENCRYPT_DECRYPT",
                    "AWS",
                    "Default key that protects my Redshift data when no other key is defined",
                    KeyPolicy.parse(KeyPolicy.managedPolicy(accountId)));
            keys.put(k.keyId, k);
            Instant now = clock.instant();
            aliases.put(mk, new Alias(MANAGED_REDSHIFT_ALIAS, region, accountId, k.keyId, now, now));
            persist();
            return k.keyId;
        } finally {
            rw.writeLock().unlock();
        }
    }

    private KmsKey resolve(Caller c, String region, String id, boolean aliasAllowed, AuditEvent ev) {
        KmsKey k;
        if (UUID_FORM.matcher(id).matches()) {
            k = keys.get(id);
            if (k == null || !k.accountId.equals(c.accountId()) || !k.region.equals(region)) {
                throw KmsApiException.notFound(
                        "Key 'arn:aws:kms:" + region + ":" + c.accountId() + ":key/" + id + "' does not exist");
            }
        } else if (id.startsWith("alias/")) {
            if (!aliasAllowed) {
                throw KmsApiException.notFound("Invalid keyId " + id);
            }
            k = byAlias(region, c.accountId(), id);
        } else if (id.startsWith("arn:")) {
            var m = KEY_ARN.matcher(id);
            if (!m.matches()) {
                throw KmsApiException.invalidArn("Invalid arn " + id);
            }
            String arnRegion = m.group(1);
            String account = m.group(2);
            String resource = m.group(3);
            if (resource.startsWith("alias/")) {
                if (!aliasAllowed) {
                    throw KmsApiException.notFound("Invalid keyId " + id);
                }
                if (!arnRegion.equals(region)) {
                    throw KmsApiException.notFound("Alias " + id + " is not found.");
                }
                k = byAlias(region, account, resource);
            } else {
                k = keys.get(resource.substring(4));
                if (k == null || !k.accountId.equals(account) || !k.region.equals(region)) {
                    throw KmsApiException.notFound("Key '" + id + "' does not exist");
                }
            }
        } else {
            throw KmsApiException.notFound("Invalid keyId " + id);
        }
        ev.key(k.arn(), k.accountId);
        return k;
    }

    private KmsKey byAlias(String region, String accountId, String name) {
        Alias a = aliases.get(Alias.mapKey(region, accountId, name));
        KmsKey k = a == null ? null : keys.get(a.targetKeyId());
        if (k == null) {
            throw KmsApiException.notFound(
                    "Alias arn:aws:kms:" + region + ":" + accountId + ":" + name + " is not found.");
        }
        return k;
    }

    private static void authorize(
            Caller c, KmsKey k, String action, @Nullable String grantOp, Map<String, String> context) {
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

    private static void usable(KmsKey k) {
        switch (k.state) {
            case ENABLED -> {}
            case DISABLED -> throw KmsApiException.disabled(k.arn());
            case PENDING_DELETION -> throw KmsApiException.invalidState(k.arn() + " is pending deletion.");
        }
    }

    private static void notPendingDeletion(KmsKey k) {
        if (k.state == KeyState.PENDING_DELETION) {
            throw KmsApiException.invalidState(k.arn() + " is pending deletion.");
        }
    }

    private static void requireUsage(KmsKey k, String usage, String op) {
        if (!k.keyUsage.equals(usage)) {
            throw KmsApiException.invalidKeyUsage(
                    k.arn() + " key usage is " + k.keyUsage + " which is not valid for " + op + ".");
        }
    }

    private static void algorithm(String alg, List<String> allowed, KmsKey k) {
        if (!allowed.contains(alg)) {
            throw KmsApiException.invalidKeyUsage(
                    "Algorithm " + alg + " is not valid for " + k.arn() + " (valid: " + allowed + ").");
        }
    }

    private static void noContext(Map<String, String> ctx) {
        if (!ctx.isEmpty()) {
            throw KmsApiException.validation("EncryptionContext is not supported with asymmetric keys.");
        }
    }

    private static void dryRun(JsonNode r) {
        if (r.path("DryRun").asBoolean(false)) {
            throw new KmsApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "DryRunOperationException",
                    412,
                    "The request would have succeeded, but the DryRun option is set.");
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Shapes

    private static ObjectNode metadata(KmsKey k) {
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

    private static void algorithmsInto(KmsKey k, ObjectNode m) {
        if (k.keyUsage.equals("ENCRYPT_DECRYPT")) {
            ArrayNode a = m.putArray("EncryptionAlgorithms");
            (k.isSymmetric() ? List.of("SYMMETRIC_DEFAULT") : Asymmetric.RSA_ENCRYPTION).forEach(a::add);
        } else {
            ArrayNode a = m.putArray("SigningAlgorithms");
            Asymmetric.signingAlgorithms(k.keySpec).forEach(a::add);
        }
    }

    /** Pages {@code all} by the request's {@code Limit} and {@code Marker} (an opaque offset). */
    private static <T> List<T> page(List<T> all, JsonNode r, ObjectNode out, int maxLimit) {
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

    private static ObjectNode obj() {
        return NODES.objectNode();
    }

    /** A timestamp as the JSON protocol wants it: epoch seconds with a millisecond fraction. */
    static JsonNode ts(Instant t) {
        return DecimalNode.valueOf(BigDecimal.valueOf(t.toEpochMilli(), 3));
    }

    private static ObjectNode mapNode(Map<String, String> m) {
        ObjectNode o = obj();
        m.forEach(o::put);
        return o;
    }

    private static String reqStr(JsonNode r, String field) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull() || !n.isTextual() || n.asText().isEmpty()) {
            throw KmsApiException.validation("1 validation error detected: Value null at '" + lowerFirst(field)
                    + "' failed to satisfy constraint: Member must not be null");
        }
        return n.asText();
    }

    private static String optStr(JsonNode r, String field, String dflt) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw KmsApiException.of("SerializationException", "Member " + field + " must be a string.");
        }
        return n.asText();
    }

    private static int optInt(JsonNode r, String field, int dflt) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.canConvertToInt()) {
            throw KmsApiException.of("SerializationException", "Member " + field + " must be an integer.");
        }
        return n.asInt();
    }

    private static byte[] blob(JsonNode r, String field, int maxBytes) {
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

    private static SortedMap<String, String> context(JsonNode r, String field) {
        JsonNode n = r.get(field);
        SortedMap<String, String> out = new TreeMap<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw KmsApiException.of("SerializationException", "Member " + field + " must be a map of strings.");
        }
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (!e.getValue().isTextual()) {
                throw KmsApiException.of("SerializationException", "Member " + field + " must be a map of strings.");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String lowerFirst(String s) {
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    /** Keys matching {@code filter}, for tests and the admin view; holds the read lock while it copies. */
    public List<String> keyArns(Predicate<String> filter) {
        rw.readLock().lock();
        try {
            return keys.values().stream().map(KmsKey::arn).filter(filter).toList();
        } finally {
            rw.readLock().unlock();
        }
    }

    /** The live key map, for tests in this package that inspect sealed material; callers must not share it. */
    Map<String, KmsKey> keysForTest() {
        return keys;
    }

    public AuditLog audit() {
        return audit;
    }

    @Override
    public void close() {
        rw.writeLock().lock();
        try {
            keys.values().forEach(k -> k.materials.forEach(KeyMaterial::close));
            keys.clear();
        } finally {
            rw.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "KmsService[" + store + "]";
    }
}
