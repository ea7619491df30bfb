package io.strongroom.hsm.kmip;

import io.strongroom.hsm.ttlv.Tags;
import io.strongroom.hsm.ttlv.TtlvType;
import org.jspecify.annotations.Nullable;

/**
 * The attributes Strongroom reads or writes, with their 1.x name (Attribute Name), their 2.0 tag (the item inside
 * Attributes, and the value of an Attribute Reference), their value type, and the first version that defines them.
 */
public enum AttributeKind {
    UNIQUE_IDENTIFIER("Unique Identifier", Tags.UNIQUE_IDENTIFIER, TtlvType.TEXT_STRING, ProtocolVersion.V1_0),
    NAME("Name", Tags.NAME, TtlvType.STRUCTURE, ProtocolVersion.V1_0),
    OBJECT_TYPE("Object Type", Tags.OBJECT_TYPE, TtlvType.ENUMERATION, ProtocolVersion.V1_0),
    CRYPTOGRAPHIC_ALGORITHM(
            "Cryptographic Algorithm", Tags.CRYPTOGRAPHIC_ALGORITHM, TtlvType.ENUMERATION, ProtocolVersion.V1_0),
    CRYPTOGRAPHIC_LENGTH("Cryptographic Length", Tags.CRYPTOGRAPHIC_LENGTH, TtlvType.INTEGER, ProtocolVersion.V1_0),
    CRYPTOGRAPHIC_USAGE_MASK(
            "Cryptographic Usage Mask", Tags.CRYPTOGRAPHIC_USAGE_MASK, TtlvType.INTEGER, ProtocolVersion.V1_0),
    OPERATION_POLICY_NAME(
            "Operation Policy Name", Tags.OPERATION_POLICY_NAME, TtlvType.TEXT_STRING, ProtocolVersion.V1_0),
    STATE("State", Tags.STATE, TtlvType.ENUMERATION, ProtocolVersion.V1_0),
    INITIAL_DATE("Initial Date", Tags.INITIAL_DATE, TtlvType.DATE_TIME, ProtocolVersion.V1_0),
    ACTIVATION_DATE("Activation Date", Tags.ACTIVATION_DATE, TtlvType.DATE_TIME, ProtocolVersion.V1_0),
    DEACTIVATION_DATE("Deactivation Date", Tags.DEACTIVATION_DATE, TtlvType.DATE_TIME, ProtocolVersion.V1_0),
    DESTROY_DATE("Destroy Date", Tags.DESTROY_DATE, TtlvType.DATE_TIME, ProtocolVersion.V1_0),
    COMPROMISE_DATE("Compromise Date", Tags.COMPROMISE_DATE, TtlvType.DATE_TIME, ProtocolVersion.V1_0),
    REVOCATION_REASON("Revocation Reason", Tags.REVOCATION_REASON, TtlvType.STRUCTURE, ProtocolVersion.V1_0),
    OBJECT_GROUP("Object Group", Tags.OBJECT_GROUP, TtlvType.TEXT_STRING, ProtocolVersion.V1_0),
    LAST_CHANGE_DATE("Last Change Date", Tags.LAST_CHANGE_DATE, TtlvType.DATE_TIME, ProtocolVersion.V1_0),
    SENSITIVE("Sensitive", Tags.SENSITIVE, TtlvType.BOOLEAN, ProtocolVersion.V1_4),
    ALWAYS_SENSITIVE("Always Sensitive", Tags.ALWAYS_SENSITIVE, TtlvType.BOOLEAN, ProtocolVersion.V1_4),
    EXTRACTABLE("Extractable", Tags.EXTRACTABLE, TtlvType.BOOLEAN, ProtocolVersion.V1_4),
    NEVER_EXTRACTABLE("Never Extractable", Tags.NEVER_EXTRACTABLE, TtlvType.BOOLEAN, ProtocolVersion.V1_4);

    private final String kmipName;
    private final int tag;
    private final TtlvType type;

    @SuppressWarnings("ImmutableEnumChecker") // a record of two ints
    private final ProtocolVersion since;

    AttributeKind(String kmipName, int tag, TtlvType type, ProtocolVersion since) {
        this.kmipName = kmipName;
        this.tag = tag;
        this.type = type;
        this.since = since;
    }

    /** The Attribute Name of KMIP 1.x, for example "Cryptographic Length". */
    public String kmipName() {
        return kmipName;
    }

    /** The attribute's own tag (its item in a 2.0 Attributes structure). */
    public int tag() {
        return tag;
    }

    public TtlvType type() {
        return type;
    }

    /** The first protocol version that defines the attribute; answers to older requests leave it out. */
    public ProtocolVersion since() {
        return since;
    }

    public static @Nullable AttributeKind byName(String kmipName) {
        for (AttributeKind k : values()) {
            if (k.kmipName.equals(kmipName)) {
                return k;
            }
        }
        return null;
    }

    public static @Nullable AttributeKind byTag(int tag) {
        for (AttributeKind k : values()) {
            if (k.tag == tag) {
                return k;
            }
        }
        return null;
    }
}
