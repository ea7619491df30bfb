package io.strongroom.sql;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One client session: prepares and executes statements, keeps settings and transaction state. Failures are
 * {@link io.strongroom.base.StrongroomException}s whose {@code code().sqlState()} goes into the
 * ErrorResponse; the session survives them (inside a transaction block it then stays {@link
 * TransactionState#FAILED} until ROLLBACK, as PostgreSQL does).
 *
 * <p>Thread-safety: one thread drives a session; {@link #cancel()} may be called from any other thread.
 */
public interface SqlSession extends AutoCloseable {
    /** Splits a simple-query string into its statements (respecting quotes and comments). */
    List<String> split(String sqlText);

    /**
     * Parses and analyses one statement. {@code parameterTypes} are the types the client declared in Parse
     * (UNKNOWN where it declared none); the result says what the engine inferred.
     */
    PreparedStatement prepare(String sql, List<SqlType> parameterTypes);

    /** Runs a prepared statement with parameter values (Java objects of the parameter types, or null). */
    Result execute(PreparedStatement statement, List<@Nullable Object> parameters);

    /**
     * The columns of the open server-side cursor {@code name} (DECLARE ... CURSOR), or null if none is open by that
     * name. PostgreSQL makes a declared cursor a protocol portal of the same name, and clients rely on it: psycopg
     * 3's named cursors DECLARE, then Describe the portal to learn the result's shape before they FETCH.
     */
    default @Nullable List<ResultColumn> cursorColumns(String name) {
        return null;
    }

    /** Asks the statement running now, if any, to stop; it then fails with SQLSTATE 57014. */
    void cancel();

    /** Transaction status for ReadyForQuery. */
    TransactionState transactionState();

    /**
     * Settings the client is told about with ParameterStatus at start and whenever they change
     * (server_version, server_encoding, client_encoding, DateStyle, TimeZone, integer_datetimes,
     * standard_conforming_strings, application_name, is_superuser, session_authorization).
     */
    Map<String, String> reportedSettings();

    @Override
    void close();

    /** As ReadyForQuery reports it. */
    enum TransactionState {
        /** 'I': not in a transaction block. */
        IDLE('I'),
        /** 'T': in a transaction block. */
        IN_TRANSACTION('T'),
        /** 'E': in a failed transaction block; statements are refused until ROLLBACK. */
        FAILED('E');

        private final char status;

        TransactionState(char status) {
            this.status = status;
        }

        public char status() {
            return status;
        }
    }
}
