package io.strongroom.kms.model;

/** The key states this KMS uses, with their wire names ({@code KeyState} in the KMS model). */
public enum KeyState {
    ENABLED("Enabled"),
    DISABLED("Disabled"),
    PENDING_DELETION("PendingDeletion");

    private final String wireName;

    KeyState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static KeyState fromWire(String name) {
        for (KeyState s : values()) {
            if (s.wireName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown key state " + name);
    }
}
