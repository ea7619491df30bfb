package io.strongroom.hsm.ttlv;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;

/**
 * A TTLV message that cannot be read or written: bad framing, a length beyond its parent or the limit, non-zero
 * padding, a wrong type for a tag, a required field missing or a field out of spec order. The message names the
 * offending tag (hex and name) and never carries a value, so it is safe to log and to send back to a peer.
 */
public final class TtlvException extends StrongroomException {
    private static final long serialVersionUID = 1L;

    private final int tag;

    public TtlvException(int tag, String message) {
        super(ErrorCode.INVALID_ARGUMENT, tag < 0 ? message : Tags.describe(tag) + ": " + message);
        this.tag = tag;
    }

    /** The offending tag, or -1 when the failure is not about one item (for example a short read). */
    public int tag() {
        return tag;
    }
}
