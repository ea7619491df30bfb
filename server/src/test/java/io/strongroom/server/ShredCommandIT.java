package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.server.watch.ShredCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * {@code strongroom shred} against a running endpoint: the report of an encrypted cluster with a manual snapshot and
 * its copy in us-west-2 is NOT_SHREDDED (exit 3) and names them; {@code --execute} deletes the cluster, the snapshot
 * and the copy through the Redshift API, leaves the KMS key alone and ends SHREDDED (exit 0) with the key deletion
 * as the last step; once the key is deleted the JSON report shows it deleted. Usage errors exit 2.
 */
class ShredCommandIT {
    private final AtomicLong kmsSkippedSeconds = new AtomicLong();

    @RegisterExtension
    final ServerStack stack = ServerStack.builder("shred")
            .withoutSql()
            .clusterPortBase(27439)
            .kms(k -> k.clock(() -> Instant.now().plusSeconds(kmsSkippedSeconds.get()))
                    .scheduledWorkInterval(Duration.ZERO))
            .build();

    private record Run(int exit, String out, String err) {}

    private Run shred(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ShredCommand.run(
                args,
                stack.commandEnvironment(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void waitFor(BooleanSupplier done) throws InterruptedException {
        for (int i = 0; i < 2400 && !done.getAsBoolean(); i++) {
            Thread.sleep(50);
        }
        assertThat(done.getAsBoolean()).as("waited 2 minutes").isTrue();
    }

    @Test
    void shred_reportsThenExecutes_andTheKeyIsTheLastStep() throws Exception {
        try (RedshiftClient east = stack.redshift(Region.US_EAST_1);
                RedshiftClient west = stack.redshift(Region.US_WEST_2);
                KmsClient eastKms = stack.kmsClient(Region.US_EAST_1);
                KmsClient westKms = stack.kmsClient(Region.US_WEST_2)) {
            String key =
                    eastKms.createKey(r -> r.description("dw1")).keyMetadata().arn();
            String westKey = westKms.createKey(r -> r.description("dw1 dr"))
                    .keyMetadata()
                    .arn();
            west.createSnapshotCopyGrant(r -> r.snapshotCopyGrantName("dr").kmsKeyId(westKey));
            east.createCluster(r -> r.clusterIdentifier("dw1")
                    .nodeType("ra3.xlplus")
                    .numberOfNodes(2)
                    .masterUsername("admin")
                    .masterUserPassword("Passw0rdX")
                    .kmsKeyId(key)
                    .automatedSnapshotRetentionPeriod(0));
            east.enableSnapshotCopy(r ->
                    r.clusterIdentifier("dw1").destinationRegion("us-west-2").snapshotCopyGrantName("dr"));
            east.createClusterSnapshot(r -> r.clusterIdentifier("dw1").snapshotIdentifier("s1"));
            waitFor(() -> west.describeClusterSnapshots().snapshots().stream()
                    .anyMatch(s ->
                            s.snapshotIdentifier().equals("s1") && s.status().equals("available")));

            Run report = shred("--cluster", "dw1");
            System.out.println(report.out());
            assertThat(report.exit()).as(report.err()).isEqualTo(3);
            assertThat(report.out())
                    .contains("cluster dw1 (us-east-1)")
                    .contains("NOT_SHREDDED")
                    .containsPattern("READABLE\\s+snapshot-copy\\s+s1\\s+us-west-2")
                    .containsPattern("READABLE\\s+cluster\\s+dw1")
                    .contains("what to do:");

            Run executed = shred("--cluster", "dw1", "--execute");
            System.out.println(executed.out());
            assertThat(executed.exit()).as(executed.out() + executed.err()).isZero();
            assertThat(executed.out())
                    .contains("before:")
                    .contains("deleting cluster dw1 in us-east-1")
                    .contains("deleting snapshot s1 in us-east-1")
                    .contains("deleting snapshot-copy s1 in us-west-2")
                    .contains("after:")
                    .contains("SHREDDED (nothing of it remains here)")
                    .contains("aws kms schedule-key-deletion --key-id " + key);
            assertThat(east.describeClusters().clusters()).isEmpty();
            assertThat(west.describeClusterSnapshots().snapshots()).isEmpty();
            // The command left the customer's key alone.
            assertThat(eastKms.describeKey(r -> r.keyId(key)).keyMetadata().keyStateAsString())
                    .isEqualTo("Enabled");

            // The last step, by hand; then the report shows the key deleted.
            eastKms.scheduleKeyDeletion(r -> r.keyId(key).pendingWindowInDays(7));
            kmsSkippedSeconds.addAndGet(Duration.ofDays(8).toSeconds());
            assertThat(stack.kms().service().runScheduledWork()).isEqualTo(1);
            Run after = shred("--cluster", "dw1", "--json");
            assertThat(after.exit()).as(after.err()).isZero();
            JsonNode json = new ObjectMapper().readTree(after.out());
            assertThat(json.path("Verdict").asText()).isEqualTo("SHREDDED");
            assertThat(json.path("Items")).isEmpty();
            assertThat(json.path("RootKeys").findValuesAsText("KeyArn")).contains(key, westKey);
            for (JsonNode k : json.path("RootKeys")) {
                if (k.path("KeyArn").asText().equals(key)) {
                    assertThat(k.path("KeyState").asText()).isEqualTo("Deleted");
                }
            }
        }

        assertThat(shred().exit()).isEqualTo(2);
        assertThat(shred("--cluster").exit()).isEqualTo(2);
        assertThat(shred("--cluster", "dw1", "--bogus").exit()).isEqualTo(2);
        assertThat(shred("--cluster", "never-was").exit()).isEqualTo(1);
    }
}
