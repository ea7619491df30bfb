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
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.ClusterNotFoundException;
import software.amazon.awssdk.services.redshift.model.ClusterSnapshotNotFoundException;

/**
 * {@code strongroom shred --cluster ID [--execute] [--json] [--endpoint-url URL] [--region R]}: the crypto-shredding
 * report of a cluster (docs/security.md "Crypto-shredding"), from the endpoint's {@code DescribeClusterShredding}
 * action (a Strongroom extension of the Redshift API, signed with SigV4 like every other request): what still holds
 * the cluster's keys or data, in every region, which root key each depends on and its state now, and the verdict.
 *
 * <p>With {@code --execute} it first runs the shredding through the ordinary Redshift API, as a user could by hand:
 * DeleteCluster with SkipFinalClusterSnapshot (then waits until the cluster is gone), and DeleteClusterSnapshot for
 * every manual snapshot of it and every copy of one in another region that the report lists. It never deletes a
 * cluster restored from a snapshot (that is another cluster, with keys of its own), and it never schedules the
 * deletion of a KMS key: the key may protect other things, so the report gives that last step as a command. It
 * prints the report before and after.
 *
 * <p>Endpoint, region and credentials come from the environment as for {@code strongroom watch}. Exit status: 0
 * when the report says SHREDDED, 3 when it says NOT_SHREDDED (what still could be read is listed), 1 on a failure,
 * 2 on a usage error. Not thread-safe; one run at a time per instance of its arguments.
 */
public final class ShredCommand {
    private static final String USAGE =
            "usage: strongroom shred --cluster ID [--execute] [--json] [--endpoint-url URL] [--region R]";
    private static final Set<String> LISTS = Set.of("Items", "RootKeys", "Actions", "Notes");
    private static final Duration DELETE_TIMEOUT = Duration.ofMinutes(30);

