package io.strongroom.hsm.kmip;

/**
 * KMIP values that are not closed sets worth an enum here: single values Strongroom sends (the AES algorithm id,
 * name and credential types, batch options) and the Cryptographic Usage Mask bits (hsm-kmip.md §2.4).
 */
public final class KmipConstants {
    /** Cryptographic Algorithm AES. */
    public static final int ALGORITHM_AES = 0x03;
    /** Name Type Uninterpreted Text String. */
    public static final int NAME_TYPE_TEXT = 1;
    /** Credential Type Username and Password. */
    public static final int CREDENTIAL_USERNAME_PASSWORD = 1;
    /** Batch Error Continuation Option Continue, Stop (the default) and Undo. */
    public static final int BATCH_CONTINUE = 1;

    public static final int BATCH_STOP = 2;
    public static final int BATCH_UNDO = 3;
    /** Usage mask bits. */
    public static final int USAGE_ENCRYPT = 0x04;

    public static final int USAGE_DECRYPT = 0x08;
    public static final int USAGE_WRAP_KEY = 0x10;
    public static final int USAGE_UNWRAP_KEY = 0x20;

    private KmipConstants() {}
}
