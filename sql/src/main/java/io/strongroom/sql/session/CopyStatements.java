package io.strongroom.sql.session;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.Result;
import io.strongroom.sql.RowText;
import io.strongroom.sql.copy.CopyFormat;
import io.strongroom.sql.copy.CopyLoader;
import io.strongroom.sql.exec.Batch;
import io.strongroom.sql.exec.Executor;
import io.strongroom.sql.parse.RewrittenSql;
import io.strongroom.sql.parse.Tokens;
import io.strongroom.sql.plan.QueryPlanner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;

/**
 * The COPY statements. COPY ... FROM hands the rows to a {@link CopyLoader}, which loads into the open transaction
 * block or a transaction of its own: from STDIN as the client streams them (the statement's result is the
 * {@link Result.CopyIn} sink), or from a server file (inflated when the format says GZIP) read here to the end. COPY ... TO STDOUT
 * plans {@code SELECT columns FROM table}, or takes the query given, on a view of its own.
 *
 * <p>Not thread-safe: one per session, used by the session's thread only.
 */
final class CopyStatements {
    private final TransactionBlock block;
    private final Cancellation cancel;

    CopyStatements(TransactionBlock block, Cancellation cancel) {
        this.block = block;
        this.cancel = cancel;
    }

    /**
     * COPY table [(columns)] FROM STDIN or a server file, COPY table [(columns)] TO STDOUT, and COPY (query) TO
     * STDOUT.
     */
    SessionStatement copy(String sql) {
        Tokens t = new Tokens(sql);
        t.expect("copy");
        if (t.peekSymbol("(")) {
            return copyQueryOut(sql, t);
        }
        String[] name = t.qualifiedName();
        List<String> cols = new ArrayList<>();
        if (t.acceptSymbol("(")) {
            do {
                cols.add(t.identifier());
            } while (t.acceptSymbol(","));
            t.expectSymbol(")");
        }
        String q = name[0] + "." + name[1];
        if (t.accept("to")) {
            if (!t.accept("stdout")) {
                throw new StrongroomException(
                        ErrorCode.NOT_IMPLEMENTED, "COPY TO a server file is not supported; use COPY ... TO STDOUT");
            }
            CopyFormat f = CopyFormat.parse(t);
            return copyOut(
                    sql,
                    "SELECT "
                            + (cols.isEmpty()
                                    ? "*"
                                    : String.join(
                                            ", ",
                                            cols.stream()
                                                    .map(c -> "\"" + c + "\"")
                                                    .toList()))
                            + " FROM " + DmlStatements.quote(name),
                    f);
        }
        t.expect("from");
        boolean stdin = t.accept("stdin");
        String file = stdin ? null : t.string();
        CopyFormat f = CopyFormat.parse(t);
        return new SessionStatement(
                sql,
                List.of(),
                List.of(),
                true,
                params -> {
                    CopyLoader loader = new CopyLoader(
                            block.store(), block.transaction(), cancel::check, block::markFailed, q, name[1], cols, f);
                    if (file != null) {
                        try (var in = Files.newInputStream(Path.of(file))) {
                            byte[] buf = new byte[1 << 16];
                            var src = f.gzip() ? new GZIPInputStream(in) : in;
                            int n;
                            while ((n = src.read(buf)) > 0) {
                                loader.write(buf, 0, n);
                            }
                        } catch (IOException e) {
                            loader.abort(e.getMessage() == null ? "read failed" : e.getMessage());
                            throw new StrongroomException(
                                    ErrorCode.IO_ERROR, "could not read file \"" + file + "\": " + e.getMessage(), e);
                        }
                        return new Result.Command(loader.finish());
                    }
                    return new Result.CopyIn(loader.columnCount(), f.binary(), loader);
                },
                false);
    }

    /**
     * COPY ... TO STDOUT: runs {@code query} and streams its rows, formatted into chunks of about {@link #CHUNK}
     * bytes (one CopyData each; the protocol lets a message carry any part of the data), as the executor produces
     * them: nothing is materialised, so the table's size does not matter. The session's view stays open until the
     * last row, or until the wire layer closes the chunks early.
     */
    private SessionStatement copyOut(String sql, String query, CopyFormat f) {
        if (f.binary()) {
            throw new StrongroomException(
                    ErrorCode.NOT_IMPLEMENTED,
                    "COPY ... TO STDOUT (FORMAT binary) is not supported yet; use FORMAT text or csv (binary is read"
                            + " by COPY ... FROM STDIN)");
        }
        RewrittenSql rw = RewrittenSql.of(query);
        return new SessionStatement(
                sql,
                List.of(),
                List.of(),
                true,
                params -> {
                    TransactionBlock.View v = block.view();
                    QueryPlanner.Plan plan;
                    Executor.Source batches;
                    try {
                        plan = QueryPlanner.plan(rw.sql(), v);
                        batches = new Executor(v, block.context(rw.bind(params)), cancel::isRequested)
                                .batches(plan.rel());
                    } catch (RuntimeException e) {
                        v.close();
                        throw e;
                    }
                    Chunks chunks = new Chunks(batches, f, v);
                    return new Result.CopyOut(plan.columns().size(), false, chunks, () -> "COPY " + chunks.count);
                },
                false);
    }

    /** Bytes of formatted rows a CopyData message carries at most (plus one row). */
    static final int CHUNK = 64 * 1024;

    /**
     * The rows of a COPY ... TO STDOUT, formatted a chunk at a time straight from the executor's batches ({@link
     * CopyFormat#appendRow}); closes the view at the end.
     */
    private static final class Chunks implements Iterator<byte[]>, AutoCloseable {
        private final Executor.Source batches;
        private final CopyFormat format;
        private final TransactionBlock.View view;
        private final RowText chunk = new RowText();
        private final RowText field = new RowText();
        private @Nullable Batch batch;
        /** {@link CopyFormat#columnFlags} of {@link #batch}. */
        private byte[] flags = new byte[0];

        private int row;
        private boolean exhausted;
        private boolean closed;
        /** Rows formatted so far: the count of the COPY tag once the chunks are taken. */
        long count;

        Chunks(Executor.Source batches, CopyFormat format, TransactionBlock.View view) {
            this.batches = batches;
            this.format = format;
            this.view = view;
        }

        /** Whether a row is left, reading the next batch when this one is done; never reads past the end. */
        private boolean advance() {
            while (!exhausted && (batch == null || row >= batch.size())) {
                Batch b = batches.next();
                batch = b;
                row = 0;
                exhausted = b == null;
                if (b != null) {
                    flags = format.columnFlags(b);
                }
            }
            return !exhausted;
        }

        @Override
        public boolean hasNext() {
            if (closed) {
                return false;
            }
            if (advance()) {
                return true;
            }
            close();
            return false;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            chunk.clear();
            while (chunk.length() < CHUNK && advance()) {
                format.appendRow(Objects.requireNonNull(batch), row++, flags, field, chunk);
                count++;
            }
            return Arrays.copyOf(chunk.bytes(), chunk.length());
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                batch = null;
                view.close();
            }
        }
    }

    private SessionStatement copyQueryOut(String sql, Tokens t) {
        t.expectSymbol("(");
        int depth = 1;
        int start = t.peek().start();
        int end = start;
        while (depth > 0) {
            Tokens.Token x = t.next();
            if (x.isSymbol("(")) {
                depth++;
            } else if (x.isSymbol(")")) {
                depth--;
            }
            if (depth > 0) {
                end = x.end();
            }
        }
        String query = sql.substring(start, end);
        t.expect("to");
        t.expect("stdout");
        return copyOut(sql, query, CopyFormat.parse(t));
    }
}
