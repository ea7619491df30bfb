package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.keys.ShredReport;
import io.strongroom.control.keys.ShredReport.Kind;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * Crypto-shredding (issue 20, item 4) with the SDK against a real control plane and KMS: an encrypted cluster under
 * a customer key, a manual snapshot and its cross-region copy under a key in us-west-2. The report before the
 * shredding lists all of it as readable; with the cluster and the local snapshot deleted, the copy left in us-west-2
 * still blocks the verdict, and so does its key while only pending deletion; once the KMS has deleted that key the
 * copy counts as unreadable (it depends only on a deleted root key); once everything is gone and the cluster's key
 * is deleted too, the report says SHREDDED and shows both keys deleted. The report is also read through the
 * Redshift API's DescribeClusterShredding action, signed like every other request.
 */
class ShreddingSdkIT {
    private ControlFixture f;
    private RedshiftClient east;
    private RedshiftClient west;
    private KmsClient eastKms;
    private KmsClient westKms;

    /** The KMS's clock: real time plus what a test skips ahead (deletion waiting periods). */
    private final AtomicLong kmsSkippedSeconds = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        f = new ControlFixture();
        f.restartKms(() -> Instant.now().plusSeconds(kmsSkippedSeconds.get()));
        east = f.redshift(f.admin);
        west = f.redshift(f.admin, Region.US_WEST_2);
        eastKms = f.kmsThroughControl(f.admin);
        westKms = f.kmsThroughControl(f.admin, Region.US_WEST_2);
    }

    @AfterEach
    void stop() throws Exception {
        if (f != null) {
            f.close();
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

    private ShredReport report(String cluster) {
        return f.control.clusters().shredReport(f.admin, "us-east-1", cluster);
    }

    private static List<String> readable(ShredReport r) {
        return r.readable().stream()
                .map(i -> i.kind().wireName() + " " + i.name() + " " + i.region())
                .toList();
    }

    private static Set<Kind> kinds(ShredReport r) {
        return Set.copyOf(r.items().stream().map(ShredReport.Item::kind).toList());
    }

    private static ShredReport.RootKey key(ShredReport r, String arn) {
        return r.rootKeys().stream()
                .filter(k -> k.keyArn().equals(arn))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no root key " + arn + " in " + r.rootKeys()));
    }

    /** Schedules {@code arn}'s deletion (7 days), moves the KMS clock past it and runs the KMS's scheduled work. */
    private void destroyKey(KmsClient kms, String arn) {
        kms.scheduleKeyDeletion(r -> r.keyId(arn).pendingWindowInDays(7));
        kmsSkippedSeconds.addAndGet(Duration.ofDays(8).toSeconds());
        assertThat(f.kms.service().runScheduledWork()).isGreaterThanOrEqualTo(1);
    }

    /** A cluster with rows under {@code key}, copying its snapshots to us-west-2 under {@code westKey}. */
    private void createCopiedCluster(String id, String key, String westKey, String grant) {
        west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName(grant).kmsKeyId(westKey));
        east.createCluster(r -> r.clusterIdentifier(id)
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .kmsKeyId(key)
                .automatedSnapshotRetentionPeriod(0));
        waitFor(() -> east.describeClusters(r -> r.clusterIdentifier(id))
                .clusters()
                .get(0)
                .clusterStatus()
                .equals("available"));
        ControlFixture.writeTable(
                f.control
                        .running(f.admin.accountId(), "us-east-1", id)
                        .orElseThrow()
                        .store(),
                "t",
                5_000);
        east.enableSnapshotCopy(
                r -> r.clusterIdentifier(id).destinationRegion("us-west-2").snapshotCopyGrantName(grant));
    }

    private void snapshotAndWaitForCopy(String cluster, String snapshot) {
        east.createClusterSnapshot(r -> r.clusterIdentifier(cluster).snapshotIdentifier(snapshot));
        waitFor(() -> west.describeClusterSnapshots().snapshots().stream()
                .anyMatch(s ->
                        s.snapshotIdentifier().equals(snapshot) && s.status().equals("available")));
    }

    private void deleteClusterAndWait(String cluster) {
        east.deleteCluster(r -> r.clusterIdentifier(cluster).skipFinalClusterSnapshot(true));
        waitFor(() -> east.describeClusters().clusters().stream()
                .noneMatch(c -> c.clusterIdentifier().equals(cluster)));
    }

    @Test
    void shred_leftoverCopyBlocksVerdict_untilItsKeyIsDeleted_thenShreddedOnceAllIsGone() throws Exception {
        String key = eastKms.createKey(r -> r.description("dw1 root key"))
                .keyMetadata()
                .arn();
        String westKey = westKms.createKey(r -> r.description("dw1 copies"))
                .keyMetadata()
                .arn();
        createCopiedCluster("dw1", key, westKey, "dw1-grant");
        snapshotAndWaitForCopy("dw1", "s1");

        // Before: everything exists, everything is readable.
        ShredReport before = report("dw1");
        System.out.println("before shredding: " + before);
        assertThat(before.verdict()).isEqualTo(ShredReport.NOT_SHREDDED);
        assertThat(readable(before))
                .contains("cluster dw1 us-east-1", "snapshot s1 us-east-1", "snapshot-copy s1 us-west-2")
                .anyMatch(s -> s.startsWith("key-vault-entry "))
                .anyMatch(s -> s.startsWith("store "));
        assertThat(before.items())
                .filteredOn(i -> i.kind() == Kind.SNAPSHOT_COPY)
                .singleElement()
                .satisfies(i -> assertThat(i.rootKeyArn()).isEqualTo(westKey));
        assertThat(before.items())
                .filteredOn(i -> i.kind() == Kind.SNAPSHOT)
                .singleElement()
                .satisfies(i -> assertThat(i.rootKeyArn()).isEqualTo(key));
        assertThat(key(before, key).state()).isEqualTo("Enabled");
        assertThat(key(before, westKey).state()).isEqualTo("Enabled");
        assertThat(before.actions())
                .anyMatch(a -> a.startsWith("delete cluster dw1 in us-east-1"))
                .anyMatch(a -> a.contains("delete-cluster-snapshot --snapshot-identifier s1")
                        && a.contains("--region us-west-2"));

        // The same report through the Redshift API, signed like any request.
        String xml = describeShredding("dw1");
        assertThat(xml)
                .contains("<DescribeClusterShreddingResult>")
                .contains("<Verdict>NOT_SHREDDED</Verdict>")
                .contains("<Kind>snapshot-copy</Kind>")
                .contains("<KeyArn>" + westKey + "</KeyArn>");

        // The cluster and its local snapshot go; the copy in us-west-2 is left: it still blocks the verdict.
        deleteClusterAndWait("dw1");
        east.deleteClusterSnapshot(r -> r.snapshotIdentifier("s1").snapshotClusterIdentifier("dw1"));
        ShredReport leftover = report("dw1");
        System.out.println("copy left over: " + leftover);
        assertThat(leftover.shredded()).isFalse();
        assertThat(readable(leftover)).containsExactly("snapshot-copy s1 us-west-2");
        assertThat(kinds(leftover)).containsExactly(Kind.SNAPSHOT_COPY);
        assertThat(leftover.actions())
                .anyMatch(a -> a.startsWith("delete copy s1 in us-west-2") && a.contains("--region us-west-2"));
        // The cluster's own key is still known (remembered from the report before), and still enabled.
        assertThat(key(leftover, key).state()).isEqualTo("Enabled");

        // Its key pending deletion is not enough: the deletion can still be cancelled.
        westKms.scheduleKeyDeletion(r -> r.keyId(westKey).pendingWindowInDays(7));
        ShredReport pending = report("dw1");
        assertThat(pending.shredded()).isFalse();
        assertThat(key(pending, westKey).state()).isEqualTo("PendingDeletion");
        assertThat(key(pending, westKey).deletionDate()).isNotNull();
        assertThat(pending.actions()).anyMatch(a -> a.contains(westKey) && a.contains("pending deletion until"));

        // Once the KMS has deleted it, the copy that is still there depends only on a deleted root key.
        kmsSkippedSeconds.addAndGet(Duration.ofDays(8).toSeconds());
        assertThat(f.kms.service().runScheduledWork()).isEqualTo(1);
        ShredReport keyGone = report("dw1");
        System.out.println("copy's key deleted: " + keyGone);
        assertThat(keyGone.items()).singleElement().satisfies(i -> {
            assertThat(i.kind()).isEqualTo(Kind.SNAPSHOT_COPY);
            assertThat(i.readable()).isFalse();
            assertThat(i.reason()).contains("deleted");
        });
        assertThat(key(keyGone, westKey).deleted()).isTrue();
        assertThat(keyGone.verdict()).isEqualTo(ShredReport.SHREDDED);
        // Nothing here depends on the cluster's key any more, but it still exists: deleting it is recommended.
        assertThat(keyGone.notes())
                .anyMatch(n -> n.contains(key) && n.contains("aws kms schedule-key-deletion --key-id " + key));

        // The copy goes, the cluster's key is deleted: nothing is left, and both keys are deleted.
        west.deleteClusterSnapshot(r -> r.snapshotIdentifier("s1").snapshotClusterIdentifier("dw1"));
        destroyKey(eastKms, key);
        ShredReport after = report("dw1");
        System.out.println("after shredding: " + after);
        assertThat(after.verdict()).isEqualTo(ShredReport.SHREDDED);
        assertThat(after.items()).isEmpty();
        assertThat(after.actions()).isEmpty();
        assertThat(after.rootKeys()).extracting(ShredReport.RootKey::keyArn).containsExactlyInAnyOrder(key, westKey);
        assertThat(after.rootKeys()).allMatch(ShredReport.RootKey::deleted);
        assertThat(describeShredding("dw1"))
                .contains("<Verdict>SHREDDED</Verdict>")
                .contains("<Items></Items>")
                .doesNotContain("<Readable>true</Readable>");
    }

    /**
     * A snapshot left in the cluster's own region blocks the verdict even when the copy and the cluster are gone,
     * until its root key is deleted; an unknown name is refused rather than called shredded.
     */
    @Test
    void shred_leftoverLocalSnapshotBlocksVerdict_andAnUnknownNameIsRefused() {
        String key = eastKms.createKey(r -> r.description("dw2 root key"))
                .keyMetadata()
                .arn();
        String westKey = westKms.createKey(r -> r.description("dw2 copies"))
                .keyMetadata()
                .arn();
        createCopiedCluster("dw2", key, westKey, "dw2-grant");
        snapshotAndWaitForCopy("dw2", "keep-me");
        deleteClusterAndWait("dw2");
        west.deleteClusterSnapshot(r -> r.snapshotIdentifier("keep-me").snapshotClusterIdentifier("dw2"));
        destroyKey(westKms, westKey);

        ShredReport r = report("dw2");
        assertThat(r.shredded()).isFalse();
        assertThat(readable(r)).containsExactly("snapshot keep-me us-east-1");
        assertThat(r.actions()).anyMatch(a -> a.startsWith("delete snapshot keep-me in us-east-1"));

        destroyKey(eastKms, key);
        ShredReport keyGone = report("dw2");
        assertThat(keyGone.shredded()).isTrue();
        assertThat(keyGone.items())
                .singleElement()
                .satisfies(i -> assertThat(i.readable()).isFalse());

        assertThatThrownBy(() -> report("never-was"))
                .isInstanceOf(RedshiftApiException.class)
                .hasMessageContaining("Nothing of a cluster never-was is known in us-east-1");
    }

    /** One DescribeClusterShredding request, signed with SigV4 for us-east-1; the response body. */
    private String describeShredding(String cluster) throws IOException, InterruptedException {
        String body = "Action=DescribeClusterShredding&Version=2012-12-01&ClusterIdentifier="
                + URLEncoder.encode(cluster, StandardCharsets.UTF_8);
        SdkHttpFullRequest unsigned = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.POST)
                .uri(f.control.endpoint().resolve("/"))
                .putHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .build();
        SdkHttpRequest signed = AwsV4HttpSigner.create()
                .sign(r -> r.identity(AwsBasicCredentials.create(f.admin.accessKeyId(), f.admin.secretAccessKey()))
                        .request(unsigned)
                        .payload(ContentStreamProvider.fromUtf8String(body))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "redshift")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1"))
                .request();
        HttpRequest.Builder b = HttpRequest.newBuilder(signed.getUri())
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        signed.forEachHeader((name, values) -> {
            if (!Set.of("host", "content-length").contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> b.header(name, v));
            }
        });
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return response.body();
        }
    }
}
