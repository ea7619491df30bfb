package io.strongroom.control.api;

import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterRequests;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.snapshot.SnapshotRecord;
import io.strongroom.control.snapshot.SnapshotView;
import io.strongroom.control.snapshot.TableRestoreStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The XML of the {@code Snapshot} and {@code TableRestoreStatus} shapes (reference/aws-api.md §1.4). Sizes are
 * megabytes as doubles, times in seconds as longs, as the model types them. Stateless.
 */
final class SnapshotXml {
    private SnapshotXml() {}

    static void snapshot(XmlWriter w, SnapshotView v, Instant now) {
        SnapshotRecord s = v.record();
        double totalMb = s.totalBytes() / (1024.0 * 1024.0);
        double incrementalMb = s.incrementalBytes() / (1024.0 * 1024.0);
        long elapsedSeconds = s.elapsedMillis() / 1000;
        double rate = s.elapsedMillis() == 0 ? 0 : incrementalMb * 1000.0 / s.elapsedMillis();
        w.open("Snapshot");
        w.text("SnapshotIdentifier", s.identifier());
        w.text("ClusterIdentifier", s.clusterIdentifier());
        w.time("SnapshotCreateTime", s.createTime());
        w.text("Status", v.status());
        w.text("Port", s.port());
        w.text("AvailabilityZone", s.region() + "a");
        w.time("ClusterCreateTime", s.clusterCreateTime());
        w.text("MasterUsername", s.masterUsername());
        w.text("ClusterVersion", "1.0");
        w.text("SnapshotType", s.type());
        w.text("NodeType", s.nodeType());
        w.text("NumberOfNodes", s.numberOfNodes());
        w.text("DBName", s.dbName());
        w.text("Encrypted", s.encrypted());
        boolean hsm = s.encryptedWithHsm();
        if (s.kmsKeyArn() != null && !hsm) {
            w.text("KmsKeyId", s.kmsKeyArn());
        }
        w.text("EncryptedWithHSM", hsm);
        w.text("OwnerAccount", s.accountId());
        Job.Progress p = v.progress();
        if (p != null) {
            // A job is writing it: its progress so far.
            w.text("TotalBackupSizeInMegaBytes", mb(p.totalMegaBytes()));
            w.text("ActualIncrementalBackupSizeInMegaBytes", mb(p.totalMegaBytes()));
            w.text("BackupProgressInMegaBytes", mb(p.doneMegaBytes()));
            w.text("CurrentBackupRateInMegaBytesPerSecond", mb(p.rateMegaBytesPerSecond()));
            w.text("EstimatedSecondsToCompletion", p.etaSeconds());
            w.text("ElapsedTimeInSeconds", p.elapsed().toSeconds());
        } else {
            w.text("TotalBackupSizeInMegaBytes", mb(totalMb));
            w.text("ActualIncrementalBackupSizeInMegaBytes", mb(incrementalMb));
            w.text("BackupProgressInMegaBytes", mb(s.status().equals("available") ? incrementalMb : 0));
            w.text("CurrentBackupRateInMegaBytesPerSecond", mb(rate));
            w.text("EstimatedSecondsToCompletion", 0);
            w.text("ElapsedTimeInSeconds", elapsedSeconds);
        }
        if (v.sourceRegion() != null) {
            w.text("SourceRegion", v.sourceRegion());
        }
        w.empty("Tags");
        w.open("RestorableNodeTypes").text("NodeType", s.nodeType()).close("RestorableNodeTypes");
        w.text("EnhancedVpcRouting", false);
        w.text("MaintenanceTrackName", "current");
        w.text("ManualSnapshotRetentionPeriod", s.manualRetentionDays());
        if (!s.type().equals("automated") && s.manualRetentionDays() != -1) {
            Instant end = s.createTime().plus(Duration.ofDays(s.manualRetentionDays()));
            w.text(
                    "ManualSnapshotRemainingDays",
                    Math.max(0, Duration.between(now, end).toDays()));
        }
        w.time("SnapshotRetentionStartTime", s.createTime());
        w.text(
                "SnapshotArn",
                "arn:aws:redshift:" + s.region() + ":" + s.accountId() + ":snapshot:" + s.clusterIdentifier() + "/"
                        + s.identifier());
        w.close("Snapshot");
    }

    static void tableRestore(XmlWriter w, TableRestoreStatus t, String element) {
        ClusterRequests.RestoreTable q = t.request();
        w.open(element);
        w.text("TableRestoreRequestId", t.requestId());
        w.text("Status", t.status());
        if (t.message() != null) {
            w.text("Message", StrongroomException.forClient(t.message()));
        }
        w.time("RequestTime", t.requestTime());
        w.text("ProgressInMegaBytes", Math.round(t.progressMegaBytes()));
        w.text("TotalDataInMegaBytes", Math.round(t.totalMegaBytes()));
        w.text("ClusterIdentifier", q.clusterIdentifier());
        w.text("SnapshotIdentifier", q.snapshotIdentifier());
        w.text("SourceDatabaseName", q.sourceDatabaseName());
        w.text("SourceSchemaName", q.sourceSchemaName() == null ? "public" : q.sourceSchemaName());
        w.text("SourceTableName", q.sourceTableName());
        w.text("TargetDatabaseName", q.targetDatabaseName() == null ? q.sourceDatabaseName() : q.targetDatabaseName());
        if (q.targetSchemaName() != null) {
            w.text("TargetSchemaName", q.targetSchemaName());
        }
        w.text("NewTableName", q.newTableName());
        w.close(element);
    }

    private static String mb(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
