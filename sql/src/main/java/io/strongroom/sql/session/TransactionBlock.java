package io.strongroom.sql.session;

import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession.TransactionState;
import io.strongroom.sql.copy.CopyLoader;
import io.strongroom.sql.exec.Executor;
import io.strongroom.sql.func.Expressions;
import io.strongroom.sql.plan.QueryPlanner;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.SpillFile;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A session's transaction state, and how statements read and write under it. Outside a block every statement runs
 * alone: it reads a fresh snapshot ({@link #view()}) and writes in a store transaction of its own, committed at the
 * end ({@link #write}). BEGIN opens one store transaction that every later statement reads and writes through,
 * seeing its own writes, until COMMIT or ROLLBACK; an error inside the block marks it failed, and COMMIT of a
 * failed block rolls it back, as PostgreSQL does.
 *
 * <p>Invariants: {@code failed} is set only while a block is open (a COPY load marks it only when it loads inside
 * one) and cleared when the block ends; {@code blockStartedAt} is the time the open block began.
 *
 * <p>Not thread-safe: one per session, used by the session's thread only.
 */
public final class TransactionBlock {
    private final Store store;
    private final SessionInfo info;
    private final InstantSource clock;
    private @Nullable Transaction tx;
    private boolean failed;
    /** When the open transaction block began: the current time of CURRENT_DATE, NOW() and SYSDATE inside it. */
    private Instant blockStartedAt = Instant.EPOCH;

    public TransactionBlock(Store store, SessionInfo info, InstantSource clock) {
        this.store = store;
        this.info = info;
        this.clock = clock;
    }

    TransactionState state() {
        return tx == null ? TransactionState.IDLE : failed ? TransactionState.FAILED : TransactionState.IN_TRANSACTION;
    }

    /** Whether a transaction block is open. */
    boolean isOpen() {
        return tx != null;
    }

    /** Whether the open block has failed, so that only ROLLBACK (or COMMIT, which rolls back) is accepted. */
    boolean isFailed() {
        return failed;
    }

    /** Marks the open block failed after a statement in it failed; outside a block there is nothing to mark. */
    void failIfOpen() {
        if (tx != null) {
            failed = true;
        }
    }

    /** Marks the block failed: for a COPY load aborted inside a block, which the loader alone knows of. */
    void markFailed() {
        failed = true;
    }

    /** BEGIN: opens a block; inside one already it does nothing (PostgreSQL only warns). */
    void begin() {
        if (tx == null) {
            tx = store.begin();
            blockStartedAt = clock.instant();
            failed = false;
        }
    }

    /**
     * COMMIT: commits the open block and returns "COMMIT"; rolls a failed block back and returns "ROLLBACK".
     * Without a block it does nothing.
     */
    String commit() {
        Transaction t = tx;
        tx = null;
        if (t == null) {
            return "COMMIT";
        }
        if (failed) {
            failed = false;
            t.rollback();
            return "ROLLBACK";
        }
        t.commit();
        return "COMMIT";
    }

    /** ROLLBACK: undoes the open block, if any. */
    void rollback() {
        Transaction t = tx;
        tx = null;
        failed = false;
        if (t != null) {
            t.rollback();
        }
    }

    /** The session is closing: an open block is rolled back. */
    void close() {
        if (tx != null) {
            tx.rollback();
            tx = null;
        }
    }

    /** Runs {@code work} in the open transaction, or in a new one committed at the end. */
    <T> T write(Function<Transaction, T> work) {
        if (tx != null) {
            return work.apply(tx);
        }
        try (Transaction t = store.begin()) {
            T r = work.apply(t);
            t.commit();
            return r;
        }
    }

    /** The store, for COPY ... FROM, whose {@link CopyLoader} opens its own transaction outside a block. */
    Store store() {
        return store;
    }

    /** The open block's transaction, or null outside a block. */
    @Nullable
    Transaction transaction() {
        return tx;
    }

    /** What the current statement sees now. The caller closes it, or hands it to the rows it returns. */
    public View view() {
        return new View();
    }

    /** The evaluation context of a statement run now with {@code params}. */
    public Expressions.Context context(List<@Nullable Object> params) {
        Instant now = clock.instant();
        return new Expressions.Context(params, info.user(), info.database(), now, tx != null ? blockStartedAt : now);
    }

    /**
     * The tables and readers a query sees: the open transaction's view, or a fresh snapshot taken when the view was
     * made outside a block. Inside a block it asks the block's transaction at each call rather than keeping it.
     */
    public final class View implements QueryPlanner.Catalog, Executor.Tables, AutoCloseable {
        private final @Nullable Snapshot snapshot;
        private final List<SpillFile> spills = new ArrayList<>();

        private View() {
            this.snapshot = tx == null ? store.snapshot() : null;
        }

        @Override
        public List<TableSpec> tables() {
            return snapshot != null
                    ? snapshot.tables()
                    : Objects.requireNonNull(tx).tables();
        }

        @Override
        public long rowCount(TableSpec spec) {
            return reader(List.of(spec.schema(), spec.name())).rowCount();
        }

        @Override
        public long distinctBound(TableSpec spec, int column) {
            return reader(List.of(spec.schema(), spec.name())).distinctBound(column);
        }

        @Override
        public TableReader reader(TableSpec spec) {
            return reader(List.of(spec.schema(), spec.name()));
        }

        @Override
        public String database() {
            return info.database();
        }

        @Override
        public SpillFile newSpillFile() {
            SpillFile f = store.newSpillFile();
            synchronized (spills) {
                spills.add(f);
            }
            return f;
        }

        @Override
        public TableReader reader(List<String> name) {
            String q = String.join(".", name);
            return snapshot != null
                    ? snapshot.table(q)
                    : Objects.requireNonNull(tx).reader(q);
        }

        @Override
        public void close() {
            // A query's spill files end with it, however it ends (its operators delete them sooner when they can).
            synchronized (spills) {
                spills.forEach(SpillFile::close);
                spills.clear();
            }
            if (snapshot != null) {
                snapshot.close();
            }
        }
    }
}
