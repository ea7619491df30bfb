package io.strongroom.base;

/**
 * Every failure Strongroom reports, as a closed set. Each code knows its PostgreSQL SQLSTATE (what pgwire sends) and
 * whether retrying can help, so the protocol layers map errors by asking the code instead of testing exception
 * classes or reading messages. The two HTTP edges map a code in one place each, a switch without a default so a new
 * code must be mapped there before it compiles: {@code KmsApiException.from} (KMS {@code __type}) and {@code
 * RedshiftApiException.from} (Redshift Query {@code Code}). Immutable.
 */
public enum ErrorCode {
    /** Stored bytes fail authentication or their checksum: never retried; the message names file and block. */
    INTEGRITY_FAILURE("XX001", false),
    /** A ciphertext authenticates but belongs to another place (its associated data differs). */
    MISPLACED_CIPHERTEXT("XX001", false),
    /** The ciphertext was made under another key than the one offered. */
    WRONG_KEY("XX001", false),
    /** A persistent artefact has a format version or algorithm this build does not read. */
    UNSUPPORTED_FORMAT("XX002", false),
    /** A key needed to go on cannot be reached now (KMS down, HSM unreachable): retry later. */
    KEY_UNAVAILABLE("58030", true),
    /** The caller may not do this. */
    ACCESS_DENIED("42501", false),
    /** The request itself is wrong; the message says what to change. */
    INVALID_ARGUMENT("22023", false),
    /** The SQL text does not parse. */
    SYNTAX_ERROR("42601", false),
    /** A division by zero in a query. */
    DIVISION_BY_ZERO("22012", false),
    /** A value does not fit its type (numeric overflow, string too long). */
    VALUE_OUT_OF_RANGE("22003", false),
    /** A statement nests too deeply to parse, plan or run (PostgreSQL's statement_too_complex). */
    STATEMENT_TOO_COMPLEX("54001", false),
    /** A select list or table wider than the limit (PostgreSQL's too_many_columns). */
    TOO_MANY_COLUMNS("54011", false),
    /** The statement was cancelled by the client. */
    QUERY_CANCELED("57014", false),
    /** A statement was refused because the transaction block already failed: ROLLBACK first. */
    IN_FAILED_TRANSACTION("25P02", false),
    /** Something named does not exist. */
    NOT_FOUND("42P01", false),
    /** Something with this name exists already. */
    ALREADY_EXISTS("42P07", false),
    /** A table has no column of this name. */
    UNDEFINED_COLUMN("42703", false),
    /** No function has this name and these argument types. */
    UNDEFINED_FUNCTION("42883", false),
    /** A table has a column of this name already. */
    DUPLICATE_COLUMN("42701", false),
    /** A NULL would be stored in a NOT NULL column. */
    NOT_NULL_VIOLATION("23502", false),
    /** A concurrent commit changed what this transaction wrote: retry the transaction. */
    CONFLICT("40001", true),
    /** The operation is not allowed in the current state of the object. */
    INVALID_STATE("55000", false),
    /** Writes are refused for now (PostgreSQL's read_only_sql_transaction); the message says why and until when. */
    READ_ONLY("25006", false),
    /** The file system refused a read or write. */
    IO_ERROR("58030", true),
    /**
     * The disk holding the data is full (PostgreSQL's disk_full): nothing was written; the same request succeeds
     * once space is freed.
     */
    DISK_FULL("53100", true),
    /**
     * A query needs more memory than it may use and cannot spill what is left to disk (PostgreSQL's out_of_memory);
     * the message says which setting to raise.
     */
    OUT_OF_MEMORY("53200", true),
    /** A cursor named by FETCH, MOVE or CLOSE does not exist (PostgreSQL's invalid_cursor_name). */
    INVALID_CURSOR_NAME("34000", false),
    /** DECLARE of a cursor whose name is taken (duplicate_cursor). */
    DUPLICATE_CURSOR("42P03", false),
    /** PREPARE of a statement whose name is taken (duplicate_prepared_statement). */
    DUPLICATE_PREPARED_STATEMENT("42P05", false),
    /** EXECUTE or DEALLOCATE of a prepared statement that does not exist (invalid_sql_statement_name). */
    INVALID_SQL_STATEMENT_NAME("26000", false),
    /** A type or other object named in a statement does not exist (undefined_object). */
    UNDEFINED_OBJECT("42704", false),
    /** DROP of a table or column another table's FOREIGN KEY references (dependent_objects_still_exist). */
    DEPENDENT_OBJECTS_STILL_EXIST("2BP01", false),
    /** A FOREIGN KEY that names no key of the referenced table, or disagrees in arity (invalid_foreign_key). */
    INVALID_FOREIGN_KEY("42830", false),
    /** A statement that needs a transaction block ran outside one (no_active_sql_transaction). */
    NO_ACTIVE_TRANSACTION("25P01", false),
    /** A feature that is not built yet; the message says which issue brings it. */
    NOT_IMPLEMENTED("0A000", false),
    /** A client broke the PostgreSQL wire protocol (protocol_violation); the connection is closed. */
    PROTOCOL_VIOLATION("08P01", false),
    /** A parameter's text does not parse as its type (invalid_text_representation). */
    INVALID_TEXT_REPRESENTATION("22P02", false),
    /** A parameter's binary form is wrong for its type (invalid_binary_representation). */
    INVALID_BINARY_REPRESENTATION("22P03", false),
    /** A login refused before any password was checked: no user, TLS required, method unsupported. */
    INVALID_AUTHORIZATION("28000", false),
    /** A login refused because the password or its proof is wrong (invalid_password). */
    INVALID_PASSWORD("28P01", false),
    /** The server holds as many connections as it admits (too_many_connections): retry later. */
    TOO_MANY_CONNECTIONS("53300", true),
    /** A message or value beyond a fixed limit of the wire layer (program_limit_exceeded). */
    PROGRAM_LIMIT_EXCEEDED("54000", false),
    /** A broken invariant inside Strongroom. */
    INTERNAL("XX000", false);

    private final String sqlState;
    private final boolean retryable;

    ErrorCode(String sqlState, boolean retryable) {
        this.sqlState = sqlState;
        this.retryable = retryable;
    }

    /** The PostgreSQL SQLSTATE a pgwire ErrorResponse carries for this code. */
    public String sqlState() {
        return sqlState;
    }

    /** Whether the same request can succeed later without a change by the caller. */
    public boolean retryable() {
        return retryable;
    }

    /** True for the failures that mean stored bytes cannot be trusted. */
    public boolean isIntegrity() {
        return this == INTEGRITY_FAILURE || this == MISPLACED_CIPHERTEXT;
    }
}
