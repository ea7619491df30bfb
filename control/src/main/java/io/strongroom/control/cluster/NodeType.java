package io.strongroom.control.cluster;

import java.util.Locale;
import java.util.Optional;

/**
 * The node types a cluster can be created with, with what each gives a cluster: slices per compute node, the
 * node-count range, whether a single-node cluster is allowed, and storage per node (managed storage for RA3). A
 * cluster's store is laid out as {@code nodes x slicesPerNode} slices, so the counts are real: tables spread over
 * them. Immutable.
 */
public enum NodeType {
    RA3_XLPLUS("ra3.xlplus", 2, 1, 32, true, 32L * 1024 * 1024),
    RA3_4XLARGE("ra3.4xlarge", 4, 2, 64, false, 128L * 1024 * 1024),
    RA3_16XLARGE("ra3.16xlarge", 16, 2, 128, false, 128L * 1024 * 1024),
    DC2_LARGE("dc2.large", 2, 1, 32, true, 160L * 1024),
    DC2_8XLARGE("dc2.8xlarge", 16, 2, 128, false, 2_560L * 1024),
    DS2_XLARGE("ds2.xlarge", 2, 1, 32, true, 2L * 1024 * 1024),
    DS2_8XLARGE("ds2.8xlarge", 16, 2, 128, false, 16L * 1024 * 1024);

    private final String wireName;
    private final int slicesPerNode;
    private final int minMultiNodes;
    private final int maxNodes;
    private final boolean singleNode;
    private final long storagePerNodeMegaBytes;

    NodeType(
            String wireName,
            int slicesPerNode,
            int minMultiNodes,
            int maxNodes,
            boolean singleNode,
            long storagePerNodeMegaBytes) {
        this.wireName = wireName;
        this.slicesPerNode = slicesPerNode;
        this.minMultiNodes = minMultiNodes;
        this.maxNodes = maxNodes;
        this.singleNode = singleNode;
        this.storagePerNodeMegaBytes = storagePerNodeMegaBytes;
    }

    /** The API name, e.g. {@code ra3.xlplus}. */
    public String wireName() {
        return wireName;
    }

    public int slicesPerNode() {
        return slicesPerNode;
    }

    /** The fewest nodes of a multi-node cluster (always at least 2). */
    public int minMultiNodes() {
        return Math.max(2, minMultiNodes);
    }

    public int maxNodes() {
        return maxNodes;
    }

    /** Whether a single-node cluster (leader and compute on one node) may use this type. */
    public boolean allowsSingleNode() {
        return singleNode;
    }

    public long storagePerNodeMegaBytes() {
        return storagePerNodeMegaBytes;
    }

    /** Whether an HSM may hold the cluster key of this type (never for dc2 and ra3, per the seeds). */
    public boolean allowsHsm() {
        return wireName.startsWith("ds2.");
    }

    public static Optional<NodeType> of(String wireName) {
        String w = wireName.toLowerCase(Locale.ROOT);
        for (NodeType t : values()) {
            if (t.wireName.equals(w)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
