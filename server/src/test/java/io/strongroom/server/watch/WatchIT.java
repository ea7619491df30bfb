package io.strongroom.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.server.ServerStack;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * {@code strongroom watch} against a real control plane over HTTP with the SDK: the whole poll (DescribeClusters,
 * DescribeClusterSnapshots, DescribeTableRestoreStatus, with their paginators) and its error lines.
 */
class WatchIT {
    /** A restore's job is held part-way until {@link #release}, so watch sees it running. */
    private static final CountDownLatch held = new CountDownLatch(1);

    private static final CountDownLatch release = new CountDownLatch(1);

    @RegisterExtension
    static final ServerStack stack = ServerStack.builder("watch")
            .withoutSql()
            .cluster("dw1")
            .control(c -> c.jobHooks((jobPoint, jobFile) -> {
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
            }))
            .build();

    @BeforeAll
    static void start() throws Exception {
        stack.redshift().waiter().waitUntilClusterAvailable(b -> b.clusterIdentifier("dw1"));
    }

    private static Map<String, String> env(String secret) {
        Map<String, String> env = new HashMap<>();
        env.put("STRONGROOM_ENDPOINT", stack.endpoint().toString());
        env.put("AWS_ACCESS_KEY_ID", stack.admin().accessKeyId());
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
        Run r = watch(env(stack.admin().secretAccessKey()), "--once", "dw1");

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("nothing running on cluster dw1 at " + stack.endpoint() + "\n");
    }

    @Test
    void withoutOnce_andNothingRunning_exitsAfterTheFirstPoll() {
        Run r = watch(env(stack.admin().secretAccessKey()), "--interval", "0.2");

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("nothing running at " + stack.endpoint() + "\n");
    }

    @Test
    void once_duringARestore_showsItsProgressFromRestoreStatus() throws Exception {
        RedshiftClient rs = stack.redshift(Region.US_EAST_1);
        try (rs) {
            Store store = stack.control()
                    .running(stack.admin().accountId(), "us-east-1", "dw1")
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
                Run r = watch(env(stack.admin().secretAccessKey()), "--once", "w1r");
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
        Run r = watch(env(stack.admin().secretAccessKey()), "--once", "dw9");

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("strongroom watch: cluster dw9 not found at " + stack.endpoint())
                .hasLineCount(1);
    }

    @Test
    void wrongSecret_exitsOneSayingTheCredentialsWereRejected() {
        Run r = watch(env("not-the-secret"), "--once");

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("strongroom watch: " + stack.endpoint() + " rejected the credentials (")
                .contains("eval \"$(./strongroom env)\"")
                .hasLineCount(1);
        assertThat(r.out()).isEmpty();
    }
}
