package io.strongroom.kms.model;

import io.strongroom.aws.AwsApiException;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import org.jspecify.annotations.Nullable;

/**
 * A KMS API failure: a {@link StrongroomException} that also carries the AWS error {@code __type} the wire
 * answers with (the KMS model has many more types than {@link ErrorCode} has codes) and its HTTP status.
 *
 * <p>Messages follow AWS's wording and name key ARNs, alias names and grant ids, never material.
 * Immutable.
 */
public final class KmsApiException extends AwsApiException {
    private static final long serialVersionUID = 1L;

    public KmsApiException(ErrorCode code, String awsType, int httpStatus, String message) {
        super(code, awsType, httpStatus, message, null);
    }

    public KmsApiException(ErrorCode code, String awsType, int httpStatus, String message, @Nullable Throwable cause) {
        super(code, awsType, httpStatus, message, cause);
    }

    public static KmsApiException notFound(String message) {
        return new KmsApiException(ErrorCode.NOT_FOUND, "NotFoundException", 400, message);
    }

    public static KmsApiException validation(String message) {
        return new KmsApiException(ErrorCode.INVALID_ARGUMENT, "ValidationException", 400, message);
    }

    public static KmsApiException accessDenied(String message) {
        return new KmsApiException(ErrorCode.ACCESS_DENIED, "AccessDeniedException", 400, message);
    }

    public static KmsApiException disabled(String keyArn) {
        return new KmsApiException(ErrorCode.ACCESS_DENIED, "DisabledException", 400, keyArn + " is disabled.");
    }

    public static KmsApiException invalidState(String message) {
        return new KmsApiException(ErrorCode.INVALID_STATE, "KMSInvalidStateException", 400, message);
    }

    public static KmsApiException invalidCiphertext(String message) {
        return new KmsApiException(ErrorCode.WRONG_KEY, "InvalidCiphertextException", 400, message);
    }

    public static KmsApiException invalidKeyUsage(String message) {
        return new KmsApiException(ErrorCode.INVALID_ARGUMENT, "InvalidKeyUsageException", 400, message);
    }

    public static KmsApiException unsupported(String message) {
        return new KmsApiException(ErrorCode.NOT_IMPLEMENTED, "UnsupportedOperationException", 400, message);
    }

    public static KmsApiException invalidArn(String message) {
        return new KmsApiException(ErrorCode.INVALID_ARGUMENT, "InvalidArnException", 400, message);
    }

    /** A quota or size limit was reached (LimitExceededException); retrying will not help until something is freed. */
    public static KmsApiException limitExceeded(String message) {
        return new KmsApiException(ErrorCode.INVALID_STATE, "LimitExceededException", 400, message);
    }

    public static KmsApiException of(String awsType, String message) {
        return new KmsApiException(ErrorCode.INVALID_ARGUMENT, awsType, 400, message);
    }

    public static KmsApiException internal(String message, @Nullable Throwable cause) {
        return new KmsApiException(ErrorCode.INTERNAL, "KMSInternalException", 500, message, cause);
    }

    /**
     * The KMS error for any failure, chosen by asking its code: the one place a code becomes a {@code __type} and a
     * status at the KMS edge (reference/aws-api.md §2.2). A switch without a default, so a new code does not compile
     * until it is mapped here. A 5xx answer ({@code KMSInternalException}, {@code KeyUnavailableException}) is a fault
     * of the KMS: the HTTP handler logs it and tells the client its request id, not this message.
     */
    public static KmsApiException from(StrongroomException e) {
        if (e instanceof KmsApiException k) {
            return k;
        }
        String m = String.valueOf(e.getMessage());
        return switch (e.code()) {
            case ACCESS_DENIED, INVALID_AUTHORIZATION, INVALID_PASSWORD ->
                new KmsApiException(e.code(), "AccessDeniedException", 400, m, e);
            case NOT_FOUND -> new KmsApiException(e.code(), "NotFoundException", 400, m, e);
            case ALREADY_EXISTS -> new KmsApiException(e.code(), "AlreadyExistsException", 400, m, e);
            case WRONG_KEY, INTEGRITY_FAILURE, MISPLACED_CIPHERTEXT ->
                new KmsApiException(e.code(), "InvalidCiphertextException", 400, m, e);
            case INVALID_STATE, CONFLICT, READ_ONLY ->
                new KmsApiException(e.code(), "KMSInvalidStateException", 400, m, e);
            case NOT_IMPLEMENTED, UNSUPPORTED_FORMAT ->
                new KmsApiException(e.code(), "UnsupportedOperationException", 400, m, e);
            case INVALID_ARGUMENT,
                    SYNTAX_ERROR,
                    DIVISION_BY_ZERO,
                    VALUE_OUT_OF_RANGE,
                    STATEMENT_TOO_COMPLEX,
                    TOO_MANY_COLUMNS,
                    UNDEFINED_COLUMN,
                    UNDEFINED_FUNCTION,
                    DUPLICATE_COLUMN,
                    NOT_NULL_VIOLATION,
                    INVALID_CURSOR_NAME,
                    DUPLICATE_CURSOR,
                    DUPLICATE_PREPARED_STATEMENT,
                    INVALID_SQL_STATEMENT_NAME,
                    UNDEFINED_OBJECT,
                    DEPENDENT_OBJECTS_STILL_EXIST,
                    INVALID_FOREIGN_KEY,
                    PROTOCOL_VIOLATION,
                    INVALID_TEXT_REPRESENTATION,
                    INVALID_BINARY_REPRESENTATION -> new KmsApiException(e.code(), "ValidationException", 400, m, e);
            case TOO_MANY_CONNECTIONS, PROGRAM_LIMIT_EXCEEDED ->
                new KmsApiException(e.code(), "LimitExceededException", 400, m, e);
            case KEY_UNAVAILABLE -> new KmsApiException(e.code(), "KeyUnavailableException", 500, m, e);
            // The SQL-session codes never come from the KMS; should one arrive it is a fault of the KMS too.
            case QUERY_CANCELED,
                    IN_FAILED_TRANSACTION,
                    NO_ACTIVE_TRANSACTION,
                    IO_ERROR,
                    DISK_FULL,
                    OUT_OF_MEMORY,
                    INTERNAL -> new KmsApiException(e.code(), "KMSInternalException", 500, m, e);
        };
    }
}
