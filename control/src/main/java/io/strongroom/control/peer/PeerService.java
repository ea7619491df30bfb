package io.strongroom.control.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;
import java.io.InputStream;

/**
 * What the receiving side of a peer link does; {@link PeerServer} calls it with the peer its TLS handshake
 * identified. Implementations answer JSON and throw {@link PeerException} (or any {@code StrongroomException}) to
 * refuse. Must be thread-safe: requests of several peers arrive at once.
 */
public interface PeerService {
    /** {@code POST /strongroom/peer/v1/snapshot-copy/check}: may {@code from} copy into this grant and region? */
    ObjectNode checkCopy(PeerConfig.Peer from, JsonNode request);

    /** {@code POST /strongroom/peer/v1/snapshot-copy/begin}: a transfer's key pair and the blocks still missing. */
    ObjectNode beginCopy(PeerConfig.Peer from, JsonNode request);

    /** {@code POST /strongroom/peer/v1/snapshot-copy/send?copyId=}: the {@link CopyStream} of a begun transfer. */
    ObjectNode receiveCopy(PeerConfig.Peer from, String copyId, InputStream body);

    /**
     * The point at which the receiving side calls its {@link FaultHook} (with the transfer's spool directory), once
     * a part of transfer {@code copyId} is spooled; tests cut transfers and read the spool there. {@code name} is
     * {@code key}, {@code file}, {@code block} or {@code end} (received whole, not yet committed).
     */
    record ReceivedPart(String copyId, String name) implements FaultPoint {}
}
