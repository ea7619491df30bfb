package io.strongroom.hsm.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.hsm.ClientCertificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PyKMIP's server ({@code /usr/bin/pykmip-server}, Debian {@code python3-pykmip}) in a fresh directory under
 * target/, configured as hsm-kmip.md §3.2 says: TLS 1.2, client authentication with EKU clientAuth, and the
 * registered client certificates appended to {@code ca_path}. A fresh port each run; stopping kills the
 * policy-monitor child first, then the server.
 */
public final class PyKmipServer implements AutoCloseable {
    public static final Path BINARY = Paths.get("/usr/bin/pykmip-server");

    public final Path dir;
    public final int port;
    public final X509Certificate serverCertificate;
    private final Process process;

    private PyKmipServer(Path dir, int port, X509Certificate serverCertificate, Process process) {
        this.dir = dir;
        this.port = port;
        this.serverCertificate = serverCertificate;
        this.process = process;
    }

    /** Starts a server that accepts the given self-signed client certificates. */
    public static PyKmipServer start(List<X509Certificate> registeredClients) throws Exception {
        assertThat(BINARY)
                .as("PyKMIP's server is needed: apt-get install -y python3-pykmip")
                .exists();
        Path base = Paths.get(System.getProperty("strongroom.hsm.testDir", "target"));
        Path dir = Files.createTempDirectory(Files.createDirectories(base), "pykmip-");
        Files.createDirectories(dir.resolve("policies"));
        ClientCertificates.Issued server =
                ClientCertificates.generateServer("localhost", Duration.ofDays(2), List.of("localhost", "127.0.0.1"));
        Files.writeString(dir.resolve("server.pem"), ClientCertificates.toPem(server.certificate()));
        Files.writeString(dir.resolve("server.key"), ClientCertificates.privateKeyToPem(server.privateKey()));
        StringBuilder ca = new StringBuilder();
        for (X509Certificate c : registeredClients) {
            ca.append(ClientCertificates.toPem(c));
        }
        Files.writeString(dir.resolve("ca.pem"), ca);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String conf = "[server]\n"
                + "hostname=127.0.0.1\n"
                + "port=" + port + "\n"
                + "certificate_path=" + dir.resolve("server.pem") + "\n"
                + "key_path=" + dir.resolve("server.key") + "\n"
                + "ca_path=" + dir.resolve("ca.pem") + "\n"
                + "auth_suite=TLS1.2\n"
                + "policy_path=" + dir.resolve("policies") + "\n"
                + "enable_tls_client_auth=True\n"
                + "logging_level=DEBUG\n"
                + "database_path=" + dir.resolve("pykmip.db") + "\n";
        Files.writeString(dir.resolve("server.conf"), conf, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(
                        BINARY.toString(),
                        "-f",
                        dir.resolve("server.conf").toString(),
                        "-l",
                        dir.resolve("server.log").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .start();
        PyKmipServer server0 = new PyKmipServer(dir, port, server.certificate(), p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("pykmip-server exited with " + p.exitValue() + "; see " + dir);
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return server0;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        server0.close();
        throw new IllegalStateException("pykmip-server did not listen on " + port + " within 30 s; see " + dir);
    }

    public String log() throws IOException {
        Path log = dir.resolve("server.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        // The policy-monitor child keeps a stuck server alive (hsm-kmip.md §3.2): kill the children, then the server.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
