/**
 * Peering: another Strongroom installation serving some regions, reached over mutual TLS (docs/control/README.md
 * "Cross-region snapshot copy to another installation"). {@link io.strongroom.control.peer.PeerConfig} reads which
 * regions each peer serves, its endpoint, its pinned identity certificate and how its accounts map to ours; {@link
 * io.strongroom.control.peer.PeerIdentity} is this installation's own certificate and key; {@link
 * io.strongroom.control.peer.PeerServer} is the receiving endpoint, {@link io.strongroom.control.peer.PeerClient}
 * the sending side, {@link io.strongroom.control.peer.CopyStream} the codec of a snapshot transfer. This package
 * knows nothing of clusters or snapshots' meaning: the receiving side's work is a {@link
 * io.strongroom.control.peer.PeerService} the cluster package implements.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.peer;
