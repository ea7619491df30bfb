package io.strongroom.control.snapshot;

import io.strongroom.base.FaultHook;
import io.strongroom.control.peer.PeerConfig;
import io.strongroom.control.peer.PeerIdentity;
import org.jspecify.annotations.Nullable;

/**
 * How this installation copies snapshots to and from other installations: its peers, its identity (null when no
 * peer is configured) and the receiving side's test hooks. Immutable.
 */
public record Peering(PeerConfig config, @Nullable PeerIdentity identity, FaultHook hooks) {
    /** No peers: every region is served by this process. */
    public static final Peering NONE = new Peering(PeerConfig.NONE, null, FaultHook.NONE);
}
