package io.strongroom.hsm.kmip;

import org.jspecify.annotations.Nullable;

/**
 * The status of one batch item in a response.
 * The code is the on-wire value (hsm-kmip.md §2.4); {@code ordinal()} is never used.
 */
public enum ResultStatus {
    SUCCESS(0),
    OPERATION_FAILED(1),
    OPERATION_PENDING(2),
    OPERATION_UNDONE(3);

    private final int code;

    ResultStatus(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with wire value {@code code}, or null when this module does not know it. */
    public static @Nullable ResultStatus ofCode(int code) {
        for (ResultStatus v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
