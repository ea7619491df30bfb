package io.strongroom.control.api;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Forwards a KMS API request ({@code X-Amz-Target: TrentService.*}) to a KMS in another process unchanged, so one
 * endpoint URL serves both APIs. The KMS verifies the client's signature itself; this class never signs or inspects.
 * An embedded KMS is not reached this way but in process ({@link InProcessKmsRoute}).
 *
 * <p>How this works: a raw HTTP/1.1 exchange over a fresh socket, with the client's request line, every header
 * as received (including {@code Host}, which the client signed, so no HTTP client that rewrites Host can be
 * used) except hop-by-hop ones, and the body; the answer's status, content type, request id and body go back.
 * The KMS audit trail therefore records the control plane's address as the source. Alternatives rejected:
 * {@code java.net.http.HttpClient} refuses to send a caller-chosen Host header without a JVM-wide system
 * property.
 *
 * <p>Thread-safe (stateless per request).
 */
final class KmsForwarder implements KmsRoute {
    static final int MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection",
            "keep-alive",
            "transfer-encoding",
            "content-length",
            "te",
            "trailer",
            "upgrade",
            "proxy-connection",
            "proxy-authorization");

    private final URI kms;

    KmsForwarder(URI kms) {
        this.kms = kms;
    }

    @Override
    public void forward(HttpExchange ex, byte[] body) throws IOException {
        String host = kms.getHost();
        boolean tls = "https".equalsIgnoreCase(kms.getScheme());
        int port = kms.getPort() > 0 ? kms.getPort() : tls ? 443 : 80;
        byte[] response;
        try (Socket s = tls ? SSLSocketFactory.getDefault().createSocket() : new Socket()) {
            if (s instanceof SSLSocket ssl) {
                // Check the KMS's certificate against its host name (and send SNI): forwarded responses carry
                // plaintext data keys, so a man in the middle must not be able to terminate this connection.
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                p.setServerNames(List.of(new SNIHostName(host)));
                ssl.setSSLParameters(p);
            }
            s.connect(new InetSocketAddress(host, port), 3000);
            s.setSoTimeout(30_000);
            StringBuilder head = new StringBuilder();
            String rawQuery = ex.getRequestURI().getRawQuery();
            head.append(ex.getRequestMethod())
                    .append(' ')
                    .append(ex.getRequestURI().getRawPath())
                    .append(rawQuery == null ? "" : "?" + rawQuery)
                    .append(" HTTP/1.1\r\n");
            for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
                if (HOP_BY_HOP.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                    continue;
                }
                for (String v : h.getValue()) {
                    head.append(h.getKey()).append(": ").append(v).append("\r\n");
                }
            }
            head.append("Content-Length: ").append(body.length).append("\r\n");
            head.append("Connection: close\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            response = readAll(s.getInputStream());
        } catch (IOException e) {
            answer(
                    ex,
                    503,
                    "application/x-amz-json-1.1",
                    null,
                    ("{\"__type\":\"KMSInternalException\",\"message\":" + "\"The KMS at " + kms
                                    + " cannot be reached; retry later.\"}")
                            .getBytes(StandardCharsets.UTF_8));
            return;
        }
        int headerEnd = indexOf(response, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (headerEnd < 0) {
            answer(
                    ex,
                    502,
                    "application/x-amz-json-1.1",
                    null,
                    ("{\"__type\":\"KMSInternalException\",\"message\":"
                                    + "\"The KMS answered with a malformed response.\"}")
                            .getBytes(StandardCharsets.UTF_8));
            return;
        }
        String[] lines = new String(response, 0, headerEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ", 3)[1]);
        String contentType = "application/x-amz-json-1.1";
        @Nullable String requestId = null;
        boolean chunked = false;
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c < 0) {
                continue;
            }
            String name = lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(c + 1).trim();
            switch (name) {
                case "content-type" -> contentType = value;
                case "x-amzn-requestid" -> requestId = value;
                case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                default -> {}
            }
        }
        byte[] payload = Arrays.copyOfRange(response, headerEnd + 4, response.length);
        if (chunked) {
            payload = dechunk(payload);
        }
        Arrays.fill(response, (byte) 0);
        try {
            answer(ex, status, contentType, requestId, payload);
        } finally {
            // The answer may carry a data key or a plaintext.
            Arrays.fill(payload, (byte) 0);
        }
    }

    private static void answer(HttpExchange ex, int status, String type, @Nullable String requestId, byte[] body)
            throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        if (requestId != null) {
            ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            if (out.size() > MAX_RESPONSE_BYTES) {
                throw new IOException("KMS response larger than " + MAX_RESPONSE_BYTES + " bytes");
            }
        }
        return out.toByteArray();
    }

    private static byte[] dechunk(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length);
        int p = 0;
        while (p < b.length) {
            int eol = indexOf(b, p, "\r\n".getBytes(StandardCharsets.ISO_8859_1));
            if (eol < 0) {
                throw new IOException("bad chunked encoding from the KMS");
            }
            String size = new String(b, p, eol - p, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int n = Integer.parseInt(size, 16);
            if (n == 0) {
                break;
            }
            out.write(b, eol + 2, n);
            p = eol + 2 + n + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] b, byte[] pattern) {
        return indexOf(b, 0, pattern);
    }

    private static int indexOf(byte[] b, int from, byte[] pattern) {
        outer:
        for (int i = from; i <= b.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (b[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public String toString() {
        return "KmsForwarder[" + kms + "]";
    }
}
