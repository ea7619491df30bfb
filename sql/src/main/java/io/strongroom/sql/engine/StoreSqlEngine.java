package io.strongroom.sql.engine;

import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlEngine;
import io.strongroom.sql.SqlSession;
import io.strongroom.storage.Store;

/** The SQL engine of one cluster, over its store. Thread-safe: each session is independent. */
public final class StoreSqlEngine implements SqlEngine {
    private final Store store;

    public StoreSqlEngine(Store store) {
        this.store = store;
    }

    @Override
    public SqlSession open(SessionInfo info) {
        return new StoreSession(store, info);
    }
}
