package io.strongroom.hsm.kmip;

import org.jspecify.annotations.Nullable;

/**
 * What a Query asks the server for.
 * The code is the on-wire value (hsm-kmip.md §2.4); {@code ordinal()} is never used.
 */
public enum QueryFunction {
    QUERY_OPERATIONS(1),
    QUERY_OBJECTS(2),
    QUERY_SERVER_INFORMATION(3);

    private final int code;

    QueryFunction(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with wire value {@code code}, or null when this module does not know it. */
    public static @Nullable QueryFunction ofCode(int code) {
        for (QueryFunction v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
