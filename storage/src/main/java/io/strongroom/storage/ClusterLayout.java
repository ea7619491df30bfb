package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;

/**
 * A cluster's compute nodes and their slices. Slices are numbered 0..{@link #sliceCount()}-1; node {@code n}
 * owns slices {@code n*slicesPerNode .. (n+1)*slicesPerNode-1}.
 *
 * @param nodes compute nodes, 1..128
 * @param slicesPerNode slices per node, 1..32
 */
public record ClusterLayout(int nodes, int slicesPerNode) {
    public ClusterLayout {
        if (nodes < 1 || nodes > 128 || slicesPerNode < 1 || slicesPerNode > 32) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "cluster layout out of range: " + nodes + " nodes x " + slicesPerNode + " slices (1..128 x 1..32)");
        }
    }

    public int sliceCount() {
        return nodes * slicesPerNode;
    }

    public int nodeOf(int slice) {
        return slice / slicesPerNode;
    }

    /** The first slice of a node: where DISTSTYLE ALL keeps the node's copy. */
    public int firstSliceOf(int node) {
        return node * slicesPerNode;
    }
}
