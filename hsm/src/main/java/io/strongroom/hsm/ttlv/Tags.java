package io.strongroom.hsm.ttlv;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The KMIP tags this module reads or writes (reference: hsm-kmip.md §2.3, checked against PyKMIP 0.10.0's {@code
 * enums.Tags}), with their names for error messages. Stateless and thread-safe.
 */
public final class Tags {
    /** Activation Date. */
    public static final int ACTIVATION_DATE = 0x420001;
    /** Asynchronous Correlation Value. */
    public static final int ASYNCHRONOUS_CORRELATION_VALUE = 0x420006;
    /** Asynchronous Indicator. */
    public static final int ASYNCHRONOUS_INDICATOR = 0x420007;
    /** Attribute. */
    public static final int ATTRIBUTE = 0x420008;
    /** Attribute Index. */
    public static final int ATTRIBUTE_INDEX = 0x420009;
    /** Attribute Name. */
    public static final int ATTRIBUTE_NAME = 0x42000A;
    /** Attribute Value. */
    public static final int ATTRIBUTE_VALUE = 0x42000B;
    /** Authentication. */
    public static final int AUTHENTICATION = 0x42000C;
    /** Batch Count. */
    public static final int BATCH_COUNT = 0x42000D;
    /** Batch Error Continuation Option. */
    public static final int BATCH_ERROR_CONTINUATION_OPTION = 0x42000E;
    /** Batch Item. */
    public static final int BATCH_ITEM = 0x42000F;
    /** Batch Order Option. */
    public static final int BATCH_ORDER_OPTION = 0x420010;
    /** Block Cipher Mode. */
    public static final int BLOCK_CIPHER_MODE = 0x420011;
    /** Compromise Occurrence Date. */
    public static final int COMPROMISE_OCCURRENCE_DATE = 0x420021;
    /** Compromise Date. */
    public static final int COMPROMISE_DATE = 0x420020;
    /** Credential. */
    public static final int CREDENTIAL = 0x420023;
    /** Credential Type. */
    public static final int CREDENTIAL_TYPE = 0x420024;
    /** Credential Value. */
    public static final int CREDENTIAL_VALUE = 0x420025;
    /** Cryptographic Algorithm. */
    public static final int CRYPTOGRAPHIC_ALGORITHM = 0x420028;
    /** Cryptographic Length. */
    public static final int CRYPTOGRAPHIC_LENGTH = 0x42002A;
    /** Cryptographic Parameters. */
    public static final int CRYPTOGRAPHIC_PARAMETERS = 0x42002B;
    /** Cryptographic Usage Mask. */
    public static final int CRYPTOGRAPHIC_USAGE_MASK = 0x42002C;
    /** Deactivation Date. */
    public static final int DEACTIVATION_DATE = 0x42002F;
    /** Destroy Date. */
    public static final int DESTROY_DATE = 0x420033;
    /** Hashing Algorithm. */
    public static final int HASHING_ALGORITHM = 0x420038;
    /** Initial Date. */
    public static final int INITIAL_DATE = 0x420039;
    /** IV/Counter/Nonce. */
    public static final int IV_COUNTER_NONCE = 0x42003D;
    /** Key Block. */
    public static final int KEY_BLOCK = 0x420040;
    /** Key Compression Type. */
    public static final int KEY_COMPRESSION_TYPE = 0x420041;
    /** Key Format Type. */
    public static final int KEY_FORMAT_TYPE = 0x420042;
    /** Key Material. */
    public static final int KEY_MATERIAL = 0x420043;
    /** Key Value. */
    public static final int KEY_VALUE = 0x420045;
    /** Key Wrapping Specification. */
    public static final int KEY_WRAPPING_SPECIFICATION = 0x420047;
    /** Last Change Date. */
    public static final int LAST_CHANGE_DATE = 0x420048;
    /** Maximum Items. */
    public static final int MAXIMUM_ITEMS = 0x42004F;
    /** Maximum Response Size. */
    public static final int MAXIMUM_RESPONSE_SIZE = 0x420050;
    /** Message Extension. */
    public static final int MESSAGE_EXTENSION = 0x420051;
    /** Name. */
    public static final int NAME = 0x420053;
    /** Name Type. */
    public static final int NAME_TYPE = 0x420054;
    /** Name Value. */
    public static final int NAME_VALUE = 0x420055;
    /** Object Group. */
    public static final int OBJECT_GROUP = 0x420056;
    /** Object Type. */
    public static final int OBJECT_TYPE = 0x420057;
    /** Operation. */
    public static final int OPERATION = 0x42005C;
    /** Operation Policy Name. */
    public static final int OPERATION_POLICY_NAME = 0x42005D;
    /** Padding Method. */
    public static final int PADDING_METHOD = 0x42005F;
    /** Protocol Version. */
    public static final int PROTOCOL_VERSION = 0x420069;
    /** Protocol Version Major. */
    public static final int PROTOCOL_VERSION_MAJOR = 0x42006A;
    /** Protocol Version Minor. */
    public static final int PROTOCOL_VERSION_MINOR = 0x42006B;
    /** Query Function. */
    public static final int QUERY_FUNCTION = 0x420074;
    /** Request Header. */
    public static final int REQUEST_HEADER = 0x420077;
    /** Request Message. */
    public static final int REQUEST_MESSAGE = 0x420078;
    /** Request Payload. */
    public static final int REQUEST_PAYLOAD = 0x420079;
    /** Response Header. */
    public static final int RESPONSE_HEADER = 0x42007A;
    /** Response Message. */
    public static final int RESPONSE_MESSAGE = 0x42007B;
    /** Response Payload. */
    public static final int RESPONSE_PAYLOAD = 0x42007C;
    /** Result Message. */
    public static final int RESULT_MESSAGE = 0x42007D;
    /** Result Reason. */
    public static final int RESULT_REASON = 0x42007E;
    /** Result Status. */
    public static final int RESULT_STATUS = 0x42007F;
    /** Revocation Message. */
    public static final int REVOCATION_MESSAGE = 0x420080;
    /** Revocation Reason. */
    public static final int REVOCATION_REASON = 0x420081;
    /** Revocation Reason Code. */
    public static final int REVOCATION_REASON_CODE = 0x420082;
    /** Key Role Type. */
    public static final int KEY_ROLE_TYPE = 0x420083;
    /** Server Information. */
    public static final int SERVER_INFORMATION = 0x420088;
    /** State. */
    public static final int STATE = 0x42008D;
    /** Storage Status Mask. */
    public static final int STORAGE_STATUS_MASK = 0x42008E;
    /** Symmetric Key. */
    public static final int SYMMETRIC_KEY = 0x42008F;
    /** Template-Attribute. */
    public static final int TEMPLATE_ATTRIBUTE = 0x420091;
    /** Time Stamp. */
    public static final int TIME_STAMP = 0x420092;
    /** Unique Batch Item ID. */
    public static final int UNIQUE_BATCH_ITEM_ID = 0x420093;
    /** Unique Identifier. */
    public static final int UNIQUE_IDENTIFIER = 0x420094;
    /** Username. */
    public static final int USERNAME = 0x420099;
    /** Vendor Identification. */
    public static final int VENDOR_IDENTIFICATION = 0x42009D;
    /** Password. */
    public static final int PASSWORD = 0x4200A1;
    /** Object Group Member. */
    public static final int OBJECT_GROUP_MEMBER = 0x4200AC;
    /** Digital Signature Algorithm. */
    public static final int DIGITAL_SIGNATURE_ALGORITHM = 0x4200AE;
    /** Data. */
    public static final int DATA = 0x4200C2;
    /** Random IV. */
    public static final int RANDOM_IV = 0x4200C5;
    /** Attestation Type. */
    public static final int ATTESTATION_TYPE = 0x4200C7;
    /** Nonce. */
    public static final int NONCE = 0x4200C8;
    /** IV Length. */
    public static final int IV_LENGTH = 0x4200CD;
    /** Tag Length. */
    public static final int TAG_LENGTH = 0x4200CE;
    /** Fixed Field Length. */
    public static final int FIXED_FIELD_LENGTH = 0x4200CF;
    /** Counter Length. */
    public static final int COUNTER_LENGTH = 0x4200D0;
    /** Initial Counter Value. */
    public static final int INITIAL_COUNTER_VALUE = 0x4200D1;
    /** Invocation Field Length. */
    public static final int INVOCATION_FIELD_LENGTH = 0x4200D2;
    /** Attestation Capable Indicator. */
    public static final int ATTESTATION_CAPABLE_INDICATOR = 0x4200D3;
    /** Offset Items. */
    public static final int OFFSET_ITEMS = 0x4200D4;
    /** Located Items. */
    public static final int LOCATED_ITEMS = 0x4200D5;
    /** Correlation Value. */
    public static final int CORRELATION_VALUE = 0x4200D6;
    /** Init Indicator. */
    public static final int INIT_INDICATOR = 0x4200D7;
    /** Final Indicator. */
    public static final int FINAL_INDICATOR = 0x4200D8;
    /** Key Wrap Type. */
    public static final int KEY_WRAP_TYPE = 0x4200F8;
    /** Authenticated Encryption Additional Data. */
    public static final int AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA = 0x4200FE;
    /** Authenticated Encryption Tag. */
    public static final int AUTHENTICATED_ENCRYPTION_TAG = 0x4200FF;
    /** Salt Length. */
    public static final int SALT_LENGTH = 0x420100;
    /** Mask Generator. */
    public static final int MASK_GENERATOR = 0x420101;
    /** Mask Generator Hashing Algorithm. */
    public static final int MASK_GENERATOR_HASHING_ALGORITHM = 0x420102;
    /** P Source. */
    public static final int P_SOURCE = 0x420103;
    /** Trailer Field. */
    public static final int TRAILER_FIELD = 0x420104;
    /** Client Correlation Value. */
    public static final int CLIENT_CORRELATION_VALUE = 0x420105;
    /** Server Correlation Value. */
    public static final int SERVER_CORRELATION_VALUE = 0x420106;
    /** Sensitive. */
    public static final int SENSITIVE = 0x420120;
    /** Always Sensitive. */
    public static final int ALWAYS_SENSITIVE = 0x420121;
    /** Extractable. */
    public static final int EXTRACTABLE = 0x420122;
    /** Never Extractable. */
    public static final int NEVER_EXTRACTABLE = 0x420123;
    /** Ephemeral. */
    public static final int EPHEMERAL = 0x420154;
    /** Attributes. */
    public static final int ATTRIBUTES = 0x420125;
    /** Attribute Reference. */
    public static final int ATTRIBUTE_REFERENCE = 0x42013B;
    /** Protection Storage Masks. */
    public static final int PROTECTION_STORAGE_MASKS = 0x42015F;

