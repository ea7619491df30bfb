package io.strongroom.aws.archfixture;

import io.strongroom.kms.KmsServer;

/** A deliberate violation for {@code ArchitectureTest}: the AWS plumbing is below the KMS and must not use it. */
public final class AwsReachingIntoKms {
    private AwsReachingIntoKms() {}

    public static String kmsServerClass() {
        return KmsServer.class.getSimpleName();
    }
}
