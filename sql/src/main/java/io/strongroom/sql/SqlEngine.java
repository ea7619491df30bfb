package io.strongroom.sql;

/**
 * A cluster's SQL engine: opens sessions for authenticated users. Thread-safe.
 */
public interface SqlEngine {
    SqlSession open(SessionInfo info);
}
