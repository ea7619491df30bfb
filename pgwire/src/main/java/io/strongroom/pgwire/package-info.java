/**
 * The PostgreSQL wire protocol server: {@link io.strongroom.pgwire.PgServer} accepts connections on plain sockets
 * with one virtual thread each, negotiates TLS, authenticates with SCRAM-SHA-256 or md5 against an {@link
 * io.strongroom.pgwire.Authenticator}, and runs the simple and extended query protocols and COPY against an
 * {@link io.strongroom.sql.SqlEngine}. The message codec is in {@link io.strongroom.pgwire.protocol}. See
 * {@code docs/pgwire.md} for what is supported.
 */
@NullMarked
package io.strongroom.pgwire;

import org.jspecify.annotations.NullMarked;
