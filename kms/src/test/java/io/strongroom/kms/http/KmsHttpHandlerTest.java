package io.strongroom.kms.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.kms.AuditTrail;
import io.strongroom.kms.Credential;
import io.strongroom.kms.CredentialStore;
import io.strongroom.kms.service.AuditLog;
import io.strongroom.kms.service.KmsService;
import io.strongroom.kms.service.KmsStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP handler on exchanges whose failures are chosen: every request, whatever goes wrong, is answered in
 * the AWS shape and leaves exactly one audit record; oversized bodies are refused unread; requests beyond the
 * concurrency cap are throttled.
 */
class KmsHttpHandlerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    KmsStore store;
    AuditLog audit;
    KmsService service;
    CredentialStore credentials;

    @BeforeEach
    void open() {
        store = KmsStore.open(dir, new SecureRandom());
        audit = AuditLog.open(dir);
        service = KmsService.open(store, InstantSource.system(), new SecureRandom(), audit);
        credentials = CredentialStore.open(dir, new SecureRandom());
    }

    @AfterEach
    void close() {
        service.close();
        audit.close();
        store.close();
    }

    KmsHttpHandler handler(int maxConcurrent) {
        return new KmsHttpHandler(service, new SigV4(credentials, "kms"), audit, InstantSource.system(), maxConcurrent);
    }

    List<AuditRecord> trail() {
        audit.sync();
        return new AuditTrail(audit.file()).query(AuditQuery.all());
    }

    /** A request whose headers are signed by the admin credential (so the failure under test is the only one). */
    static FakeExchange signed(Credential admin, String op, byte[] body, InputStream bodyStream) {
        Map<String, String> h = new TreeMap<>();
        h.put("host", "127.0.0.1:1");
        h.put("content-type", "application/x-amz-json-1.1");
        h.put("x-amz-target", "TrentService." + op);
        h.putAll(SigV4.sign(admin, "us-east-1", "kms", Instant.now(), "POST", "/", h, body));
        FakeExchange ex = new FakeExchange(bodyStream);
        h.forEach((k, v) -> ex.requestHeaders.add(k, v));
        return ex;
    }

    @Test
    void aRuntimeExceptionWhileReading_isAnsweredKmsInternal_andAudited() throws Exception {
        FakeExchange ex =
                signed(credentials.admin(), "ListKeys", "{}".getBytes(StandardCharsets.UTF_8), new InputStream() {
                    @Override
                    public int read() {
                        throw new IllegalMonitorStateException("a fault nobody expected");
                    }
                });
        handler(4).handle(ex);
        assertThat(ex.status).isEqualTo(500);
        assertThat(ex.json().path("__type").asText()).isEqualTo("KMSInternalException");
        assertThat(ex.json().path("message").asText()).doesNotContain("nobody expected");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(audit.file())))
                .as("the audit trail is owner-only")
                .isEqualTo("rw-------");
        assertThat(trail()).singleElement().satisfies(r -> {
            assertThat(r.eventName()).isEqualTo("ListKeys");
            assertThat(r.errorCode()).isEqualTo("KMSInternalException");
        });
    }

    @Test
    void anIOExceptionWhileReading_isAnswered400_andAudited() throws Exception {
        FakeExchange ex =
                signed(credentials.admin(), "ListKeys", "{}".getBytes(StandardCharsets.UTF_8), new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("connection reset by peer");
                    }
                });
        handler(4).handle(ex);
        assertThat(ex.status).isEqualTo(400);
        assertThat(ex.json().path("__type").asText()).isEqualTo("ValidationException");
        assertThat(trail()).singleElement().extracting(AuditRecord::errorCode).isEqualTo("ValidationException");
    }

    @Test
    void anOversizedBody_isRefused413_readToItsEndOnlyWhenThatIsCheap() throws Exception {
        // Declared beyond what is worth reading: refused without reading a byte.
        FakeExchange declared = new FakeExchange(new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        });
        declared.requestHeaders.add("X-Amz-Target", "TrentService.Encrypt");
        declared.requestHeaders.add("Content-Length", String.valueOf(HttpBodies.DRAIN_LIMIT + 1));
        handler(4).handle(declared);
        assertThat(declared.status).isEqualTo(413);
        assertThat(declared.json().path("__type").asText()).isEqualTo("ValidationException");

        // Declared over the limit but cheap to read: read to its end (so the client gets the answer, not a reset).
        ByteArrayInputStream body = new ByteArrayInputStream(new byte[KmsHttpHandler.MAX_BODY_BYTES + 1]);
        FakeExchange drained = new FakeExchange(body);
        drained.requestHeaders.add("X-Amz-Target", "TrentService.Encrypt");
        drained.requestHeaders.add("Content-Length", String.valueOf(KmsHttpHandler.MAX_BODY_BYTES + 1));
        handler(4).handle(drained);
        assertThat(drained.status).isEqualTo(413);
        assertThat(body.available()).as("the body was read to its end").isZero();

        // Without a length (chunked): refused once past the limit, and the rest read to its end (it is cheap).
        byte[] big = new byte[KmsHttpHandler.MAX_BODY_BYTES * 4];
        ByteArrayInputStream in = new ByteArrayInputStream(big);
        FakeExchange chunked = new FakeExchange(in);
        chunked.requestHeaders.add("X-Amz-Target", "TrentService.Encrypt");
        handler(4).handle(chunked);
        assertThat(chunked.status).isEqualTo(413);
        assertThat(in.available()).isZero();
        assertThat(trail()).hasSize(3).allSatisfy(r -> assertThat(r.errorCode()).isEqualTo("ValidationException"));
    }

    @Test
    void requestsBeyondTheCap_areThrottled503_andAudited() throws Exception {
        KmsHttpHandler h = handler(1);
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FakeExchange slow = new FakeExchange(new InputStream() {
            @Override
            public int read() throws IOException {
                reading.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return -1;
            }
        });
        slow.requestHeaders.add("X-Amz-Target", "TrentService.ListKeys");
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
            try {
                h.handle(slow);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
        FakeExchange second = new FakeExchange(new ByteArrayInputStream(new byte[0]));
        second.requestHeaders.add("X-Amz-Target", "TrentService.ListKeys");
        h.handle(second);
        assertThat(second.status).isEqualTo(503);
        assertThat(second.json().path("__type").asText()).isEqualTo("ThrottlingException");
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        assertThat(slow.json().path("__type").asText()).isEqualTo("MissingAuthenticationTokenException");
        // The permit came back: the next request is served (and refused for its missing signature, not throttled).
        FakeExchange third = new FakeExchange(new ByteArrayInputStream(new byte[0]));
        third.requestHeaders.add("X-Amz-Target", "TrentService.ListKeys");
        h.handle(third);
        assertThat(third.json().path("__type").asText()).isEqualTo("MissingAuthenticationTokenException");
        assertThat(trail())
                .extracting(AuditRecord::errorCode)
                .containsExactlyInAnyOrder(
                        "ThrottlingException",
                        "MissingAuthenticationTokenException",
                        "MissingAuthenticationTokenException");
    }

    @Test
    void whenTheAuditTrailCannotBeWritten_theResultIsWithheld() throws Exception {
        byte[] body = "{\"NumberOfBytes\":32}".getBytes(StandardCharsets.UTF_8);
        FakeExchange ex = signed(credentials.admin(), "GenerateRandom", body, new ByteArrayInputStream(body));
        audit.close(); // appends now fail
        handler(4).handle(ex);
        assertThat(ex.status).isEqualTo(500);
        assertThat(ex.json().path("__type").asText()).isEqualTo("KMSInternalException");
        assertThat(ex.json().path("message").asText()).contains("audit trail");
        assertThat(ex.json().has("Plaintext")).isFalse();
        audit = AuditLog.open(dir); // so @AfterEach has an open one to close
    }

    /** An exchange with chosen headers and body; records the status and the response bytes. */
    static final class FakeExchange extends HttpExchange {
        final Headers requestHeaders = new Headers();
        final Headers responseHeaders = new Headers();
        final InputStream body;
        final ByteArrayOutputStream response = new ByteArrayOutputStream();
        int status = -1;

        FakeExchange(InputStream body) {
            this.body = body;
        }

        JsonNode json() throws IOException {
            return JSON.readTree(response.toByteArray());
        }

        @Override
        public Headers getRequestHeaders() {
            return requestHeaders;
        }

        @Override
        public Headers getResponseHeaders() {
            return responseHeaders;
        }

        @Override
        public URI getRequestURI() {
            return URI.create("/");
        }

        @Override
        public String getRequestMethod() {
            return "POST";
        }

        @Override
        public HttpContext getHttpContext() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}

        @Override
        public InputStream getRequestBody() {
            return body;
        }

        @Override
        public OutputStream getResponseBody() {
            return response;
        }

        @Override
        public void sendResponseHeaders(int rCode, long responseLength) {
            status = rCode;
        }

        @Override
        public InetSocketAddress getRemoteAddress() {
            return new InetSocketAddress("127.0.0.1", 50000);
        }

        @Override
        public int getResponseCode() {
            return status;
        }

        @Override
        public InetSocketAddress getLocalAddress() {
            return new InetSocketAddress("127.0.0.1", 1);
        }

        @Override
        public String getProtocol() {
            return "HTTP/1.1";
        }

        @Override
        public Object getAttribute(String name) {
            return null;
        }

        @Override
        public void setAttribute(String name, Object value) {}

        @Override
        public void setStreams(InputStream i, OutputStream o) {}

        @Override
        public HttpPrincipal getPrincipal() {
            return null;
        }
    }
}
