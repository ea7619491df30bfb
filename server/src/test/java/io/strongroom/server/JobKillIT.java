package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.aws.Credential;
import io.strongroom.control.ControlPlane;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobPoint;
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
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;

/**
 * A real {@code kill -9} of a process running jobs in a loop (a restore from a snapshot, a resize, a table restore,
 * a cluster deletion with its final snapshot, a snapshot deletion, decrypting and encrypting the cluster in place;
 * each slowed by a job hook so that the kill lands
 * inside one): after a restart every job has ended (finished or
 * rolled back), no cluster is left in a transitional status, every cluster holds its rows, no temporary grant is
 * left on the KMS key, and every table restore reports SUCCEEDED or FAILED. The seed of the kill point is printed.
 */
class JobKillIT {
    static final List<Column> COLUMNS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.varchar(32)));
    static final int ROWS = 200_000;
    static final String TABLES = "abcd";

    static RedshiftClient client(ControlPlane control, Credential c) {
        return SnapshotKillIT.client(control, c);
    }

    static KmsClient kmsClient(ControlPlane control, Credential c) {
        return ServerStack.kmsClient(control.endpoint(), c, Region.US_EAST_1);
    }

    @Test
    void killMinus9_duringJobs_thenRestart_everyJobEndsAndNothingIsLost() throws Exception {
        long seed = Long.getLong("strongroom.seed", new Random().nextLong());
        System.out.println("JobKillIT seed " + seed + " (replay with -Dstrongroom.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed); // java.util.Random's first draws follow small seeds
        Path dir = Files.createTempDirectory("strongroom-jobkill");
        try {
            Process p = SnapshotKillIT.startChild(Child.class, dir);
            // Kill inside the k-th job, after a random part of it.
            int target = 1 + random.nextInt(14);
            long delayMillis = random.nextInt(600);
            String killedIn = null;
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                int started = 0;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("job ")) {
                        started++;
                        if (started >= target) {
                            killedIn = line;
                            break;
                        }
                    }
                }
                Thread.sleep(delayMillis);
                p.destroyForcibly(); // SIGKILL
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(killedIn).as("the child started %d jobs", target).isNotNull();
            System.out.println("JobKillIT killed " + delayMillis + " ms into " + killedIn);

            try (KmsServer kms = KmsServer.builder(dir.resolve("kms")).port(0).start();
                    ControlPlane control = ControlPlane.builder(dir.resolve("control"))
                            .kms(kms)
                            .port(0)
                            .clusterPortBase(0)
                            .start();
                    RedshiftClient rs = client(control, kms.adminCredential());
                    KmsClient keys = kmsClient(control, kms.adminCredential())) {
                waitFor(() -> rs.describeClusters().clusters().stream()
                        .allMatch(c -> c.clusterStatus().equals("available")));
                for (Cluster c : rs.describeClusters().clusters()) {
                    Store store = control.running(kms.adminCredential().accountId(), "us-east-1", c.clusterIdentifier())
                            .orElseThrow()
                            .store();
                    for (int i = 0; i < TABLES.length(); i++) {
                        char t = TABLES.charAt(i);
                        assertThat(read(store, "public." + t))
                                .as("table %s of %s", t, c.clusterIdentifier())
                                .isEqualTo(ROWS + ":" + t);
                    }
                }
                assertThat(rs.describeClusterSnapshots().snapshots())
                        .allMatch(sn ->
                                sn.status().equals("available") || sn.status().equals("failed"));
                Cluster dw1 = rs.describeClusters(r -> r.clusterIdentifier("dw1"))
                        .clusters()
                        .get(0);
                assertThat(dw1.numberOfNodes()).isBetween(2, 3);
                waitFor(
                        () -> rs
                                .describeTableRestoreStatus(r -> r.clusterIdentifier("dw1"))
                                .tableRestoreStatusDetails()
                                .stream()
                                .allMatch(t -> t.statusAsString().equals("SUCCEEDED")
                                        || t.statusAsString().equals("FAILED")));
                // An encryption change the kill cut short has resumed and finished: every block is on one side.
                Store dw1Store = control.running(kms.adminCredential().accountId(), "us-east-1", "dw1")
                        .orElseThrow()
                        .store();
                assertThat(dw1Store.toReseal(dw1.encrypted()).blocks()).isZero();
                String keyArn = dw1.kmsKeyId();
                if (keyArn != null) {
                    waitFor(() -> keys.listGrants(r -> r.keyId(keyArn)).grants().stream()
                            .noneMatch(g -> g.name() != null && g.name().startsWith("redshift-restore-")));
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void waitFor(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for the jobs to settle").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Row count and the one distinct value of v. */
    static String read(Store store, String table) {
        long count = 0;
        Set<String> values = new TreeSet<>();
        try (Snapshot snap = store.snapshot()) {
            TableReader t = snap.table(table);
            for (TableReader.SliceScan scan : t.scan(ScanSpec.all(2))) {
                while (scan.hasNext()) {
                    RowBatch b = scan.next();
                    for (int i = 0; i < b.rowCount(); i++) {
                        values.add(b.column(1).getString(i));
                        count++;
                    }
                }
            }
        }
        return count + ":" + String.join(",", values);
    }

    /**
     * The child: a cluster with four tables and a snapshot of it, then jobs in a loop, each slowed (a pause at every
     * progress report) and announced on stdout before it starts: restore a new cluster, resize dw1 between 2 and 3
     * nodes, restore one table.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            KmsServer kms = KmsServer.builder(dir.resolve("kms")).port(0).start();
            ControlPlane control = ControlPlane.builder(dir.resolve("control"))
                    .kms(kms)
                    .port(0)
                    .clusterPortBase(0)
                    .jobHooks((jobPoint, jobFile) -> {
                        if (jobPoint instanceof JobPoint.Progress(Job job)) {
                            try {
                                Thread.sleep(60);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    })
                    .start();
            RedshiftClient rs = client(control, kms.adminCredential());
            rs.createCluster(r -> r.clusterIdentifier("dw1")
                    .nodeType("ra3.xlplus")
                    .numberOfNodes(2)
                    .masterUsername("admin")
                    .masterUserPassword("Passw0rdX")
                    .encrypted(true));
            Store store = control.running(kms.adminCredential().accountId(), "us-east-1", "dw1")
                    .orElseThrow()
                    .store();
            for (int k = 0; k < TABLES.length(); k++) {
                char t = TABLES.charAt(k);
                try (Transaction tx = store.begin()) {
                    tx.createTable(TableSpec.of("public", String.valueOf(t), COLUMNS));
                    RowBatch b = RowBatch.builder(COLUMNS, ROWS);
                    for (int i = 0; i < ROWS; i++) {
                        b.addRow((long) i, String.valueOf(t));
                    }
                    tx.append("public." + t, b);
                    tx.commit();
                }
            }
            rs.createClusterSnapshot(r -> r.clusterIdentifier("dw1").snapshotIdentifier("base"));
            await(() -> rs.describeClusterSnapshots(r -> r.snapshotIdentifier("base"))
                    .snapshots()
                    .get(0)
                    .status()
                    .equals("available"));
            for (int round = 1; ; round++) {
                int n = round;
                say("job restore r" + n);
                rs.restoreFromClusterSnapshot(r -> r.clusterIdentifier("r" + n).snapshotIdentifier("base"));
                await(() -> available(rs, "r" + n));
                say("job resize dw1");
                rs.resizeCluster(r -> r.clusterIdentifier("dw1").numberOfNodes(n % 2 == 1 ? 3 : 2));
                await(() -> available(rs, "dw1"));
                say("job table restore t" + n);
                rs.restoreTableFromClusterSnapshot(r -> r.clusterIdentifier("dw1")
                        .snapshotIdentifier("base")
                        .sourceDatabaseName("dev")
                        .sourceTableName("a")
                        .newTableName("a" + n));
                await(
                        () -> rs
                                .describeTableRestoreStatus(r -> r.clusterIdentifier("dw1"))
                                .tableRestoreStatusDetails()
                                .stream()
                                .allMatch(t -> t.statusAsString().equals("SUCCEEDED")));
                say("job delete r" + n + " with a final snapshot");
                rs.deleteCluster(r -> r.clusterIdentifier("r" + n).finalClusterSnapshotIdentifier("f" + n));
                await(() -> rs.describeClusters().clusters().stream()
                        .noneMatch(c -> c.clusterIdentifier().equals("r" + n)));
                say("job delete snapshot f" + n);
                rs.deleteClusterSnapshot(r -> r.snapshotIdentifier("f" + n));
                say("job decrypt dw1");
                rs.modifyCluster(r -> r.clusterIdentifier("dw1").encrypted(false));
                await(() -> available(rs, "dw1"));
                say("job encrypt dw1");
                rs.modifyCluster(r -> r.clusterIdentifier("dw1").encrypted(true));
                await(() -> available(rs, "dw1"));
            }
        }

        private static boolean available(RedshiftClient rs, String id) {
            return rs.describeClusters(r -> r.clusterIdentifier(id))
                    .clusters()
                    .get(0)
                    .clusterStatus()
                    .equals("available");
        }

        private static void await(BooleanSupplier done) throws InterruptedException {
            while (!done.getAsBoolean()) {
                Thread.sleep(50);
            }
        }

        private static void say(String line) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
