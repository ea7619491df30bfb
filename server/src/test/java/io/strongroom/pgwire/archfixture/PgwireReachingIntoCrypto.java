package io.strongroom.pgwire.archfixture;

import io.strongroom.crypto.SecretBytes;

/**
 * A deliberate violation for {@code ArchitectureTest}: pgwire (like sql) sees the error model in base, never the
 * crypto core.
 */
public final class PgwireReachingIntoCrypto {
    private PgwireReachingIntoCrypto() {}

    public static String secretClass() {
        return SecretBytes.class.getSimpleName();
    }
}
