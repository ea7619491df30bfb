package io.strongroom.kms.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.strongroom.aws.Regions;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.model.Alias;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KeyMaterial;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KeyState;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import io.strongroom.kms.store.KmsStore;
import io.strongroom.kms.store.StateDocument;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The KMS itself: every API operation over the keys, aliases, grants and policies of all accounts and
 * regions, independent of HTTP. The HTTP layer verifies the signature, then calls {@link #call} with the
 * caller, the region from the credential scope and the JSON request.
 *
 * <p>How this works. All state lives in two maps (keys by UUID, aliases by region/account/name, held by {@link
 * KmsState}) guarded by one read-write lock: the cryptographic and read operations take the read lock and run in
 * parallel; every change takes the write lock, changes memory, and saves the whole state durably through {@link
 * KmsStore} before answering. If the save fails, memory is re-read from the store into fresh maps and swapped in
 * only once that read succeeded, so the change is undone and an answered change is a durable one; if the store
 * cannot be re-read either, the service fails stop (every request answers KMSInternalException and nothing is
 * written again). Quotas ({@link KmsQuotas}) and the store's size check bound what any caller can add. Every key
 * operation goes: resolve the key id (id, ARN, alias or alias ARN, as the operation allows) in the caller's
 * region, record the key in the audit event, authorize (key policy, then grants), check the key state, then act.
 * Time comes from an injected {@link InstantSource}; automatic rotation and the deletion of keys whose waiting
 * period ended happen in {@link #runScheduledWork}, which the server calls periodically.
 *
 * <p>Layout. This class owns the lock, durability, fail-stop, the dispatch of operations and the account's
 * managed key; the operations themselves live in one class per area ({@link KeyLifecycle}, {@link
 * AliasOperations}, {@link CryptoOperations}, {@link PublicKeyOperations}, {@link GrantOperations}, {@link
 * KeyPolicyOperations}, {@link RotationOperations}), which share {@link KmsState}, {@link KeyChecks} and {@link
 * KmsJson}. They never take the lock or save: {@link #call} does both around them, so every operation's locking
 * and persistence is decided in one place.
 *
 * <p>Rejected alternative: a lock per key. Changes are rare and whole-state saves serialise them anyway; the
 * hot paths (GenerateDataKey, Decrypt) only read, so a single read-write lock costs nothing measurable.
 *
 * <p>Thread-safe.
 */
public final class KmsService implements AutoCloseable {
    public static final String MANAGED_REDSHIFT_ALIAS = "alias/aws/redshift";

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
    private final AuditLog audit;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final KmsState state;
    private final KeyLifecycle lifecycle;
    private final AliasOperations aliasOps;
    private final CryptoOperations crypto;
    private final PublicKeyOperations publicKeys;
    private final GrantOperations grants;
    private final KeyPolicyOperations policies;
    private final RotationOperations rotation;

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
        this.audit = audit;
        this.state = new KmsState(store, clock, random, quotas);
        this.lifecycle = new KeyLifecycle(state);
        this.aliasOps = new AliasOperations(state);
        this.crypto = new CryptoOperations(state);
        this.publicKeys = new PublicKeyOperations(state);
        this.grants = new GrantOperations(state);
        this.policies = new KeyPolicyOperations(state);
        this.rotation = new RotationOperations(state);
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
        state.keys.values().forEach(k -> k.materials.forEach(KeyMaterial::close));
        state.keys.clear();
        state.keys.putAll(loadedKeys);
        state.aliases.clear();
        state.aliases.putAll(loadedAliases);
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
            store.save(StateDocument.write(state.keys.values(), state.aliases.values()));
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
        return Regions.isValid(region);
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
            case "CreateKey" -> lifecycle.createKey(c, region, r, ev);
            case "DescribeKey" -> lifecycle.describeKey(c, region, r, ev);
            case "ListKeys" -> lifecycle.listKeys(c, region, r);
            case "UpdateKeyDescription" -> lifecycle.updateKeyDescription(c, region, r, ev);
            case "EnableKey" -> lifecycle.setEnabled(c, region, r, ev, true);
            case "DisableKey" -> lifecycle.setEnabled(c, region, r, ev, false);
            case "ScheduleKeyDeletion" -> lifecycle.scheduleKeyDeletion(c, region, r, ev);
            case "CancelKeyDeletion" -> lifecycle.cancelKeyDeletion(c, region, r, ev);
            case "TagResource" -> lifecycle.tagResource(c, region, r, ev);
            case "UntagResource" -> lifecycle.untagResource(c, region, r, ev);
            case "ListResourceTags" -> lifecycle.listResourceTags(c, region, r, ev);
            case "CreateAlias" -> aliasOps.createAlias(c, region, r, ev);
            case "UpdateAlias" -> aliasOps.updateAlias(c, region, r, ev);
            case "DeleteAlias" -> aliasOps.deleteAlias(c, region, r, ev);
            case "ListAliases" -> aliasOps.listAliases(c, region, r);
            case "Encrypt" -> crypto.encrypt(c, region, r, ev);
            case "Decrypt" -> crypto.decrypt(c, region, r, ev);
            case "ReEncrypt" -> crypto.reEncrypt(c, region, r, ev);
            case "GenerateDataKey" -> crypto.generateDataKey(c, region, r, ev, true);
            case "GenerateDataKeyWithoutPlaintext" -> crypto.generateDataKey(c, region, r, ev, false);
            case "GenerateRandom" -> crypto.generateRandom(r);
            case "GetPublicKey" -> publicKeys.getPublicKey(c, region, r, ev);
            case "Sign" -> publicKeys.sign(c, region, r, ev);
            case "Verify" -> publicKeys.verify(c, region, r, ev);
            case "CreateGrant" -> grants.createGrant(c, region, r, ev);
            case "ListGrants" -> grants.listGrants(c, region, r, ev);
            case "ListRetirableGrants" -> grants.listRetirableGrants(c, region, r);
            case "RetireGrant" -> grants.retireGrant(c, region, r, ev);
            case "RevokeGrant" -> grants.revokeGrant(c, region, r, ev);
            case "GetKeyPolicy" -> policies.getKeyPolicy(c, region, r, ev);
            case "PutKeyPolicy" -> policies.putKeyPolicy(c, region, r, ev);
            case "ListKeyPolicies" -> policies.listKeyPolicies(c, region, r, ev);
            case "EnableKeyRotation" -> rotation.enableKeyRotation(c, region, r, ev);
            case "DisableKeyRotation" -> rotation.disableKeyRotation(c, region, r, ev);
            case "GetKeyRotationStatus" -> rotation.getKeyRotationStatus(c, region, r, ev);
            case "RotateKeyOnDemand" -> rotation.rotateKeyOnDemand(c, region, r, ev);
            case "ListKeyRotations" -> rotation.listKeyRotations(c, region, r, ev);
            default -> throw KmsApiException.of("UnknownOperationException", "Operation " + op + " is not supported.");
        };
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
            for (Iterator<KmsKey> it = state.keys.values().iterator(); it.hasNext(); ) {
                KmsKey k = it.next();
                if (k.state == KeyState.PENDING_DELETION && k.deletionDate != null && !now.isBefore(k.deletionDate)) {
                    it.remove();
                    state.aliases.values().removeIf(a -> a.targetKeyId().equals(k.keyId));
                    k.materials.forEach(KeyMaterial::close);
                    events.add(serviceEvent("DeleteKey", k, now));
                } else if (k.rotationEnabled
                        && k.state == KeyState.ENABLED
                        && k.nextRotationDate != null
                        && !now.isBefore(k.nextRotationDate)) {
                    rotation.rotateAutomatically(k, now);
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
    // The managed key

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
            Alias a = state.aliases.get(Alias.mapKey(region, accountId, MANAGED_REDSHIFT_ALIAS));
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
            Alias a = state.aliases.get(mk);
            if (a != null) {
                return a.targetKeyId();
            }
            state.keyQuota(accountId, region);
            KmsKey k = state.newKey(
                    accountId,
                    region,
                    "SYMMETRIC_DEFAULT",
                    "ENCRYPT_DECRYPT",
                    "AWS",
                    "Default key that protects my Redshift data when no other key is defined",
                    KeyPolicy.parse(KeyPolicy.managedPolicy(accountId)));
            state.keys.put(k.keyId, k);
            Instant now = clock.instant();
            state.aliases.put(mk, new Alias(MANAGED_REDSHIFT_ALIAS, region, accountId, k.keyId, now, now));
            persist();
            return k.keyId;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Keys matching {@code filter}, for tests and the admin view; holds the read lock while it copies. */
    public List<String> keyArns(Predicate<String> filter) {
        rw.readLock().lock();
        try {
            return state.keys.values().stream().map(KmsKey::arn).filter(filter).toList();
        } finally {
            rw.readLock().unlock();
        }
    }

    /** The live key map, for tests in this package that inspect sealed material; callers must not share it. */
    Map<String, KmsKey> keysForTest() {
        return state.keys;
    }

    public AuditLog audit() {
        return audit;
    }

    @Override
    public void close() {
        rw.writeLock().lock();
        try {
            state.keys.values().forEach(k -> k.materials.forEach(KeyMaterial::close));
            state.keys.clear();
        } finally {
            rw.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "KmsService[" + store + "]";
    }
}
