package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.Event;
import software.amazon.awssdk.services.redshift.model.RedshiftException;
import software.amazon.awssdk.services.redshift.model.SourceType;

/**
 * ModifyCluster {@code --encrypted} and {@code --no-encrypted} through the SDK: the change runs in the background
 * with its progress in DataTransferProgress and events, reads and writes go on during it on ra3 (writes are refused
 * on dc2), a plaintext canary is in no file of the store once encrypted, the keys come and go with the change, the
 * completion is marked by a snapshot, and a crash at each step or in the middle of the pass resumes at restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EncryptionChangeSdkIT {
    static final String PASSWORD = "Passw0rdX";
    static final String CANARY = "CANARY-enc-change-5e1f";
    static final List<Column> CANARY_COLUMNS = List.of(new Column(0, "s", ColumnType.varchar(64)));

    ControlFixture f;
    RedshiftClient rs;
    KmsClient kms;

    static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(String where) {
            super("simulated crash at " + where);
        }
    }

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        clients();
    }

    private void clients() {
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
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

    /** An unencrypted cluster with table t in 20 commits (160 blocks) and the canary in table c. */
    private long[] create(String id, String nodeType) {
        rs.createCluster(r -> r.clusterIdentifier(id)
                .nodeType(nodeType)
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword(PASSWORD)
                .encrypted(false));
        waitFor(() -> cluster(id).clusterStatus().equals("available"));
        Store s = store(id);
        ControlFixture.writeTable(s, "t", 1);
        for (int i = 0; i < 20; i++) {
            append(s, 20_000);
        }
        try (Transaction tx = s.begin()) {
            tx.createTable(TableSpec.of("public", "c", CANARY_COLUMNS));
            RowBatch b = RowBatch.builder(CANARY_COLUMNS, 1);
            b.addRow(CANARY);
            tx.append("public.c", b);
            tx.commit();
        }
        return ControlFixture.countAndSum(s, "t");
    }

    private static void append(Store s, int rows) {
        try (Transaction tx = s.begin()) {
            RowBatch b = RowBatch.builder(ControlFixture.COLUMNS, rows);
            for (int i = 0; i < rows; i++) {
                b.addRow((long) i, i % 7);
            }
            tx.append("public.t", b);
            tx.commit();
        }
    }

    private Cluster cluster(String id) {
        return rs.describeClusters(r -> r.clusterIdentifier(id)).clusters().get(0);
    }

    private Store store(String id) {
        return f.control
                .running(f.admin.accountId(), "us-east-1", id)
                .orElseThrow()
                .store();
    }

    private Path storeDir(String id) {
        return store(id).root();
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

    private List<String> events(String id) {
        return rs
                .describeEvents(r ->
                        r.sourceIdentifier(id).sourceType(SourceType.CLUSTER).duration(600))
                .events()
                .stream()
                .map(Event::message)
                .toList();
    }

    private static List<Path> filesContaining(Path dir, String needle) throws IOException {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] b;
                try {
                    b = Files.readAllBytes(p);
                } catch (IOException gone) {
                    continue;
                }
                outer:
                for (int i = 0; i + n.length <= b.length; i++) {
                    for (int j = 0; j < n.length; j++) {
                        if (b[i + j] != n[j]) {
                            continue outer;
                        }
                    }
                    out.add(p);
                    break;
                }
            }
        }
        return out;
    }

    /** Slows every progress report of the pass, so that a test sees it running. */
    private void slowPass(long millis) {
        f.jobHooks = (jobPoint, jobFile) -> {
            if (jobPoint instanceof JobPoint.Progress(Job job)) {
                if (job.kind() == JobKind.CHANGE_ENCRYPTION) {
                    try {
                        Thread.sleep(millis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
    }

    @Test
    void encryptThenDecrypt_onRa3_readsAndWritesGoOn_andNoPlaintextIsLeft() throws Exception {
        long[] before = create("ec1", "ra3.xlplus");
        Path dir = storeDir("ec1");
        assertThat(filesContaining(dir, CANARY)).isNotEmpty();
        String keyArn =
                kms.createKey(r -> r.description("ec1 root")).keyMetadata().arn();

        // Writers and readers run throughout, straight on the cluster's store.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong appended = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread load = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Store s = store("ec1");
                    append(s, 1_000);
                    appended.addAndGet(1_000);
                    assertThat(ControlFixture.countAndSum(s, "t")[0]).isEqualTo(before[0] + appended.get());
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        slowPass(400);
        long t0 = System.nanoTime();
        Cluster answered = rs.modifyCluster(
                        r -> r.clusterIdentifier("ec1").encrypted(true).kmsKeyId(keyArn))
                .cluster();
        assertThat(answered.clusterStatus()).isEqualTo("modifying");
        assertThat(answered.encrypted()).isTrue();
        assertThat(answered.pendingModifiedValues().encryptionType()).isEqualTo("KMS");
        // New data is encrypted at once: a write right after the answer commits encrypted blocks.
        append(store("ec1"), 10);
        appended.addAndGet(10);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(30_000);
        load.start();
        Cluster during = cluster("ec1");
        assertThat(during.clusterStatus()).isEqualTo("modifying");
        assertThat(during.dataTransferProgress().status()).isEqualTo("IN_PROGRESS");
        assertThat(during.dataTransferProgress().totalDataInMegaBytes()).isNotNull();
        assertThatThrownBy(() ->
                        rs.createClusterSnapshot(r -> r.clusterIdentifier("ec1").snapshotIdentifier("x")))
                .isInstanceOf(RedshiftException.class)
                .hasMessageContaining("encryption change");
        assertThatThrownBy(
                        () -> rs.resizeCluster(r -> r.clusterIdentifier("ec1").numberOfNodes(3)))
                .isInstanceOf(RedshiftException.class)
                .hasMessageContaining("encryption change");
        waitFor(() -> cluster("ec1").clusterStatus().equals("available"));
        stop.set(true);
        load.join();
        assertThat(failure.get()).isNull();
        Cluster after = cluster("ec1");
        assertThat(after.encrypted()).isTrue();
        assertThat(after.kmsKeyId()).isEqualTo(keyArn);
        assertThat(after.dataTransferProgress().status()).isEqualTo("SUCCEEDED");
        assertThat(after.pendingModifiedValues().encryptionType()).isNull();
        assertThat(store("ec1").toReseal(true).blocks()).isZero();
        assertThat(ControlFixture.countAndSum(store("ec1"), "t")[0]).isEqualTo(before[0] + appended.get());
        assertThat(filesContaining(dir, CANARY)).isEmpty();
        List<String> ev = events("ec1");
        assertThat(ev).anyMatch(m -> m.startsWith("Encryption of cluster 'ec1' started"));
        assertThat(ev).anyMatch(m -> m.contains("is 50% done"));
        waitFor(() -> events("ec1").stream()
                .anyMatch(m -> m.startsWith("Encryption of cluster 'ec1' is complete: snapshot rs:ec1-")));
        assertThat(rs.describeClusterSnapshots(r -> r.clusterIdentifier("ec1")).snapshots())
                .anyMatch(s -> s.encrypted() && s.snapshotType().equals("automated"));
        assertThat(kms.listGrants(r -> r.keyId(keyArn)).grants()).hasSize(1);
        // The keys are the cluster's now: a reboot unwraps them, and a rotation works.
        rs.rebootCluster(r -> r.clusterIdentifier("ec1"));
        waitFor(() -> cluster("ec1").clusterStatus().equals("available"));
        long[] encrypted = ControlFixture.countAndSum(store("ec1"), "t");
        rs.rotateEncryptionKey(r -> r.clusterIdentifier("ec1"));
        waitFor(() -> cluster("ec1").clusterStatus().equals("available"));

        // And back.
        Cluster dec = rs.modifyCluster(r -> r.clusterIdentifier("ec1").encrypted(false))
                .cluster();
        assertThat(dec.pendingModifiedValues().encryptionType()).isEqualTo("NONE");
        append(store("ec1"), 10);
        waitFor(() -> cluster("ec1").clusterStatus().equals("available"));
        Cluster plain = cluster("ec1");
        assertThat(plain.encrypted()).isFalse();
        assertThat(plain.kmsKeyId()).isNull();
        assertThat(kms.listGrants(r -> r.keyId(keyArn)).grants()).isEmpty();
        assertThat(ControlFixture.countAndSum(store("ec1"), "t")[0]).isEqualTo(encrypted[0] + 10);
        assertThat(Store.committedKeyVersion(dir)).isZero();
        assertThat(filesContaining(dir, CANARY)).isNotEmpty();
        waitFor(() -> events("ec1").stream().anyMatch(m -> m.startsWith("Decryption of cluster 'ec1' is complete")));
        rs.rebootCluster(r -> r.clusterIdentifier("ec1"));
        waitFor(() -> cluster("ec1").clusterStatus().equals("available"));
        assertThat(ControlFixture.countAndSum(store("ec1"), "t")[0]).isEqualTo(encrypted[0] + 10);
    }

    @Test
    void onDc2_writesAreRefusedWhileThePassRuns_andReadsGoOn() {
        long[] before = create("ec2", "dc2.large");
        slowPass(500);
        rs.modifyCluster(r -> r.clusterIdentifier("ec2").encrypted(true));
        Store s = store("ec2");
        assertThat(ControlFixture.countAndSum(s, "t")).containsExactly(before);
        assertThatThrownBy(() -> append(s, 10))
                .isInstanceOf(StrongroomException.class)
                .satisfies(e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.READ_ONLY))
                .hasMessageContaining("read-only while it is encrypted");
        waitFor(() -> cluster("ec2").clusterStatus().equals("available"));
        append(store("ec2"), 10);
        assertThat(ControlFixture.countAndSum(store("ec2"), "t")[0]).isEqualTo(before[0] + 10);
        assertThat(cluster("ec2").encrypted()).isTrue();
    }

    @Test
    void unusableKeys_areRefusedBeforeAnythingChanges() {
        create("ec3", "ra3.xlplus");
        String disabled = kms.createKey(r -> r.description("off")).keyMetadata().arn();
        kms.disableKey(r -> r.keyId(disabled));
        assertThatThrownBy(() -> rs.modifyCluster(
                        r -> r.clusterIdentifier("ec3").encrypted(true).kmsKeyId(disabled)))
                .isInstanceOf(RedshiftException.class)
                .hasMessageContaining("Disabled");
        assertThatThrownBy(
                        () -> rs.modifyCluster(r -> r.clusterIdentifier("ec3").kmsKeyId(disabled)))
                .isInstanceOf(RedshiftException.class)
                .hasMessageContaining("pass --encrypted");
        assertThatThrownBy(() -> rs.modifyCluster(
                        r -> r.clusterIdentifier("ec3").encrypted(true).numberOfNodes(3)))
                .isInstanceOf(RedshiftException.class)
                .hasMessageContaining("request of its own");
        Cluster c = cluster("ec3");
        assertThat(c.encrypted()).isFalse();
        assertThat(c.clusterStatus()).isEqualTo("available");
        assertThat(kms.listGrants(r -> r.keyId(disabled)).grants()).isEmpty();
    }

    /** A crash at each durable step of each direction, and in the middle of a pass: the restart settles it. */
    @ParameterizedTest
    @ValueSource(strings = {"encrypt:keyed", "encrypt:switched", "encrypt:pass", "decrypt:pass", "decrypt:switched"})
    void aCrash_isSettledAtRestart(String where) throws IOException {
        String id = "ecx-" + where.replace(':', '-');
        long[] before = create(id, "ra3.xlplus");
        boolean encrypt = where.startsWith("encrypt");
        String step = where.substring(where.indexOf(':') + 1);
        if (!encrypt) {
            rs.modifyCluster(r -> r.clusterIdentifier(id).encrypted(true));
            waitFor(() -> cluster(id).clusterStatus().equals("available"));
        }
        f.jobHooks = (jobPoint, jobFile) -> {
            if (jobPoint instanceof JobPoint.Step(JobRecord job, String at)) {
                if (job.kind() == JobKind.CHANGE_ENCRYPTION && at.equals(step)) {
                    throw new SimulatedCrash(at);
                }
            } else if (jobPoint instanceof JobPoint.Progress(Job job)) {
                if (job.kind() == JobKind.CHANGE_ENCRYPTION
                        && step.equals("pass")
                        && job.progress().doneBytes() > 0) {
                    throw new SimulatedCrash("the middle of the pass");
                }
            }
        };
        try {
            rs.modifyCluster(r -> r.clusterIdentifier(id).encrypted(encrypt));
        } catch (RuntimeException answeredWithAnError) {
            // a crash on the request thread
        }
        f.jobHooks = FaultHook.NONE;
        f.restartControl();
        clients();
        waitFor(() -> cluster(id).clusterStatus().equals("available"));
        Cluster c = cluster(id);
        Store s = store(id);
        assertThat(ControlFixture.countAndSum(s, "t")).containsExactly(before);
        if (where.equals("encrypt:keyed")) {
            assertThat(c.encrypted()).as(where).isFalse(); // undone: the switch never happened
            assertThat(events(id)).anyMatch(m -> m.contains("stopped by a restart before it took effect"));
        } else {
            assertThat(c.encrypted()).as(where).isEqualTo(encrypt);
            assertThat(s.toReseal(encrypt).blocks()).as(where).isZero();
        }
        try (Snapshot snap = s.snapshot()) {
            assertThat(snap.table("public.c").rowCount()).isEqualTo(1);
        }
        waitFor(() -> runningChanges(id).isEmpty());
    }

    /** The change-encryption job records of cluster {@code id} on disk that still say running. */
    private List<Path> runningChanges(String id) {
        try (Stream<Path> s = Files.list(f.dir.resolve("control").resolve("jobs"))) {
            return s.filter(p -> {
                        try {
                            String j = Files.readString(p);
                            return j.contains("\"change-encryption\"")
                                    && j.contains("\"" + id + "\"")
                                    && j.matches("(?s).*\"state\"\\s*:\\s*\"running\".*");
                        } catch (IOException gone) {
                            return false;
                        }
                    })
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
