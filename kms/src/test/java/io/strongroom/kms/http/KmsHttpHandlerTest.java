package io.strongroom.kms.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.aws.Credential;
import io.strongroom.aws.CredentialStore;
import io.strongroom.aws.HttpBodies;
import io.strongroom.aws.SigV4;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.kms.AuditTrail;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.service.KmsService;
import io.strongroom.kms.store.KmsStore;
import io.strongroom.testkit.http.FakeExchange;
import io.strongroom.testkit.log.CapturedLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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
    static KmsExchange signed(Credential admin, String op, byte[] body, InputStream bodyStream) {
        Map<String, String> h = new TreeMap<>();
        h.put("host", "127.0.0.1:1");
        h.put("content-type", "application/x-amz-json-1.1");
        h.put("x-amz-target", "TrentService." + op);
        h.putAll(SigV4.sign(admin, "us-east-1", "kms", Instant.now(), "POST", "/", h, body));
        KmsExchange ex = new KmsExchange(bodyStream);
        h.forEach((k, v) -> ex.getRequestHeaders().add(k, v));
        return ex;
    }

    @Test
    void aRuntimeExceptionWhileReading_isAnsweredKmsInternal_andAudited() throws Exception {
        KmsExchange ex =
                signed(credentials.admin(), "ListKeys", "{}".getBytes(StandardCharsets.UTF_8), new InputStream() {
                    @Override
                    public int read() {
                        throw new IllegalMonitorStateException("a fault nobody expected");
                    }
                });
        handler(4).handle(ex);
        assertThat(ex.status()).isEqualTo(500);
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

    /** A fault that names a class and a server path in its message, as a bug's exception might. */
    static RuntimeException[] faults() {
        return new RuntimeException[] {
            new IllegalStateException("broken invariant in /var/lib/strongroom/kms/store.bin"),
            new StrongroomException(ErrorCode.IO_ERROR, "cannot read /var/lib/strongroom/kms/store.bin")
        };
    }

    @ParameterizedTest
    @MethodSource("faults")
    void anInternalFailure_isLoggedOnceWithItsRequestIdAndStack_andTheClientGetsTheIdOnly(RuntimeException fault)
            throws Exception {
        KmsExchange ex =
                signed(credentials.admin(), "ListKeys", "{}".getBytes(StandardCharsets.UTF_8), new InputStream() {
                    @Override
                    public int read() {
                        throw fault;
                    }
                });
        try (CapturedLog log = new CapturedLog()) {
            handler(4).handle(ex);
            String requestId = ex.getResponseHeaders().getFirst("x-amzn-RequestId");
            assertThat(requestId).isNotBlank();
            assertThat(ex.status()).isEqualTo(500);
            assertThat(ex.json().path("__type").asText()).isEqualTo("KMSInternalException");
            assertThat(ex.json().path("message").asText())
                    .contains("request id " + requestId)
                    .doesNotContain("/var/lib", "store.bin", "Exception", "io.strongroom", "\tat ");
            assertThat(ex.responseText()).doesNotContain("/var/lib", "IllegalState", "java.", "io.strongroom");
            assertThat(log.errors()).singleElement().satisfies(r -> {
                assertThat(r.getMessage()).contains(requestId);
                assertThat(r.getThrown()).isSameAs(fault);
                assertThat(r.getThrown().getStackTrace()).isNotEmpty();
            });
            assertThat(trail()).singleElement().satisfies(r -> {
                assertThat(r.errorCode()).isEqualTo("KMSInternalException");
                assertThat(r.json().path("requestID").asText()).isEqualTo(requestId);
            });
        }
    }

    @Test
    void everyAnswerCarriesTheRequestIdItsAuditRecordNames_andOnlyFaultsAreLogged() throws Exception {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        KmsExchange ok = signed(credentials.admin(), "ListKeys", body, new ByteArrayInputStream(body));
        KmsExchange unsigned = new KmsExchange(new ByteArrayInputStream(body));
        unsigned.getRequestHeaders().add("X-Amz-Target", "TrentService.ListKeys");
        try (CapturedLog log = new CapturedLog()) {
            handler(4).handle(ok);
            handler(4).handle(unsigned);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(unsigned.status()).isBetween(400, 499);
            assertThat(log.errors()).isEmpty();
        }
        assertThat(trail())
                .extracting(r -> r.json().path("requestID").asText())
                .containsExactly(
                        ok.getResponseHeaders().getFirst("x-amzn-RequestId"),
                        unsigned.getResponseHeaders().getFirst("x-amzn-RequestId"))
                .doesNotHaveDuplicates()
                .allSatisfy(id -> assertThat(id).isNotBlank());
    }

    /**
     * The shared verifier says why a signature is refused ({@code SigV4Exception.Reason}); the KMS answers each reason
     * with AWS KMS's own {@code __type}, and audits it under the access key the request claimed.
     */
    @Test
    void signatureRefusals_areAnsweredWithTheKmsTypeOfTheirReason_andAudited() throws Exception {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        Credential admin = credentials.admin();
        Credential nobody = new Credential(
                "AKIDNOBODY", "secret", admin.accountId(), "arn:aws:iam::" + admin.accountId() + ":user/x");
        Credential wrongSecret =
                new Credential(admin.accessKeyId(), "not-the-secret", admin.accountId(), admin.principalArn());
        KmsExchange unknown = signed(nobody, "ListKeys", body, new ByteArrayInputStream(body));
        KmsExchange mismatch = signed(wrongSecret, "ListKeys", body, new ByteArrayInputStream(body));
        KmsExchange incomplete = signed(admin, "ListKeys", body, new ByteArrayInputStream(body));
        String auth = incomplete.getRequestHeaders().getFirst("Authorization");
        incomplete.getRequestHeaders().set("Authorization", auth.replaceAll(", Signature=.*", ""));
        for (KmsExchange ex : List.of(unknown, mismatch, incomplete)) {
            handler(4).handle(ex);
            assertThat(ex.status()).isEqualTo(400);
        }
        assertThat(unknown.json().path("__type").asText()).isEqualTo("UnrecognizedClientException");
        assertThat(mismatch.json().path("__type").asText()).isEqualTo("InvalidSignatureException");
        assertThat(incomplete.json().path("__type").asText()).isEqualTo("IncompleteSignatureException");
        assertThat(trail())
                .extracting(AuditRecord::errorCode)
                .containsExactly(
                        "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException");
    }

    @Test
    void anIOExceptionWhileReading_isAnswered400_andAudited() throws Exception {
        KmsExchange ex =
                signed(credentials.admin(), "ListKeys", "{}".getBytes(StandardCharsets.UTF_8), new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("connection reset by peer");
                    }
                });
        handler(4).handle(ex);
        assertThat(ex.status()).isEqualTo(400);
        assertThat(ex.json().path("__type").asText()).isEqualTo("ValidationException");
        assertThat(trail()).singleElement().extracting(AuditRecord::errorCode).isEqualTo("ValidationException");
    }

    @Test
    void anOversizedBody_isRefused413_readToItsEndOnlyWhenThatIsCheap() throws Exception {
        // Declared beyond what is worth reading: refused without reading a byte.
        KmsExchange declared = new KmsExchange(new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        });
        declared.getRequestHeaders().add("X-Amz-Target", "TrentService.Encrypt");
        declared.getRequestHeaders().add("Content-Length", String.valueOf(HttpBodies.DRAIN_LIMIT + 1));
        handler(4).handle(declared);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.json().path("__type").asText()).isEqualTo("ValidationException");

        // Declared over the limit but cheap to read: read to its end (so the client gets the answer, not a reset).
        ByteArrayInputStream body = new ByteArrayInputStream(new byte[KmsHttpHandler.MAX_BODY_BYTES + 1]);
        KmsExchange drained = new KmsExchange(body);
        drained.getRequestHeaders().add("X-Amz-Target", "TrentService.Encrypt");
        drained.getRequestHeaders().add("Content-Length", String.valueOf(KmsHttpHandler.MAX_BODY_BYTES + 1));
        handler(4).handle(drained);
        assertThat(drained.status()).isEqualTo(413);
        assertThat(body.available()).as("the body was read to its end").isZero();

        // Without a length (chunked): refused once past the limit, and the rest read to its end (it is cheap).
        byte[] big = new byte[KmsHttpHandler.MAX_BODY_BYTES * 4];
        ByteArrayInputStream in = new ByteArrayInputStream(big);
        KmsExchange chunked = new KmsExchange(in);
        chunked.getRequestHeaders().add("X-Amz-Target", "TrentService.Encrypt");
        handler(4).handle(chunked);
        assertThat(chunked.status()).isEqualTo(413);
        assertThat(in.available()).isZero();
        assertThat(trail()).hasSize(3).allSatisfy(r -> assertThat(r.errorCode()).isEqualTo("ValidationException"));
    }

    @Test
    void requestsBeyondTheCap_areThrottled503_andAudited() throws Exception {
        KmsHttpHandler h = handler(1);
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        KmsExchange slow = new KmsExchange(new InputStream() {
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
        slow.getRequestHeaders().add("X-Amz-Target", "TrentService.ListKeys");
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
            try {
                h.handle(slow);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
        KmsExchange second = new KmsExchange(new ByteArrayInputStream(new byte[0]));
        second.getRequestHeaders().add("X-Amz-Target", "TrentService.ListKeys");
        h.handle(second);
        assertThat(second.status()).isEqualTo(503);
        assertThat(second.json().path("__type").asText()).isEqualTo("ThrottlingException");
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        assertThat(slow.json().path("__type").asText()).isEqualTo("MissingAuthenticationTokenException");
        // The permit came back: the next request is served (and refused for its missing signature, not throttled).
        KmsExchange third = new KmsExchange(new ByteArrayInputStream(new byte[0]));
        third.getRequestHeaders().add("X-Amz-Target", "TrentService.ListKeys");
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
        KmsExchange ex = signed(credentials.admin(), "GenerateRandom", body, new ByteArrayInputStream(body));
        audit.close(); // appends now fail
        handler(4).handle(ex);
        assertThat(ex.status()).isEqualTo(500);
        assertThat(ex.json().path("__type").asText()).isEqualTo("KMSInternalException");
        assertThat(ex.json().path("message").asText()).contains("audit trail");
        assertThat(ex.json().has("Plaintext")).isFalse();
        audit = AuditLog.open(dir); // so @AfterEach has an open one to close
    }

    /** The testkit's exchange, read as a KMS answer. */
    static final class KmsExchange extends FakeExchange {
        KmsExchange(InputStream body) {
            super(body);
        }

        JsonNode json() throws IOException {
            return JSON.readTree(responseBytes());
        }
    }
}
