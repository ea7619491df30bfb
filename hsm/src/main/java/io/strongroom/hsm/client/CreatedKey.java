package io.strongroom.hsm.client;

import java.util.Objects;

/**
 * A key {@link KmipClient#createKey} made and activated: its KMIP Unique Identifier, and whether the HSM accepted
 * the Sensitive attribute. {@code sensitive} false means the server refused Sensitive at Create and the key was made
 * without it, so the HSM does not promise that the key material cannot be read out (hsm-kmip.md §1); callers record
 * that in an event. Safe to log: it holds no key material. Immutable.
 */
public record CreatedKey(String uid, boolean sensitive) {
    public CreatedKey {
        Objects.requireNonNull(uid);
    }
}
