package io.strongroom.kms.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One KMS key: its identity, metadata, policy, grants, rotation schedule and every version of its material.
 *
 * <p>Invariants: {@code materials} is never empty and its versions are 1, 2, ... in order, the last one
 * current; an asymmetric key has exactly one; {@code deletionDate} is set exactly when the state is {@code
 * PendingDeletion}. Not thread-safe: {@code KmsService} guards every key with its read-write lock (fields are
 * changed only under the write lock).
 */
public final class KmsKey {
    public final String keyId;
    public final String region;
    public final String accountId;
    public final Instant creationDate;
    public final String keySpec;
    public final String keyUsage;
    /** {@code CUSTOMER} or {@code AWS} (an AWS-managed key such as {@code aws/redshift}). */
    public final String keyManager;

    public String description;
    public KeyState state;

    @Nullable
    public Instant deletionDate;

    public int pendingWindowDays;
    public KeyPolicy policy;
    public final Map<String, String> tags = new TreeMap<>();
    public boolean rotationEnabled;
    public int rotationPeriodDays = 365;

    @Nullable
    public Instant nextRotationDate;

    @Nullable
    public Instant onDemandRotationStartDate;

    public int onDemandRotations;
    public final List<KeyMaterial> materials = new ArrayList<>();
    public final Map<String, Grant> grants = new LinkedHashMap<>();

    public KmsKey(
            String keyId,
            String region,
            String accountId,
            Instant creationDate,
            String keySpec,
            String keyUsage,
            String keyManager,
            String description,
            KeyState state,
            KeyPolicy policy) {
        this.keyId = keyId;
        this.region = region;
        this.accountId = accountId;
        this.creationDate = creationDate;
        this.keySpec = keySpec;
        this.keyUsage = keyUsage;
        this.keyManager = keyManager;
        this.description = description;
        this.state = state;
        this.policy = policy;
    }

    public String arn() {
        return "arn:aws:kms:" + region + ":" + accountId + ":key/" + keyId;
    }

    public boolean isSymmetric() {
        return keySpec.equals("SYMMETRIC_DEFAULT");
    }

    public KeyMaterial current() {
        return materials.getLast();
    }

    /** The material of {@code version}, or null when the key never had it. */
    public @Nullable KeyMaterial material(int version) {
        return version >= 1 && version <= materials.size() ? materials.get(version - 1) : null;
    }

    public void addMaterial(KeyMaterial m) {
        if (m.version() != materials.size() + 1) {
            throw new IllegalStateException("material version " + m.version() + " out of order for " + arn());
        }
        materials.add(m);
    }

    @Override
    public String toString() {
        return "KmsKey[" + arn() + " " + state.wireName() + " v" + materials.size() + "]";
    }
}
