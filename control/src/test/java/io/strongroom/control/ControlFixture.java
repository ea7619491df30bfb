package io.strongroom.control;

import io.strongroom.aws.Credential;
import io.strongroom.base.FaultHook;
import io.strongroom.control.snapshot.SnapshotPolicy;
import io.strongroom.kms.AuditTrail;
import io.strongroom.kms.KmsServer;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * A KMS and a control plane on ephemeral loopback ports in a temporary directory, for tests. The KMS keeps one
 * port across restarts so the control plane can be shown a KMS that goes down and comes back.
 */
final class ControlFixture implements AutoCloseable {
    final Path dir;
    final int kmsPort;
    volatile KmsServer kms;
    ControlPlane control;
    final Credential admin;

    final InstantSource clock;
    final SnapshotPolicy policy;

    /** Where the control plane keeps its data (under {@link #dir} unless a test put it elsewhere). */
    final Path controlDir;

    ControlFixture() throws IOException {
        this(InstantSource.system(), SnapshotPolicy.DEFAULT, null);
    }

    /** With the control plane's data directory at {@code controlDir} (a small file system, say). */
    ControlFixture(Path controlDir) throws IOException {
        this(InstantSource.system(), SnapshotPolicy.DEFAULT, controlDir);
    }

    ControlFixture(InstantSource clock, SnapshotPolicy policy) throws IOException {
        this(clock, policy, null);
    }

    /** With a clock (of create times, events and snapshot schedules) and an automated snapshot policy. */
    private ControlFixture(InstantSource clock, SnapshotPolicy policy, @Nullable Path controlDir) throws IOException {
        this.clock = clock;
        this.policy = policy;
        dir = Files.createTempDirectory("strongroom-control-test");
        this.controlDir = controlDir == null ? dir.resolve("control") : controlDir;
        try (ServerSocket s = new ServerSocket(0)) {
            kmsPort = s.getLocalPort();
        }
        kms = KmsServer.builder(dir.resolve("kms")).port(kmsPort).start();
        admin = kms.adminCredential();
        control = startControl();
    }

    /** The job hooks of the control planes this fixture starts; a test sets them (and resets them to NONE). */
    volatile FaultHook jobHooks = FaultHook.NONE;

    ControlPlane startControl() {
        return ControlPlane.builder(controlDir)
                .kms(() -> kms)
                .port(0)
                .clusterPortBase(25439)
                .clock(clock)
                .snapshotPolicy(policy)
                .monitorInterval(Duration.ZERO) // tests run the monitor's checks themselves
                .jobHooks((point, file) -> jobHooks.at(point, file))
                .start();
    }

    void restartControl() {
        control.close();
        control = startControl();
    }

    void stopKms() {
        kms.close();
    }

    void startKms() {
        kms = KmsServer.builder(dir.resolve("kms")).port(kmsPort).start();
    }

    /**
     * Restarts the KMS on its port with {@code kmsClock} as the clock of key lifecycles (deletion waiting periods)
     * and no background scheduler: the test moves that clock and runs the KMS's scheduled work itself.
     */
    void restartKms(InstantSource kmsClock) {
        kms.close();
        kms = KmsServer.builder(dir.resolve("kms"))
                .port(kmsPort)
                .clock(kmsClock)
                .scheduledWorkInterval(Duration.ZERO)
                .start();
    }

    RedshiftClient redshift(Credential c) {
        return redshift(c, Region.US_EAST_1);
    }

    /** A Redshift client whose requests are signed for {@code region} (the region the API acts in). */
    RedshiftClient redshift(Credential c, Region region) {
        return RedshiftClient.builder()
                .endpointOverride(control.endpoint())
                .region(region)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    /** A KMS client pointed at the control plane's endpoint: its requests are forwarded to the KMS. */
    KmsClient kmsThroughControl(Credential c) {
        return kmsThroughControl(c, Region.US_EAST_1);
    }

    KmsClient kmsThroughControl(Credential c, Region region) {
        return KmsClient.builder()
                .endpointOverride(control.endpoint())
                .region(region)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    AuditTrail audit() {
        return kms.auditTrail();
    }

    static final List<Column> COLUMNS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.INTEGER));

    /** Writes {@code rows} rows (id, id % 7) into table {@code public.<name>} of a running cluster. */
    static void writeTable(Store store, String name, int rows) {
        try (Transaction tx = store.begin()) {
            tx.createTable(TableSpec.of("public", name, COLUMNS));
            RowBatch b = RowBatch.builder(COLUMNS, rows);
            for (int i = 0; i < rows; i++) {
                b.addRow((long) i, i % 7);
            }
            tx.append("public." + name, b);
            tx.commit();
        }
    }

    /** Row count and sum of ids of {@code public.<name>}, read slice by slice. */
    static long[] countAndSum(Store store, String name) {
        long count = 0;
        long sum = 0;
        try (Snapshot s = store.snapshot()) {
            TableReader r = s.table("public." + name);
            for (TableReader.SliceScan scan : r.scan(ScanSpec.all(2))) {
                while (scan.hasNext()) {
                    RowBatch b = scan.next();
                    for (int i = 0; i < b.rowCount(); i++) {
                        count++;
                        sum += b.column(0).getLong(i);
                    }
                }
            }
        }
        return new long[] {count, sum};
    }

    @Override
    public void close() throws IOException {
        try {
            control.close();
        } finally {
            try {
                kms.close();
            } catch (RuntimeException e) {
                // already closed by a test that stopped it
            }
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
