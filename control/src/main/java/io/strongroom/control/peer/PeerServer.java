package io.strongroom.control.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.strongroom.aws.ApiHttpServer;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.ClientCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The receiving endpoint of peer links: HTTPS with mutual TLS 1.3 on its own port (apart from the Redshift API, so
 * that no SigV4 client ever reaches it and no peer reaches the API through it). A client must present a certificate
 * and prove it holds its key; every request is then refused (403, before its body is read) unless that certificate
 * is, byte for byte, one of the configured peers'. Requests
 * ({@code POST /strongroom/peer/v1/snapshot-copy/check}, {@code .../begin}, {@code .../send?copyId=}) go to the
 * {@link PeerService} with the peer the certificate names. Refusals answer {@code {"code", "wireCode", "message"}}
 * with the refusal's HTTP status ({@code wireCode} empty when the refusal is not one of the peer protocol's own,
 * so the asking installation maps the code as for any failure of its own); a message never holds a server path. One virtual thread per request. Thread-safe.
 */
public final class PeerServer implements AutoCloseable {
    static final String PREFIX = "/strongroom/peer/v1/snapshot-copy/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger(PeerServer.class.getName());
    private static final int MAX_JSON = 16 * 1024 * 1024;

    private final HttpsServer http;
    private final ExecutorService executor;

    private PeerServer(HttpsServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    /** Starts listening on {@code config.listen()} (required). */
    public static PeerServer start(PeerConfig config, PeerIdentity identity, PeerService service) {
        InetSocketAddress at = config.listen();
        if (at == null) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "peers.json names no listen address");
        }
        try {
            // The JDK server's JVM-wide limits, from the one place every server of the process sets them.
            ApiHttpServer.applyJdkServerLimits();
            HttpsServer http = HttpsServer.create(at, 64);
            http.setHttpsConfigurator(new HttpsConfigurator(PeerTls.server(identity)) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = getSSLContext().getDefaultSSLParameters();
                    p.setProtocols(PeerTls.PROTOCOLS);
                    p.setNeedClientAuth(true);
                    params.setSSLParameters(p);
                }
            });
            ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
            http.setExecutor(executor);
            http.createContext(PREFIX, ex -> handle(ex, config, service));
            http.start();
            return new PeerServer(http, executor);
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot listen for peers on " + at + ": " + e.getMessage(), e);
        }
    }

    private static void handle(HttpExchange ex, PeerConfig config, PeerService service) throws IOException {
        try (ex) {
            Optional<X509Certificate> presented = certificateOf(ex);
            Optional<PeerConfig.Peer> from = presented.flatMap(config::byCertificate);
            if (from.isEmpty()) {
                String fingerprint =
                        presented.map(ClientCertificates::fingerprint).orElse("none");
                LOG.log(System.Logger.Level.WARNING, "refused a sender with unknown certificate " + fingerprint);
                answer(
                        ex,
                        403,
                        error(
                                ErrorCode.ACCESS_DENIED,
                                "UnauthorizedOperation",
                                "This installation does not know the sender's identity certificate (SHA-256 "
                                        + fingerprint + "): add it to the peers in its peers.json."));
                return;
            }
            String op = ex.getRequestURI().getPath().substring(PREFIX.length());
            if (!ex.getRequestMethod().equals("POST")) {
                answer(ex, 405, error(ErrorCode.INVALID_ARGUMENT, "InvalidAction", "use POST"));
                return;
            }
            try {
                ObjectNode out = switch (op) {
                    case "check" -> service.checkCopy(from.get(), json(ex.getRequestBody()));
                    case "begin" -> service.beginCopy(from.get(), json(ex.getRequestBody()));
                    case "send" -> service.receiveCopy(from.get(), copyId(ex.getRequestURI()), ex.getRequestBody());
                    default -> throw new PeerException(ErrorCode.NOT_FOUND, "InvalidAction", 404, "no operation " + op);
                };
                answer(ex, 200, out);
            } catch (PeerException e) {
                answer(
                        ex,
                        e.httpStatus(),
                        error(e.code(), e.wireCode(), StrongroomException.forClient(String.valueOf(e.getMessage()))));
            } catch (StrongroomException e) {
                LOG.log(System.Logger.Level.WARNING, "peer " + from.get().name() + " " + op + ": " + e.getMessage());
                answer(
                        ex,
                        e.code().retryable() ? 503 : 400,
                        error(
                                e.code(),
                                // No wire code: the asking installation's Redshift edge maps the code itself.
                                "",
                                StrongroomException.forClient(String.valueOf(e.getMessage()))));
            }
        }
    }

    private static Optional<X509Certificate> certificateOf(HttpExchange ex) {
        if (!(ex instanceof HttpsExchange https)) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = https.getSSLSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate c ? Optional.of(c) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    private static String copyId(URI uri) {
        String q = uri.getRawQuery();
        if (q != null && q.startsWith("copyId=") && q.substring(7).matches("[A-Za-z0-9-]{1,64}")) {
            return q.substring(7);
        }
        throw new PeerException(ErrorCode.INVALID_ARGUMENT, "InvalidParameterValue", 400, "send needs ?copyId=");
    }

    private static JsonNode json(InputStream in) throws IOException {
        byte[] b = in.readNBytes(MAX_JSON + 1);
        if (b.length > MAX_JSON) {
            throw new PeerException(ErrorCode.INVALID_ARGUMENT, "InvalidParameterValue", 400, "request too large");
        }
        JsonNode n = JSON.readTree(b);
        if (n == null || !n.isObject()) {
            throw new PeerException(ErrorCode.INVALID_ARGUMENT, "InvalidParameterValue", 400, "not a JSON object");
        }
        return n;
    }

    private static ObjectNode error(ErrorCode code, String wireCode, String message) {
        return JSON.createObjectNode()
                .put("code", code.name())
                .put("wireCode", wireCode)
                .put("message", message);
    }

    private static void answer(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    /** The port the endpoint listens on. */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The endpoint's URL ({@code https://host:port}), what a peer writes in its {@code peers.json}. */
    public URI endpoint() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().getHostAddress();
        return URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "PeerServer[" + endpoint() + "]";
    }
}
