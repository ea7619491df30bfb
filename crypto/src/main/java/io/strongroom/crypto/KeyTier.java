package io.strongroom.crypto;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;

/** The four tiers of the key hierarchy. {@link #id()} is what persistent formats store. */
public enum KeyTier {
    ROOT(1),
    CLUSTER(2),
    DATABASE(3),
    BLOCK(4);

    private final int id;

    KeyTier(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    public static KeyTier fromId(int id) {
        for (KeyTier t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        throw new StrongroomException(ErrorCode.UNSUPPORTED_FORMAT, "unknown key tier id " + id);
    }
}
