package io.strongroom.crypto;

import java.util.Locale;
import java.util.Objects;

/**
 * What may be said about a key in logs, errors and status pages: its tier, its id and its version. It
 * holds no material and nothing derived from it.
 *
 * @param tier where the key sits in the hierarchy
 * @param keyId a stable identifier (a KMS key ARN, a cluster id, a database id)
 * @param version the key version; rotation makes a new version under the same id
 */
public record KeyInfo(KeyTier tier, String keyId, int version) {
    public KeyInfo {
        Objects.requireNonNull(tier);
        Objects.requireNonNull(keyId);
        if (keyId.isEmpty() || keyId.length() > 2048) {
            throw new IllegalArgumentException("key id must have 1..2048 characters");
        }
        if (version < 0) {
            throw new IllegalArgumentException("key version must not be negative: " + version);
        }
    }

    @Override
    public String toString() {
        return tier.name().toLowerCase(Locale.ROOT) + " key " + keyId + " v" + version;
    }
}
