package io.strongroom.hsm.gateway;

import io.strongroom.hsm.kmip.State;
import org.jspecify.annotations.Nullable;

/**
 * The KMIP metadata of one key that PKCS#11 has no place for: its state, usage mask, length, dates (POSIX
 * seconds; -1 when unset), name and object group. The key material is the token object labelled {@code uid}.
 * Immutable; safe to log (no secrets).
 */
record ManagedKey(
        String uid,
        State state,
        int usageMask,
        int lengthBits,
        long initialDate,
        long activationDate,
        long deactivationDate,
        long compromiseDate,
        long lastChangeDate,
        @Nullable String name,
        @Nullable String objectGroup) {

    ManagedKey withState(State next, long now) {
        long activation = next == State.ACTIVE ? now : activationDate;
        long deactivation = next == State.DEACTIVATED && deactivationDate < 0 ? now : deactivationDate;
        long compromise = next == State.COMPROMISED && compromiseDate < 0 ? now : compromiseDate;
        return new ManagedKey(
                uid,
                next,
                usageMask,
                lengthBits,
                initialDate,
                activation,
                deactivation,
                compromise,
                now,
                name,
                objectGroup);
    }
}
