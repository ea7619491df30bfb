/**
 * The PostgreSQL protocol 3 codec, one type or method per message, with no sockets and no sessions: {@link
 * io.strongroom.pgwire.protocol.StartupPacket} and {@link io.strongroom.pgwire.protocol.FrontendMessage} decode
 * what clients send, {@link io.strongroom.pgwire.protocol.BackendWriter} encodes what the server answers, and
 * {@link io.strongroom.pgwire.protocol.PgValues} converts values to and from the text and binary formats. Every
 * length read from the wire is bounded before anything is allocated for it.
 */
@NullMarked
package io.strongroom.pgwire.protocol;

import org.jspecify.annotations.NullMarked;
