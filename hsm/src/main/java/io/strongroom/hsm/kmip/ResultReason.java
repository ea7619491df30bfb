package io.strongroom.hsm.kmip;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Why a batch item failed (KMIP 1.x values, kept in 2.x, plus the 2.0 ones Strongroom uses or maps).
 * The code is the on-wire value (hsm-kmip.md §2.4); {@code ordinal()} is never used.
 */
public enum ResultReason {
    ITEM_NOT_FOUND(0x01),
    RESPONSE_TOO_LARGE(0x02),
    AUTHENTICATION_NOT_SUCCESSFUL(0x03),
    INVALID_MESSAGE(0x04),
    OPERATION_NOT_SUPPORTED(0x05),
    MISSING_DATA(0x06),
    INVALID_FIELD(0x07),
    FEATURE_NOT_SUPPORTED(0x08),
    OPERATION_CANCELED_BY_REQUESTER(0x09),
    CRYPTOGRAPHIC_FAILURE(0x0A),
    ILLEGAL_OPERATION(0x0B),
    PERMISSION_DENIED(0x0C),
    OBJECT_ARCHIVED(0x0D),
    INDEX_OUT_OF_BOUNDS(0x0E),
    APPLICATION_NAMESPACE_NOT_SUPPORTED(0x0F),
    KEY_FORMAT_TYPE_NOT_SUPPORTED(0x10),
    KEY_COMPRESSION_TYPE_NOT_SUPPORTED(0x11),
    ENCODING_OPTION_ERROR(0x12),
    KEY_VALUE_NOT_PRESENT(0x13),
    ATTESTATION_REQUIRED(0x14),
    ATTESTATION_FAILED(0x15),
    SENSITIVE(0x16),
    NOT_EXTRACTABLE(0x17),
    OBJECT_ALREADY_EXISTS(0x18),
    UNSUPPORTED_ATTRIBUTE(0x1F),
    INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK(0x29),
    UNSUPPORTED_PROTOCOL_VERSION(0x3F),
    WRONG_KEY_LIFECYCLE_STATE(0x43),
    GENERAL_FAILURE(0x100);

    private final int code;

    ResultReason(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with wire value {@code code}, or null when this module does not know it. */
    public static @Nullable ResultReason ofCode(int code) {
        for (ResultReason v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }

    /** {@code code} for messages: the constant's name when known, and the hex value. */
    public static String describe(int code) {
        ResultReason r = ofCode(code);
        return (r == null ? "reason" : r.name()) + String.format(Locale.ROOT, " (0x%02X)", code);
    }
}
