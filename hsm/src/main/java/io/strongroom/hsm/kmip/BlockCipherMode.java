package io.strongroom.hsm.kmip;

import org.jspecify.annotations.Nullable;

/**
 * A block cipher mode in Cryptographic Parameters; Strongroom uses GCM only.
 * The code is the on-wire value (hsm-kmip.md §2.4); {@code ordinal()} is never used.
 */
public enum BlockCipherMode {
    CBC(1),
    ECB(2),
    CTR(6),
    CCM(8),
    GCM(9),
    AES_KEY_WRAP_PADDING(0x0C),
    NIST_KEY_WRAP(0x0D);

    private final int code;

    BlockCipherMode(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with wire value {@code code}, or null when this module does not know it. */
    public static @Nullable BlockCipherMode ofCode(int code) {
        for (BlockCipherMode v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
