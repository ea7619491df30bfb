package io.strongroom.sql.copy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.exec.Appends;
import io.strongroom.sql.func.Types;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;

/**
 * The receiving end of COPY ... FROM: parses complete lines as they arrive, converts each field straight to its
 * column's stored form, and appends full batches to the table; commits at {@link #finish} when it loads in a
 * transaction of its own, or leaves the rows in the session's open transaction block. A bad line aborts the
 * load, naming the line and column. One loader serves one statement on one thread; once a load has filled its
 * first batch, later lines are parsed a batch at a time on parsing threads while the loading thread appends the
 * batches parsed before, in input order (so a bad line in a large load may be reported at a later write or at
 * {@link #finish}, with the same message; nothing of the load commits either way).
 */
public final class CopyLoader implements Result.CopySink {
    /** Parsed chunks a loader may hold beyond the one being appended. */
    private static final int DEPTH = 2;

    /** Parses chunks of large loads: CPU-bound, so at most {@link #DEPTH} + 1 chunks per loader at a time. */
    private static final ExecutorService PARSERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "copy-parse");
        t.setDaemon(true);
        return t;
    });

    private final TableSpec spec;
    private final int[] positions;
    private final CopyFormat format;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final @Nullable Transaction own;
    private final Transaction target;
    private final Runnable checkCancelled;
    private final Runnable markFailed;
    private final boolean inBlock;
    /** Each column's DEFAULT in stored form, the start of every row. */
    private final @Nullable Object[] defaults;

    /** The binary format's decoder, when the COPY is {@code FORMAT binary}. */
    private final @Nullable CopyBinary binary;

    private RowBatch batch;
    /** Lines waiting to be parsed, once the input has filled a first batch; null before. */
    private @Nullable Chunk chunk;
    /** Chunks being parsed, oldest first: appended in this order, so rows keep the input's order. */
    private final ArrayDeque<Future<RowBatch>> parsing = new ArrayDeque<>();

    private boolean inflating;
    private long lineNo;
    private long rows;
    private boolean done;

    /**
     * Loads into {@code qualified} ({@code columns}, or all when empty) within {@code tx}, the session's open
     * transaction block, or a transaction of its own when there is none. {@code markFailed} fails the block when
     * the load is aborted inside one.
     */
    public CopyLoader(
            Store store,
            @Nullable Transaction tx,
            Runnable checkCancelled,
            Runnable markFailed,
            String qualified,
            String table,
            List<String> columns,
            CopyFormat format) {
        this.format = format;
        this.checkCancelled = checkCancelled;
        this.markFailed = markFailed;
        this.inBlock = tx != null;
        this.own = tx == null ? store.begin() : null;
        this.target = own != null ? own : Objects.requireNonNull(tx);
        try {
            // The table as the loading transaction sees it, so an ALTER TABLE committed meanwhile cannot
            // shift columns under the load (it makes the load's commit conflict instead).
            if (!target.exists(qualified)) {
                throw new StrongroomException(ErrorCode.NOT_FOUND, "relation \"" + table + "\" does not exist");
            }
            this.spec = target.spec(qualified);
            this.positions = Appends.targetPositions(spec, columns);
        } catch (RuntimeException e) {
            if (own != null) {
                own.rollback();
            }
            throw e;
        }
        // Defaults are kept in stored form already (Column's invariant).
        @Nullable Object[] d = new Object[spec.columns().size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = spec.columns().get(i).defaultValue();
        }
        this.defaults = d;
        this.batch = RowBatch.builder(spec.columns(), 1024);
        List<ColumnType> types = new ArrayList<>();
        for (int p : positions) {
            types.add(spec.columns().get(p).type());
        }
        this.binary = format.binary() ? new CopyBinary(types, spec.name(), this::fields) : null;
    }

    public int columnCount() {
        return positions.length;
    }

    @Override
    public void write(byte[] data, int off, int len) {
        try {
            consume(data, off, len);
        } catch (RuntimeException e) {
            abort(String.valueOf(e.getMessage()));
            throw e;
        }
    }

    private void consume(byte[] data, int off, int len) {
        if (binary != null) {
            binary.write(data, off, len);
            return;
        }
        if (format.gzip() && !inflating) {
            // gzip data arrives compressed: buffer it all, inflate at finish.
            partial.write(data, off, len);
            return;
        }
        int start = off;
        int end = off + len;
        for (int i = off; i < end; i++) {
            if (data[i] != '\n') {
                continue;
            }
            String line;
            if (partial.size() == 0) {
                line = new String(data, start, i - start, StandardCharsets.UTF_8);
            } else {
                partial.write(data, start, i - start);
                line = partial.toString(StandardCharsets.UTF_8);
            }
            start = i + 1;
            if (format.continues(line)) {
                if (partial.size() == 0) {
                    partial.writeBytes(line.getBytes(StandardCharsets.UTF_8));
                }
                partial.write('\n');
                continue;
            }
            partial.reset();
            line(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        }
        partial.write(data, start, end - start);
    }

    private void line(String line) {
        lineNo++;
        if (lineNo <= format.headerLines() || line.equals("\\.")) {
            return;
        }
        if (chunk != null) {
            chunk.add(line, lineNo);
            if (chunk.size() >= Appends.BATCH_ROWS) {
                submit();
            }
            return;
        }
        addLine(line, lineNo, batch);
        rows++;
        if (batch.rowCount() >= Appends.BATCH_ROWS) {
            flush();
            // The input is large: from here on lines are parsed in chunks of a batch on other threads.
            chunk = new Chunk();
        }
    }

    /** Parses {@code line}, numbered {@code no}, into a row of {@code into}. Reads only final state. */
    private void addLine(String line, long no, RowBatch into) {
        List<@Nullable String> fields = format.fields(line);
        if (fields.size() != positions.length) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "COPY " + spec.name() + ", line " + no + ": expected " + positions.length + " columns, found "
                            + fields.size());
        }
        addFields(fields.toArray(), no, into);
    }

    /** Binary tuples, already decoded, one at a time on the loading thread ({@code lineNo} counts tuples). */
    private void fields(@Nullable Object[] fields) {
        lineNo++;
        addFields(fields, lineNo, batch);
        rows++;
        if (batch.rowCount() >= Appends.BATCH_ROWS) {
            flush();
        }
    }

    /**
     * One row's fields, in the COPY's column order: text (from a line) or already decoded values (from binary
     * tuples), added to {@code into} as row {@code no} of the input. Reads only final state, so it runs on the
     * parsing threads too.
     */
    private void addFields(@Nullable Object[] fields, long no, RowBatch into) {
        @Nullable Object[] row = defaults.clone();
        for (int i = 0; i < positions.length; i++) {
            Object v = fields[i];
            Column c = spec.columns().get(positions[i]);
            try {
                row[positions[i]] = v == null ? null : toStorage(v, c.type());
            } catch (StrongroomException e) {
                throw new StrongroomException(
                        e.code(),
                        "COPY " + spec.name() + ", line " + no + ", column " + c.name() + ": " + e.getMessage(),
                        e);
            }
        }
        // The store refuses the batch too; checking each line names the line.
        for (int i = 0; i < row.length; i++) {
            Column c = spec.columns().get(i);
            if (row[i] == null && c.notNull()) {
                throw new StrongroomException(
                        ErrorCode.NOT_NULL_VIOLATION,
                        "COPY " + spec.name() + ", line " + no + ": null value in column \"" + c.name()
                                + "\" violates not-null constraint");
            }
        }
        try {
            into.addRow(row);
        } catch (StrongroomException e) {
            throw new StrongroomException(e.code(), "COPY " + spec.name() + ", line " + no + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@link Types#toStorage}, with the common ISO date {@code yyyy-mm-dd} read without a formatter; anything else,
     * including an impossible date, takes {@link Types#toStorage} and its error.
     */
    private static @Nullable Object toStorage(Object v, ColumnType type) {
        if (type.kind() == ColumnType.Kind.DATE && v instanceof String s && isoDate(s)) {
            try {
                return LocalDate.of(
                        (s.charAt(0) - '0') * 1000
                                + (s.charAt(1) - '0') * 100
                                + (s.charAt(2) - '0') * 10
                                + s.charAt(3)
                                - '0',
                        (s.charAt(5) - '0') * 10 + s.charAt(6) - '0',
                        (s.charAt(8) - '0') * 10 + s.charAt(9) - '0');
            } catch (DateTimeException e) {
                // falls through to the formatter's error
            }
        }
        return Types.toStorage(v, type);
    }

    private static boolean isoDate(String s) {
        if (s.length() != 10 || s.charAt(4) != '-' || s.charAt(7) != '-') {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            char c = s.charAt(i);
            if (i != 4 && i != 7 && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    /** Hands the current chunk to a parsing thread; appends the oldest parsed batches beyond the pipeline depth. */
    private void submit() {
        Chunk c = Objects.requireNonNull(chunk);
        chunk = new Chunk();
        if (c.size() > 0) {
            parsing.add(PARSERS.submit(() -> c.parse(this)));
        }
        while (parsing.size() > DEPTH) {
            appendParsed();
        }
    }

    private void appendParsed() {
        Future<RowBatch> f = parsing.poll();
        RowBatch parsed;
        try {
            parsed = Objects.requireNonNull(f).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrongroomException(ErrorCode.QUERY_CANCELED, "COPY was interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
        checkCancelled.run();
        target.append(spec.qualifiedName(), parsed);
        rows += parsed.rowCount();
    }

    private void flush() {
        checkCancelled.run();
        if (batch.rowCount() > 0) {
            target.append(spec.qualifiedName(), batch);
            batch = RowBatch.builder(spec.columns(), 1024);
        }
    }

    /** A batch's worth of lines and their line numbers, parsed together on a parsing thread. */
    private static final class Chunk {
        private final List<String> lines = new ArrayList<>(Appends.BATCH_ROWS);
        private final long[] numbers = new long[Appends.BATCH_ROWS];

        void add(String line, long no) {
            numbers[lines.size()] = no;
            lines.add(line);
        }

        int size() {
            return lines.size();
        }

        RowBatch parse(CopyLoader loader) {
            RowBatch into = RowBatch.builder(loader.spec.columns(), 1024);
            for (int i = 0; i < lines.size(); i++) {
                loader.addLine(lines.get(i), numbers[i], into);
            }
            return into;
        }
    }

    @Override
    public String finish() {
        try {
            return load();
        } catch (RuntimeException e) {
            abort(String.valueOf(e.getMessage()));
            throw e;
        }
    }

    private String load() {
        if (binary != null) {
            binary.finish();
        }
        if (format.gzip() && partial.size() > 0 && lineNo == 0) {
            byte[] compressed = partial.toByteArray();
            partial.reset();
            inflating = true;
            try (var in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    consume(buf, 0, n);
                }
            } catch (IOException e) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "COPY data is not valid gzip: " + e.getMessage(), e);
            }
        }
        if (partial.size() > 0) {
            String last = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            line(last.endsWith("\r") ? last.substring(0, last.length() - 1) : last);
        }
        if (chunk != null) {
            submit();
            while (!parsing.isEmpty()) {
                appendParsed();
            }
        }
        flush();
        done = true;
        if (own != null) {
            own.commit();
        }
        return "COPY " + rows;
    }

    @Override
    public void abort(String message) {
        // Parsing threads only build batches; what they have not done is dropped.
        for (Future<RowBatch> f : parsing) {
            f.cancel(true);
        }
        parsing.clear();
        if (!done && own != null) {
            own.rollback();
        }
        done = true;
        if (inBlock) {
            markFailed.run();
        }
    }
}
