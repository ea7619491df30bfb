package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.aws.Credential;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.control.peer.PeerConfig;
import io.strongroom.control.peer.PeerIdentity;
import io.strongroom.kms.KmsServer;
import io.strongroom.storage.Store;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * The receiving installation in a process of its own, killed with {@code kill -9} in the middle of a transfer: A (this
 * process) copies a snapshot of an encrypted cluster to us-west-2, served by B (a child JVM with its own data
 * directory, KMS, ports and identity). When A has sent the first block, B is killed; nothing of the copy is in B's
 * records; B is started again (a new process) and A's next attempt copies the snapshot whole. B is then opened in
 * this process, the copy restored, and its rows checked (count and checksum) against the source.
 */
class RemoteCopyProcessIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** B: a KMS and a control plane on the given ports, until killed. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            KmsServer kms = KmsServer.builder(dir.resolve("kms"))
                    .port(Integer.parseInt(args[1]))
                    .start();
            ControlPlane control = ControlPlane.builder(dir.resolve("control"))
                    .kms(kms)
                    .port(Integer.parseInt(args[2]))
                    .clusterPortBase(28439)
                    .monitorInterval(Duration.ZERO)
                    .start();
            System.out.println("ready " + control.endpoint());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void waitFor(BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting").isLessThan(deadline);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Starts B and waits for its "ready" line; its output is drained on a thread of its own. */
    private static Process startB(Path dir, int kmsPort, int apiPort) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(
                        java,
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Child.class.getName(),
                        dir.toString(),
                        Integer.toString(kmsPort),
                        Integer.toString(apiPort))
                .redirectErrorStream(true)
                .start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null && !line.startsWith("ready ")) {
            // start-up output
        }
        assertThat(line).as("B started").isNotNull();
        Thread drain = new Thread(() -> {
            try {
                while (r.readLine() != null) {
                    // B's log
                }
            } catch (IOException e) {
                // B is gone
            }
        });
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    private static RedshiftClient redshift(URI endpoint, Credential c, Region region) {
        return RedshiftClient.builder()
                .endpointOverride(endpoint)
                .region(region)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    private static KmsClient kms(URI endpoint, Credential c, Region region) {
        return KmsClient.builder()
                .endpointOverride(endpoint)
                .region(region)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    private static void writePeers(
            Path controlDir,
            int listen,
            String name,
            int peerPort,
            PeerIdentity peer,
            String region,
            String from,
            String to)
            throws IOException {
        ObjectNode root = JSON.createObjectNode().put("listen", "127.0.0.1:" + listen);
        ObjectNode p = root.putArray("peers").addObject();
        p.put("name", name).put("endpoint", "https://127.0.0.1:" + peerPort).put("certificate", peer.certificatePem());
        p.putArray("regions").add(region);
        p.putObject("accounts").put(from, to);
        Files.createDirectories(controlDir);
        Files.write(controlDir.resolve(PeerConfig.FILE), JSON.writeValueAsBytes(root));
    }

    @Test
    void theReceiverKilledMidTransfer_theCopyCompletesAfterItsRestart_andRestoresThere() throws Exception {
        Path aDir = Files.createTempDirectory("strongroom-peer-proc-a");
        Path bDir = Files.createTempDirectory("strongroom-peer-proc-b");
        AtomicReference<Process> b = new AtomicReference<>();
        try {
            int aPeer = freePort();
            int bPeer = freePort();
            int bKms = freePort();
            int bApi = freePort();
            Credential bAdmin;
            try (KmsServer first =
                    KmsServer.builder(bDir.resolve("kms")).port(bKms).start()) {
                bAdmin = first.adminCredential(); // B's accounts exist before B's peers.json names them
            }
            try (KmsServer aKms = KmsServer.builder(aDir.resolve("kms")).port(0).start()) {
                Credential aAdmin = aKms.adminCredential();
                PeerIdentity aId = PeerIdentity.loadOrCreate(aDir.resolve("control"));
                PeerIdentity bId = PeerIdentity.loadOrCreate(bDir.resolve("control"));
                writePeers(
                        aDir.resolve("control"),
                        aPeer,
                        "b",
                        bPeer,
                        bId,
                        "us-west-2",
                        bAdmin.accountId(),
                        aAdmin.accountId());
                writePeers(
                        bDir.resolve("control"),
                        bPeer,
                        "a",
                        aPeer,
                        aId,
                        "us-east-1",
                        aAdmin.accountId(),
                        bAdmin.accountId());
                b.set(startB(bDir, bKms, bApi));
                URI bEndpoint = URI.create("http://127.0.0.1:" + bApi);
                String westKey = kms(bEndpoint, bAdmin, Region.US_WEST_2)
                        .createKey(r -> r.description("dr"))
                        .keyMetadata()
                        .arn();
                redshift(bEndpoint, bAdmin, Region.US_WEST_2)
                        .createSnapshotCopyGrant(
                                r -> r.snapshotCopyGrantName("dr").kmsKeyId(westKey));

                AtomicBoolean killed = new AtomicBoolean();
                AtomicBoolean dead = new AtomicBoolean();
                try (ControlPlane a = ControlPlane.builder(aDir.resolve("control"))
                        .kms(aKms)
                        .port(0)
                        .clusterPortBase(29439)
                        .monitorInterval(Duration.ZERO)
                        .jobHooks((jobPoint, jobFile) -> {
                            if (jobPoint instanceof JobPoint.Progress(Job job)) {
                                if (job.kind() == JobKind.COPY_SNAPSHOT_REGION && killed.compareAndSet(false, true)) {
                                    Process p = b.get();
                                    p.destroyForcibly(); // kill -9 of the receiver, a block into the transfer
                                    try {
                                        p.waitFor(30, TimeUnit.SECONDS);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                    dead.set(true);
                                }
                            }
                        })
                        .start()) {
                    RedshiftClient east = redshift(a.endpoint(), aAdmin, Region.US_EAST_1);
                    east.createCluster(r -> r.clusterIdentifier("dw1")
                            .nodeType("ra3.xlplus")
                            .numberOfNodes(2)
                            .masterUsername("admin1")
                            .masterUserPassword("Passw0rdX")
                            .encrypted(true));
                    waitFor(() -> east.describeClusters(r -> r.clusterIdentifier("dw1"))
                            .clusters()
                            .get(0)
                            .clusterStatus()
                            .equals("available"));
                    Store store = a.running(aAdmin.accountId(), "us-east-1", "dw1")
                            .orElseThrow()
                            .store();
                    ControlFixture.writeTable(store, "t", 200_000);
                    long[] rows = ControlFixture.countAndSum(store, "t");
                    east.enableSnapshotCopy(r -> r.clusterIdentifier("dw1")
                            .destinationRegion("us-west-2")
                            .snapshotCopyGrantName("dr"));
                    east.createClusterSnapshot(r -> r.clusterIdentifier("dw1").snapshotIdentifier("s1"));

                    waitFor(dead::get);
                    assertThat(b.get().isAlive()).isFalse();
                    Path records = bDir.resolve("control/snapshots/us-west-2/records");
                    assertThat(!Files.isDirectory(records) || isEmpty(records))
                            .as("no record of a half copy in B")
                            .isTrue();
                    b.set(startB(bDir, bKms, bApi));
                    RedshiftClient west = redshift(bEndpoint, bAdmin, Region.US_WEST_2);
                    waitFor(() -> west.describeClusterSnapshots().snapshots().stream()
                            .anyMatch(s -> s.snapshotIdentifier().equals("s1")
                                    && s.status().equals("available")));
                    b.get().destroyForcibly().waitFor(30, TimeUnit.SECONDS);

                    // B opened in this process: the copy restores to the source's rows.
                    try (KmsServer bKmsHere = KmsServer.builder(bDir.resolve("kms"))
                                    .port(bKms)
                                    .start();
                            ControlPlane bHere = ControlPlane.builder(bDir.resolve("control"))
                                    .kms(bKmsHere)
                                    .port(0)
                                    .clusterPortBase(30439)
                                    .monitorInterval(Duration.ZERO)
                                    .start()) {
                        RedshiftClient westHere = redshift(bHere.endpoint(), bAdmin, Region.US_WEST_2);
                        assertThat(westHere.describeClusterSnapshots().snapshots())
                                .filteredOn(s -> s.snapshotIdentifier().equals("s1"))
                                .singleElement()
                                .satisfies(s -> assertThat(s.kmsKeyId()).isEqualTo(westKey));
                        westHere.restoreFromClusterSnapshot(
                                r -> r.clusterIdentifier("dw1-dr").snapshotIdentifier("s1"));
                        waitFor(() -> westHere.describeClusters(r -> r.clusterIdentifier("dw1-dr"))
                                .clusters()
                                .get(0)
                                .clusterStatus()
                                .equals("available"));
                        assertThat(ControlFixture.countAndSum(
                                        bHere.running(bAdmin.accountId(), "us-west-2", "dw1-dr")
                                                .orElseThrow()
                                                .store(),
                                        "t"))
                                .containsExactly(rows);
                    }
                }
            }
        } finally {
            Process p = b.get();
            if (p != null) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            for (Path d : new Path[] {aDir, bDir}) {
                try (Stream<Path> s = Files.walk(d)) {
                    s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
