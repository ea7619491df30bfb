package io.strongroom.control.api;

import com.sun.net.httpserver.HttpExchange;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.KmsAnswer;
import io.strongroom.kms.KmsRequest;
import io.strongroom.kms.KmsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * KMS API requests at the control plane's endpoint, answered by the KMS embedded in the same process ({@link
 * KmsServer#call}): no second HTTP server is crossed, and the KMS audit record names the client's own address and
 * user agent, not the control plane's. The KMS verifies the client's signature itself; this class never signs. A
 * stopped KMS is answered 503 {@code KMSInternalException}, as a KMS that cannot be reached is. Thread-safe.
 */
final class InProcessKmsRoute implements KmsRoute {
    private final Supplier<KmsServer> kms;

    InProcessKmsRoute(Supplier<KmsServer> kms) {
        this.kms = kms;
    }

    @Override
    public void forward(HttpExchange ex, byte[] body) throws IOException {
        String agent = ex.getRequestHeaders().getFirst("User-Agent");
        KmsRequest request = new KmsRequest(
                ex.getRequestMethod(),
                ex.getRequestURI().getRawPath(),
                ex.getRequestURI().getRawQuery(),
                ex.getRequestHeaders(),
                body,
                ex.getRemoteAddress().getAddress().getHostAddress(),
                agent == null ? "" : agent);
        KmsAnswer answer;
        try {
            answer = kms.get().call(request);
        } catch (StrongroomException e) {
            byte[] err =
                    ("{\"__type\":\"KMSInternalException\",\"message\":\"The KMS cannot be reached; retry later.\"}")
                            .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", KmsAnswer.CONTENT_TYPE);
            ex.sendResponseHeaders(503, err.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(err);
            }
            return;
        }
        try (answer) {
            ex.getResponseHeaders().set("Content-Type", KmsAnswer.CONTENT_TYPE);
            ex.getResponseHeaders().set("x-amzn-RequestId", answer.requestId());
            ex.sendResponseHeaders(answer.status(), answer.body().length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(answer.body());
            }
        }
    }

    @Override
    public String toString() {
        return "InProcessKmsRoute";
    }
}
