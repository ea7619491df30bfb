package io.strongroom.hsm.kmip;

import org.jspecify.annotations.Nullable;

/**
 * The lifecycle state of a managed object. A new key is Pre-Active; only an Active one encrypts.
 * The code is the on-wire value (hsm-kmip.md §2.4); {@code ordinal()} is never used.
 */
public enum State {
    PRE_ACTIVE(1),
    ACTIVE(2),
    DEACTIVATED(3),
    COMPROMISED(4),
    DESTROYED(5),
    DESTROYED_COMPROMISED(6);

    private final int code;

    State(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with wire value {@code code}, or null when this module does not know it. */
    public static @Nullable State ofCode(int code) {
        for (State v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
