package io.strongroom.control.api;

import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEvent;
import io.strongroom.control.cluster.ClusterRecord;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.DataTransferInfo;
import io.strongroom.control.cluster.RestoreInfo;

/**
 * The XML of the {@code Cluster} and {@code Event} shapes (reference/aws-api.md §1.4): what clients read, with
 * lists as wrapper plus one element per item named by the model's locationName. Secrets never appear: a pending
 * master password shows as {@code ****}. Stateless.
 */
final class ClusterXml {
    private ClusterXml() {}

    static void cluster(XmlWriter w, ClusterView v) {
        ClusterRecord r = v.record();
        w.open("Cluster");
        w.text("ClusterIdentifier", r.identifier());
        w.text("NodeType", r.nodeType().wireName());
        w.text("ClusterStatus", v.status().wireName());
        if (v.modifyStatus() != null) {
            w.text("ModifyStatus", v.modifyStatus());
        }
        w.text("ClusterAvailabilityStatus", v.status().availability());
        w.text("MasterUsername", r.masterUsername());
        w.text("DBName", r.dbName());
        w.open("Endpoint")
                .text("Address", v.endpointAddress())
                .text("Port", r.port())
                .close("Endpoint");
        w.time("ClusterCreateTime", r.createTime());
        w.text("AutomatedSnapshotRetentionPeriod", r.automatedSnapshotRetentionPeriod());
        w.text("ManualSnapshotRetentionPeriod", r.manualSnapshotRetentionPeriod());
        w.empty("ClusterSecurityGroups");
        w.empty("VpcSecurityGroups");
        ClusterView.ParameterStatus params = v.parameters();
        w.open("ClusterParameterGroups")
                .open("ClusterParameterGroup")
                .text("ParameterGroupName", params == null ? r.parameterGroupName() : params.groupName())
                .text("ParameterApplyStatus", params == null ? "in-sync" : params.applyStatus())
                .close("ClusterParameterGroup")
                .close("ClusterParameterGroups");
        w.text("AvailabilityZone", r.region() + "a");
        w.text("PreferredMaintenanceWindow", "sun:05:00-sun:05:30");
        if (v.passwordPending() || v.pendingEncryptionType() != null) {
            w.open("PendingModifiedValues");
            if (v.passwordPending()) {
                w.text("MasterUserPassword", "****");
            }
            if (v.pendingEncryptionType() != null) {
                w.text("EncryptionType", v.pendingEncryptionType());
            }
            w.close("PendingModifiedValues");
        } else {
            w.empty("PendingModifiedValues");
        }
        w.text("ClusterVersion", "1.0");
        w.text("AllowVersionUpgrade", true);
        w.text("NumberOfNodes", r.numberOfNodes());
        w.text("PubliclyAccessible", false);
        w.text("Encrypted", r.encrypted());
        if (v.restore() != null) {
            RestoreInfo ri = v.restore();
            w.open("RestoreStatus")
                    .text("Status", ri.status())
                    .text("CurrentRestoreRateInMegaBytesPerSecond", Double.toString(ri.rateMegaBytes()))
                    .text("SnapshotSizeInMegaBytes", Math.round(ri.snapshotSizeMegaBytes()))
                    .text("ProgressInMegaBytes", Math.round(ri.progressMegaBytes()))
                    .text("ElapsedTimeInSeconds", ri.elapsedSeconds())
                    .text("EstimatedTimeToCompletionInSeconds", ri.etaSeconds())
                    .close("RestoreStatus");
        }
        if (v.transfer() != null) {
            DataTransferInfo t = v.transfer();
            w.open("DataTransferProgress")
                    .text("Status", t.status())
                    .text("CurrentRateInMegaBytesPerSecond", Double.toString(t.rateMegaBytes()))
                    .text("TotalDataInMegaBytes", Math.round(t.totalMegaBytes()))
                    .text("DataTransferredInMegaBytes", Math.round(t.transferredMegaBytes()))
                    .text("EstimatedTimeToCompletionInSeconds", t.etaSeconds())
                    .text("ElapsedTimeInSeconds", t.elapsedSeconds())
                    .close("DataTransferProgress");
        }
        if (v.hsm() != null) {
            ClusterView.HsmStatus h = v.hsm();
            w.open("HsmStatus")
                    .text("HsmClientCertificateIdentifier", h.certificateId())
                    .text("HsmConfigurationIdentifier", h.configurationId())
                    .text("Status", h.status())
                    .close("HsmStatus");
        }
        if (v.snapshotCopy() != null) {
            ClusterView.CopyStatus c = v.snapshotCopy();
            w.open("ClusterSnapshotCopyStatus")
                    .text("DestinationRegion", c.destinationRegion())
                    .text("RetentionPeriod", c.retentionPeriod())
                    .text("ManualSnapshotRetentionPeriod", c.manualRetentionPeriod());
            if (c.grantName() != null) {
                w.text("SnapshotCopyGrantName", c.grantName());
            }
            w.close("ClusterSnapshotCopyStatus");
        }
        w.open("ClusterNodes");
        if (r.singleNode()) {
            node(w, "SHARED", 10);
        } else {
            node(w, "LEADER", 10);
            for (int i = 0; i < r.numberOfNodes(); i++) {
                node(w, "COMPUTE-" + i, 11 + i);
            }
        }
        w.close("ClusterNodes");
        w.text("ClusterRevisionNumber", "1");
        if (r.tags().isEmpty()) {
            w.empty("Tags");
        } else {
            w.open("Tags");
            r.tags()
                    .forEach((k, val) ->
                            w.open("Tag").text("Key", k).text("Value", val).close("Tag"));
            w.close("Tags");
        }
        if (r.kmsKeyArn() != null && v.hsm() == null) {
            w.text("KmsKeyId", r.kmsKeyArn());
        }
        w.text("EnhancedVpcRouting", false);
        w.empty("IamRoles");
        w.empty("PendingActions");
        w.text("MaintenanceTrackName", "current");
        if (v.resizeType() != null) {
            w.open("ResizeInfo")
                    .text("ResizeType", v.resizeType())
                    .text("AllowCancelResize", false)
                    .close("ResizeInfo");
        }
        w.text("ClusterNamespaceArn", r.namespaceArn());
        w.text(
                "TotalStorageCapacityInMegaBytes",
                r.numberOfNodes() * r.nodeType().storagePerNodeMegaBytes());
        w.text("MultiAZ", "Disabled");
        w.close("Cluster");
    }

    private static void node(XmlWriter w, String role, int host) {
        w.open("member")
                .text("NodeRole", role)
                .text("PrivateIPAddress", "10.0.0." + Math.min(host, 254))
                .close("member");
    }

    static void event(XmlWriter w, ClusterEvent e) {
        w.open("Event");
        w.text("SourceIdentifier", e.sourceIdentifier());
        w.text("SourceType", e.sourceType());
        // An event may quote a failure's text: never a server path to a client (the event log on disk keeps it).
        w.text("Message", StrongroomException.forClient(e.message()));
        w.open("EventCategories");
        e.categories().forEach(c -> w.text("EventCategory", c));
        w.close("EventCategories");
        w.text("Severity", e.severity());
        w.time("Date", e.date());
        w.text("EventId", e.eventId());
        w.close("Event");
    }
}
