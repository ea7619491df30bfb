package io.strongroom.control.api;

import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ParameterGroups;
import io.strongroom.control.cluster.TemporaryCredentials;
import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.keys.CoverageJobs;
import io.strongroom.control.keys.CoverageReport;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * The XML of the resources beside clusters and snapshots: HSM client certificates and configurations, cluster
 * parameter groups and their parameters, and the encryption coverage report (a Strongroom extension). Shapes as in
 * the Redshift API model (reference/aws-api.md); secrets (a partition password, a private key) are never written.
 * Stateless.
 */
final class ResourceXml {
    private ResourceXml() {}

    static void tags(XmlWriter w, Map<String, String> tags) {
        if (tags.isEmpty()) {
            w.empty("Tags");
            return;
        }
        w.open("Tags");
        tags.forEach((k, v) -> w.open("Tag").text("Key", k).text("Value", v).close("Tag"));
        w.close("Tags");
    }

    /**
     * DescribeEncryptionCoverage, a Strongroom extension (`strongroom coverage`): the report job's state and progress
     * (tables and snapshots read), then the newest finished report, if any, with the time it was made.
     */
    static void coverage(XmlWriter w, CoverageJobs.Status st) {
        w.text("Status", st.state().wireName())
                .text("JobId", st.jobId())
                .text("ItemsRead", st.done())
                .text("ItemsToRead", st.total());
        if (st.message() != null) {
            w.text("Message", StrongroomException.forClient(st.message()));
        }
        CoverageReport r = st.report();
        Instant at = st.generatedAt();
        if (r == null || at == null) {
            return;
        }
        w.text("GeneratedAt", at.toString());
        w.text("ClusterIdentifier", r.cluster())
                .text("Region", r.region())
                .text("Protection", r.protection())
                .text("RootKeyArn", r.rootKeyArn() == null ? "" : r.rootKeyArn())
                .text("ClusterKeyVersion", r.cekVersion())
                .text("DatabaseKeyVersion", r.dekVersion())
                .text("FullyEncrypted", r.fullyEncrypted());
        w.open("Tables");
        for (CoverageReport.TableRow t : r.tables()) {
            w.open("Table")
                    .text("Name", t.table())
                    .text("State", t.state())
                    .text("KeyVersion", t.keyVersion())
                    .text("Blocks", t.blocks())
                    .text("Bytes", t.bytes());
            if (t.detail() != null) {
                w.text("Detail", StrongroomException.forClient(t.detail()));
            }
            w.close("Table");
        }
        w.close("Tables");
        w.open("Snapshots");
        for (CoverageReport.SnapshotRow s : r.snapshots()) {
            w.open("Snapshot")
                    .text("SnapshotIdentifier", s.identifier())
                    .text("Region", s.region())
                    .text("Status", s.status())
                    .text("Encrypted", s.encrypted())
                    .text("RootKeyArn", s.rootKeyArn() == null ? "" : s.rootKeyArn())
                    .text("ClusterKeyVersion", s.cekVersion())
                    .text("DatabaseKeyVersion", s.dekVersion())
                    .text("EncryptedBlocks", s.encryptedBlocks())
                    .text("EncryptedBytes", s.encryptedBytes())
                    .text("ClearBlocks", s.clearBlocks())
                    .text("ClearBytes", s.clearBytes())
                    .text("UnreadableBlocks", s.unreadableBlocks())
                    .text("ReconciledBlocks", s.reconciledBlocks());
            if (s.reconciliation() != null) {
                w.text("Reconciliation", StrongroomException.forClient(s.reconciliation()));
            }
            w.close("Snapshot");
        }
        w.close("Snapshots");
        w.open("Problems");
        r.problems().forEach(p -> w.text("member", StrongroomException.forClient(p)));
        w.close("Problems");
    }

    /** GetClusterCredentials: the temporary database user, its password and when it expires. */
    static void clusterCredentials(XmlWriter w, TemporaryCredentials.Issued c) {
        w.text("DbUser", c.dbUser())
                .text("DbPassword", c.password())
                .text("Expiration", c.expiration().toString());
    }

    static void parameterGroup(XmlWriter w, ParameterGroups.Group g) {
        w.open("ClusterParameterGroup")
                .text("ParameterGroupName", g.name())
                .text("ParameterGroupFamily", ParameterGroups.FAMILY)
                .text("Description", g.description());
        tags(w, g.tags());
        w.close("ClusterParameterGroup");
    }

    static void parameter(XmlWriter w, ParameterGroups.Parameter v) {
        ParameterGroups.Definition d = v.definition();
        w.open("Parameter")
                .text("ParameterName", d.name())
                .text("ParameterValue", v.value())
                .text("Description", d.description())
                .text("Source", v.source())
                .text("DataType", d.dataType())
                .text("AllowedValues", d.allowedValues())
                .text("ApplyType", d.applyType())
                .text("IsModifiable", true)
                .close("Parameter");
    }

    static void parameterGroupStatus(XmlWriter w, String name) {
        w.text("ParameterGroupName", name.toLowerCase(Locale.ROOT))
                .text("ParameterGroupStatus", ParameterGroups.STATUS_UPDATED);
    }

    static void hsmCertificate(XmlWriter w, HsmStore.Certificate c) {
        w.open("HsmClientCertificate")
                .text("HsmClientCertificateIdentifier", c.identifier())
                .text("HsmClientCertificatePublicKey", c.certificatePem());
        tags(w, c.tags());
        w.close("HsmClientCertificate");
    }

    /** The configuration as Redshift shows it: never the partition password or the server certificate. */
    static void hsmConfiguration(XmlWriter w, HsmStore.Configuration c) {
        w.open("HsmConfiguration")
                .text("HsmConfigurationIdentifier", c.identifier())
                .text("Description", c.description())
                .text("HsmIpAddress", c.address())
                .text("HsmPartitionName", c.partition());
        tags(w, c.tags());
        w.close("HsmConfiguration");
    }
}
