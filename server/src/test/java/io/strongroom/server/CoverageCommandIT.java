package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.server.watch.CoverageCommand;
import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.RowBatch;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableSpec;
import io.strongroom.storage.Transaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code strongroom coverage} against a running endpoint: an encrypted cluster and its snapshot are reported fully
 * encrypted under the cluster's keys (exit 0, and as JSON); a block file changed on disk to say "in the clear" is
 * caught against its manifest (exit 3, the problem named); an unencrypted cluster is reported as such (exit 3).
 */
class CoverageCommandIT {
    @RegisterExtension
    final ServerStack stack =
            ServerStack.builder("coverage").withoutSql().clusterPortBase(26439).build();

    private record Run(int exit, String out, String err) {}

    private Run coverage(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = CoverageCommand.run(
                args,
                stack.commandEnvironment(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Store store(String cluster) {
        return stack.control()
                .running(stack.admin().accountId(), "us-east-1", cluster)
                .orElseThrow()
                .store();
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private static void writeTable(Store store, String name, int rows) {
        List<Column> cols = List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "v", ColumnType.INTEGER));
        try (Transaction tx = store.begin()) {
            tx.createTable(TableSpec.of("public", name, cols));
            RowBatch b = RowBatch.builder(cols, rows);
            for (int i = 0; i < rows; i++) {
                b.addRow((long) i, i % 7);
            }
            tx.append("public." + name, b);
            tx.commit();
        }
    }

    @Test
    void coverage_ofAnEncryptedClusterAndItsSnapshot_thenOfATamperedBlock_andOfAnUnencryptedCluster() throws Exception {
        stack.redshift()
                .createCluster(r -> r.clusterIdentifier("cov1")
                        .nodeType("ra3.xlplus")
                        .numberOfNodes(2)
                        .masterUsername("admin")
                        .masterUserPassword("Passw0rdX"));
        writeTable(store("cov1"), "t", 5_000);
        stack.redshift().createClusterSnapshot(r -> r.clusterIdentifier("cov1").snapshotIdentifier("cov1-s1"));
        for (int i = 0;
                i < 200
                        && !stack.redshift()
                                .describeClusterSnapshots(r -> r.snapshotIdentifier("cov1-s1"))
                                .snapshots()
                                .get(0)
                                .status()
                                .equals("available");
                i++) {
            Thread.sleep(50);
        }

        Run ok = coverage("cov1");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out())
                .contains("cluster cov1 (us-east-1): protection KMS")
                .contains("everything encrypted")
                .contains("public.t")
                .contains("snapshot cov1-s1 (us-east-1, available)")
                .contains("0 in the clear")
                .containsPattern("[1-9][0-9]* manifest entries reconciled with their files");
        JsonNode json = new ObjectMapper().readTree(coverage("cov1", "--json").out());
        assertThat(json.get(0).path("FullyEncrypted").asText()).isEqualTo("true");
        assertThat(json.get(0).path("Tables").get(0).path("State").asText()).isEqualTo("encrypted");
        assertThat(json.get(0).path("Snapshots").get(0).path("EncryptedBlocks").asLong())
                .isPositive();

        // A block file changed on disk to say "in the clear": caught against its manifest.
        Path block;
        try (Stream<Path> files = Files.walk(store("cov1").root().resolve("tables"))) {
            block = files.filter(p -> p.toString().endsWith(".blk"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(block);
        bytes[20 + 1] = 0;
        Files.write(block, bytes);
        Run bad = coverage("cov1");
        assertThat(bad.exit()).isEqualTo(3);
        assertThat(bad.out())
                .contains("NOT fully encrypted")
                .contains("PROBLEM")
                .contains("in the clear");

        // A snapshot's pool block changed on disk: caught against the snapshot's own manifest, which the report
        // opens under the snapshot's keys, naming the table and the block.
        Path poolBlock;
        try (Stream<Path> files = Files.walk(stack.dir().resolve("control").resolve("snapshots"))) {
            poolBlock = files.filter(p -> p.toString().contains("pool") && Files.isRegularFile(p))
                    .filter(p -> !sameFile(p, block))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
        byte[] pool = Files.readAllBytes(poolBlock);
        pool[20 + 1] = 0;
        Files.write(poolBlock, pool);
        Run badSnapshot = coverage("cov1");
        assertThat(badSnapshot.exit()).isEqualTo(3);
        assertThat(badSnapshot.out()).contains("PROBLEM: snapshot cov1-s1 (us-east-1) public.t block");

        // An unencrypted cluster says so; with no cluster named, every cluster is reported.
        stack.redshift()
                .createCluster(r -> r.clusterIdentifier("cov2")
                        .nodeType("ra3.xlplus")
                        .numberOfNodes(2)
                        .masterUsername("admin")
                        .masterUserPassword("Passw0rdX")
                        .encrypted(false));
        writeTable(store("cov2"), "u", 100);
        Run all = coverage();
        assertThat(all.exit()).isEqualTo(3);
        assertThat(all.out()).contains("cluster cov1").contains("cluster cov2 (us-east-1): protection none");
        assertThat(coverage("nope").exit()).isEqualTo(1);
    }
}
