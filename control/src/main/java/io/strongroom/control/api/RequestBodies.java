package io.strongroom.control.api;

import com.sun.net.httpserver.HttpExchange;
import io.strongroom.aws.BodyDeadline;
import io.strongroom.aws.HttpBodies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Reads a request's body at the control plane's endpoint under its deadline ({@link BodyDeadline}): at most {@link
 * RedshiftHttpHandler#MAX_BODY_BYTES} plus one byte into memory, the rest of an oversized body read and discarded
 * (so the client gets the typed refusal, not a reset). A body that stops arriving is answered 408 in the API's own
 * form ({@code RequestTimeout} XML, or {@code RequestTimeoutException} JSON for a KMS request). Stateless.
 */
final class RequestBodies {
    private RequestBodies() {}

    /** The body (longer than its limit when oversized), or null when the deadline answered the client instead. */
    static byte @Nullable [] read(HttpExchange ex, boolean kmsRequest, String requestId, Duration d)
            throws IOException {
        String late = "The request body did not arrive within " + d.toSeconds() + " s; send it again.";
        BodyDeadline deadline = kmsRequest
                ? BodyDeadline.start(
                        ex,
                        d,
                        "application/x-amz-json-1.1",
                        ("{\"__type\":\"RequestTimeoutException\",\"message\":\"" + late + "\"}")
                                .getBytes(StandardCharsets.UTF_8))
                : BodyDeadline.start(
                        ex,
                        d,
                        "text/xml",
                        RedshiftHttpHandler.error(
                                        "Sender", "RequestTimeout", late + " (request " + requestId + ")", requestId)
                                .getBytes(StandardCharsets.UTF_8));
        byte[] body;
        try {
            body = ex.getRequestBody().readNBytes(RedshiftHttpHandler.MAX_BODY_BYTES + 1);
            if (body.length > (kmsRequest ? KmsRoute.MAX_BODY_BYTES : RedshiftHttpHandler.MAX_BODY_BYTES)) {
                HttpBodies.drain(ex.getRequestBody());
            }
        } catch (IOException e) {
            if (!deadline.finish()) {
                return null; // answered by the deadline, which closed the exchange under this read
            }
            throw e;
        }
        return deadline.finish() ? body : null;
    }
}
