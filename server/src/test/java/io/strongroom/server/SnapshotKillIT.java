package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.aws.Credential;
import io.strongroom.control.ControlPlane;
import io.strongroom.kms.KmsServer;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.ScanSpec;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * A real {@code kill -9} of a process that is taking snapshots in a loop: after restart, every snapshot marked
 * available restores to the rows it was taken of, and none is left half-made and marked available.
 */
class SnapshotKillIT {
    static final List<Column> COLUMNS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.varchar(32)));
    static final int ROWS = 300_000;

    static RedshiftClient client(ControlPlane control, Credential c) {
        return ServerStack.redshiftClient(control.endpoint(), c, Region.US_EAST_1);
    }

    /** A JVM on this test's class path running {@code main} on {@code dir}, its output and errors in one stream. */
    static Process startChild(Class<?> main, Path dir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(
                        java,
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        main.getName(),
                        dir.toString())
                .redirectErrorStream(true)
                .start();
    }

    @Test
    void killMinus9_whileSnapshotting_leavesOnlyWholeSnapshotsAvailable() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-snapkill");
        try {
            Process p = startChild(Child.class, dir);
            int taken = 0;
            int target = 2 + new Random().nextInt(3);
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("snapshot ")) {
                        taken = Integer.parseInt(line.substring(9));
                        if (taken >= target) {
                            break;
                        }
                    }
                }
                // The child is already writing its next snapshot (and changing rows): SIGKILL now.
                p.destroyForcibly();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(taken).as("snapshots the child reported").isGreaterThanOrEqualTo(target);

            try (KmsServer kms = KmsServer.builder(dir.resolve("kms")).port(0).start();
                    ControlPlane control = ControlPlane.builder(dir.resolve("control"))
                            .kms(kms)
                            .port(0)
                            .clusterPortBase(0)
                            .start();
                    RedshiftClient rs = client(control, kms.adminCredential())) {
                List<software.amazon.awssdk.services.redshift.model.Snapshot> snaps = rs.describeClusterSnapshots(
                                r -> r.clusterIdentifier("dw1"))
                        .snapshots();
                List<software.amazon.awssdk.services.redshift.model.Snapshot> available = snaps.stream()
                        .filter(s -> s.status().equals("available"))
                        .toList();
                assertThat(available.size()).isGreaterThanOrEqualTo(taken);
                assertThat(snaps).noneMatch(s -> s.status().equals("creating"));
                for (software.amazon.awssdk.services.redshift.model.Snapshot s : available) {
                    String id = s.snapshotIdentifier();
                    int n = Integer.parseInt(id.substring(1));
                    String restored = "r" + n;
                    rs.restoreFromClusterSnapshot(
                            r -> r.clusterIdentifier(restored).snapshotIdentifier(id));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    while (control.running(kms.adminCredential().accountId(), "us-east-1", restored)
                                    .isEmpty()
                            && System.nanoTime() < deadline) {
                        Thread.sleep(20); // the restore job outlasted its request
                    }
                    Store store = control.running(kms.adminCredential().accountId(), "us-east-1", restored)
                            .orElseThrow()
                            .store();
                    // Snapshot n was taken after n rounds of changes: rows are ids 0..ROWS-1 with v = "round n".
                    assertThat(read(store)).as("snapshot %s", id).isEqualTo(ROWS + ":round " + n);
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Row count and the one distinct value of v. */
    static String read(Store store) {
        long count = 0;
        Set<String> values = new TreeSet<>();
        try (io.strongroom.storage.Snapshot snap = store.snapshot()) {
            TableReader t = snap.table("public.t");
            for (TableReader.SliceScan scan : t.scan(ScanSpec.all(2))) {
                while (scan.hasNext()) {
                    RowBatch b = scan.next();
                    for (int i = 0; i < b.rowCount(); i++) {
                        values.add(b.column(1).getString(i));
                        count++;
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return count + ":" + String.join(",", values);
    }

    /** The child: a cluster whose table is rewritten before each snapshot; prints each snapshot taken. */
    public static final class Child {
        public static void main(String[] args) {
            Path dir = Path.of(args[0]);
            KmsServer kms = KmsServer.builder(dir.resolve("kms")).port(0).start();
            ControlPlane control = ControlPlane.builder(dir.resolve("control"))
                    .kms(kms)
                    .port(0)
                    .clusterPortBase(0)
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
            try (Transaction tx = store.begin()) {
                tx.createTable(TableSpec.of("public", "t", COLUMNS));
                tx.commit();
            }
            for (int round = 1; ; round++) {
                try (Transaction tx = store.begin()) {
                    tx.truncate("public.t");
                    RowBatch b = RowBatch.builder(COLUMNS, ROWS);
                    for (int i = 0; i < ROWS; i++) {
                        b.addRow((long) i, "round " + round);
                    }
                    tx.append("public.t", b);
                    tx.commit();
                }
                int n = round;
                rs.createClusterSnapshot(r -> r.clusterIdentifier("dw1").snapshotIdentifier("s" + n));
                // A job writes it; report it once it is available (a large one outlasts its request).
                while (!rs.describeClusterSnapshots(r -> r.snapshotIdentifier("s" + n))
                        .snapshots()
                        .get(0)
                        .status()
                        .equals("available")) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                System.out.println("snapshot " + n);
                System.out.flush();
            }
        }
    }
}
