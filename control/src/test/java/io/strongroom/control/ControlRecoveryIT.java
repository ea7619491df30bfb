package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.ClusterNotFoundException;

/**
 * What a start finds after a crash: leftovers of an unfinished creation or resize (an unreferenced store
 * directory, temporary files) are deleted, and a deletion that was interrupted after its first step is finished,
 * grant included.
 */
class ControlRecoveryIT {
    @Test
    void start_deletesLeftovers_andFinishesAnInterruptedDeletion() throws Exception {
        try (ControlFixture f = new ControlFixture()) {
            RedshiftClient rs = f.redshift(f.admin);
            rs.createCluster(r -> r.clusterIdentifier("keep")
                    .nodeType("dc2.large")
                    .masterUsername("admin1")
                    .masterUserPassword("Passw0rdX"));
            rs.createCluster(r -> r.clusterIdentifier("gone")
                    .nodeType("dc2.large")
                    .masterUsername("admin1")
                    .masterUserPassword("Passw0rdX"));
            KmsClient kms = f.kmsThroughControl(f.admin);
            String keyArn = kms.describeKey(r -> r.keyId("alias/aws/redshift"))
                    .keyMetadata()
                    .arn();
            assertThat(kms.listGrants(r -> r.keyId(keyArn)).grants()).hasSize(2);
            f.control.close();

            Path dir = f.dir.resolve("control");
            Path leftover = Files.createDirectories(dir.resolve("data/c-00000000000000000000-g2/tables"));
            Files.writeString(dir.resolve("keyvault/c-11111111111111111111.vault.tmp"), "torn");
            Path goneRecord;
            try (var s = Files.list(dir.resolve("clusters"))) {
                goneRecord = s.filter(p -> readString(p).contains("\"identifier\" : \"gone\""))
                        .findFirst()
                        .orElseThrow();
            }
            // The first step of DeleteCluster: the record says deleting.
            Files.writeString(
                    goneRecord, readString(goneRecord).replace("\"deleting\" : false", "\"deleting\" : true"));

            f.control = f.startControl();
            RedshiftClient again = f.redshift(f.admin);
            assertThat(again.describeClusters(r -> r.clusterIdentifier("keep"))
                            .clusters()
                            .get(0)
                            .clusterStatus())
                    .isEqualTo("available");
            assertThatThrownBy(() -> again.describeClusters(r -> r.clusterIdentifier("gone")))
                    .isInstanceOf(ClusterNotFoundException.class);
            assertThat(leftover.getParent()).doesNotExist();
            assertThat(dir.resolve("keyvault/c-11111111111111111111.vault.tmp")).doesNotExist();
            assertThat(List.of(dir.resolve("keyvault").toFile().list())).hasSize(1);
            assertThat(List.of(dir.resolve("data").toFile().list())).hasSize(1);
            assertThat(f.kmsThroughControl(f.admin)
                            .listGrants(r -> r.keyId(keyArn))
                            .grants())
                    .hasSize(1);
        }
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
