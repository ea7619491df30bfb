package io.strongroom.sql;

import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** What executing a statement produced. */
public sealed interface Result permits Result.Rows, Result.Command, Result.CopyIn, Result.CopyOut, Result.Deallocate {

    /**
     * Rows, pulled by the wire layer in the order they come (so large results stream). Each row has one value
     * per column, of the column type's Java class (see {@link SqlType}), or null. {@link #close()} releases
     * the rows not read (a portal closed early). {@code tag} is the CommandComplete tag once every row was
     * read, e.g. {@code SELECT 42}: the wire layer counts the rows it sent and asks {@link #tag(long)}.
     */
    non-sealed interface Rows extends Result, Iterator<@Nullable Object[]>, AutoCloseable {
        List<ResultColumn> columns();

        /** The CommandComplete tag after {@code rowsSent} rows, e.g. {@code SELECT 3} or {@code FETCH 3}. */
        String tag(long rowsSent);

        /**
         * The fast path for rows sent in text format: writes the next row's values into {@code out} (cleared
         * first) as PostgreSQL's text output, byte for byte what formatting {@link #next()}'s values would give,
         * and moves past the row; or returns false without moving when this row needs the general path (then call
         * {@link #next()}). Call only when {@link #hasNext()} is true. The default takes the general path always.
         */
        default boolean nextText(RowText out) {
            return false;
        }

        @Override
        void close();
    }

    /** A statement that returns no rows: its CommandComplete tag, e.g. {@code CREATE TABLE}, {@code INSERT 0 5}. */
    record Command(String tag) implements Result {}

    /**
     * DEALLOCATE or DISCARD ALL: prepared statements live in the wire layer (the protocol's Parse names them, and
     * PostgreSQL's DEALLOCATE acts on the same names), so the wire layer drops them: the one named, or every named one
     * when {@code name} is null, and with {@code portals} every portal too (DISCARD ALL). It answers {@code tag}, or
     * 26000 when the named statement does not exist.
     */
    record Deallocate(@Nullable String name, boolean portals, String tag) implements Result {}

    /**
     * COPY ... FROM STDIN: the wire layer sends CopyInResponse, feeds every CopyData payload to {@code sink},
     * then calls {@link CopySink#finish()} on CopyDone (which commits and returns the tag, e.g. {@code COPY 3})
     * or {@link CopySink#abort(String)} on CopyFail.
     *
     * @param columns the number of columns the data carries
     * @param binary false for text and CSV, true for PostgreSQL's binary COPY format
     */
    record CopyIn(int columns, boolean binary, CopySink sink) implements Result {}

    /**
     * COPY ... TO STDOUT: CopyOutResponse, one CopyData per chunk, CopyDone, then the tag {@code tag} gives once every
     * chunk was taken (the row count is known only then: chunks stream from the executor). When {@code chunks} is
     * {@link AutoCloseable}, the wire layer closes it after the last chunk or when the copy stops early.
     */
    record CopyOut(int columns, boolean binary, Iterator<byte[]> chunks, Supplier<String> tag) implements Result {}

    /** Receives the data of COPY ... FROM STDIN. */
    interface CopySink {
        void write(byte[] data, int off, int len);

        /** All data arrived: load it and return the tag, e.g. {@code COPY 1000}. */
        String finish();

        /** The client gave up with this message; nothing is loaded. */
        void abort(String message);
    }
}
