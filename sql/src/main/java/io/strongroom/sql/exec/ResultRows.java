package io.strongroom.sql.exec;

import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.RowText;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.func.Types;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The rows a statement returns, as the session hands them to the protocol: values converted from the in-memory
 * form of {@link Types} to their wire form one row at a time, and a resource (the snapshot a query reads) released
 * once the rows run out or the client closes them, whichever comes first. A query's rows come as the executor's
 * batches ({@link #ofBatches}), so rows sent as text can skip the per-value objects ({@link VecText}). A result is
 * read by one thread.
 */
public final class ResultRows {
    private ResultRows() {}

    /** {@code rows} described by {@code columns}; {@code resource}, if any, is closed once when they end. */
    public static Result.Rows of(
            List<ResultColumn> columns, Iterator<@Nullable Object[]> rows, @Nullable AutoCloseable resource) {
        return new Result.Rows() {
            private boolean closed;

            @Override
            public List<ResultColumn> columns() {
                return columns;
            }

            @Override
            public String tag(long rowsSent) {
                return "SELECT " + rowsSent;
            }

            @Override
            public boolean hasNext() {
                boolean more = !closed && rows.hasNext();
                if (!more) {
                    close();
                }
                return more;
            }

            @Override
            public @Nullable Object[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Object[] r = rows.next();
                Object[] out = new Object[columns.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = Types.toWireValue(r[i], columns.get(i).type());
                }
                return out;
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    if (resource != null) {
                        try {
                            resource.close();
                        } catch (Exception e) {
                            // releasing a snapshot does not fail
                        }
                    }
                }
            }
        };
    }

    /**
     * The rows of {@code batches} (the executor's, every column filled) described by {@code columns}; {@code
     * resource} is closed once when they end.
     */
    public static Result.Rows ofBatches(List<ResultColumn> columns, Executor.Source batches, AutoCloseable resource) {
        return new BatchRows(columns, batches, resource);
    }

    /** Rows read from batches; {@link #nextText} formats straight from the column vectors. */
    private static final class BatchRows implements Result.Rows {
        private final List<ResultColumn> columns;
        private final SqlType[] types;
        private final Executor.Source source;
        private final AutoCloseable resource;
        private @Nullable Batch batch;
        private int row;
        /** Whether {@link VecText#wire} writes every column of {@link #batch}. */
        private boolean textable;
        /** Per column of {@link #batch}: its strings are all ASCII ({@link VecText#ascii}). */
        private final boolean[] ascii;

        private boolean closed;

        BatchRows(List<ResultColumn> columns, Executor.Source source, AutoCloseable resource) {
            this.columns = columns;
            this.types = columns.stream().map(ResultColumn::type).toArray(SqlType[]::new);
            this.ascii = new boolean[types.length];
            this.source = source;
            this.resource = resource;
        }

        @Override
        public List<ResultColumn> columns() {
            return columns;
        }

        @Override
        public String tag(long rowsSent) {
            return "SELECT " + rowsSent;
        }

        @Override
        public boolean hasNext() {
            if (closed) {
                return false;
            }
            while (batch == null || row >= batch.size()) {
                Batch b = source.next();
                if (b == null) {
                    batch = null;
                    close();
                    return false;
                }
                batch = b;
                row = 0;
                textable = textable(b);
            }
            return true;
        }

        private boolean textable(Batch b) {
            if (b.cols().length < types.length) {
                return false;
            }
            for (int c = 0; c < types.length; c++) {
                Vec v = b.cols()[c];
                if (v == null || !VecText.wireWritable(v, types[c])) {
                    return false;
                }
            }
            for (int c = 0; c < types.length; c++) {
                ascii[c] = VecText.ascii(b.col(c));
            }
            return true;
        }

        @Override
        public @Nullable Object[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Batch b = Objects.requireNonNull(batch);
            Object[] out = new Object[types.length];
            for (int c = 0; c < out.length; c++) {
                Vec v = b.cols()[c];
                out[c] = v == null ? null : Types.toWireValue(v.get(row), types[c]);
            }
            row++;
            return out;
        }

        @Override
        public boolean nextText(RowText out) {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (!textable) {
                return false;
            }
            Batch b = Objects.requireNonNull(batch);
            out.clear();
            for (int c = 0; c < types.length; c++) {
                if (!VecText.wire(b.col(c), row, types[c], ascii[c], out)) {
                    return false;
                }
            }
            row++;
            return true;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                batch = null;
                try {
                    resource.close();
                } catch (Exception e) {
                    // releasing a snapshot does not fail
                }
            }
        }
    }
}
