/**
 * KMIP messages as Java values, and their version-aware encoding over TTLV. {@link
 * io.strongroom.hsm.kmip.KmipCodec} turns a {@link io.strongroom.hsm.kmip.RequestMessage} or {@link
 * io.strongroom.hsm.kmip.ResponseMessage} into TTLV and back, writing only fields that exist in the message's
 * protocol version (1.x: Template-Attribute and Attribute name/value; 2.0: Attributes and Attribute Reference).
 * Requests are decoded strictly (the server's side); response payloads leniently (unknown trailing fields are
 * skipped), response headers strictly.
 */
@NullMarked
package io.strongroom.hsm.kmip;

import org.jspecify.annotations.NullMarked;
