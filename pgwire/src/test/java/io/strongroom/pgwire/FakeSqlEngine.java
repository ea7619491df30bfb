package io.strongroom.pgwire;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.PreparedStatement;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlEngine;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.SqlType;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A SQL engine with a handful of canned statements, enough to drive every path of the wire protocol:
 *
 * <ul>
 *   <li>{@code SELECT types}: one row with a value of every {@link SqlType}, then a row of NULLs;
 *   <li>{@code SELECT echo($1, ...)}: one row with the parameters, typed as the client declared them;
 *   <li>{@code SELECT series N}: N rows (id int8, label text), produced lazily;
 *   <li>{@code SELECT 1}; {@code FAIL} (42P01 at prepare); {@code BOOM} (an unexpected exception at execute);
 *       {@code INVARIANT} (a broken invariant, ErrorCode.INTERNAL, naming a server path);
 *   <li>{@code SLOW}: blocks until cancelled, then fails;
 *   <li>{@code COPY t FROM STDIN} counts lines; {@code COPY t TO STDOUT} sends three lines;
 *   <li>{@code BEGIN}, {@code COMMIT}, {@code ROLLBACK}, {@code SET ...}.
 * </ul>
 */
final class FakeSqlEngine implements SqlEngine {
    static final List<ResultColumn> TYPE_COLUMNS = List.of(
            ResultColumn.of("b", SqlType.BOOL),
            ResultColumn.of("i2", SqlType.INT2),
            ResultColumn.of("i4", SqlType.INT4),
            ResultColumn.of("i8", SqlType.INT8),
            ResultColumn.of("n", SqlType.NUMERIC),
            ResultColumn.of("f4", SqlType.FLOAT4),
            ResultColumn.of("f8", SqlType.FLOAT8),
            ResultColumn.of("c", SqlType.BPCHAR),
            ResultColumn.of("v", SqlType.VARCHAR),
            ResultColumn.of("t", SqlType.TEXT),
            ResultColumn.of("nm", SqlType.NAME),
            ResultColumn.of("o", SqlType.OID),
            ResultColumn.of("d", SqlType.DATE),
            ResultColumn.of("ts", SqlType.TIMESTAMP),
            ResultColumn.of("tz", SqlType.TIMESTAMPTZ));

    static final Object[] TYPE_VALUES = {
        true,
        (short) -12,
        123456,
        -9_000_000_000L,
        new BigDecimal("-12345.6789"),
        1.5f,
        -2.25e-10,
        "fixed",
        "varying ünïcode",
        "text with 'quotes'",
        "a_name",
        (int) 4_000_000_000L,
        LocalDate.of(2024, 2, 29),
        LocalDateTime.of(2024, 5, 6, 7, 8, 9, 123_456_000),
        OffsetDateTime.of(2024, 5, 6, 7, 8, 9, 500_000_000, ZoneOffset.ofHours(2))
    };

    final AtomicInteger sessionsOpen = new AtomicInteger();
    final AtomicInteger rowsClosed = new AtomicInteger();
    final AtomicLong rowsProduced = new AtomicLong();
    final AtomicLong copiedRows = new AtomicLong();
    final AtomicInteger copyAborts = new AtomicInteger();
    volatile CountDownLatch slowStarted = new CountDownLatch(1);

    @Override
    public SqlSession open(SessionInfo info) {
        sessionsOpen.incrementAndGet();
        return new Session(info);
    }

    private record Prepared(String sql, List<SqlType> parameterTypes, List<ResultColumn> columns, boolean isCopy)
            implements PreparedStatement {}

    private final class Session implements SqlSession {
        private final SessionInfo info;
        private volatile CountDownLatch cancelled = new CountDownLatch(1);
        private TransactionState state = TransactionState.IDLE;
        private String applicationName;

        Session(SessionInfo info) {
            this.info = info;
            this.applicationName = info.startupParameters().getOrDefault("application_name", "");
        }

        @Override
        public List<String> split(String sqlText) {
            List<String> out = new ArrayList<>();
            for (String s : sqlText.split(";", -1)) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
            return out;
        }

