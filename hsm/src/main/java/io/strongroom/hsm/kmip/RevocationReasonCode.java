package io.strongroom.hsm.kmip;

import org.jspecify.annotations.Nullable;

/**
 * Why an object is revoked.
 * The code is the on-wire value (hsm-kmip.md §2.4); {@code ordinal()} is never used.
 */
public enum RevocationReasonCode {
    UNSPECIFIED(1),
    KEY_COMPROMISE(2),
    CA_COMPROMISE(3),
    AFFILIATION_CHANGED(4),
    SUPERSEDED(5),
    CESSATION_OF_OPERATION(6),
    PRIVILEGE_WITHDRAWN(7);

    private final int code;

    RevocationReasonCode(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with wire value {@code code}, or null when this module does not know it. */
    public static @Nullable RevocationReasonCode ofCode(int code) {
        for (RevocationReasonCode v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
