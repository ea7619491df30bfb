package io.strongroom.server.watch;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.regions.Region;

/**
 * A call of one of Strongroom's extensions of the Redshift API ({@code DescribeEncryptionCoverage}, {@code
 * DescribeClusterShredding}), which the SDK has no model for: a Query-protocol POST signed with SigV4 for service
 * {@code redshift}, sent with the JDK's HTTP client, its XML answer parsed with DOCTYPEs refused. Also the small
 * readers the commands share: a child's text, a list's items, the result as JSON. Stateless.
 */
final class ExtensionCall {
    /** The endpoint could not be reached, refused the request, or answered something unreadable; says which. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    private ExtensionCall() {}

    /** Where a command's calls go and how they are signed. */
    record Target(URI endpoint, Region region, AwsCredentialsProvider credentials) {}

    /** The command should end now with {@code status}; what to tell the user is already printed. */
    static final class Exit extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Exit(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }

    /**
     * The endpoint, region and credentials of {@code command} ({@code strongroom coverage}), from its flags and the
     * environment as for {@code strongroom watch}; a usage error (2) or missing credentials (1) is printed to {@code
     * err} and thrown as {@link Exit}.
     */
    static Target target(
            String command,
            @Nullable String endpointFlag,
            @Nullable String regionFlag,
            Map<String, String> env,
            PrintStream err)
            throws Exit {
        URI endpoint;
        Region region;
        try {
            endpoint = WatchCommand.endpoint(endpointFlag, env);
            region = WatchCommand.region(regionFlag, env);
        } catch (WatchCommand.UsageException e) {
            err.println(command + ": " + e.getMessage());
            throw new Exit(2);
        }
        try {
            return new Target(endpoint, region, WatchCommand.credentials(env));
        } catch (RuntimeException e) {
            err.println(command + ": no AWS credentials found; run eval \"$(./strongroom env)\"");
            throw new Exit(1);
        }
    }

    /** Calls {@code action} with {@code params}; returns its {@code <action>Result} element. */
    static Element call(
            URI endpoint,
            Region region,
            AwsCredentialsProvider credentials,
            String action,
            Map<String, String> params,
            Duration timeout) {
        StringBuilder form = new StringBuilder("Action=" + action + "&Version=2012-12-01");
        params.forEach((k, v) -> form.append('&')
                .append(URLEncoder.encode(k, StandardCharsets.UTF_8))
                .append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        String body = form.toString();
        SdkHttpFullRequest unsigned = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.POST)
                .uri(endpoint.resolve("/"))
                .putHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .build();
        SdkHttpRequest signed = AwsV4HttpSigner.create()
                .sign(r -> r.identity(credentials.resolveCredentials())
                        .request(unsigned)
                        .payload(ContentStreamProvider.fromUtf8String(body))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "redshift")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, region.id()))
                .request();
        HttpRequest.Builder b = HttpRequest.newBuilder(signed.getUri())
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        signed.forEachHeader((name, values) -> {
            if (!Set.of("host", "content-length", "connection", "expect", "upgrade")
                    .contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> b.header(name, v));
            }
        });
        HttpResponse<byte[]> response;
        try (HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Failure("cannot reach " + endpoint + " (" + e.getMessage() + "); is ./strongroom up running?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        }
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(response.body()));
        } catch (Exception e) {
            throw new Failure("the endpoint answered HTTP " + response.statusCode() + " with no readable XML");
        }
        Element root = doc.getDocumentElement();
        if (response.statusCode() != 200) {
            throw new Failure(params.getOrDefault("ClusterIdentifier", action) + ": " + text(root, "Code") + ": "
                    + text(root, "Message"));
        }
        Node result = root.getElementsByTagName(action + "Result").item(0);
        if (!(result instanceof Element e)) {
            throw new Failure("the endpoint's answer has no " + action + "Result");
        }
        return e;
    }

    /** The text of the first element named {@code name} under {@code parent}, or "". */
    static String text(Element parent, String name) {
        NodeList l = parent.getElementsByTagName(name);
        return l.getLength() == 0 ? "" : l.item(0).getTextContent();
    }

    /** The {@code item} elements of the first list named {@code list} under {@code parent}. */
    static List<Element> children(Element parent, String list, String item) {
        List<Element> out = new ArrayList<>();
        NodeList l = parent.getElementsByTagName(list);
        if (l.getLength() == 0) {
            return out;
        }
        for (Node n = l.item(0).getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(item)) {
                out.add(e);
            }
        }
        return out;
    }

    /** {@code r} as a JSON object: scalar fields as strings, the elements named in {@code lists} as arrays. */
    static String json(Element r, Set<String> lists) {
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        for (Node n = r.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element e)) {
                continue;
            }
            b.append(first ? "" : ",").append(quote(e.getTagName())).append(':');
            first = false;
            if (lists.contains(e.getTagName())) {
                b.append('[');
                boolean f2 = true;
                for (Node m = e.getFirstChild(); m != null; m = m.getNextSibling()) {
                    if (m instanceof Element item) {
                        b.append(f2 ? "" : ",")
                                .append(
                                        item.getTagName().equals("member")
                                                ? quote(item.getTextContent())
                                                : json(item, lists));
                        f2 = false;
                    }
                }
                b.append(']');
            } else {
                b.append(quote(e.getTextContent()));
            }
        }
        return b.append('}').toString();
    }

    /** {@code s} as a JSON string literal. */
    static String quote(@Nullable String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : String.valueOf(s).toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
