package io.strongroom.control.cluster;

import io.strongroom.aws.AwsApiException;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import org.jspecify.annotations.Nullable;

/**
 * A Redshift API failure: a {@link StrongroomException} that also carries the wire error code of the Redshift
 * model (e.g. {@code ClusterNotFound}, not the shape name {@code ClusterNotFoundFault}) and its HTTP status
 * (reference/aws-api.md §1.2). Messages name clusters and keys, never secrets. Immutable.
 */
public final class RedshiftApiException extends AwsApiException {
    private static final long serialVersionUID = 1L;

    public RedshiftApiException(ErrorCode code, String wireCode, int httpStatus, String message) {
        this(code, wireCode, httpStatus, message, null);
    }

    public RedshiftApiException(
            ErrorCode code, String wireCode, int httpStatus, String message, @Nullable Throwable cause) {
        super(code, wireCode, httpStatus, message, cause);
    }

    /** {@code Sender} for 4xx, {@code Receiver} for 5xx. */
    public String faultType() {
        return httpStatus() >= 500 ? "Receiver" : "Sender";
    }

    public static RedshiftApiException clusterNotFound(String identifier) {
        return new RedshiftApiException(
                ErrorCode.NOT_FOUND, "ClusterNotFound", 404, "Cluster " + identifier + " not found.");
    }

    public static RedshiftApiException invalidState(String message) {
        return new RedshiftApiException(ErrorCode.INVALID_STATE, "InvalidClusterState", 400, message);
    }

    public static RedshiftApiException invalidParameter(String message) {
        return new RedshiftApiException(ErrorCode.INVALID_ARGUMENT, "InvalidParameterValue", 400, message);
    }

    /** A cluster of that identifier exists already in the account and region. */
    public static RedshiftApiException clusterAlreadyExists() {
        return new RedshiftApiException(
                ErrorCode.ALREADY_EXISTS, "ClusterAlreadyExists", 400, "Cluster already exists");
    }

    public static RedshiftApiException invalidCombination(String message) {
        return new RedshiftApiException(ErrorCode.INVALID_ARGUMENT, "InvalidParameterCombination", 400, message);
    }

    public static RedshiftApiException missing(String parameter) {
        return new RedshiftApiException(
                ErrorCode.INVALID_ARGUMENT,
                "MissingParameter",
                400,
                "The request must contain the parameter " + parameter + ".");
    }

    public static RedshiftApiException unsupported(String message) {
        return new RedshiftApiException(ErrorCode.NOT_IMPLEMENTED, "UnsupportedOperation", 400, message);
    }

    /**
     * The Redshift error for any other failure, chosen by asking its code: the one place a code becomes a wire
     * {@code Code} and a status at the Redshift edge. A KMS that cannot be reached is DependentServiceUnavailableFault,
     * a KMS refusal DependentServiceAccessDenied, a bad argument InvalidParameterValue, a state conflict
     * InvalidClusterState; failures inside the control plane are InternalFailure 500, which the HTTP handler logs and
     * answers with the request id instead of the message. A switch without a default, so a new code does not compile
     * until it is mapped here.
     */
    public static RedshiftApiException from(StrongroomException e) {
        if (e instanceof RedshiftApiException r) {
            return r;
        }
        String m = String.valueOf(e.getMessage());
        return switch (e.code()) {
            case KEY_UNAVAILABLE -> new RedshiftApiException(e.code(), "DependentServiceUnavailableFault", 400, m, e);
            case ACCESS_DENIED -> new RedshiftApiException(e.code(), "DependentServiceAccessDenied", 403, m, e);
            case INVALID_ARGUMENT, NOT_FOUND -> new RedshiftApiException(e.code(), "InvalidParameterValue", 400, m, e);
            case ALREADY_EXISTS -> new RedshiftApiException(e.code(), "ClusterAlreadyExists", 400, m, e);
            case INVALID_STATE, CONFLICT, DISK_FULL, OUT_OF_MEMORY ->
                new RedshiftApiException(e.code(), "InvalidClusterState", 400, m, e);
            case NOT_IMPLEMENTED, UNSUPPORTED_FORMAT ->
                new RedshiftApiException(e.code(), "UnsupportedOperation", 400, m, e);
            case INTEGRITY_FAILURE, MISPLACED_CIPHERTEXT, WRONG_KEY, IO_ERROR ->
                new RedshiftApiException(e.code(), "InternalFailure", 500, m, e);
            // A broken invariant, or a SQL-side or wire-side code (syntax, a cancelled query, a refused login, ...)
            // that never comes from a cluster operation: the detail stays inside, also where the message is kept (a
            // job's
            // failure).
            case INTERNAL,
                    SYNTAX_ERROR,
                    DIVISION_BY_ZERO,
                    VALUE_OUT_OF_RANGE,
                    STATEMENT_TOO_COMPLEX,
                    TOO_MANY_COLUMNS,
                    QUERY_CANCELED,
                    IN_FAILED_TRANSACTION,
                    UNDEFINED_COLUMN,
                    UNDEFINED_FUNCTION,
                    DUPLICATE_COLUMN,
                    NOT_NULL_VIOLATION,
                    READ_ONLY,
                    INVALID_CURSOR_NAME,
                    DUPLICATE_CURSOR,
                    DUPLICATE_PREPARED_STATEMENT,
                    INVALID_SQL_STATEMENT_NAME,
                    UNDEFINED_OBJECT,
                    DEPENDENT_OBJECTS_STILL_EXIST,
                    INVALID_FOREIGN_KEY,
                    NO_ACTIVE_TRANSACTION,
                    PROTOCOL_VIOLATION,
                    INVALID_TEXT_REPRESENTATION,
                    INVALID_BINARY_REPRESENTATION,
                    INVALID_AUTHORIZATION,
                    INVALID_PASSWORD,
                    TOO_MANY_CONNECTIONS,
                    PROGRAM_LIMIT_EXCEEDED ->
                new RedshiftApiException(
                        e.code(), "InternalFailure", 500, "The request failed inside the control plane.", e);
        };
    }
}
