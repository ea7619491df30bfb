package io.strongroom.kms.model;

import java.time.Instant;

/**
 * An alias: a friendly name for a key in one account and region. Immutable (UpdateAlias replaces it).
 *
 * @param name {@code alias/<name>}
 * @param region the region it lives in
 * @param accountId the owning account
 * @param targetKeyId the key UUID it points at
 * @param creationDate when it was created
 * @param lastUpdatedDate when it last changed target
 */
public record Alias(
        String name,
        String region,
        String accountId,
        String targetKeyId,
        Instant creationDate,
        Instant lastUpdatedDate) {
    public String arn() {
        return "arn:aws:kms:" + region + ":" + accountId + ":" + name;
    }

    public static String mapKey(String region, String accountId, String name) {
        return region + "/" + accountId + "/" + name;
    }

    public String mapKey() {
        return mapKey(region, accountId, name);
    }
}
