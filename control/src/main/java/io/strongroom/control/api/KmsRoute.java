package io.strongroom.control.api;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Where a KMS API request arriving at the control plane's endpoint goes, its body already read: the embedded KMS in
 * process ({@link InProcessKmsRoute}), or a KMS elsewhere over HTTP ({@link KmsForwarder}). Either answers the
 * exchange with the KMS's own status, body and request id.
 */
interface KmsRoute {
    /** Larger than any valid KMS request; the KMS's own limit. */
    int MAX_BODY_BYTES = 160 * 1024;

    /** Refuses a body over {@link #MAX_BODY_BYTES} as AWS KMS does, and forwards any other. */
    default void answer(HttpExchange ex, byte[] body) throws IOException {
        if (body.length <= MAX_BODY_BYTES) {
            forward(ex, body);
            return;
        }
        byte[] err = "{\"__type\":\"SerializationException\",\"message\":\"The request body is too large.\"}"
                .getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        ex.sendResponseHeaders(400, err.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(err);
        }
    }

    void forward(HttpExchange ex, byte[] body) throws IOException;
}
