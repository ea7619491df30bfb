package io.strongroom.control.cluster;

import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The parsed parameters of the cluster operations. Records that carry a password redact it in toString. */
public final class ClusterRequests {
    private ClusterRequests() {}

    /**
     * The HSM members of CreateCluster, ModifyCluster and RestoreFromClusterSnapshot, when either was given (both
     * are needed; the operation says so when one is missing).
     */
    public record Hsm(
            @Nullable String certificateId, @Nullable String configurationId) {}

    /** CreateCluster. */
    public record Create(
            String identifier,
            String nodeType,
            @Nullable String clusterType,
            @Nullable Integer numberOfNodes,
            String masterUsername,
            @Nullable String masterUserPassword,
            @Nullable String dbName,
            @Nullable Integer port,
            @Nullable Boolean encrypted,
            @Nullable String kmsKeyId,
            Map<String, String> tags,
            @Nullable Integer automatedSnapshotRetentionPeriod,
            @Nullable Integer manualSnapshotRetentionPeriod,
            @Nullable Hsm hsm,
            @Nullable String parameterGroupName) {
        public boolean hsmRequested() {
            return hsm != null;
        }

        @Override
        public String toString() {
            return "Create[" + identifier + ", " + nodeType + " x" + numberOfNodes + ", encrypted " + encrypted
                    + ", key " + kmsKeyId + ", password redacted]";
        }
    }

    /** ModifyCluster. */
    public record Modify(
            String identifier,
            @Nullable String newIdentifier,
            @Nullable String masterUserPassword,
            @Nullable String nodeType,
            @Nullable String clusterType,
            @Nullable Integer numberOfNodes,
            @Nullable Boolean encrypted,
            @Nullable String kmsKeyId,
            @Nullable Integer automatedSnapshotRetentionPeriod,
            @Nullable Integer manualSnapshotRetentionPeriod,
            @Nullable Hsm hsm,
            @Nullable String parameterGroupName) {
        public boolean hsmRequested() {
            return hsm != null;
        }

        @Override
        public String toString() {
            return "Modify[" + identifier + ", new id " + newIdentifier + ", " + nodeType + " x" + numberOfNodes
                    + ", password " + (masterUserPassword == null ? "unchanged" : "redacted") + "]";
        }
    }

    /** ResizeCluster. */
    public record Resize(
            String identifier,
            @Nullable String nodeType,
            @Nullable String clusterType,
            @Nullable Integer numberOfNodes,
            boolean classic) {}

    /** DeleteCluster. */
    public record Delete(
            String identifier,
            boolean skipFinalClusterSnapshot,
            @Nullable String finalClusterSnapshotIdentifier,
            @Nullable Integer finalClusterSnapshotRetentionPeriod) {}

    /** DescribeClusterSnapshots filters. */
    public record DescribeSnapshots(
            @Nullable String clusterIdentifier,
            @Nullable String snapshotIdentifier,
            @Nullable String snapshotType,
            @Nullable Instant startTime,
            @Nullable Instant endTime) {}

    /** RestoreFromClusterSnapshot. */
    public record Restore(
            String identifier,
            String snapshotIdentifier,
            @Nullable String nodeType,
            @Nullable Integer numberOfNodes,
            @Nullable Integer port,
            @Nullable Boolean encrypted,
            @Nullable String kmsKeyId,
            @Nullable Integer automatedSnapshotRetentionPeriod,
            @Nullable Integer manualSnapshotRetentionPeriod,
            @Nullable Hsm hsm) {
        public boolean hsmRequested() {
            return hsm != null;
        }
    }

    /** RestoreTableFromClusterSnapshot. */
    public record RestoreTable(
            String clusterIdentifier,
            String snapshotIdentifier,
            String sourceDatabaseName,
            @Nullable String sourceSchemaName,
            String sourceTableName,
            @Nullable String targetDatabaseName,
            @Nullable String targetSchemaName,
            String newTableName) {}

    /** DescribeEvents filters; the window is resolved by the manager. */
    public record Events(
            @Nullable String sourceIdentifier,
            @Nullable String sourceType,
            @Nullable Instant startTime,
            @Nullable Instant endTime,
            @Nullable Integer durationMinutes) {}
}
