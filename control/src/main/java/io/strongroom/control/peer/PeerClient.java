package io.strongroom.control.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The sending side of a peer link: requests to one peer's receiving endpoint over mutual TLS 1.3, presenting this
 * installation's identity and trusting only the certificate the configuration pins for the peer. Host names are not
 * checked (the pin is exact, which a name check cannot add to). A refusal comes back as {@link PeerException} with
 * the receiver's code and message; a peer that cannot be reached, or a link cut in the middle, as a retryable {@link
 * PeerException} ({@link ErrorCode#IO_ERROR}); a TLS failure (the peer's certificate is not the pinned one) as
 * ACCESS_DENIED naming what to check.
 * Thread-safe: each request opens its own connection.
 */
public final class PeerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ANSWER = 1024 * 1024;

    private final PeerConfig.Peer peer;
    private final SSLContext tls;
    private final Duration timeout;

    public PeerClient(PeerIdentity me, PeerConfig.Peer peer, Duration timeout) {
        this.peer = peer;
        this.tls = PeerTls.client(me, peer.certificate());
        this.timeout = timeout;
    }

    public PeerConfig.Peer peer() {
        return peer;
    }

    /** Writes a request body. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** {@code POST snapshot-copy/<op>} with a JSON body; the JSON answer. */
    public JsonNode call(String op, ObjectNode request) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot encode a peer request", e);
        }
        return post(op, out -> out.write(body));
    }

    /** {@code POST snapshot-copy/<op>} with a streamed body (chunked); the JSON answer. */
    public JsonNode post(String op, Body body) {
        URI uri = peer.endpoint().resolve(PeerServer.PREFIX + op);
        HttpURLConnection c = null;
        try {
            URL url = uri.toURL();
            HttpsURLConnection https = (HttpsURLConnection) url.openConnection();
            https.setSSLSocketFactory(tls.getSocketFactory());
            // The receiver's certificate is pinned exactly by the trust manager; a host name adds nothing to that.
            https.setHostnameVerifier((host, session) -> true);
            c = https;
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setChunkedStreamingMode(64 * 1024);
            c.setRequestProperty("Content-Type", "application/octet-stream");
            try (OutputStream out = c.getOutputStream()) {
                body.writeTo(out);
            }
            int status = c.getResponseCode();
            InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
            JsonNode answer = in == null ? JSON.createObjectNode() : read(in);
            if (status >= 400) {
                throw refusal(status, answer);
            }
            return answer;
        } catch (SSLException e) {
            throw new PeerException(
                    ErrorCode.ACCESS_DENIED,
                    "DependentServiceAccessDenied",
                    403,
                    "TLS with peer " + peer.name() + " (" + peer.endpoint() + ") failed: it presented a certificate"
                            + " other than the one peers.json pins for it here, or it refused this installation's"
                            + " identity certificate (peering/identity.pem). Compare the certificates on both sides.",
                    e);
        } catch (IOException e) {
            throw new PeerException(
                    ErrorCode.IO_ERROR,
                    "DependentServiceUnavailableFault",
                    503,
                    "Peer " + peer.name() + " (" + peer.endpoint() + ") cannot be reached or cut the transfer ("
                            + e.getClass().getSimpleName() + "); it is tried again.",
                    e);
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private static JsonNode read(InputStream in) throws IOException {
        try (in) {
            byte[] b = in.readNBytes(MAX_ANSWER + 1);
            if (b.length > MAX_ANSWER) {
                throw new IOException("the peer's answer is too large");
            }
            JsonNode n = b.length == 0 ? null : JSON.readTree(b);
            return n == null ? JSON.createObjectNode() : n;
        }
    }

    private PeerException refusal(int status, JsonNode answer) {
        ErrorCode code;
        try {
            code = ErrorCode.valueOf(answer.path("code").asText("INTERNAL"));
        } catch (IllegalArgumentException e) {
            code = ErrorCode.INTERNAL;
        }
        return new PeerException(
                code,
                answer.path("wireCode").asText("InternalFailure"),
                status,
                "Peer " + peer.name() + ": " + answer.path("message").asText("refused (HTTP " + status + ")"));
    }

    @Override
    public String toString() {
        return "PeerClient[" + peer + "]";
    }
}