        @Override
        public PreparedStatement prepare(String sql, List<SqlType> declared) {
            String u = sql.trim().toUpperCase(Locale.ROOT);
            if (state == TransactionState.FAILED && !u.equals("ROLLBACK")) {
                throw new StrongroomException(ErrorCode.INVALID_STATE, "current transaction is aborted");
            }
            if (u.equals("SELECT TYPES")) {
                return new Prepared(sql, List.of(), TYPE_COLUMNS, false);
            }
            if (u.startsWith("SELECT ECHO")) {
                int n = (int) sql.chars().filter(c -> c == '$').count();
                List<SqlType> types = new ArrayList<>();
                List<ResultColumn> cols = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    SqlType t = i < declared.size() ? declared.get(i) : SqlType.UNKNOWN;
                    t = t == SqlType.UNKNOWN ? SqlType.TEXT : t;
                    types.add(t);
                    cols.add(ResultColumn.of("p" + (i + 1), t));
                }
                return new Prepared(sql, types, cols, false);
            }
            if (u.startsWith("SELECT SERIES ")) {
                return new Prepared(
                        sql,
                        List.of(),
                        List.of(ResultColumn.of("id", SqlType.INT8), ResultColumn.of("label", SqlType.TEXT)),
                        false);
            }
            if (u.equals("SELECT 1") || u.equals("SLOW")) {
                return new Prepared(sql, List.of(), List.of(ResultColumn.of("?column?", SqlType.INT4)), false);
            }
            if (u.equals("FAIL")) {
                throw new StrongroomException(ErrorCode.NOT_FOUND, "relation \"nope\" does not exist");
            }
            if (u.startsWith("COPY")) {
                return new Prepared(sql, List.of(), List.of(), true);
            }
            if (u.startsWith("DEALLOCATE ")
                    || u.equals("BOOM")
                    || u.equals("INVARIANT")
                    || u.equals("BEGIN")
                    || u.equals("COMMIT")
                    || u.equals("ROLLBACK")
                    || u.startsWith("SET ")) {
                return new Prepared(sql, List.of(), List.of(), false);
            }
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "syntax error at or near \"" + sql + "\"");
        }

        @Override
        public Result execute(PreparedStatement statement, List<Object> parameters) {
            String sql = statement.sql().trim();
            String u = sql.toUpperCase(Locale.ROOT);
            if (u.equals("SELECT TYPES")) {
                return rows(
                        TYPE_COLUMNS,
                        List.of(TYPE_VALUES, new Object[TYPE_VALUES.length]).iterator());
            }
            if (u.startsWith("SELECT ECHO")) {
                return rows(
                        statement.columns(),
                        List.<Object[]>of(parameters.toArray()).iterator());
            }
            if (u.startsWith("SELECT SERIES ")) {
                long n = Long.parseLong(u.substring("SELECT SERIES ".length()).trim());
                return rows(statement.columns(), new Iterator<>() {
                    long i;

                    @Override
                    public boolean hasNext() {
                        return i < n;
                    }

                    @Override
                    public Object[] next() {
                        if (i >= n) {
                            throw new NoSuchElementException();
                        }
                        rowsProduced.incrementAndGet();
                        i++;
                        return new Object[] {i, "row " + i};
                    }
                });
            }
            if (u.equals("SELECT 1")) {
                return rows(
                        statement.columns(), List.<Object[]>of(new Object[] {1}).iterator());
            }
            if (u.equals("SLOW")) {
                cancelled = new CountDownLatch(1);
                CountDownLatch mine = cancelled;
                return rows(statement.columns(), new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        slowStarted.countDown();
                        try {
                            if (mine.await(20, TimeUnit.SECONDS)) {
                                throw new StrongroomException(
                                        ErrorCode.INVALID_STATE, "canceling statement due to user request");
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return false;
                    }

                    @Override
                    public Object[] next() {
                        throw new NoSuchElementException();
                    }
                });
            }
            if (u.equals("BOOM")) {
                throw new IllegalStateException("unwrapped key material DEADBEEF");
            }
            if (u.equals("INVARIANT")) {
                throw new StrongroomException(ErrorCode.INTERNAL, "invariant broken in /var/lib/strongroom/DEADBEEF");
            }
            if (u.startsWith("DEALLOCATE ")) {
                String name = sql.trim().substring("DEALLOCATE ".length()).trim();
                return name.equalsIgnoreCase("ALL")
                        ? new Result.Deallocate(null, false, "DEALLOCATE ALL")
                        : new Result.Deallocate(name, false, "DEALLOCATE");
            }
            if (u.equals("BEGIN")) {
                state = TransactionState.IN_TRANSACTION;
                return new Result.Command("BEGIN");
            }
            if (u.equals("COMMIT") || u.equals("ROLLBACK")) {
                state = TransactionState.IDLE;
                return new Result.Command(u);
            }
            if (u.startsWith("SET APPLICATION_NAME")) {
                applicationName = sql.substring(sql.indexOf('\'') + 1, sql.lastIndexOf('\''));
                return new Result.Command("SET");
            }
            if (u.startsWith("SET ")) {
                return new Result.Command("SET");
            }
            if (u.contains("FROM STDIN")) {
                return new Result.CopyIn(2, false, new Result.CopySink() {
                    long lines;

                    @Override
                    public void write(byte[] data, int off, int len) {
                        for (int i = off; i < off + len; i++) {
                            if (data[i] == '\n') {
                                lines++;
                            }
                        }
                    }

                    @Override
                    public String finish() {
                        copiedRows.addAndGet(lines);
                        return "COPY " + lines;
                    }

                    @Override
                    public void abort(String message) {
                        copyAborts.incrementAndGet();
                    }
                });
            }
            if (u.contains("TO STDOUT")) {
                List<byte[]> chunks = Arrays.asList(
                        "1\tone\n".getBytes(StandardCharsets.UTF_8),
                        "2\ttwo\n".getBytes(StandardCharsets.UTF_8),
                        "3\tthree\n".getBytes(StandardCharsets.UTF_8));
                return new Result.CopyOut(2, false, chunks.iterator(), () -> "COPY 3");
            }
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "cannot execute " + sql);
        }

        private Result.Rows rows(List<ResultColumn> columns, Iterator<Object[]> it) {
            return new Result.Rows() {
                boolean closed;

                @Override
                public List<ResultColumn> columns() {
                    return columns;
                }

                @Override
                public String tag(long rowsSent) {
                    return "SELECT " + rowsSent;
                }

                @Override
                public void close() {
                    if (!closed) {
                        closed = true;
                        rowsClosed.incrementAndGet();
                    }
                }

                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Object[] next() {
                    return it.next();
                }
            };
        }

        @Override
        public void cancel() {
            cancelled.countDown();
        }

        @Override
        public TransactionState transactionState() {
            return state;
        }

        @Override
        public Map<String, String> reportedSettings() {
            return Map.of("application_name", applicationName, "session_authorization", info.user());
        }

        @Override
        public void close() {
            sessionsOpen.decrementAndGet();
        }
    }
}
