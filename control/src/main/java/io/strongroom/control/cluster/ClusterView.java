package io.strongroom.control.cluster;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A cluster as an API response shows it: its record, the status to report and what the response should say is
 * pending. Holds no secret. Immutable.
 *
 * @param record the durable record
 * @param status the status to show
 * @param endpointAddress the host clients connect to
 * @param passwordPending whether PendingModifiedValues shows a masked MasterUserPassword
 * @param resizeType {@code ClassicResize} or {@code ElasticResize} in a resize response, else null
 * @param restore the RestoreStatus of a cluster restored from a snapshot, else null
 * @param modifyStatus what an operation in progress reports in {@code ModifyStatus} (key rotation progress), else
 *     null
 * @param transfer the DataTransferProgress of a resize or an encryption change, else null
 * @param pendingEncryptionType what PendingModifiedValues shows as EncryptionType while the cluster's encryption
 *     changes ({@code KMS} or {@code NONE}), else null
 * @param snapshotCopy the ClusterSnapshotCopyStatus when cross-region snapshot copy is enabled, else null
 * @param hsm the HsmStatus of a cluster whose key is in an HSM, else null
 * @param parameters the cluster's parameter group, the values it has now and whether the cluster runs with them
 *     (null in the short forms: the default group, in sync)
 */
public record ClusterView(
        ClusterRecord record,
        ClusterStatus status,
        String endpointAddress,
        boolean passwordPending,
        @Nullable String resizeType,
        @Nullable RestoreInfo restore,
        @Nullable String modifyStatus,
        @Nullable DataTransferInfo transfer,
        @Nullable String pendingEncryptionType,
        @Nullable CopyStatus snapshotCopy,
        @Nullable HsmStatus hsm,
        @Nullable ParameterStatus parameters) {
    /** ClusterParameterGroups: the group, its current values, and {@code in-sync} or {@code pending-reboot}. */
    public record ParameterStatus(String groupName, Map<String, String> values, String applyStatus) {
        /** Whether plain (non-TLS) SQL connections are refused. */
        public boolean requireSsl() {
            return "true".equals(values.get("require_ssl"));
        }

        /**
         * The {@code auth_methods} value ({@code digest-scram}, {@code digest-md5}, {@code md5} or {@code scram};
         * see {@link ParameterGroups#AUTH_METHODS}), the default when the group has none.
         */
        public String authMethods() {
            return values.getOrDefault(ParameterGroups.AUTH_METHODS, "digest-scram");
        }
    }

    /** HsmStatus: the certificate and configuration in use, {@code active} or {@code applying}. */
    public record HsmStatus(String certificateId, String configurationId, String status) {}

    /** ClusterSnapshotCopyStatus. */
    public record CopyStatus(
            String destinationRegion,
            int retentionPeriod,
            int manualRetentionPeriod,
            @Nullable String grantName) {}

    public ClusterView(
            ClusterRecord record,
            ClusterStatus status,
            String endpointAddress,
            boolean passwordPending,
            @Nullable String resizeType,
            @Nullable RestoreInfo restore,
            @Nullable String modifyStatus) {
        this(
                record,
                status,
                endpointAddress,
                passwordPending,
                resizeType,
                restore,
                modifyStatus,
                null,
                null,
                null,
                null,
                null);
    }

    public ClusterView(
            ClusterRecord record,
            ClusterStatus status,
            String endpointAddress,
            boolean passwordPending,
            @Nullable String resizeType,
            @Nullable RestoreInfo restore) {
        this(record, status, endpointAddress, passwordPending, resizeType, restore, null, null, null, null, null, null);
    }
}
