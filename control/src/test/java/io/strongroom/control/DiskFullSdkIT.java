package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.Store;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * A full disk under the control plane's data directory (a 48 MiB tmpfs mounted for the test; the tests run as root):
 * the cluster shows {@code storage-full} and says why in an event, queries go on while writes are refused with
 * DISK_FULL (53100), and once space is freed it takes writes again with no reboot.
 */
class DiskFullSdkIT {
    @TempDir
    Path tmp;

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as("%s: %s (needs root, as the test command runs)", List.of(cmd), out)
                .isZero();
    }

    private static Path fill(Path dir) throws IOException {
        Path filler = dir.resolve("filler");
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            assertThat(full.getMessage()).contains("No space left on device");
        }
        return filler;
    }

    @Test
    void fullDisk_showsStorageFull_refusesWrites_readsGoOn_recoversWithoutReboot() throws Exception {
        Path mount = Files.createDirectories(tmp.resolve("small"));
        run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString());
        try (ControlFixture f = new ControlFixture(mount.resolve("control"))) {
            RedshiftClient rs = f.redshift(f.admin);
            rs.createCluster(r -> r.clusterIdentifier("full1")
                    .nodeType("ra3.xlplus")
                    .numberOfNodes(2)
                    .masterUsername("admin1")
                    .masterUserPassword("Passw0rdX"));
            Store store = f.control
                    .running(f.admin.accountId(), "us-east-1", "full1")
                    .orElseThrow()
                    .store();
            ControlFixture.writeTable(store, "t", 2_000);
            Path filler = fill(mount);

            assertThatThrownBy(() -> ControlFixture.writeTable(store, "u", 200_000))
                    .isInstanceOfSatisfying(
                            StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DISK_FULL));
            assertThat(rs.describeClusters(r -> r.clusterIdentifier("full1"))
                            .clusters()
                            .get(0)
                            .clusterStatus())
                    .isEqualTo("storage-full");
            assertThat(f.control.clusters().checkStorage()).isEqualTo(1);
            assertThat(rs.describeEvents(r -> r.sourceIdentifier("full1").sourceType("cluster")).events().stream()
                            .map(e -> e.eventId()))
                    .contains("REDSHIFT-EVENT-3530");
            // Queries go on.
            assertThat(ControlFixture.countAndSum(store, "t")[0]).isEqualTo(2_000);

            // Space is back: the next check clears it, writes work, nothing was rebooted.
            Files.delete(filler);
            assertThat(f.control.clusters().checkStorage()).isZero();
            assertThat(rs.describeClusters(r -> r.clusterIdentifier("full1"))
                            .clusters()
                            .get(0)
                            .clusterStatus())
                    .isEqualTo("available");
            assertThat(rs.describeEvents(r -> r.sourceIdentifier("full1").sourceType("cluster")).events().stream()
                            .map(e -> e.eventId()))
                    .contains("REDSHIFT-EVENT-3531")
                    .doesNotContain("REDSHIFT-EVENT-3000");
            ControlFixture.writeTable(store, "u", 2_000);
            assertThat(ControlFixture.countAndSum(store, "u")[0]).isEqualTo(2_000);
            assertThat(f.control
                            .running(f.admin.accountId(), "us-east-1", "full1")
                            .orElseThrow()
                            .store())
                    .isSameAs(store);
        } finally {
            run("umount", mount.toString());
        }
    }
}
