package io.strongroom.hsm.ttlv;

import org.jspecify.annotations.Nullable;

/**
 * The TTLV item types of KMIP 1.0 to 2.0, with their wire code and the value length each must declare (-1 when the
 * length varies). The code is the on-wire id; {@code ordinal()} is never used.
 */
public enum TtlvType {
    STRUCTURE(0x01, -1),
    INTEGER(0x02, 4),
    LONG_INTEGER(0x03, 8),
    BIG_INTEGER(0x04, -1),
    ENUMERATION(0x05, 4),
    BOOLEAN(0x06, 8),
    TEXT_STRING(0x07, -1),
    BYTE_STRING(0x08, -1),
    DATE_TIME(0x09, 8),
    INTERVAL(0x0A, 4),
    DATE_TIME_EXTENDED(0x0B, 8);

    private final int code;
    private final int fixedLength;

    TtlvType(int code, int fixedLength) {
        this.code = code;
        this.fixedLength = fixedLength;
    }

    /** The type byte on the wire. */
    public int code() {
        return code;
    }

    /** The length every item of this type declares, or -1 when it varies (structures, strings, big integers). */
    public int fixedLength() {
        return fixedLength;
    }

    /** The type with wire code {@code code}, or null when there is none. */
    public static @Nullable TtlvType ofCode(int code) {
        for (TtlvType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
