package io.strongroom.kms.service;

import io.strongroom.kms.store.KmsStore;

/**
 * The resource quotas of the KMS, as AWS KMS has them (per account and region, per key). They keep one
 * account from crowding out the others, and keep the sealed store well below the size {@link KmsStore}
 * accepts; the store's own size check ({@code LimitExceededException} before a too-large save) is the backstop
 * that guarantees the KMS can always restart. Breaching one answers {@code LimitExceededException}.
 *
 * <p>The defaults are AWS's where AWS's fit a single sealed file (tags per key, aliases per key, the 32 KiB
 * key policy) and smaller where they do not (AWS allows 100,000 keys per account and region and 50,000 grants
 * per key). Immutable.
 *
 * @param keysPerAccountRegion keys of one account in one region, AWS-managed keys included
 * @param aliasesPerAccountRegion aliases of one account in one region
 * @param aliasesPerKey aliases pointing at one key
 * @param grantsPerKey grants on one key
 * @param tagsPerKey tags on one key
 * @param policyBytes UTF-8 bytes of one key policy
 */
public record KmsQuotas(
        int keysPerAccountRegion,
        int aliasesPerAccountRegion,
        int aliasesPerKey,
        int grantsPerKey,
        int tagsPerKey,
        int policyBytes) {
    public static final KmsQuotas DEFAULTS = new KmsQuotas(10_000, 10_000, 50, 10_000, 50, 32 * 1024);

    public KmsQuotas {
        if (keysPerAccountRegion < 1
                || aliasesPerAccountRegion < 1
                || aliasesPerKey < 1
                || grantsPerKey < 1
                || tagsPerKey < 1
                || policyBytes < 1) {
            throw new IllegalArgumentException("every KMS quota must be at least 1");
        }
    }
}