    private static final Map<Integer, String> NAMES = new HashMap<>();

    static {
        NAMES.put(ACTIVATION_DATE, "Activation Date");
        NAMES.put(ASYNCHRONOUS_CORRELATION_VALUE, "Asynchronous Correlation Value");
        NAMES.put(ASYNCHRONOUS_INDICATOR, "Asynchronous Indicator");
        NAMES.put(ATTRIBUTE, "Attribute");
        NAMES.put(ATTRIBUTE_INDEX, "Attribute Index");
        NAMES.put(ATTRIBUTE_NAME, "Attribute Name");
        NAMES.put(ATTRIBUTE_VALUE, "Attribute Value");
        NAMES.put(AUTHENTICATION, "Authentication");
        NAMES.put(BATCH_COUNT, "Batch Count");
        NAMES.put(BATCH_ERROR_CONTINUATION_OPTION, "Batch Error Continuation Option");
        NAMES.put(BATCH_ITEM, "Batch Item");
        NAMES.put(BATCH_ORDER_OPTION, "Batch Order Option");
        NAMES.put(BLOCK_CIPHER_MODE, "Block Cipher Mode");
        NAMES.put(COMPROMISE_OCCURRENCE_DATE, "Compromise Occurrence Date");
        NAMES.put(COMPROMISE_DATE, "Compromise Date");
        NAMES.put(CREDENTIAL, "Credential");
        NAMES.put(CREDENTIAL_TYPE, "Credential Type");
        NAMES.put(CREDENTIAL_VALUE, "Credential Value");
        NAMES.put(CRYPTOGRAPHIC_ALGORITHM, "Cryptographic Algorithm");
        NAMES.put(CRYPTOGRAPHIC_LENGTH, "Cryptographic Length");
        NAMES.put(CRYPTOGRAPHIC_PARAMETERS, "Cryptographic Parameters");
        NAMES.put(CRYPTOGRAPHIC_USAGE_MASK, "Cryptographic Usage Mask");
        NAMES.put(DEACTIVATION_DATE, "Deactivation Date");
        NAMES.put(DESTROY_DATE, "Destroy Date");
        NAMES.put(HASHING_ALGORITHM, "Hashing Algorithm");
        NAMES.put(INITIAL_DATE, "Initial Date");
        NAMES.put(IV_COUNTER_NONCE, "IV/Counter/Nonce");
        NAMES.put(KEY_BLOCK, "Key Block");
        NAMES.put(KEY_COMPRESSION_TYPE, "Key Compression Type");
        NAMES.put(KEY_FORMAT_TYPE, "Key Format Type");
        NAMES.put(KEY_MATERIAL, "Key Material");
        NAMES.put(KEY_VALUE, "Key Value");
        NAMES.put(KEY_WRAPPING_SPECIFICATION, "Key Wrapping Specification");
        NAMES.put(LAST_CHANGE_DATE, "Last Change Date");
        NAMES.put(MAXIMUM_ITEMS, "Maximum Items");
        NAMES.put(MAXIMUM_RESPONSE_SIZE, "Maximum Response Size");
        NAMES.put(MESSAGE_EXTENSION, "Message Extension");
        NAMES.put(NAME, "Name");
        NAMES.put(NAME_TYPE, "Name Type");
        NAMES.put(NAME_VALUE, "Name Value");
        NAMES.put(OBJECT_GROUP, "Object Group");
        NAMES.put(OBJECT_TYPE, "Object Type");
        NAMES.put(OPERATION, "Operation");
        NAMES.put(OPERATION_POLICY_NAME, "Operation Policy Name");
        NAMES.put(PADDING_METHOD, "Padding Method");
        NAMES.put(PROTOCOL_VERSION, "Protocol Version");
        NAMES.put(PROTOCOL_VERSION_MAJOR, "Protocol Version Major");
        NAMES.put(PROTOCOL_VERSION_MINOR, "Protocol Version Minor");
        NAMES.put(QUERY_FUNCTION, "Query Function");
        NAMES.put(REQUEST_HEADER, "Request Header");
        NAMES.put(REQUEST_MESSAGE, "Request Message");
        NAMES.put(REQUEST_PAYLOAD, "Request Payload");
        NAMES.put(RESPONSE_HEADER, "Response Header");
        NAMES.put(RESPONSE_MESSAGE, "Response Message");
        NAMES.put(RESPONSE_PAYLOAD, "Response Payload");
        NAMES.put(RESULT_MESSAGE, "Result Message");
        NAMES.put(RESULT_REASON, "Result Reason");
        NAMES.put(RESULT_STATUS, "Result Status");
        NAMES.put(REVOCATION_MESSAGE, "Revocation Message");
        NAMES.put(REVOCATION_REASON, "Revocation Reason");
        NAMES.put(REVOCATION_REASON_CODE, "Revocation Reason Code");
        NAMES.put(KEY_ROLE_TYPE, "Key Role Type");
        NAMES.put(SERVER_INFORMATION, "Server Information");
        NAMES.put(STATE, "State");
        NAMES.put(STORAGE_STATUS_MASK, "Storage Status Mask");
        NAMES.put(SYMMETRIC_KEY, "Symmetric Key");
        NAMES.put(TEMPLATE_ATTRIBUTE, "Template-Attribute");
        NAMES.put(TIME_STAMP, "Time Stamp");
        NAMES.put(UNIQUE_BATCH_ITEM_ID, "Unique Batch Item ID");
        NAMES.put(UNIQUE_IDENTIFIER, "Unique Identifier");
        NAMES.put(USERNAME, "Username");
        NAMES.put(VENDOR_IDENTIFICATION, "Vendor Identification");
        NAMES.put(PASSWORD, "Password");
        NAMES.put(OBJECT_GROUP_MEMBER, "Object Group Member");
        NAMES.put(DIGITAL_SIGNATURE_ALGORITHM, "Digital Signature Algorithm");
        NAMES.put(DATA, "Data");
        NAMES.put(RANDOM_IV, "Random IV");
        NAMES.put(ATTESTATION_TYPE, "Attestation Type");
        NAMES.put(NONCE, "Nonce");
        NAMES.put(IV_LENGTH, "IV Length");
        NAMES.put(TAG_LENGTH, "Tag Length");
        NAMES.put(FIXED_FIELD_LENGTH, "Fixed Field Length");
        NAMES.put(COUNTER_LENGTH, "Counter Length");
        NAMES.put(INITIAL_COUNTER_VALUE, "Initial Counter Value");
        NAMES.put(INVOCATION_FIELD_LENGTH, "Invocation Field Length");
        NAMES.put(ATTESTATION_CAPABLE_INDICATOR, "Attestation Capable Indicator");
        NAMES.put(OFFSET_ITEMS, "Offset Items");
        NAMES.put(LOCATED_ITEMS, "Located Items");
        NAMES.put(CORRELATION_VALUE, "Correlation Value");
        NAMES.put(INIT_INDICATOR, "Init Indicator");
        NAMES.put(FINAL_INDICATOR, "Final Indicator");
        NAMES.put(KEY_WRAP_TYPE, "Key Wrap Type");
        NAMES.put(AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, "Authenticated Encryption Additional Data");
        NAMES.put(AUTHENTICATED_ENCRYPTION_TAG, "Authenticated Encryption Tag");
        NAMES.put(SALT_LENGTH, "Salt Length");
        NAMES.put(MASK_GENERATOR, "Mask Generator");
        NAMES.put(MASK_GENERATOR_HASHING_ALGORITHM, "Mask Generator Hashing Algorithm");
        NAMES.put(P_SOURCE, "P Source");
        NAMES.put(TRAILER_FIELD, "Trailer Field");
        NAMES.put(CLIENT_CORRELATION_VALUE, "Client Correlation Value");
        NAMES.put(SERVER_CORRELATION_VALUE, "Server Correlation Value");
        NAMES.put(SENSITIVE, "Sensitive");
        NAMES.put(ALWAYS_SENSITIVE, "Always Sensitive");
        NAMES.put(EXTRACTABLE, "Extractable");
        NAMES.put(NEVER_EXTRACTABLE, "Never Extractable");
        NAMES.put(EPHEMERAL, "Ephemeral");
        NAMES.put(ATTRIBUTES, "Attributes");
        NAMES.put(ATTRIBUTE_REFERENCE, "Attribute Reference");
        NAMES.put(PROTECTION_STORAGE_MASKS, "Protection Storage Masks");
    }

    private Tags() {}

    /** The name of {@code tag}, or null when this module does not know it. */
    public static @Nullable String name(int tag) {
        return NAMES.get(tag);
    }

    /** {@code tag} for messages: hex, and the name when known, for example {@code 42000D (Batch Count)}. */
    public static String describe(int tag) {
        String hex = String.format(Locale.ROOT, "%06X", tag & 0xFFFFFF);
        String name = NAMES.get(tag);
        return name == null ? hex : hex + " (" + name + ")";
    }
}
