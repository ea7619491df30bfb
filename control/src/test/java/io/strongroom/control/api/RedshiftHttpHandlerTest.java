package io.strongroom.control.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.aws.CredentialStore;
import io.strongroom.aws.SigV4;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.testkit.http.FakeExchange;
import io.strongroom.testkit.log.CapturedLog;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Redshift endpoint's answer to failures, on exchanges whose failures are chosen: a failure inside the control
 * plane is logged once with its request id and stack and answered InternalFailure with the id and nothing of the
 * failure's detail; every answer carries the id in {@code x-amzn-RequestId}. No cluster manager is needed: the
 * failures under test happen before a request reaches one.
 */
class RedshiftHttpHandlerTest {
    private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]*)</Message>");

    @TempDir
    Path dir;

    /** The handler over a real signature verifier; the cluster manager is never reached by these requests. */
    private RedshiftHttpHandler handler(CredentialStore credentials) {
        return new RedshiftHttpHandler(
                null,
                new SigV4(credentials, "redshift"),
                new KmsForwarder(URI.create("http://127.0.0.1:1")),
                InstantSource.system(),
                null);
    }

    /** A fault that names a class and a server path in its message, as a bug's exception might. */
    static RuntimeException[] faults() {
        return new RuntimeException[] {
            new IllegalStateException("broken invariant in /var/lib/strongroom/control/state.json"),
            new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "block 7 of /var/lib/strongroom/data/c1/t/b7 fails authentication"),
            new StrongroomException(ErrorCode.INTERNAL, "invariant broken in /var/lib/strongroom/control/state.json")
        };
    }

    @ParameterizedTest
    @MethodSource("faults")
    void anInternalFailure_isLoggedOnceWithItsRequestIdAndStack_andTheClientGetsTheIdOnly(RuntimeException fault)
            throws Exception {
        CredentialStore credentials = CredentialStore.open(dir, new SecureRandom());
        byte[] body = "Action=DescribeClusters&Version=2012-12-01".getBytes(StandardCharsets.UTF_8);
        Map<String, String> h = new TreeMap<>();
        h.put("host", "127.0.0.1:1");
        h.put("content-type", "application/x-www-form-urlencoded; charset=utf-8");
        h.putAll(SigV4.sign(credentials.admin(), "us-east-1", "redshift", Instant.now(), "POST", "/", h, body));
        FakeExchange ex = new FakeExchange(new ByteArrayInputStream(body)) {
            @Override
            public String getRequestMethod() {
                throw fault;
            }
        };
        h.forEach((k, v) -> ex.getRequestHeaders().add(k, v));
        try (CapturedLog log = new CapturedLog()) {
            handler(credentials).handle(ex);
            String requestId = ex.getResponseHeaders().getFirst("x-amzn-RequestId");
            assertThat(requestId).isNotBlank();
            assertThat(ex.status()).isEqualTo(500);
            String xml = ex.responseText();
            assertThat(xml)
                    .contains("<Type>Receiver</Type>", "<Code>InternalFailure</Code>")
                    .contains("<RequestId>" + requestId + "</RequestId>")
                    .doesNotContain("/var/lib", "state.json", "Exception", "java.", "io.strongroom.", "\tat ");
            Matcher m = MESSAGE.matcher(xml);
            assertThat(m.find()).isTrue();
            assertThat(m.group(1)).contains("request id " + requestId);
            assertThat(log.errors()).singleElement().satisfies(r -> {
                assertThat(r.getMessage()).contains(requestId);
                assertThat(r.getThrown()).isSameAs(fault);
                assertThat(r.getThrown().getStackTrace()).isNotEmpty();
            });
        }
    }

    @Test
    void aRefusal_carriesTheRequestId_andIsNotLoggedAsAFailure() throws Exception {
        CredentialStore credentials = CredentialStore.open(dir, new SecureRandom());
        byte[] body = "Action=DescribeClusters&Version=2012-12-01".getBytes(StandardCharsets.UTF_8);
        FakeExchange ex = new FakeExchange(new ByteArrayInputStream(body));
        try (CapturedLog log = new CapturedLog()) {
            handler(credentials).handle(ex);
            String requestId = ex.getResponseHeaders().getFirst("x-amzn-RequestId");
            assertThat(ex.status()).isEqualTo(403);
            assertThat(ex.responseText())
                    .contains("<Code>MissingAuthenticationToken</Code>", "<RequestId>" + requestId + "</RequestId>");
            assertThat(log.errors()).isEmpty();
        }
    }
}