    private ShredCommand() {}

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String cluster = null;
        boolean execute = false;
        boolean json = false;
        String endpointFlag = null;
        String regionFlag = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--execute" -> execute = true;
                case "--json" -> json = true;
                case "--cluster", "--endpoint-url", "--region" -> {
                    if (i + 1 >= args.length) {
                        err.println("strongroom shred: missing value after " + args[i] + "; " + USAGE);
                        return 2;
                    }
                    String value = args[++i];
                    switch (args[i - 1]) {
                        case "--cluster" -> cluster = value;
                        case "--region" -> regionFlag = value;
                        default -> endpointFlag = value;
                    }
                }
                default -> {
                    err.println("strongroom shred: unexpected argument " + args[i] + "; " + USAGE);
                    return 2;
                }
            }
        }
        if (cluster == null) {
            err.println("strongroom shred: name the cluster with --cluster; " + USAGE);
            return 2;
        }
        URI endpoint;
        Region region;
        AwsCredentialsProvider credentials;
        try {
            endpoint = WatchCommand.endpoint(endpointFlag, env);
            region = WatchCommand.region(regionFlag, env);
        } catch (WatchCommand.UsageException e) {
            err.println("strongroom shred: " + e.getMessage());
            return 2;
        }
        try {
            credentials = WatchCommand.credentials(env);
        } catch (RuntimeException e) {
            err.println("strongroom shred: no AWS credentials found; run eval \"$(./strongroom env)\"");
            return 1;
        }
        try {
            Element before = call(endpoint, region, credentials, cluster);
            Element after = before;
            List<String> steps = new ArrayList<>();
            if (execute) {
                if (!json) {
                    out.println("before:");
                    print(before, out);
                }
                execute(endpoint, region, credentials, cluster, before, steps, json ? err : out);
                after = call(endpoint, region, credentials, cluster);
            }
            if (json) {
                out.println(
                        execute
                                ? "{\"before\":" + json(before) + ",\"steps\":" + jsonStrings(steps) + ",\"after\":"
                                        + json(after) + "}"
                                : json(after));
            } else {
                if (execute) {
                    out.println("after:");
                }
                print(after, out);
            }
            return "true".equals(text(after, "Shredded")) ? 0 : 3;
        } catch (ShredFailure e) {
            err.println("strongroom shred: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            err.println("strongroom shred: " + e.getClass().getSimpleName() + " talking to " + endpoint + ": "
                    + e.getMessage());
            return 1;
        }
    }

    private static final class ShredFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ShredFailure(String message) {
            super(message);
        }
    }

    /**
     * The shredding through the Redshift API: the cluster deleted without a final snapshot (waiting until it is
     * gone), then every manual snapshot and copy the report lists deleted in its own region. Each step is printed.
     */
    private static void execute(
            URI endpoint,
            Region region,
            AwsCredentialsProvider credentials,
            String cluster,
            Element report,
            List<String> steps,
            PrintStream progress) {
        try (RedshiftClient rs = client(endpoint, region, credentials)) {
            boolean exists;
            try {
                exists = !rs.describeClusters(r -> r.clusterIdentifier(cluster))
                        .clusters()
                        .isEmpty();
            } catch (ClusterNotFoundException e) {
                exists = false;
            }
            if (exists) {
                step(steps, progress, "deleting cluster " + cluster + " in " + region + " (no final snapshot)");
                rs.deleteCluster(r -> r.clusterIdentifier(cluster).skipFinalClusterSnapshot(true));
                long deadline = System.nanoTime() + DELETE_TIMEOUT.toNanos();
                while (true) {
                    try {
                        rs.describeClusters(r -> r.clusterIdentifier(cluster));
                    } catch (ClusterNotFoundException gone) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new ShredFailure("cluster " + cluster + " is still not deleted after "
                                + DELETE_TIMEOUT.toMinutes() + " minutes; its events (aws redshift describe-events)"
                                + " say why; run strongroom shred again once it is gone");
                    }
                    pause();
                }
                step(steps, progress, "cluster " + cluster + " deleted");
            }
        }
        Set<String> regions = new TreeSet<>();
        for (Element item : children(report, "Items", "Item")) {
            String kind = text(item, "Kind");
            if (!kind.equals("snapshot") && !kind.equals("snapshot-copy")) {
                continue;
            }
            String name = text(item, "Name");
            String where = text(item, "Region");
            if (!text(item, "Status").startsWith("manual")) {
                step(
                        steps,
                        progress,
                        "left automated " + kind + " " + name + " in " + where
                                + ": it cannot be deleted by hand (the report says when it goes)");
                continue;
            }
            regions.add(where);
            try (RedshiftClient rs = client(endpoint, Region.of(where), credentials)) {
                step(steps, progress, "deleting " + kind + " " + name + " in " + where);
                rs.deleteClusterSnapshot(r -> r.snapshotIdentifier(name));
            } catch (ClusterSnapshotNotFoundException gone) {
                step(steps, progress, kind + " " + name + " in " + where + " was already gone");
            }
        }
        if (!regions.isEmpty()) {
            step(steps, progress, "snapshots deleted in " + String.join(", ", regions));
        }
    }

    private static void step(List<String> steps, PrintStream progress, String what) {
        steps.add(what);
        progress.println("  " + what);
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShredFailure("interrupted");
        }
    }

    private static RedshiftClient client(URI endpoint, Region region, AwsCredentialsProvider credentials) {
        return RedshiftClient.builder()
                .endpointOverride(endpoint)
                .region(region)
                .credentialsProvider(credentials)
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    /** One signed DescribeClusterShredding; its result element. */
    private static Element call(URI endpoint, Region region, AwsCredentialsProvider credentials, String cluster) {
        String body = "Action=DescribeClusterShredding&Version=2012-12-01&ClusterIdentifier="
                + URLEncoder.encode(cluster, StandardCharsets.UTF_8);
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
                .timeout(Duration.ofMinutes(2))
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
            throw new ShredFailure(
                    "cannot reach " + endpoint + " (" + e.getMessage() + "); is ./strongroom up running?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShredFailure("interrupted");
        }
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(response.body()));
        } catch (Exception e) {
            throw new ShredFailure("the endpoint answered HTTP " + response.statusCode() + " with no readable XML");
        }
        Element root = doc.getDocumentElement();
        if (response.statusCode() != 200) {
            throw new ShredFailure(cluster + ": " + text(root, "Code") + ": " + text(root, "Message"));
        }
        Node result =
                root.getElementsByTagName("DescribeClusterShreddingResult").item(0);
        if (!(result instanceof Element e)) {
            throw new ShredFailure("the endpoint's answer has no DescribeClusterShreddingResult");
        }
        return e;
    }

    private static String text(Element parent, String name) {
        NodeList l = parent.getElementsByTagName(name);
        return l.getLength() == 0 ? "" : l.item(0).getTextContent();
    }

    private static List<Element> children(Element parent, String list, String item) {
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

    private static void print(Element r, PrintStream out) {
        List<Element> items = children(r, "Items", "Item");
        long readable =
                items.stream().filter(i -> "true".equals(text(i, "Readable"))).count();
        out.println("cluster " + text(r, "ClusterIdentifier") + " (" + text(r, "Region") + "), checked "
                + text(r, "CheckedAt") + ": " + text(r, "Verdict")
                + (readable > 0
                        ? " (" + readable + " of " + items.size() + " items could still be read)"
                        : items.isEmpty()
                                ? " (nothing of it remains here)"
                                : " (" + items.size() + " items remain, none readable)"));
        for (Element i : items) {
            out.println("  " + ("true".equals(text(i, "Readable")) ? "READABLE  " : "unreadable")
                    + String.format(
                            Locale.ROOT,
                            " %-24s %-28s %-12s %s",
                            text(i, "Kind"),
                            text(i, "Name"),
                            text(i, "Region"),
                            text(i, "Status"))
                    + "\n              " + text(i, "Reason"));
        }
        List<Element> keys = children(r, "RootKeys", "RootKey");
        if (!keys.isEmpty()) {
            out.println("  root keys, as the KMS says now:");
            for (Element k : keys) {
                out.println("    " + text(k, "KeyArn") + ": " + text(k, "KeyState")
                        + (text(k, "DeletionDate").isEmpty() ? "" : " until " + text(k, "DeletionDate"))
                        + (text(k, "Detail").isEmpty() ? "" : " (" + text(k, "Detail") + ")"));
            }
        }
        List<Element> actions = children(r, "Actions", "member");
        if (!actions.isEmpty()) {
            out.println("  what to do:");
            actions.forEach(a -> out.println("    - " + a.getTextContent()));
        }
        children(r, "Notes", "member").forEach(n -> out.println("  note: " + n.getTextContent()));
    }

    /** The result as a JSON object: scalar fields as strings, the four lists as arrays. */
    private static String json(Element r) {
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        for (Node n = r.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element e)) {
                continue;
            }
            b.append(first ? "" : ",").append(quote(e.getTagName())).append(':');
            first = false;
            if (LISTS.contains(e.getTagName())) {
                b.append('[');
                boolean f2 = true;
                for (Node m = e.getFirstChild(); m != null; m = m.getNextSibling()) {
                    if (m instanceof Element item) {
                        b.append(f2 ? "" : ",")
                                .append(item.getTagName().equals("member") ? quote(item.getTextContent()) : json(item));
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

    private static String jsonStrings(List<String> values) {
        List<String> quoted = values.stream().map(ShredCommand::quote).toList();
        return "[" + String.join(",", quoted) + "]";
    }

    private static String quote(@Nullable String s) {
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
