package io.strongroom.kms.model.archfixture;

import io.strongroom.kms.service.KmsService;

/**
 * A deliberate violation for {@code ArchitectureTest}: the KMS's data model ({@code kms.model}) must not use the
 * operations built on it.
 */
public final class ModelReachingIntoService {
    private ModelReachingIntoService() {}

    public static String serviceClass() {
        return KmsService.class.getSimpleName();
    }
}
