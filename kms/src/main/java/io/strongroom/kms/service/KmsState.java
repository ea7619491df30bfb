package io.strongroom.kms.service;

import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.model.Alias;
import io.strongroom.kms.model.Asymmetric;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KeyMaterial;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KeyState;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.model.KmsKey;
import io.strongroom.kms.store.KmsStore;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The KMS's in-memory state, shared by the operation classes: every key by UUID and every alias by
 * region/account/name, with what all of them need to reach it: resolving a key id as a request names it, the
 * quotas on adding keys and policies, and minting new keys and key material (sealed through the {@link KmsStore}
 * before it is kept).
 *
 * <p>Invariants: {@link #resolve} finds only keys of the request's region, and of the caller's own account
 * unless the request names a key or alias by its full ARN (the key policy then decides). An alias names its key by
 * id; destroying a key removes its aliases in the same change, and readers still tolerate an alias whose key is
 * gone. The two maps are never replaced, only their contents ({@link KmsService} refills them when it re-reads the
 * store), so the operation classes may keep references to them.
 *
 * <p>Not thread-safe: {@link KmsService} guards it with its read-write lock (reads under the read lock, changes
 * under the write lock). Minting draws from a {@link SecureRandom}, which is itself safe to share.
 */
final class KmsState {
    private static final Pattern UUID_FORM =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private static final Pattern KEY_ARN = Pattern.compile("arn:aws:kms:([a-z0-9-]+):(\\d{12}):(key/[^/]+|alias/.+)");

    final KmsStore store;
    final InstantSource clock;
    final SecureRandom random;
    final KmsQuotas quotas;
    final Map<String, KmsKey> keys = new LinkedHashMap<>();
    final Map<String, Alias> aliases = new TreeMap<>();

    KmsState(KmsStore store, InstantSource clock, SecureRandom random, KmsQuotas quotas) {
        this.store = store;
        this.clock = clock;
        this.random = random;
        this.quotas = quotas;
    }

    /**
     * The key {@code id} names (key id, key ARN, and when {@code aliasAllowed} alias name or alias ARN) in the
     * caller's region, recorded in {@code ev}; NotFoundException (or InvalidArnException) otherwise.
     */
    KmsKey resolve(Caller c, String region, String id, boolean aliasAllowed, AuditEvent ev) {
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

    /** Refuses a new key when the account already has its quota of keys in the region (AWS-managed ones count). */
    void keyQuota(String accountId, String region) {
        long n = keys.values().stream()
                .filter(k -> k.accountId.equals(accountId) && k.region.equals(region))
                .count();
        if (n >= quotas.keysPerAccountRegion()) {
            throw KmsApiException.limitExceeded("Account " + accountId + " has reached its quota of "
                    + quotas.keysPerAccountRegion() + " keys in " + region + "; schedule unused keys for deletion.");
        }
    }

    void policySize(String policyText) {
        int bytes = policyText.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > quotas.policyBytes()) {
            throw KmsApiException.limitExceeded(
                    "The key policy has " + bytes + " bytes; the quota is " + quotas.policyBytes() + " bytes.");
        }
    }

    KmsKey newKey(
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

    KeyMaterial newSymmetricMaterial(KmsKey k, int version, @Nullable String rotationType) {
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

    String materialId() {
        byte[] id = new byte[32];
        random.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }
}
