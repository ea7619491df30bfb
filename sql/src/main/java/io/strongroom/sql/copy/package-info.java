/**
 * COPY's data: the text and CSV formats with their options ({@code CopyFormat}), PostgreSQL's binary COPY format
 * ({@code CopyBinary}), and the loader that turns arriving COPY data into batches appended to a table ({@code
 * CopyLoader}). The COPY statement itself (which table, from where, in which transaction) is the session's ({@code
 * session.CopyStatements}).
 *
 * <p>Invariants: data is read as it arrives, in CopyData messages of any size, and every field is converted
 * straight to its column's stored form; a bad line aborts the load, naming the line and column. One loader per
 * COPY, called on one thread; past its first batch it parses later batches on parsing threads that only build
 * batches, and appends them on the calling thread in input order.
 *
 * <p>May depend on: {@code func}, {@code parse} (COPY's options) and {@code exec} (batches, the text fast path,
 * {@code Appends}). Never on the planner or the session.
 */
@NullMarked
package io.strongroom.sql.copy;

import org.jspecify.annotations.NullMarked;
