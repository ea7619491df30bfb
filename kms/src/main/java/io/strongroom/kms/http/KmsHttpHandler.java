package io.strongroom.kms.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.strongroom.aws.BodyDeadline;
import io.strongroom.aws.HttpBodies;
import io.strongroom.aws.SigV4;
import io.strongroom.aws.SigV4Exception;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.KmsAnswer;
import io.strongroom.kms.KmsRequest;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.service.KmsService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The KMS endpoint: {@code POST /} with {@code X-Amz-Target: TrentService.<Operation>} and a JSON 1.1 body.
 *
 * <p>Per request: take one of {@link #DEFAULT_MAX_CONCURRENT} permits (none left: {@code 503
 * ThrottlingException} at once), read the body (a declared or actual length above {@link #MAX_BODY_BYTES} is
 * {@code 413 ValidationException}; the rest is read and discarded first, up to {@link HttpBodies#DRAIN_LIMIT}, so
 * the client gets the answer rather than a reset), verify the SigV4 signature, parse the JSON, run the
 * operation, and answer {@code 200} with the JSON result or the error status with {@code {"__type": ...,
 * "message": ...}}. All of this happens before authentication can cost the KMS much: the permits bound the
 * work in flight, the body bound the memory per request, and the JDK server's request and response timeouts
 * (set by {@code KmsServer}) bound how long a slow client holds a permit.
 *
 * <p>Every request, including unsigned, badly signed, throttled and failed ones, produces exactly one audit
 * record, appended before the answer is sent: every {@link RuntimeException} and {@link IOException} of a
 * request is caught and answered in the AWS shape ({@code KMSInternalException} 500 for faults of the KMS,
 * 400 when the request itself could not be read). If the audit record cannot be written, the request is
 * answered {@code KMSInternalException} and its result is withheld: no unaudited plaintext leaves the KMS.
 * Internal failures answer with a generic message; their detail never reaches the client.
 *
 * <p>Thread-safe: one instance serves all requests concurrently.
 */
public final class KmsHttpHandler implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(KmsHttpHandler.class.getName());

    /** Larger than any valid KMS request (a 32 KiB policy, escaped, with 8 KiB of description and 50 tags). */
    public static final int MAX_BODY_BYTES = 160 * 1024;

    public static final int DEFAULT_MAX_CONCURRENT = 256;
    private static final String JSON_TYPE = "application/x-amz-json-1.1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SCOPE_REGION = Pattern.compile("Credential=[^/,]*/\\d{8}/([a-z0-9-]{1,32})/");

    private final KmsService service;
    private final SigV4 sigV4;
    private final AuditLog audit;
    private final InstantSource requestClock;
    private final Semaphore permits;
    private volatile Duration bodyDeadline = BodyDeadline.DEFAULT;

    /**
     * @param requestClock the clock signatures are checked against (the real time; the service's own clock may
     *     be moved by tests)
     */
    public KmsHttpHandler(KmsService service, SigV4 sigV4, AuditLog audit, InstantSource requestClock) {
        this(service, sigV4, audit, requestClock, DEFAULT_MAX_CONCURRENT);
    }

    /** As above, answering 503 ThrottlingException when {@code maxConcurrent} requests are already in flight. */
    public KmsHttpHandler(
            KmsService service, SigV4 sigV4, AuditLog audit, InstantSource requestClock, int maxConcurrent) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent must be at least 1: " + maxConcurrent);
        }
        this.service = service;
        this.sigV4 = sigV4;
        this.audit = audit;
        this.requestClock = requestClock;
        this.permits = new Semaphore(maxConcurrent);
    }

    /** How long a request's body may take to arrive before the client is answered 408 ({@link BodyDeadline}). */
    public KmsHttpHandler bodyDeadline(Duration deadline) {
        this.bodyDeadline = deadline;
        return this;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String requestId = UUID.randomUUID().toString();
            // Every answer carries the id the audit record names, whichever path sends it (the body deadline's too).
            ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
            Incoming in = new Incoming(
                    ex.getRequestMethod(),
                    ex.getRequestURI().getRawPath(),
                    ex.getRequestURI().getRawQuery(),
                    name -> headerValues(ex, name),
                    sourceOf(ex),
                    userAgentOf(ex),
                    () -> readBodyWithin(ex));
            Outcome o = answer(requestId, in);
            if (o.answered()) {
                return; // the body deadline answered already
            }
            byte[] out = JSON.writeValueAsBytes(o.body());
            ex.getResponseHeaders().set("Content-Type", JSON_TYPE);
            try {
                ex.sendResponseHeaders(o.status(), out.length);
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(out);
                }
            } finally {
                // The response may carry a data key or a plaintext: zero both copies once they are sent.
                Arrays.fill(out, (byte) 0);
                zeroBinaries(o.body());
            }
        }
    }

    /**
     * Answers a request that reached this KMS in process rather than over HTTP ({@code KmsServer.call}): the same
     * steps as {@link #handle} (permit, body limit, SigV4, operation, one audit record naming the request's source and
     * user agent), without a socket. The body was read by whoever received it; one above {@link #MAX_BODY_BYTES} is
     * refused 413 as over HTTP.
     */
    public KmsAnswer call(KmsRequest request) {
        String requestId = UUID.randomUUID().toString();
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(request.headers());
        Incoming in = new Incoming(
                request.method(),
                request.rawPath(),
                request.rawQuery(),
                headers::get,
                request.sourceAddress(),
                request.userAgent(),
                () -> withinLimit(request.body()));
        Outcome o = answer(requestId, in);
        try {
            return new KmsAnswer(o.status(), requestId, JSON.writeValueAsBytes(o.body()));
        } catch (JsonProcessingException e) {
            throw new StrongroomException(
                    ErrorCode.INTERNAL, "cannot encode the answer to KMS request " + requestId, e);
        } finally {
            // The answer may carry a data key or a plaintext: the tree's copy goes now, the bytes when the caller
            // closes the answer.
            zeroBinaries(o.body());
        }
    }

    /** A request as the answering needs it, wherever it arrived: an HTTP exchange, or a call in process. */
    private record Incoming(
            String method,
            String rawPath,
            @Nullable String rawQuery,
            Function<String, @Nullable List<String>> headers,
            String sourceAddress,
            String userAgent,
            BodyReader body) {
        @Nullable
        String first(String name) {
            List<String> v = headers.apply(name);
            return v == null || v.isEmpty() ? null : v.getFirst();
        }
    }

    /** Reads a request's body; throws {@link BodyTimedOut} or {@link UnreadableRequest} as reading an exchange does. */
    @FunctionalInterface
    private interface BodyReader {
        byte[] read() throws IOException;
    }

    /** An answer before it is sent; {@code answered} when the body deadline has answered the client already. */
    private record Outcome(int status, JsonNode body, boolean answered) {}

    /** Everything but the sending: the permit, the operation, the error mapping and the one audit record. */
    private Outcome answer(String requestId, Incoming in) {
        String target = in.first("X-Amz-Target");
        String op = target == null ? "" : target.startsWith("TrentService.") ? target.substring(13) : target;
        AuditEvent ev = new AuditEvent(
                requestId, UUID.randomUUID().toString(), requestClock.instant(), op.isEmpty() ? "Unknown" : op);
        ev.source(in.sourceAddress(), in.userAgent());
        int status;
        JsonNode body;
        boolean answered = false;
        boolean permitted = permits.tryAcquire();
        try {
            if (!permitted) {
                throw new KmsApiException(
                        ErrorCode.KEY_UNAVAILABLE,
                        "ThrottlingException",
                        503,
                        "The KMS is serving as many requests as it allows at once; retry with backoff.");
            }
            body = serve(in, op, ev);
            status = 200;
        } catch (StrongroomException e) {
            KmsApiException k = KmsApiException.from(e);
            status = k.httpStatus();
            if (status == 500) {
                body = internalFailure(k.wireCode(), requestId, ev, e);
            } else {
                ev.error(k.wireCode(), k.getMessage());
                body = error(k.wireCode(), k.getMessage());
            }
        } catch (BodyTimedOut e) {
            ev.error("RequestTimeoutException", e.getMessage());
            status = 408;
            body = error("RequestTimeoutException", e.getMessage());
            answered = true;
        } catch (UnreadableRequest e) {
            ev.error("ValidationException", e.getMessage());
            status = 400;
            body = error("ValidationException", e.getMessage());
        } catch (RuntimeException | IOException e) {
            status = 500;
            body = internalFailure("KMSInternalException", requestId, ev, e);
        } finally {
            if (permitted) {
                permits.release();
            }
        }
        try {
            audit.append(ev);
        } catch (RuntimeException e) {
            // Nothing leaves the KMS unaudited: withhold the result (a data key, a plaintext) and say so.
            LOG.log(Level.ERROR, "KMS request " + requestId + ": the audit trail cannot be written", e);
            zeroBinaries(body);
            status = 500;
            body = error(
                    "KMSInternalException",
                    "The KMS could not write its audit trail, so it withholds the result; a change the request"
                            + " asked for may have been made. The server log has the detail under request id "
                            + requestId + ".");
        }
        return new Outcome(status, body, answered);
    }

    /** The request body could not be read (the client went away or stalled): answered 400, audited. */
    private static final class UnreadableRequest extends IOException {
        private static final long serialVersionUID = 1L;

        UnreadableRequest(IOException cause) {
            super("The request body could not be read: " + cause.getMessage(), cause);
        }
    }

    /** The body did not arrive within the deadline; {@link BodyDeadline} answered the client. */
    private static final class BodyTimedOut extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTimedOut(Duration deadline) {
            super("The request body did not arrive within " + deadline.toSeconds() + " s; send it again.");
        }
    }

    /** Reads the body under the deadline; throws {@link BodyTimedOut} when the deadline answered first. */
    private byte[] readBodyWithin(HttpExchange ex) throws IOException {
        Duration d = bodyDeadline;
        byte[] answer = JSON.writeValueAsBytes(error("RequestTimeoutException", new BodyTimedOut(d).getMessage()));
        BodyDeadline deadline = BodyDeadline.start(ex, d, JSON_TYPE, answer);
        byte[] raw;
        try {
            raw = readBody(ex);
        } catch (UnreadableRequest | KmsApiException e) {
            if (!deadline.finish()) {
                throw new BodyTimedOut(d);
            }
            throw e;
        }
        if (!deadline.finish()) {
            throw new BodyTimedOut(d);
        }
        return raw;
    }

    private JsonNode serve(Incoming in, String op, AuditEvent ev) throws IOException {
        String auth = in.first("Authorization");
        if (auth != null) {
            Matcher m = SCOPE_REGION.matcher(auth);
            if (m.find()) {
                ev.region(m.group(1));
            }
        }
        if (!in.method().equals("POST")) {
            throw KmsApiException.of("UnknownOperationException", "Only POST / is served.");
        }
        byte[] raw = in.body().read();
        SigV4.Verified v;
        try {
            v = sigV4.verify(
                    in.method(),
                    in.rawPath(),
                    in.rawQuery(),
                    in.headers(),
                    raw,
                    requestClock.instant(),
                    ev::claimedAccessKey);
        } catch (SigV4Exception e) {
            throw refused(e);
        }
        var cred = v.credential();
        Caller caller = new Caller(
                cred.accessKeyId(), cred.accountId(), cred.principalArn(), in.sourceAddress(), in.userAgent());
        ev.caller(caller);
        ev.region(v.region());
        if (op.isEmpty() || !KmsService.supports(op)) {
            throw KmsApiException.of("UnknownOperationException", "Operation '" + op + "' is not supported.");
        }
        JsonNode request = requestBody(raw);
        ev.requestParameters(request);
        return service.call(op, caller, v.region(), request, ev);
    }

    /** The KMS JSON protocol's answer to a signature the shared verifier refused, chosen by its reason. */
    static KmsApiException refused(SigV4Exception e) {
        String type = switch (e.reason()) {
            case MISSING_TOKEN -> "MissingAuthenticationTokenException";
            case INCOMPLETE -> "IncompleteSignatureException";
            case UNKNOWN_ACCESS_KEY -> "UnrecognizedClientException";
            case EXPIRED, MISMATCH -> "InvalidSignatureException";
        };
        return new KmsApiException(ErrorCode.ACCESS_DENIED, type, 400, String.valueOf(e.getMessage()));
    }

    /**
     * The request body as the operations take it: a JSON object ({@code {}} when the body is empty). Anything
     * else is SerializationException, as AWS answers it.
     */
    static JsonNode requestBody(byte[] raw) {
        JsonNode request;
        try {
            request = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
        } catch (IOException e) {
            // Not only JsonProcessingException: a body whose first bytes look like UTF-32 but is not fails with
            // CharConversionException, and that is the client's malformed body too, not an internal error.
            throw KmsApiException.of("SerializationException", "The request body is not valid JSON.");
        }
        if (request == null || !request.isObject()) {
            throw KmsApiException.of("SerializationException", "The request body must be a JSON object.");
        }
        return request;
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

    /**
     * Reads at most {@link #MAX_BODY_BYTES} into memory; a larger body is refused after the rest of it is discarded
     * (not read at all when its declared length is beyond {@link HttpBodies#DRAIN_LIMIT}).
     */
    private static byte[] readBody(HttpExchange ex) throws UnreadableRequest {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                length = -1;
            }
            if (length > MAX_BODY_BYTES) {
                // Read to its end so the client gets this answer rather than a reset, unless it is too big to be
                // worth reading (then the connection closes unread).
                if (length <= HttpBodies.DRAIN_LIMIT) {
                    HttpBodies.drain(ex.getRequestBody());
                }
                throw tooLarge();
            }
        }
        byte[] b;
        try (InputStream in = ex.getRequestBody()) {
            b = in.readNBytes(MAX_BODY_BYTES + 1);
            if (b.length > MAX_BODY_BYTES) {
                HttpBodies.drain(in);
                throw tooLarge();
            }
        } catch (IOException e) {
            throw new UnreadableRequest(e);
        }
        return b;
    }

    /** A body read by someone else, held to the same limit as one read here. */
    private static byte[] withinLimit(byte[] body) {
        if (body.length > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        return body;
    }

    private static KmsApiException tooLarge() {
        return new KmsApiException(
                ErrorCode.INVALID_ARGUMENT,
                "ValidationException",
                413,
                "The request body exceeds " + MAX_BODY_BYTES + " bytes.");
    }

    /**
     * The answer to a fault of the KMS (a 500): one log line with the request id and the stack, the audit record
     * names the failure's type and the id, and the client is told the id to quote instead of the detail, which may
     * name classes and paths (reference/aws-api.md §2.2: only the {@code __type} and the status matter to a client).
     */
    private static ObjectNode internalFailure(String type, String requestId, AuditEvent ev, Throwable e) {
        LOG.log(Level.ERROR, "KMS request " + requestId + " failed inside the KMS", e);
        boolean retryable = e instanceof StrongroomException s && s.code().retryable();
        String message = "The request failed inside the KMS" + (retryable ? " and may succeed if retried later" : "")
                + "; the server log has the detail under request id " + requestId + ".";
        ev.error(type, message);
        return error(type, message);
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
