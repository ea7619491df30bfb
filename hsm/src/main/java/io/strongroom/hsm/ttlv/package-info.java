/**
 * KMIP's TTLV encoding (Tag, Type, Length, Value), as a tree of {@link io.strongroom.hsm.ttlv.Ttlv} items and a
 * strict codec: {@link io.strongroom.hsm.ttlv.TtlvCodec} writes and reads one message, {@link
 * io.strongroom.hsm.ttlv.TtlvReader} frames messages on a TLS stream. Every failure is a {@link
 * io.strongroom.hsm.ttlv.TtlvException} naming the offending tag.
 */
@NullMarked
package io.strongroom.hsm.ttlv;

import org.jspecify.annotations.NullMarked;
