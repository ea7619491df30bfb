package io.strongroom.sql.engine;

import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;

/**
 * The rows a statement returns, as the session hands them to the protocol: values converted from the in-memory
 * form of {@link Types} to their wire form one row at a time, and a resource (the snapshot a query reads) released
 * once the rows run out or the client closes them, whichever comes first. A result is read by one thread.
 */
final class ResultRows {
    private ResultRows() {}

    /** {@code rows} described by {@code columns}; {@code resource}, if any, is closed once when they end. */
    static Result.Rows of(
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
}
