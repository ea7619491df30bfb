package io.strongroom.hsm.kmip;

import org.jspecify.annotations.Nullable;

/**
 * The type of a managed object.
 * The code is the on-wire value (hsm-kmip.md §2.4); {@code ordinal()} is never used.
 */
public enum ObjectType {
    CERTIFICATE(1),
    SYMMETRIC_KEY(2),
    PUBLIC_KEY(3),
    PRIVATE_KEY(4),
    SECRET_DATA(7);

    private final int code;

    ObjectType(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with wire value {@code code}, or null when this module does not know it. */
    public static @Nullable ObjectType ofCode(int code) {
        for (ObjectType v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
