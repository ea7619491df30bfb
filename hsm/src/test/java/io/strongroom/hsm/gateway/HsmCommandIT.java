package io.strongroom.hsm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.hsm.ClientCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The {@code strongroom hsm} management commands, run in-process against SoftHSM2. */
class HsmCommandIT {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return HsmCommand.main(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void partitionsClientsAndServerCertificate_areManagedFromTheCommandLine() throws Exception {
        SoftHsmFixture.library();
        Path dir = SoftHsmFixture.newDir("cli-");
        String d = dir.toString();
        String label = "c" + UUID.randomUUID().toString().substring(0, 8);

        assertThat(run("partition", "create", "--dir", d, "--label", label, "--pin", "cli-pin-1"))
                .isZero();
        assertThat(run("partition", "list", "--dir", d)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(label + "\n");
        assertThat(run("partition", "create", "--dir", d, "--label", label, "--pin", "x1234"))
                .isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("exists already");

        assertThat(run("server-cert", "--dir", d)).isZero();
        String pem = out.toString(StandardCharsets.UTF_8);
        assertThat(ClientCertificates.parseCertificatePem(pem)).isEqualTo(HsmGateway.serverCertificate(dir));
        assertThat(Files.getPosixFilePermissions(dir.resolve(HsmGateway.SERVER_KEYSTORE)))
                .extracting(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");

        Path cert = dir.resolve("dw-1.pem");
        ClientCertificates.Issued c = ClientCertificates.generate("dw-1", Duration.ofDays(1));
        Files.writeString(cert, ClientCertificates.toPem(c.certificate()));
        assertThat(run("client", "register", "--dir", d, "--name", "dw-1", "--cert", cert.toString()))
                .isZero();
        assertThat(run("client", "assign", "--dir", d, "--name", "dw-1", "--partition", label))
                .isZero();
        assertThat(run("client", "list", "--dir", d)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("dw-1")
                .contains("sha256:" + ClientCertificates.fingerprint(c.certificate()))
                .contains("partitions: " + label);
        assertThat(run("client", "revoke", "--dir", d, "--name", "dw-1", "--partition", label))
                .isZero();
        assertThat(run("client", "revoke", "--dir", d, "--name", "dw-1")).isZero();
        assertThat(run("client", "list", "--dir", d)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();

        Files.writeString(cert, "garbage");
        assertThat(run("client", "register", "--dir", d, "--name", "dw-2", "--cert", cert.toString()))
                .isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("not a PEM certificate");
        assertThat(run("client", "frobnicate", "--dir", d)).isEqualTo(2);
        assertThat(run("partition", "create", "--dir", d, "--label", "bad label!", "--pin", "1234"))
                .isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("partition labels are");
    }
}
