package io.strongroom.hsm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.hsm.ClientCertificates;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * PyKMIP's client (KMIP 1.4, with the partition name and password as its Username/Password credential) drives the
 * gateway: create, activate, AES-GCM encrypt and decrypt with associated data, Get refused as Sensitive
 * (hsm-kmip.md §3.3). Runs {@code /usr/bin/python3}, which must see Debian's {@code python3-pykmip}.
 */
class PyKmipClientIT {
    private static final Path PYTHON = Paths.get("/usr/bin/python3");

    @Test
    void pyKmipClient_createsActivatesEncryptsDecrypts_andGetIsSensitive() throws Exception {
        assertThat(PYTHON).as("/usr/bin/python3 with python3-pykmip is needed").exists();
        Path library = SoftHsmFixture.library();
        Path dir = SoftHsmFixture.newDir("pykmip-client-");
        String label = "y" + UUID.randomUUID().toString().substring(0, 8);
        String pin = "py-" + UUID.randomUUID().toString().substring(0, 8);
        try (HsmGateway g = HsmGateway.start(dir, "127.0.0.1", 0, library)) {
            g.createPartition(label, pin);
            ClientCertificates.Issued client = ClientCertificates.generate("pykmip-client", Duration.ofDays(1));
            HsmGateway.registerClient(dir, "pykmip", client.certificate());
            HsmGateway.assignClient(dir, "pykmip", label);
            Path cert = Files.writeString(dir.resolve("client.pem"), ClientCertificates.toPem(client.certificate()));
            Path key = Files.writeString(
                    dir.resolve("client.key"), ClientCertificates.privateKeyToPem(client.privateKey()));
            Path ca = Files.writeString(dir.resolve("server.pem"), ClientCertificates.toPem(g.serverCertificate()));
            Path script = dir.resolve("client_flow.py");
            try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("/pykmip/client_flow.py"))) {
                Files.write(script, in.readAllBytes());
            }
            Process p = new ProcessBuilder(
                            PYTHON.toString(),
                            script.toString(),
                            "127.0.0.1",
                            String.valueOf(g.port()),
                            cert.toString(),
                            key.toString(),
                            ca.toString(),
                            label,
                            pin)
                    .redirectError(dir.resolve("python.err").toFile())
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue())
                    .as("python failed: %s", Files.readString(dir.resolve("python.err")))
                    .isZero();
            assertThat(out)
                    .contains("\"ciphertext_len\": 32")
                    .contains("\"tag_len\": 16")
                    .contains("\"round_trip\": true")
                    .contains("\"wrong_aad\": \"ResultReason.CRYPTOGRAPHIC_FAILURE\"")
                    .contains("\"get\": \"ResultReason.SENSITIVE\"")
                    .contains("\"state_attrs\": \"State.ACTIVE\"")
                    .contains("\"destroyed\": true");
        }
    }
}
