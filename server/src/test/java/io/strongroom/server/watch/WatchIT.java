package io.strongroom.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.control.ControlPlane;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.kms.Credential;
import io.strongroom.kms.KmsServer;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * {@code strongroom watch} against a real control plane over HTTP with the SDK: the whole poll (DescribeClusters,
 * DescribeClusterSnapshots, DescribeTableRestoreStatus, with their paginators) and its error lines.
 */
class WatchIT {
    private static Path dir;
    /** A restore's job is held part-way until {@link #release}, so watch sees it running. */
    private static final CountDownLatch held = new CountDownLatch(1);

    private static final CountDownLatch release = new CountDownLatch(1);
    private static KmsServer kms;
    private static ControlPlane control;
    private static Credential admin;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("strongroom-watch");
        int portBase;
        try (ServerSocket s = new ServerSocket(0)) {
            portBase = s.getLocalPort();
        }
        kms = KmsServer.builder(dir.resolve("kms")).port(0).start();
        control = ControlPlane.builder(dir.resolve("control"))
                .kms(kms)
                .port(0)
                .clusterPortBase(portBase)
                .jobHooks((jobPoint, jobFile) -> {
                    if (jobPoint instanceof JobPoint.Progress(Job job)) {
                        Job.Progress p = job.progress();
                        if (job.kind() == JobKind.RESTORE_CLUSTER
                                && p.doneBytes() > 0
                                && p.doneBytes() < p.totalBytes()
                                && held.getCount() > 0) {
                            held.countDown();
                            try {
                                release.await(120, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }
                })
                .start();
        admin = kms.adminCredential();
        try (RedshiftClient rs = RedshiftClient.builder()
                .endpointOverride(control.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build()) {
            rs.createCluster(b -> b.clusterIdentifier("dw1")
                    .nodeType("ra3.xlplus")
                    .numberOfNodes(2)
                    .masterUsername("admin")
                    .masterUserPassword("Passw0rdX")
                    .encrypted(true));
            rs.waiter().waitUntilClusterAvailable(b -> b.clusterIdentifier("dw1"));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        control.close();
        kms.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Map<String, String> env(String secret) {
        Map<String, String> env = new HashMap<>();
        env.put("STRONGROOM_ENDPOINT", control.endpoint().toString());
        env.put("AWS_ACCESS_KEY_ID", admin.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", secret);
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        return env;
    }

    private static final List<Column> COLUMNS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.BIGINT));

    private record Run(int status, String out, String err) {}

    private static Run watch(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = WatchCommand.run(
                args,
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void once_onAnIdleCluster_saysNothingIsRunning() {
        Run r = watch(env(admin.secretAccessKey()), "--once", "dw1");

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("nothing running on cluster dw1 at " + control.endpoint() + "\n");
    }

    @Test
    void withoutOnce_andNothingRunning_exitsAfterTheFirstPoll() {
        Run r = watch(env(admin.secretAccessKey()), "--interval", "0.2");

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("nothing running at " + control.endpoint() + "\n");
    }

    @Test
    void once_duringARestore_showsItsProgressFromRestoreStatus() throws Exception {
        RedshiftClient rs = RedshiftClient.builder()
                .endpointOverride(control.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        try (rs) {
            Store store = control.running(admin.accountId(), "us-east-1", "dw1")
                    .orElseThrow()
                    .store();
            SplittableRandom random = new SplittableRandom(7);
            for (String table : new String[] {"a", "b"}) {
                try (Transaction tx = store.begin()) {
                    tx.createTable(TableSpec.of("public", table, COLUMNS));
                    RowBatch b = RowBatch.builder(COLUMNS, 400_000);
                    for (int i = 0; i < 400_000; i++) {
                        b.addRow((long) i, random.nextLong());
                    }
                    tx.append("public." + table, b);
                    tx.commit();
                }
            }
            rs.createClusterSnapshot(b -> b.clusterIdentifier("dw1").snapshotIdentifier("w1"));
            rs.waiter().waitUntilSnapshotAvailable(b -> b.snapshotIdentifier("w1"));
            try {
                rs.restoreFromClusterSnapshot(b -> b.clusterIdentifier("w1r").snapshotIdentifier("w1"));
                assertThat(held.await(120, TimeUnit.SECONDS)).isTrue();
                Run r = watch(env(admin.secretAccessKey()), "--once", "w1r");
                assertThat(r.err()).isEmpty();
                assertThat(r.status()).isZero();
                assertThat(r.out())
                        .startsWith("restore w1r")
                        .contains("restoring")
                        .contains(" MB");
                assertThat(r.out()).containsPattern("restoring +[0-9]{1,2}%  [0-9]+/[1-9][0-9]* MB");
            } finally {
                release.countDown();
            }
            // Poll here: the SDK's waiter polls once at once and then only every 60 s.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!rs.describeClusters(b -> b.clusterIdentifier("w1r"))
                    .clusters()
                    .get(0)
                    .clusterStatus()
                    .equals("available")) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(50);
            }
        }
    }

    @Test
    void unknownCluster_exitsOneNamingIt() {
        Run r = watch(env(admin.secretAccessKey()), "--once", "dw9");

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("strongroom watch: cluster dw9 not found at " + control.endpoint())
                .hasLineCount(1);
    }

    @Test
    void wrongSecret_exitsOneSayingTheCredentialsWereRejected() {
        Run r = watch(env("not-the-secret"), "--once");

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("strongroom watch: " + control.endpoint() + " rejected the credentials (")
                .contains("eval \"$(./strongroom env)\"")
                .hasLineCount(1);
        assertThat(r.out()).isEmpty();
    }
}
