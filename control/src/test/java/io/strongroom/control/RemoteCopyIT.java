package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.peer.PeerClient;
import io.strongroom.control.peer.PeerConfig;
import io.strongroom.control.peer.PeerException;
import io.strongroom.control.peer.PeerIdentity;
import io.strongroom.control.peer.PeerService;
import io.strongroom.control.snapshot.SnapshotRecord;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.RawKeyAccess;
import io.strongroom.kms.KmsServer;
import io.strongroom.storage.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.RedshiftException;
import software.amazon.awssdk.services.redshift.model.Snapshot;

/**
 * Cross-region snapshot copy between two installations on loopback: A (data directory, KMS, control plane, peer
 * identity of its own) serves us-east-1, B serves us-west-2; each names the other in its peers.json, with the other's
 * identity certificate pinned and the other's admin account mapped to its own. A copies to B and B to A; each copy
 * is restored in the destination and its rows checked (count and checksum). The refusals: a grant missing in the
 * destination installation (answered by it at EnableSnapshotCopy), a sender whose certificate the receiver does not
 * know. The interruptions: the link cut in the middle of a transfer (the sender begins again), the sender stopped in
 * the middle (it resumes after its restart), the receiver restarted in the middle; no half copy is ever listed. What the receiver spooled holds no CEK, DEK
 * or block key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteCopyIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One installation: its own directory, KMS, control plane, peer identity and ports. */
    static final class Installation implements AutoCloseable {
        final String name;
        final Path dir;
        final KmsServer kms;
        final Credential admin;
        final int peerPort;
        final int clusterPortBase;
        ControlPlane control;
        volatile FaultHook jobHooks = FaultHook.NONE;
        volatile FaultHook peerHooks = FaultHook.NONE;

        Installation(String name, int clusterPortBase) throws IOException {
            this.name = name;
            this.clusterPortBase = clusterPortBase;
            dir = Files.createTempDirectory("strongroom-peer-" + name);
            kms = KmsServer.builder(dir.resolve("kms")).port(freePort()).start();
            admin = kms.adminCredential();
            peerPort = freePort();
        }

        Path controlDir() {
            return dir.resolve("control");
        }

        String identityPem() {
            return PeerIdentity.loadOrCreate(controlDir()).certificatePem();
        }

        /** Writes peers.json: {@code other} serves {@code otherRegion}; its admin account is our admin account. */
        void peerWith(Installation other, String otherRegion) throws IOException {
            ObjectNode root = JSON.createObjectNode().put("formatVersion", 1).put("listen", "127.0.0.1:" + peerPort);
            ObjectNode p = root.putArray("peers").addObject();
            p.put("name", other.name)
                    .put("endpoint", "https://127.0.0.1:" + other.peerPort)
                    .put("certificate", other.identityPem());
            p.putArray("regions").add(otherRegion);
            p.putObject("accounts").put(other.admin.accountId(), admin.accountId());
            Files.createDirectories(controlDir());
            Files.write(controlDir().resolve(PeerConfig.FILE), JSON.writeValueAsBytes(root));
        }

        void start() {
            control = ControlPlane.builder(controlDir())
                    .kms(kms)
                    .port(0)
                    .clusterPortBase(clusterPortBase)
                    .monitorInterval(Duration.ZERO)
                    .jobHooks((point, file) -> jobHooks.at(point, file))
                    .peerHooks((point, spool) -> peerHooks.at(point, spool))
                    .start();
        }

        void restart() {
            control.close();
            start();
        }

        RedshiftClient redshift(Region region) {
            return RedshiftClient.builder()
                    .endpointOverride(control.endpoint())
                    .region(region)
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                    .httpClient(UrlConnectionHttpClient.create())
                    .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                    .build();
        }

        KmsClient kmsClient(Region region) {
            return KmsClient.builder()
                    .endpointOverride(control.endpoint())
                    .region(region)
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                    .httpClient(UrlConnectionHttpClient.create())
                    .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                    .build();
        }

        Store store(String region, String id) {
            return control.running(admin.accountId(), region, id).orElseThrow().store();
        }

        @Override
        public void close() throws IOException {
            try {
                if (control != null) {
                    control.close();
                }
            } finally {
                kms.close();
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    Installation a;
    Installation b;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @BeforeAll
    void start() throws Exception {
        a = new Installation("a", 26439);
        b = new Installation("b", 27439);
        a.peerWith(b, "us-west-2");
        b.peerWith(a, "us-east-1");
        a.start();
        b.start();
    }

    @AfterAll
    void stop() throws Exception {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    private static void waitFor(BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
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

    private static String code(Throwable e) {
        return ((RedshiftException) e).awsErrorDetails().errorCode();
    }

    private static boolean available(RedshiftClient rs, String identifier) {
        return rs.describeClusterSnapshots().snapshots().stream()
                .anyMatch(s ->
                        s.snapshotIdentifier().equals(identifier) && s.status().equals("available"));
    }

    private static void createCluster(RedshiftClient rs, String id) {
        rs.createCluster(r -> r.clusterIdentifier(id)
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .encrypted(true));
        waitFor(() -> rs.describeClusters(r -> r.clusterIdentifier(id))
                .clusters()
                .get(0)
                .clusterStatus()
                .equals("available"));
    }

    @Test
    void aToB_overACutLink_restoredInB_andTheSpoolHoldsNoKey() throws Exception {
        RedshiftClient east = a.redshift(Region.US_EAST_1);
        RedshiftClient west = b.redshift(Region.US_WEST_2);
        String westKey = b.kmsClient(Region.US_WEST_2)
                .createKey(r -> r.description("dr-key"))
                .keyMetadata()
                .arn();
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr").kmsKeyId(westKey));
        assertThat(east.describeSnapshotCopyGrants().snapshotCopyGrants()).isEmpty(); // the grant is B's
        createCluster(east, "dw1");
        ControlFixture.writeTable(a.store("us-east-1", "dw1"), "t", 60_000);
        long[] rows = ControlFixture.countAndSum(a.store("us-east-1", "dw1"), "t");

        // B checks the grant: one it does not have is refused with the Redshift error.
        assertThatThrownBy(() -> east.enableSnapshotCopy(r -> r.clusterIdentifier("dw1")
                        .destinationRegion("us-west-2")
                        .snapshotCopyGrantName("no-such-grant")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("SnapshotCopyGrantNotFoundFault"))
                .hasMessageContaining("destination installation");
        east.enableSnapshotCopy(
                r -> r.clusterIdentifier("dw1").destinationRegion("us-west-2").snapshotCopyGrantName("dr"));

        // The first transfer is cut after its first block; what the second spooled is captured before the commit.
        AtomicBoolean cut = new AtomicBoolean();
        AtomicBoolean listedEarly = new AtomicBoolean();
        AtomicReference<Map<Path, byte[]>> spooled = new AtomicReference<>();
        b.peerHooks = (point, spool) -> {
            if (!(point instanceof PeerService.ReceivedPart(String copyId, String part))) {
                return;
            }
            if (part.equals("block") && cut.compareAndSet(false, true)) {
                throw new IllegalStateException("link cut (test)");
            }
            if (part.equals("end")) {
                spooled.set(TransferSecrets.files(Objects.requireNonNull(spool)));
                listedEarly.set(available(west, "s1"));
            }
        };
        try {
            east.createClusterSnapshot(r -> r.clusterIdentifier("dw1").snapshotIdentifier("s1"));
            waitFor(() -> available(west, "s1"));
        } finally {
            b.peerHooks = FaultHook.NONE;
        }
        assertThat(cut).as("the first transfer was cut").isTrue();
        assertThat(listedEarly).as("listed before the commit").isFalse();
        Snapshot copy = west.describeClusterSnapshots(r -> r.snapshotIdentifier("s1"))
                .snapshots()
                .get(0);
        assertThat(copy.sourceRegion()).isEqualTo("us-east-1");
        assertThat(copy.encrypted()).isTrue();
        assertThat(copy.kmsKeyId()).isEqualTo(westKey);
        assertThat(west.describeClusterSnapshots().snapshots())
                .filteredOn(s -> s.snapshotIdentifier().equals("s1"))
                .hasSize(1);

        west.restoreFromClusterSnapshot(r -> r.clusterIdentifier("dw1-dr").snapshotIdentifier("s1"));
        waitFor(() -> west.describeClusters(r -> r.clusterIdentifier("dw1-dr"))
                .clusters()
                .get(0)
                .clusterStatus()
                .equals("available"));
        assertThat(ControlFixture.countAndSum(b.store("us-west-2", "dw1-dr"), "t"))
                .containsExactly(rows);

        // The keys, recovered the long way, and the search of everything the receiver spooled.
        VaultEntry source = TransferSecrets.envelope(TransferSecrets.record(a.controlDir(), "us-east-1", "s1"));
        SnapshotRecord copied = TransferSecrets.record(b.controlDir(), "us-west-2", "s1");
        VaultEntry dest = TransferSecrets.envelope(copied);
        assertThat(dest.rootKeyArn()).isEqualTo(westKey);
        byte[] sourceCek = TransferSecrets.cek(a.kmsClient(Region.US_EAST_1), source);
        byte[] destCek = TransferSecrets.cek(b.kmsClient(Region.US_WEST_2), dest);
        Map<String, byte[]> keys = new LinkedHashMap<>();
        try (DatabaseKey dek = TransferSecrets.dek(sourceCek, source);
                DatabaseKey copiedDek = TransferSecrets.dek(destCek, dest)) {
            assertThat(copiedDek.copyRawMaterial(RawKeyAccess.insecure()))
                    .as("the same DEK, under the destination's key")
                    .containsExactly(dek.copyRawMaterial(RawKeyAccess.insecure()));
            keys.put("source CEK", sourceCek);
            keys.put("destination CEK", destCek);
            keys.put("DEK", dek.copyRawMaterial(RawKeyAccess.insecure()));
            keys.put(
                    "block key",
                    TransferSecrets.firstBlockKey(a.store("us-east-1", "dw1"), "t", ControlFixture.COLUMNS, dek));
        }
        Map<Path, byte[]> files = spooled.get();
        assertThat(files).as("the spool at the end of the transfer").isNotNull();
        assertThat(files.keySet().stream().map(Path::toString))
                .contains("transit.bin")
                .anyMatch(p -> p.startsWith("image/"))
                .anyMatch(p -> p.startsWith("blocks/"));
        assertThat(new String(files.get(Path.of("transit.bin")), 0, 4, StandardCharsets.US_ASCII))
                .isEqualTo("SRTX");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Map.Entry<Path, byte[]> f : files.entrySet()) {
            assertThat(TransferSecrets.found(f.getValue(), keys))
                    .as("keys in " + f.getKey())
                    .isEmpty();
            all.write(f.getValue());
        }
        assertThat(all.size()).as("bytes searched").isGreaterThan(4096);
        // The spool is gone once the copy is committed.
        assertThat(b.controlDir().resolve("snapshots/us-west-2/incoming/" + copied.id()))
                .doesNotExist();
    }

    @Test
    void bToA_theSenderStoppedMidTransfer_resumesAfterItsRestart_restoredInA() throws Exception {
        RedshiftClient east = a.redshift(Region.US_EAST_1);
        String eastKey = a.kmsClient(Region.US_EAST_1)
                .createKey(r -> r.description("dr-back"))
                .keyMetadata()
                .arn();
        east.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-back").kmsKeyId(eastKey));
        RedshiftClient west = b.redshift(Region.US_WEST_2);
        createCluster(west, "dw2");
        ControlFixture.writeTable(b.store("us-west-2", "dw2"), "t", 30_000);
        long[] rows = ControlFixture.countAndSum(b.store("us-west-2", "dw2"), "t");
        west.enableSnapshotCopy(
                r -> r.clusterIdentifier("dw2").destinationRegion("us-east-1").snapshotCopyGrantName("dr-back"));

        // B stops (a simulated crash of its copy job) after the first block went out.
        AtomicBoolean stopped = new AtomicBoolean();
        b.jobHooks = (jobPoint, jobFile) -> {
            if (jobPoint instanceof JobPoint.Progress(Job job)) {
                if (job.kind() == JobKind.COPY_SNAPSHOT_REGION && stopped.compareAndSet(false, true)) {
                    throw new Error("simulated crash of the sender");
                }
            }
        };
        west.createClusterSnapshot(r -> r.clusterIdentifier("dw2").snapshotIdentifier("s2"));
        waitFor(stopped::get);
        b.jobHooks = FaultHook.NONE;
        assertThat(available(east, "s2")).as("a half copy listed").isFalse();
        assertThat(east.describeClusterSnapshots().snapshots())
                .noneMatch(s -> s.snapshotIdentifier().equals("s2"));
        b.restart();
        waitFor(() -> available(east, "s2"));
        assertThat(east.describeClusterSnapshots().snapshots())
                .filteredOn(s -> s.snapshotIdentifier().equals("s2"))
                .singleElement()
                .satisfies(s -> {
                    assertThat(s.sourceRegion()).isEqualTo("us-west-2");
                    assertThat(s.kmsKeyId()).isEqualTo(eastKey);
                });
        east.restoreFromClusterSnapshot(r -> r.clusterIdentifier("dw2-dr").snapshotIdentifier("s2"));
        waitFor(() -> east.describeClusters(r -> r.clusterIdentifier("dw2-dr"))
                .clusters()
                .get(0)
                .clusterStatus()
                .equals("available"));
        assertThat(ControlFixture.countAndSum(a.store("us-east-1", "dw2-dr"), "t"))
                .containsExactly(rows);
    }

    /**
     * The receiver stops in the middle of a transfer (restarted from another thread while the stream is cut): it
     * deletes its spool at start, the sender's next attempt begins again, and only then is the copy listed.
     */
    @Test
    void theReceiverRestartedMidTransfer_theSenderBeginsAgain() throws Exception {
        RedshiftClient east = a.redshift(Region.US_EAST_1);
        String westKey = b.kmsClient(Region.US_WEST_2)
                .createKey(r -> r.description("dr-key-3"))
                .keyMetadata()
                .arn();
        b.redshift(Region.US_WEST_2)
                .createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr-3").kmsKeyId(westKey));
        createCluster(east, "dw3");
        ControlFixture.writeTable(a.store("us-east-1", "dw3"), "t", 40_000);
        long[] rows = ControlFixture.countAndSum(a.store("us-east-1", "dw3"), "t");
        east.enableSnapshotCopy(
                r -> r.clusterIdentifier("dw3").destinationRegion("us-west-2").snapshotCopyGrantName("dr-3"));
        AtomicBoolean killed = new AtomicBoolean();
        AtomicReference<Thread> restarting = new AtomicReference<>();
        b.peerHooks = (point, spool) -> {
            if (!(point instanceof PeerService.ReceivedPart(String copyId, String part))) {
                return;
            }
            if (part.equals("block") && killed.compareAndSet(false, true)) {
                Thread t = new Thread(() -> {
                    b.peerHooks = FaultHook.NONE;
                    b.restart();
                });
                restarting.set(t);
                t.start();
                throw new IllegalStateException("receiver stopping (test)");
            }
        };
        east.createClusterSnapshot(r -> r.clusterIdentifier("dw3").snapshotIdentifier("s3"));
        waitFor(() -> restarting.get() != null);
        restarting.get().join();
        RedshiftClient west = b.redshift(Region.US_WEST_2);
        waitFor(() -> available(west, "s3"));
        assertThat(killed).isTrue();
        assertThat(west.describeClusterSnapshots().snapshots())
                .filteredOn(s -> s.snapshotIdentifier().equals("s3"))
                .singleElement()
                .satisfies(s -> assertThat(s.kmsKeyId()).isEqualTo(westKey));
        west.restoreFromClusterSnapshot(r -> r.clusterIdentifier("dw3-dr").snapshotIdentifier("s3"));
        waitFor(() -> west.describeClusters(r -> r.clusterIdentifier("dw3-dr"))
                .clusters()
                .get(0)
                .clusterStatus()
                .equals("available"));
        assertThat(ControlFixture.countAndSum(b.store("us-west-2", "dw3-dr"), "t"))
                .containsExactly(rows);
    }

    @Test
    void aSenderWhoseCertificateTheReceiverDoesNotKnow_isRefused() throws Exception {
        Path stranger = Files.createTempDirectory("strongroom-peer-stranger");
        try {
            PeerIdentity unknown = PeerIdentity.loadOrCreate(stranger);
            PeerConfig.Peer toB = new PeerConfig.Peer(
                    "b",
                    b.control.peerEndpoint().orElseThrow(),
                    PeerIdentity.loadOrCreate(b.controlDir()).certificate(),
                    Set.of("us-west-2"),
                    Map.of());
            ObjectNode q = JSON.createObjectNode()
                    .put("sourceAccountId", a.admin.accountId())
                    .put("region", "us-west-2");
            assertThatThrownBy(() -> new PeerClient(unknown, toB, Duration.ofSeconds(10)).call("check", q))
                    .isInstanceOf(PeerException.class)
                    .hasMessageContaining("does not know the sender's identity certificate")
                    .satisfies(e -> assertThat(((PeerException) e).code()).isEqualTo(ErrorCode.ACCESS_DENIED));
            // A sender that pins another certificate for B than B's own refuses B in the handshake.
            PeerConfig.Peer notB =
                    new PeerConfig.Peer("b", toB.endpoint(), unknown.certificate(), toB.regions(), Map.of());
            assertThatThrownBy(() -> new PeerClient(
                                    PeerIdentity.loadOrCreate(a.controlDir()), notB, Duration.ofSeconds(10))
                            .call("check", q))
                    .isInstanceOf(PeerException.class)
                    .hasMessageContaining("pins")
                    .satisfies(e -> assertThat(((PeerException) e).code()).isEqualTo(ErrorCode.ACCESS_DENIED));
            // The same request with A's identity, which B knows, goes through.
            assertThat(new PeerClient(PeerIdentity.loadOrCreate(a.controlDir()), toB, Duration.ofSeconds(10))
                            .call("check", q)
                            .path("accountId")
                            .asText())
                    .isEqualTo(b.admin.accountId());
        } finally {
            try (Stream<Path> s = Files.walk(stranger)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
