package io.strongroom.control.cluster;

import io.strongroom.base.StrongroomException;
import io.strongroom.kms.KmsAnswer;
import io.strongroom.kms.KmsRequest;
import io.strongroom.kms.KmsServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * The transport of the control plane's KMS clients when the KMS is embedded: each signed request the SDK builds is
 * handed to {@link KmsServer#call} in process, with no socket and no HTTP hop, and the KMS verifies its signature and
 * audits it as it would over HTTP. The audit record names {@link #SOURCE} as the request's source, as CloudTrail names
 * a service that calls KMS on a caller's behalf; its identity is whoever signed the request (the Redshift API caller
 * for the calls made with the caller's rights, the service principal for the rest; {@link KmsAccess}).
 *
 * <p>A stopped KMS is an {@link IOException} here, which the SDK reports as it reports a KMS that cannot be reached.
 * Keeping the SDK client (rather than calling the KMS service's operations directly) keeps one code path for an
 * embedded and a remote KMS: the same requests, signatures, error types and audit. Thread-safe and stateless.
 */
final class InProcessKmsHttpClient implements SdkHttpClient {
    /** The source the KMS audit records name for calls the control plane makes in process. */
    static final String SOURCE = "redshift.amazonaws.com";

    private final Supplier<KmsServer> kms;

    InProcessKmsHttpClient(Supplier<KmsServer> kms) {
        this.kms = kms;
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() throws IOException {
                return execute(request);
            }

            @Override
            public void abort() {
                // Nothing to abort: the call runs on the caller's thread and holds no connection.
            }
        };
    }

    private HttpExecuteResponse execute(HttpExecuteRequest request) throws IOException {
        SdkHttpRequest r = request.httpRequest();
        byte[] body;
        Optional<ContentStreamProvider> content = request.contentStreamProvider();
        if (content.isPresent()) {
            try (InputStream in = content.get().newStream()) {
                body = in.readAllBytes();
            }
        } else {
            body = new byte[0];
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(r.headers());
        // The signer signs the host; an HTTP client would send it from the URI, so it is added the same way here.
        headers.putIfAbsent("Host", List.of(r.port() == 80 || r.port() == 443 ? r.host() : r.host() + ":" + r.port()));
        List<String> agent = headers.get("User-Agent");
        KmsRequest k = new KmsRequest(
                r.method().name(),
                r.encodedPath().isEmpty() ? "/" : r.encodedPath(),
                r.encodedQueryParameters().orElse(null),
                headers,
                body,
                SOURCE,
                agent == null || agent.isEmpty() ? "" : agent.getFirst());
        KmsAnswer answer;
        try {
            answer = kms.get().call(k);
        } catch (StrongroomException e) {
            throw new IOException("the embedded KMS cannot be reached: " + e.getMessage(), e);
        }
        // The SDK reads the body after this returns, so it is not zeroed here (nor is it by an HTTP client).
        return HttpExecuteResponse.builder()
                .response(SdkHttpResponse.builder()
                        .statusCode(answer.status())
                        .putHeader("Content-Type", KmsAnswer.CONTENT_TYPE)
                        .putHeader("x-amzn-RequestId", answer.requestId())
                        .putHeader("Content-Length", Integer.toString(answer.body().length))
                        .build())
                .responseBody(AbortableInputStream.create(new ByteArrayInputStream(answer.body())))
                .build();
    }

    @Override
    public String clientName() {
        return "StrongroomInProcess";
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return "InProcessKmsHttpClient[" + SOURCE + "]";
    }
}
