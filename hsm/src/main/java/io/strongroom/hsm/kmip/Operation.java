package io.strongroom.hsm.kmip;

import org.jspecify.annotations.Nullable;

/**
 * A KMIP operation (the subset Strongroom serves or sends, plus the ones a server names in answers).
 * The code is the on-wire value (hsm-kmip.md §2.4); {@code ordinal()} is never used.
 */
public enum Operation {
    CREATE(0x01),
    REGISTER(0x03),
    LOCATE(0x08),
    GET(0x0A),
    GET_ATTRIBUTES(0x0B),
    GET_ATTRIBUTE_LIST(0x0C),
    ACTIVATE(0x12),
    REVOKE(0x13),
    DESTROY(0x14),
    QUERY(0x18),
    DISCOVER_VERSIONS(0x1E),
    ENCRYPT(0x1F),
    DECRYPT(0x20);

    private final int code;

    Operation(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with wire value {@code code}, or null when this module does not know it. */
    public static @Nullable Operation ofCode(int code) {
        for (Operation v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
