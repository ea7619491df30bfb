package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Bodies over the limit, 8 and 50 MB, sent to the Redshift API, to the KMS API through the same endpoint and to the
 * KMS's own port: each is answered with the API's typed error (not a connection reset), and the endpoint serves the
 * next request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BodyLimitsIT {
    ControlFixture f;
    HttpClient http;

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    void stop() throws Exception {
        http.close();
        f.close();
    }

    private HttpResponse<String> post(URI uri, int bytes, String contentType, String target) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri.resolve("/"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[bytes]));
        if (target != null) {
            b.header("X-Amz-Target", target);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * What a plain client does: send the whole request, then read the answer. A server that answers early and closes
     * resets the connection under the client's writes, and the answer is lost.
     */
    private static String rawPost(URI uri, int bytes, String target) throws Exception {
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
                            + "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: " + target + "\r\n"
                            + "Content-Length: " + bytes + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 << 10];
            for (int sent = 0; sent < bytes; sent += chunk.length) {
                out.write(chunk, 0, Math.min(chunk.length, bytes - sent));
            }
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aClientThatSendsEverythingFirst_stillGetsTheAnswer() throws Exception {
        String rs = rawPost(f.control.endpoint(), 8 << 20, "TrentService.ListKeys");
        assertThat(rs).startsWith("HTTP/1.1 400").contains("SerializationException");
        String kms = rawPost(f.kms.endpoint(), 8 << 20, "TrentService.ListKeys");
        assertThat(kms).startsWith("HTTP/1.1 413").contains("ValidationException");
    }

    @Test
    void oversizedBodies_getTheApisTypedError_notAReset() throws Exception {
        for (int mb : new int[] {8, 50}) {
            HttpResponse<String> rs = post(f.control.endpoint(), mb << 20, "application/x-www-form-urlencoded", null);
            assertThat(rs.statusCode()).as("Redshift API, %d MB", mb).isEqualTo(400);
            assertThat(rs.body()).contains("<Code>InvalidParameterValue</Code>").contains("exceeds");

            HttpResponse<String> forwarded =
                    post(f.control.endpoint(), mb << 20, "application/x-amz-json-1.1", "TrentService.ListKeys");
            assertThat(forwarded.statusCode())
                    .as("KMS API through the endpoint, %d MB", mb)
                    .isEqualTo(400);
            assertThat(forwarded.body()).contains("SerializationException");

            HttpResponse<String> kms =
                    post(f.kms.endpoint(), mb << 20, "application/x-amz-json-1.1", "TrentService.ListKeys");
            assertThat(kms.statusCode()).as("the KMS's own port, %d MB", mb).isEqualTo(413);
            assertThat(kms.body()).contains("ValidationException");
        }
        // Still serving.
        assertThat(f.redshift(f.admin).describeClusters().clusters()).isNotNull();
    }
}
