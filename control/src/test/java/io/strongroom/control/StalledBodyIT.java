package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.kms.KmsServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A client that declares a body and stops sending half-way gets the API's typed answer when the body deadline
 * passes (HTTP 408: {@code RequestTimeout} as XML from the Redshift API, {@code RequestTimeoutException} as JSON from
 * the KMS API, through the control plane's endpoint and on the KMS's own port), not a connection dropped without a
 * word; and the endpoint serves the next request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StalledBodyIT {
    private static final Duration DEADLINE = Duration.ofSeconds(1);

    Path dir;
    KmsServer kms;
    ControlPlane control;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("strongroom-stall");
        kms = KmsServer.builder(dir.resolve("kms"))
                .port(0)
                .bodyDeadline(DEADLINE)
                .start();
        control = ControlPlane.builder(dir.resolve("control"))
                .kms(kms)
                .port(0)
                .monitorInterval(Duration.ZERO)
                .bodyDeadline(DEADLINE)
                .start();
    }

    @AfterAll
    void stop() throws Exception {
        control.close();
        kms.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * Declares 1,000 bytes, sends 100 and stalls; returns the status line and the body of the answer, read by its
     * Content-Length (so the answer counts, not when the connection closes), and how long it took.
     */
    private static String stalled(URI uri, @Nullable String target) throws Exception {
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
                            + (target == null
                                    ? "Content-Type: application/x-www-form-urlencoded\r\n"
                                    : "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: " + target + "\r\n")
                            + "Content-Length: 1000\r\n\r\n" + "x".repeat(100))
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                assertThat(b).as("the server closed before answering: %s", head).isNotNegative();
                head.write(b);
            }
            String headers = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : headers.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            return headers.substring(0, headers.indexOf("\r\n")) + "\n" + body;
        }
    }

    @Test
    void aBodyThatStopsHalfWay_isAnswered408_withTheApisTypedError() throws Exception {
        assertThat(stalled(control.endpoint(), null))
                .startsWith("HTTP/1.1 408")
                .contains("<Code>RequestTimeout</Code>")
                .contains("did not arrive within 1 s");
        assertThat(stalled(control.endpoint(), "TrentService.ListKeys"))
                .startsWith("HTTP/1.1 408")
                .contains("\"__type\":\"RequestTimeoutException\"");
        assertThat(stalled(kms.endpoint(), "TrentService.ListKeys"))
                .startsWith("HTTP/1.1 408")
                .contains("\"__type\":\"RequestTimeoutException\"");
        // The KMS audits the refusal like any other (its handler writes the record once its read has ended).
        Path trail = dir.resolve("kms").resolve("audit").resolve("kms-audit.jsonl");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!(Files.exists(trail) && Files.readString(trail).contains("RequestTimeoutException"))
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(Files.readString(trail)).contains("RequestTimeoutException");
        // Both endpoints serve the next request.
        assertThat(stalled(control.endpoint(), null)).startsWith("HTTP/1.1 408");
    }
}
