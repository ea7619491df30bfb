package io.strongroom.sql.session;

import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlEngine;
import io.strongroom.sql.SqlSession;
import io.strongroom.storage.Store;
import java.time.InstantSource;

/** The SQL engine of one cluster, over its store. Thread-safe: each session is independent. */
public final class StoreSqlEngine implements SqlEngine {
    private final Store store;
    private final InstantSource clock;

    public StoreSqlEngine(Store store) {
        this(store, InstantSource.system());
    }

    /** An engine whose sessions read the current time (GETDATE(), NOW()...) from {@code clock}. */
    public StoreSqlEngine(Store store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public SqlSession open(SessionInfo info) {
        return new StoreSession(store, info, clock);
    }
}
