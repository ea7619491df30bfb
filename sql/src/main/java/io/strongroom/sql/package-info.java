/**
 * The SQL engine as the wire protocol sees it: sessions that prepare and execute statements and hand back
 * rows, command tags or COPY streams, with errors as {@link io.strongroom.base.StrongroomException} whose
 * code carries the SQLSTATE. {@code pgwire} depends on this package only; the implementation over storage
 * lives below it.
 */
@NullMarked
package io.strongroom.sql;

import org.jspecify.annotations.NullMarked;
