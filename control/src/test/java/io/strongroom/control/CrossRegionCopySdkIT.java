package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.FaultHook;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.jobs.JobState;
import io.strongroom.control.keys.CoverageJobs;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.snapshot.SnapshotPolicy;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.RawKeyAccess;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.storage.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.RedshiftException;
import software.amazon.awssdk.services.redshift.model.Snapshot;

/**
 * Cross-region snapshot copy with the SDK, as the seed's process goes: a key and a snapshot copy grant in us-west-2,
 * EnableSnapshotCopy on an encrypted cluster in us-east-1, a snapshot there, its copy in us-west-2 (SourceRegion,
 * encrypted under the destination key, made through the grant: the audit shows it), a restore there with the same
 * rows, after the source cluster is deleted too; the refusals (grant in use, missing grant, copy enabled twice,
 * rename while copying); the transfer between the regions holds no key material in the clear (searched for the CEKs,
 * the DEK and a block key), and a transfer file a stop left behind is deleted at the next start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrossRegionCopySdkIT {
    ControlFixture f;
    RedshiftClient east;
    RedshiftClient west;
    KmsClient westKms;

    /** The control plane's clock: real time plus what a test skips ahead. */
    final AtomicLong skipped = new AtomicLong();

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture(
                () -> Instant.now().plusSeconds(skipped.get()),
                new SnapshotPolicy(Duration.ofHours(8), 1L << 40, Duration.ZERO));
        east = f.redshift(f.admin);
        west = f.redshift(f.admin, Region.US_WEST_2);
        westKms = f.kmsThroughControl(f.admin, Region.US_WEST_2);
    }

    @AfterEach
    void resetHooks() {
        f.jobHooks = FaultHook.NONE;
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    /** Whether no cross-region copy job is unfinished, read from the job records under {@code control/jobs}. */
    private boolean noRegionCopyRunning() {
        try (Stream<Path> files = Files.list(f.controlDir.resolve("jobs"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                JobRecord r;
                try {
                    r = JobRecord.fromJson(Files.readAllBytes(p), p.toString());
                } catch (NoSuchFileException gone) {
                    continue;
                }
                if (r.kind() == JobKind.COPY_SNAPSHOT_REGION && !r.state().finished()) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void waitFor(BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting").isLessThan(deadline);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private Cluster cluster(RedshiftClient rs, String id) {
        return rs.describeClusters(r -> r.clusterIdentifier(id)).clusters().get(0);
    }

    private Store store(String region, String id) {
        return f.control.running(f.admin.accountId(), region, id).orElseThrow().store();
    }

    private static String code(Throwable e) {
        return ((RedshiftException) e).awsErrorDetails().errorCode();
    }

    @Test
    void theSeedsProcess_copyRestoreAndRefusals() throws Exception {
        String westKey =
                westKms.createKey(r -> r.description("dr-key")).keyMetadata().arn();
        assertThat(westKey).contains(":us-west-2:");
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-grant").kmsKeyId(westKey));
        assertThat(west.describeSnapshotCopyGrants().snapshotCopyGrants())
                .filteredOn(g -> g.snapshotCopyGrantName().equals("dr-grant"))
                .singleElement()
                .satisfies(g -> assertThat(g.kmsKeyId()).isEqualTo(westKey));
        assertThatThrownBy(() -> west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-grant")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("SnapshotCopyGrantAlreadyExistsFault"));
        assertThat(east.describeSnapshotCopyGrants().snapshotCopyGrants()) // grants are regional
                .noneMatch(g -> g.snapshotCopyGrantName().equals("dr-grant"));

        east.createCluster(r -> r.clusterIdentifier("dw1")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .encrypted(true));
        waitFor(() -> cluster(east, "dw1").clusterStatus().equals("available"));
        ControlFixture.writeTable(store("us-east-1", "dw1"), "t", 100_000);
        long[] rows = ControlFixture.countAndSum(store("us-east-1", "dw1"), "t");

        assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("dw1")
                        .destinationRegion("us-west-2")
                        .snapshotCopyGrantName("no-such-grant")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("SnapshotCopyGrantNotFoundFault"));
        Cluster enabled = east.enableSnapshotCopy(r -> r.clusterIdentifier("dw1")
                        .destinationRegion("us-west-2")
                        .retentionPeriod(7)
                        .snapshotCopyGrantName("dr-grant"))
                .cluster();
        assertThat(enabled.clusterSnapshotCopyStatus().destinationRegion()).isEqualTo("us-west-2");
        assertThat(enabled.clusterSnapshotCopyStatus().retentionPeriod()).isEqualTo(7);
        assertThat(enabled.clusterSnapshotCopyStatus().snapshotCopyGrantName()).isEqualTo("dr-grant");
        assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("dw1")
                        .destinationRegion("us-west-2")
                        .snapshotCopyGrantName("dr-grant")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("SnapshotCopyAlreadyEnabledFault"));
        assertThatThrownBy(() -> west.deleteSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-grant")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidSnapshotCopyGrantStateFault"));
        assertThatThrownBy(
                        () -> east.modifyCluster(r -> r.clusterIdentifier("dw1").newClusterIdentifier("dw2")))
                .satisfies(e -> assertThat(e.getMessage()).contains("disable snapshot copy, rename the cluster"));

        // What crosses between the regions, captured while the copy runs.
        AtomicReference<byte[]> transfer = new AtomicReference<>();
        Path transit = f.dir.resolve("control")
                .resolve("snapshots")
                .resolve("us-west-2")
                .resolve("transit");
        f.jobHooks = (jobPoint, jobFile) -> {
            if (jobPoint instanceof JobPoint.Progress(Job job)) {
                if (job.kind() == JobKind.COPY_SNAPSHOT_REGION
                        && transfer.get() == null
                        && Files.isDirectory(transit)) {
                    try (Stream<Path> s = Files.list(transit)) {
                        for (Path p : s.toList()) {
                            transfer.set(Files.readAllBytes(p));
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        };
        east.createClusterSnapshot(r -> r.clusterIdentifier("dw1").snapshotIdentifier("s1"));
        waitFor(() -> west.describeClusterSnapshots().snapshots().stream()
                .anyMatch(s -> s.snapshotIdentifier().equals("s1") && s.status().equals("available")));
        Snapshot copy = west.describeClusterSnapshots(r -> r.snapshotIdentifier("s1"))
                .snapshots()
                .get(0);
        assertThat(copy.sourceRegion()).isEqualTo("us-east-1");
        assertThat(copy.encrypted()).isTrue();
        assertThat(copy.kmsKeyId()).isEqualTo(westKey);
        assertThat(east.describeClusterSnapshots(r -> r.snapshotIdentifier("s1"))
                        .snapshots()
                        .get(0)
                        .sourceRegion())
                .isNull();
        // The destination key made the copy's cluster key, through the grant, with the cluster's context.
        List<AuditRecord> made = f.audit()
                .query(AuditQuery.all()
                        .withEventName("GenerateDataKey")
                        .withKey(westKey)
                        .withContextValue("dw1"));
        assertThat(made).isNotEmpty().allSatisfy(a -> assertThat(a.region()).isEqualTo("us-west-2"));
        // The transfer: an RSA-3072-wrapped transit key (384 bytes) and the sealed DEK; no key in the clear (its
        // wrapped forms from the envelopes are not in it either, and it is gone once the copy ended).
        assertThat(transfer.get()).isNotNull();
        assertThat(new String(transfer.get(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("SRTX");
        assertThat(ByteBuffer.wrap(transfer.get(), 8, 4).getInt()).isEqualTo(384);
        try (Stream<Path> s = Files.list(transit)) {
            assertThat(s.toList()).isEmpty();
        }
        // Searched for the keys themselves, recovered the long way: the source and destination CEKs (KMS Decrypt as
        // the keys' owner), the DEK they wrap, and a block key the DEK wraps.
        VaultEntry sourceEnvelope = TransferSecrets.envelope(TransferSecrets.record(f.controlDir, "us-east-1", "s1"));
        VaultEntry copyEnvelope = TransferSecrets.envelope(TransferSecrets.record(f.controlDir, "us-west-2", "s1"));
        byte[] sourceCek = TransferSecrets.cek(f.kmsThroughControl(f.admin), sourceEnvelope);
        byte[] copyCek = TransferSecrets.cek(westKms, copyEnvelope);
        Map<String, byte[]> keys = new LinkedHashMap<>();
        try (DatabaseKey dek = TransferSecrets.dek(sourceCek, sourceEnvelope)) {
            keys.put("source CEK", sourceCek);
            keys.put("destination CEK", copyCek);
            keys.put("DEK", dek.copyRawMaterial(RawKeyAccess.insecure()));
            keys.put(
                    "block key",
                    TransferSecrets.firstBlockKey(store("us-east-1", "dw1"), "t", ControlFixture.COLUMNS, dek));
        }
        assertThat(TransferSecrets.found(transfer.get(), keys)).isEmpty();
        // The search finds a key that is there (so it can fail): the DEK planted in a copy of the transfer.
        byte[] planted = Arrays.copyOf(transfer.get(), transfer.get().length + 32);
        System.arraycopy(keys.get("DEK"), 0, planted, transfer.get().length, 32);
        assertThat(TransferSecrets.found(planted, keys)).containsExactly("DEK");

        // The coverage report reads the copy too: its manifests opened under the copy's own keys (through the copy
        // grant, in the other region) and reconciled with its block files.
        CoverageJobs.Status cov = f.control.clusters().coverage(f.admin, "us-east-1", "dw1", true);
        waitFor(() -> f.control
                        .clusters()
                        .coverage(f.admin, "us-east-1", "dw1", false)
                        .state()
                == JobState.SUCCEEDED);
        cov = f.control.clusters().coverage(f.admin, "us-east-1", "dw1", false);
        assertThat(cov.report().snapshots())
                .filteredOn(sn -> sn.region().equals("us-west-2"))
                .singleElement()
                .satisfies(sn -> {
                    assertThat(sn.reconciliation()).isNull();
                    assertThat(sn.reconciledBlocks()).isPositive();
                    assertThat(sn.rootKeyArn()).isEqualTo(westKey);
                });
        assertThat(cov.report().fullyEncrypted()).isTrue();

        // Restore in the destination region: the same rows.
        west.restoreFromClusterSnapshot(r -> r.clusterIdentifier("dw1-dr").snapshotIdentifier("s1"));
        waitFor(() -> cluster(west, "dw1-dr").clusterStatus().equals("available"));
        assertThat(ControlFixture.countAndSum(store("us-west-2", "dw1-dr"), "t"))
                .containsExactly(rows);

        // Disable, and the grant can go; the copy stays, even once the source cluster is deleted.
        Cluster disabled =
                east.disableSnapshotCopy(r -> r.clusterIdentifier("dw1")).cluster();
        assertThat(disabled.clusterSnapshotCopyStatus()).isNull();
        assertThatThrownBy(() -> east.disableSnapshotCopy(r -> r.clusterIdentifier("dw1")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("SnapshotCopyAlreadyDisabledFault"));
        west.deleteSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-grant"));
        east.deleteCluster(r -> r.clusterIdentifier("dw1").skipFinalClusterSnapshot(true));
        waitFor(() -> east.describeClusters().clusters().stream()
                .noneMatch(c -> c.clusterIdentifier().equals("dw1")));
        assertThat(west.describeClusterSnapshots(r -> r.snapshotIdentifier("s1"))
                        .snapshots())
                .singleElement()
                .satisfies(s -> assertThat(s.status()).isEqualTo("available"));
        west.restoreFromClusterSnapshot(r -> r.clusterIdentifier("dw1-dr2").snapshotIdentifier("s1"));
        waitFor(() -> cluster(west, "dw1-dr2").clusterStatus().equals("available"));
        assertThat(ControlFixture.countAndSum(store("us-west-2", "dw1-dr2"), "t"))
                .containsExactly(rows);
    }

    /**
     * The refusals of the grant and copy calls, each with the AWS error code a client branches on: grant names, a
     * grant of another region, a disabled destination key and one pending deletion (the API model lists no
     * dedicated fault for these; the answer is CreateCluster's InvalidParameterValue), a region that is no region,
     * the cluster's own region, retention periods out of range, and ModifySnapshotCopyRetentionPeriod for manual
     * copies and on a cluster that copies nothing.
     */
    @Test
    void refusals_carryTheAwsErrorCodes() {
        for (String bad : List.of("Upper", "1starts-with-digit", "two--hyphens", "ends-with-", "a".repeat(64))) {
            assertThatThrownBy(() -> west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName(bad)))
                    .as("grant name '%s'", bad)
                    .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"));
        }
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("a" + "-b".repeat(31))); // 63 characters
        assertThat(west.describeSnapshotCopyGrants(r -> r.snapshotCopyGrantName("a" + "-b".repeat(31)))
                        .snapshotCopyGrants())
                .hasSize(1);
        west.deleteSnapshotCopyGrant(r -> r.snapshotCopyGrantName("a" + "-b".repeat(31)));

        east.createCluster(r -> r.clusterIdentifier("ref1")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .encrypted(true));
        waitFor(() -> cluster(east, "ref1").clusterStatus().equals("available"));

        // A grant of the source region (on its default key) is not a grant of the destination.
        east.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("east-only"));
        assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("ref1")
                        .destinationRegion("us-west-2")
                        .snapshotCopyGrantName("east-only")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("SnapshotCopyGrantNotFoundFault"))
                .hasMessageContaining("does not exist in us-west-2");

        // A grant whose key was disabled, and one whose key is pending deletion, after the grant was made.
        String disabledKey = westKms.createKey(r -> r.description("dr-disabled"))
                .keyMetadata()
                .arn();
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-disabled").kmsKeyId(disabledKey));
        westKms.disableKey(r -> r.keyId(disabledKey));
        assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("ref1")
                        .destinationRegion("us-west-2")
                        .snapshotCopyGrantName("dr-disabled")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("Enable the key");
        String doomedKey =
                westKms.createKey(r -> r.description("dr-doomed")).keyMetadata().arn();
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-doomed").kmsKeyId(doomedKey));
        westKms.scheduleKeyDeletion(r -> r.keyId(doomedKey).pendingWindowInDays(7));
        assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("ref1")
                        .destinationRegion("us-west-2")
                        .snapshotCopyGrantName("dr-doomed")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("pending deletion");

        String goodKey =
                westKms.createKey(r -> r.description("dr-good")).keyMetadata().arn();
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-good").kmsKeyId(goodKey));
        assertThatThrownBy(() -> east.enableSnapshotCopy(r ->
                        r.clusterIdentifier("ref1").destinationRegion("mars-1").snapshotCopyGrantName("dr-good")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("UnknownSnapshotCopyRegionFault"));
        assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("ref1")
                        .destinationRegion("us-east-1")
                        .snapshotCopyGrantName("dr-good")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("must differ from the cluster's region us-east-1");
        for (int days : new int[] {0, 36}) {
            assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("ref1")
                            .destinationRegion("us-west-2")
                            .retentionPeriod(days)
                            .snapshotCopyGrantName("dr-good")))
                    .as("RetentionPeriod %d", days)
                    .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidRetentionPeriodFault"));
        }
        for (int days : new int[] {0, -2, 3654}) {
            assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("ref1")
                            .destinationRegion("us-west-2")
                            .manualSnapshotRetentionPeriod(days)
                            .snapshotCopyGrantName("dr-good")))
                    .as("ManualSnapshotRetentionPeriod %d", days)
                    .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidRetentionPeriodFault"));
        }
        // Nothing refused above was half done: the cluster copies nothing yet.
        assertThat(cluster(east, "ref1").clusterSnapshotCopyStatus()).isNull();
        assertThatThrownBy(() -> east.modifySnapshotCopyRetentionPeriod(
                        r -> r.clusterIdentifier("ref1").retentionPeriod(5)))
                .satisfies(e -> assertThat(code(e)).isEqualTo("SnapshotCopyDisabledFault"));
        assertThatThrownBy(() -> east.modifySnapshotCopyRetentionPeriod(
                        r -> r.clusterIdentifier("ref1").retentionPeriod(5).manual(true)))
                .satisfies(e -> assertThat(code(e)).isEqualTo("SnapshotCopyDisabledFault"));

        east.enableSnapshotCopy(r -> r.clusterIdentifier("ref1")
                .destinationRegion("us-west-2")
                .retentionPeriod(4)
                .snapshotCopyGrantName("dr-good"));
        // Manual=true changes the manual copies' period only (-1 or 1 to 3653), the automated one stays.
        Cluster manual = east.modifySnapshotCopyRetentionPeriod(
                        r -> r.clusterIdentifier("ref1").retentionPeriod(3000).manual(true))
                .cluster();
        assertThat(manual.clusterSnapshotCopyStatus().manualSnapshotRetentionPeriod())
                .isEqualTo(3000);
        assertThat(manual.clusterSnapshotCopyStatus().retentionPeriod()).isEqualTo(4);
        assertThat(east.modifySnapshotCopyRetentionPeriod(r ->
                                r.clusterIdentifier("ref1").retentionPeriod(-1).manual(true))
                        .cluster()
                        .clusterSnapshotCopyStatus()
                        .manualSnapshotRetentionPeriod())
                .isEqualTo(-1);
        for (int days : new int[] {0, 3654}) {
            assertThatThrownBy(() -> east.modifySnapshotCopyRetentionPeriod(r ->
                            r.clusterIdentifier("ref1").retentionPeriod(days).manual(true)))
                    .as("manual RetentionPeriod %d", days)
                    .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidRetentionPeriodFault"));
        }
        for (int days : new int[] {-1, 0, 36}) {
            assertThatThrownBy(() -> east.modifySnapshotCopyRetentionPeriod(
                            r -> r.clusterIdentifier("ref1").retentionPeriod(days)))
                    .as("automated RetentionPeriod %d", days)
                    .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidRetentionPeriodFault"));
        }
        assertThat(cluster(east, "ref1").clusterSnapshotCopyStatus().retentionPeriod())
                .isEqualTo(4);
        assertThatThrownBy(() -> west.deleteSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-good")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidSnapshotCopyGrantStateFault"));
        east.disableSnapshotCopy(r -> r.clusterIdentifier("ref1"));
        east.deleteCluster(r -> r.clusterIdentifier("ref1").skipFinalClusterSnapshot(true));
        east.deleteSnapshotCopyGrant(r -> r.snapshotCopyGrantName("east-only"));
        west.deleteSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-good"));
    }

    /**
     * The copy's progress is in its snapshot's fields in the destination region: while it runs (held once half its
     * bytes are copied) it is listed as creating, with a total equal to the source snapshot's and the megabytes done
     * so far; once available, the done figure is the whole and the total still equals the source's.
     */
    @Test
    void copyProgress_isInTheCopysSnapshotFields() throws Exception {
        String westKey = westKms.createKey(r -> r.description("dr-progress"))
                .keyMetadata()
                .arn();
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-progress").kmsKeyId(westKey));
        east.createCluster(r -> r.clusterIdentifier("prog1")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .encrypted(true));
        waitFor(() -> cluster(east, "prog1").clusterStatus().equals("available"));
        ControlFixture.writeTable(store("us-east-1", "prog1"), "t", 100_000);
        east.enableSnapshotCopy(
                r -> r.clusterIdentifier("prog1").destinationRegion("us-west-2").snapshotCopyGrantName("dr-progress"));

        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        f.jobHooks = (jobPoint, jobFile) -> {
            if (jobPoint instanceof JobPoint.Progress(Job job)) {
                if (job.kind() == JobKind.COPY_SNAPSHOT_REGION
                        && job.record().subject().equals("p1")
                        && job.progress().doneBytes() * 2 >= job.progress().totalBytes()
                        && held.getCount() > 0) {
                    held.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        Snapshot source;
        try {
            east.createClusterSnapshot(r -> r.clusterIdentifier("prog1").snapshotIdentifier("p1"));
            assertThat(held.await(120, TimeUnit.SECONDS))
                    .as("the copy reported progress")
                    .isTrue();
            source = east.describeClusterSnapshots(r -> r.snapshotIdentifier("p1"))
                    .snapshots()
                    .get(0);
            assertThat(source.status()).isEqualTo("available");
            assertThat(source.totalBackupSizeInMegaBytes()).isPositive();
            Snapshot running = west.describeClusterSnapshots(r -> r.snapshotIdentifier("p1"))
                    .snapshots()
                    .get(0);
            assertThat(running.status()).isEqualTo("creating");
            assertThat(running.sourceRegion()).isEqualTo("us-east-1");
            assertThat(running.totalBackupSizeInMegaBytes()).isEqualTo(source.totalBackupSizeInMegaBytes());
            assertThat(running.backupProgressInMegaBytes())
                    .isPositive()
                    .isGreaterThanOrEqualTo(running.totalBackupSizeInMegaBytes() / 2 - 0.001)
                    .isLessThanOrEqualTo(running.totalBackupSizeInMegaBytes());
            assertThat(running.currentBackupRateInMegaBytesPerSecond()).isNotNegative();
            assertThat(running.elapsedTimeInSeconds()).isNotNegative();
        } finally {
            release.countDown();
        }
        waitFor(() -> west.describeClusterSnapshots(r -> r.snapshotIdentifier("p1"))
                .snapshots()
                .get(0)
                .status()
                .equals("available"));
        Snapshot done = west.describeClusterSnapshots(r -> r.snapshotIdentifier("p1"))
                .snapshots()
                .get(0);
        assertThat(done.totalBackupSizeInMegaBytes()).isEqualTo(source.totalBackupSizeInMegaBytes());
        // Its incremental size is what the copy carried into us-west-2: the whole image.
        assertThat(done.actualIncrementalBackupSizeInMegaBytes()).isEqualTo(source.totalBackupSizeInMegaBytes());
        assertThat(done.backupProgressInMegaBytes()).isEqualTo(done.actualIncrementalBackupSizeInMegaBytes());
        assertThat(done.estimatedSecondsToCompletion()).isZero();
        east.disableSnapshotCopy(r -> r.clusterIdentifier("prog1"));
    }

    /**
     * Automated and manual copies keep their own retention (an injected clock skips ahead), and a restart in the
     * middle of a copy starts it over: no half copy is ever listed as available.
     */
    @Test
    void retention_andACopyCutShortByARestart() {
        String westKey =
                westKms.createKey(r -> r.description("dr-key 2")).keyMetadata().arn();
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-grant-2").kmsKeyId(westKey));
        east.createCluster(r -> r.clusterIdentifier("ret1")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .encrypted(true)
                .automatedSnapshotRetentionPeriod(1));
        waitFor(() -> cluster(east, "ret1").clusterStatus().equals("available"));
        ControlFixture.writeTable(store("us-east-1", "ret1"), "t", 10_000);
        east.enableSnapshotCopy(r -> r.clusterIdentifier("ret1")
                .destinationRegion("us-west-2")
                .retentionPeriod(2)
                .manualSnapshotRetentionPeriod(5)
                .snapshotCopyGrantName("dr-grant-2"));
        east.modifySnapshotCopyRetentionPeriod(r -> r.clusterIdentifier("ret1").retentionPeriod(3));
        assertThat(cluster(east, "ret1").clusterSnapshotCopyStatus().retentionPeriod())
                .isEqualTo(3);

        // A crash in the middle of the copy of a manual snapshot; the restart copies it again.
        f.jobHooks = (jobPoint, jobFile) -> {
            if (jobPoint instanceof JobPoint.Progress(Job job)) {
                if (job.kind() == JobKind.COPY_SNAPSHOT_REGION) {
                    throw new Error("simulated crash in the copy");
                }
            }
        };
        east.createClusterSnapshot(r -> r.clusterIdentifier("ret1").snapshotIdentifier("m1"));
        waitFor(() -> east.describeClusterSnapshots(r -> r.snapshotIdentifier("m1"))
                .snapshots()
                .get(0)
                .status()
                .equals("available"));
        assertThat(west.describeClusterSnapshots().snapshots())
                .noneMatch(
                        s -> s.snapshotIdentifier().equals("m1") && s.status().equals("available"));
        f.jobHooks = FaultHook.NONE;
        // A transfer file the stop left behind (as a kill -9 between writing and deleting it would) goes at start.
        Path leftover = f.controlDir.resolve("snapshots/us-west-2/transit/s-00000000000000000000.bin");
        try {
            Files.createDirectories(leftover.getParent());
            Files.write(leftover, new byte[] {'S', 'R', 'T', 'X'});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        f.restartControl();
        assertThat(leftover).as("a leftover transfer file after the restart").doesNotExist();
        east = f.redshift(f.admin);
        west = f.redshift(f.admin, Region.US_WEST_2);
        westKms = f.kmsThroughControl(f.admin, Region.US_WEST_2);
        waitFor(() -> west.describeClusterSnapshots().snapshots().stream()
                .anyMatch(s -> s.snapshotIdentifier().equals("m1") && s.status().equals("available")));
        assertThat(west.describeClusterSnapshots().snapshots().stream()
                        .filter(s -> s.snapshotIdentifier().equals("m1")))
                .singleElement()
                .satisfies(s -> assertThat(s.manualSnapshotRetentionPeriod()).isEqualTo(5));

        // An automated snapshot 9 hours on, copied with the automated retention (3 days).
        skipped.addAndGet(9 * 3600);
        f.control.clusters().runSnapshotSchedule();
        waitFor(() -> west.describeClusterSnapshots(r -> r.snapshotType("automated")).snapshots().stream()
                .anyMatch(
                        s -> s.clusterIdentifier().equals("ret1") && s.status().equals("available")));
        // A copy writes its record in the destination only after its envelope step, so "no copy creating" in
        // us-west-2 can hold while a copy is still under way: wait on the copy jobs themselves.
        BooleanSupplier copiesOfRet1Settled = this::noRegionCopyRunning;
        // Two days on: the source's automated snapshot (1 day) is gone, the copy (3 days) stays.
        skipped.addAndGet(2 * 86400);
        // Ages are measured at a moment before the schedule ran, so a snapshot is never older here than when the
        // schedule looked at it (measuring after it would race a snapshot a moment short of its retention).
        Instant beforeFirstRun = Instant.now().plusSeconds(skipped.get());
        f.control.clusters().runSnapshotSchedule();
        assertThat(east.describeClusterSnapshots(
                                r -> r.clusterIdentifier("ret1").snapshotType("automated"))
                        .snapshots())
                .allMatch(s ->
                        Duration.between(s.snapshotCreateTime(), beforeFirstRun).toHours() < 24);
        assertThat(west.describeClusterSnapshots(r -> r.snapshotType("automated"))
                        .snapshots())
                .anyMatch(s -> s.clusterIdentifier().equals("ret1"));
        // Three and a half days after the automated copy (almost four after m1): the automated copy (3 days) has
        // expired, the manual copy keeps its own 5 days.
        waitFor(copiesOfRet1Settled); // copies in flight end before the clock skips on
        skipped.addAndGet(36 * 3600);
        Instant beforeSecondRun = Instant.now().plusSeconds(skipped.get());
        f.control.clusters().runSnapshotSchedule();
        assertThat(west.describeClusterSnapshots(r -> r.snapshotType("automated"))
                        .snapshots())
                .noneMatch(s -> s.clusterIdentifier().equals("ret1")
                        && Duration.between(s.snapshotCreateTime(), beforeSecondRun)
                                        .toDays()
                                >= 3);
        assertThat(west.describeClusterSnapshots(r -> r.snapshotIdentifier("m1"))
                        .snapshots())
                .singleElement()
                .satisfies(s -> assertThat(s.status()).isEqualTo("available"));
        // Six days on: the manual copy (5 days) has expired too.
        waitFor(copiesOfRet1Settled); // copies in flight end before the clock skips on
        skipped.addAndGet(60 * 3600);
        Instant beforeThirdRun = Instant.now().plusSeconds(skipped.get());
        f.control.clusters().runSnapshotSchedule();
        assertThat(west.describeClusterSnapshots().snapshots())
                .noneMatch(s -> s.snapshotIdentifier().equals("m1"));
        assertThat(west.describeClusterSnapshots().snapshots())
                .noneMatch(s -> s.clusterIdentifier().equals("ret1")
                        && Duration.between(s.snapshotCreateTime(), beforeThirdRun)
                                        .toDays()
                                >= 3);
    }
}
