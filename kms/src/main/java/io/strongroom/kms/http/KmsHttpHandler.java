package io.strongroom.kms.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.kms.service.AuditEvent;
import io.strongroom.kms.service.AuditLog;
import io.strongroom.kms.service.Caller;
import io.strongroom.kms.service.KmsApiException;
import io.strongroom.kms.service.KmsService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The KMS endpoint: {@code POST /} with {@code X-Amz-Target: TrentService.<Operation>} and a JSON 1.1 body.
 *
 * <p>Per request: read the body (at most {@link #MAX_BODY_BYTES}), verify the SigV4 signature, parse the JSON,
 * run the operation, and answer {@code 200} with the JSON result or the error status with {@code
 * {"__type": ..., "message": ...}}. Every request, including unsigned and badly signed ones, produces exactly
 * one audit record, appended before the answer is sent. Internal failures answer {@code KMSInternalException}
 * with a generic message; their detail never reaches the client.
 *
 * <p>Thread-safe: one instance serves all requests concurrently.
 */
public final class KmsHttpHandler implements HttpHandler {
    public static final int MAX_BODY_BYTES = 512 * 1024;
    private static final String JSON_TYPE = "application/x-amz-json-1.1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SCOPE_REGION = Pattern.compile("Credential=[^/,]*/\\d{8}/([a-z0-9-]{1,32})/");

    private final KmsService service;
    private final SigV4 sigV4;
    private final AuditLog audit;
    private final InstantSource requestClock;

    /**
     * @param requestClock the clock signatures are checked against (the real time; the service's own clock may
     *     be moved by tests)
     */
    public KmsHttpHandler(KmsService service, SigV4 sigV4, AuditLog audit, InstantSource requestClock) {
        this.service = service;
        this.sigV4 = sigV4;
        this.audit = audit;
        this.requestClock = requestClock;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
            String op = target == null ? "" : target.startsWith("TrentService.") ? target.substring(13) : target;
            String requestId = UUID.randomUUID().toString();
            AuditEvent ev = new AuditEvent(
                    requestId, UUID.randomUUID().toString(), requestClock.instant(), op.isEmpty() ? "Unknown" : op);
            InetSocketAddress remote = ex.getRemoteAddress();
            String ua = ex.getRequestHeaders().getFirst("User-Agent");
            ev.source(remote.getAddress().getHostAddress(), ua == null ? "" : ua);
            int status;
            JsonNode body;
            try {
                body = serve(ex, op, ev);
                status = 200;
            } catch (KmsApiException e) {
                ev.error(e.awsType(), e.getMessage());
                status = e.httpStatus();
                body = error(e.awsType(), e.getMessage());
            } catch (StrongroomException | IllegalArgumentException | IllegalStateException e) {
                ev.error("KMSInternalException", "internal error (request " + requestId + ")");
                status = 500;
                body = error("KMSInternalException", "The request failed inside the KMS (request " + requestId + ").");
            }
            byte[] out = JSON.writeValueAsBytes(body);
            audit.append(ev);
            ex.getResponseHeaders().set("Content-Type", JSON_TYPE);
            ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            } finally {
                // The response may carry a data key or a plaintext: zero both copies once they are sent.
                Arrays.fill(out, (byte) 0);
                zeroBinaries(body);
            }
        }
    }

    private JsonNode serve(HttpExchange ex, String op, AuditEvent ev) throws IOException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null) {
            Matcher m = SCOPE_REGION.matcher(auth);
            if (m.find()) {
                ev.region(m.group(1));
            }
        }
        if (!ex.getRequestMethod().equals("POST")) {
            throw KmsApiException.of("UnknownOperationException", "Only POST / is served.");
        }
        byte[] raw = readBody(ex.getRequestBody());
        SigV4.Verified v = sigV4.verify(
                ex.getRequestMethod(),
                ex.getRequestURI().getRawPath(),
                ex.getRequestURI().getRawQuery(),
                name -> headerValues(ex, name),
                raw,
                requestClock.instant(),
                ev::claimedAccessKey);
        var cred = v.credential();
        Caller caller =
                new Caller(cred.accessKeyId(), cred.accountId(), cred.principalArn(), sourceOf(ex), userAgentOf(ex));
        ev.caller(caller);
        ev.region(v.region());
        if (op.isEmpty() || !KmsService.supports(op)) {
            throw KmsApiException.of("UnknownOperationException", "Operation '" + op + "' is not supported.");
        }
        JsonNode request;
        try {
            request = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            throw KmsApiException.of("SerializationException", "The request body is not valid JSON.");
        }
        if (request == null || !request.isObject()) {
            throw KmsApiException.of("SerializationException", "The request body must be a JSON object.");
        }
        ev.requestParameters(request);
        return service.call(op, caller, v.region(), request, ev);
    }

    private static void zeroBinaries(JsonNode n) {
        if (n instanceof BinaryNode b) {
            Arrays.fill(b.binaryValue(), (byte) 0);
        } else if (n.isContainerNode()) {
            n.forEach(KmsHttpHandler::zeroBinaries);
        }
    }

    private static @Nullable List<String> headerValues(HttpExchange ex, String name) {
        return ex.getRequestHeaders().get(name);
    }

    private static String sourceOf(HttpExchange ex) {
        return ex.getRemoteAddress().getAddress().getHostAddress();
    }

    private static String userAgentOf(HttpExchange ex) {
        String ua = ex.getRequestHeaders().getFirst("User-Agent");
        return ua == null ? "" : ua;
    }

    private static byte[] readBody(InputStream in) throws IOException {
        byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
        if (b.length > MAX_BODY_BYTES) {
            throw KmsApiException.of(
                    "SerializationException", "The request body exceeds " + MAX_BODY_BYTES + " bytes.");
        }
        return b;
    }

    private static ObjectNode error(String type, @Nullable String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("__type", type);
        n.put("message", message == null ? "" : message);
        return n;
    }

    @Override
    public String toString() {
        return "KmsHttpHandler[" + service + "]";
    }
}
