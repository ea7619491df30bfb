package io.strongroom.server.watch;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Element;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
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
        ExtensionCall.Target target;
        try {
            target = ExtensionCall.target("strongroom shred", endpointFlag, regionFlag, env, err);
        } catch (ExtensionCall.Exit e) {
            return e.status;
        }
        URI endpoint = target.endpoint();
        Region region = target.region();
        AwsCredentialsProvider credentials = target.credentials();
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
        } catch (ExtensionCall.Failure e) {
            err.println("strongroom shred: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            err.println("strongroom shred: " + e.getClass().getSimpleName() + " talking to " + endpoint + ": "
                    + e.getMessage());
            return 1;
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
                        throw new ExtensionCall.Failure("cluster " + cluster + " is still not deleted after "
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
            throw new ExtensionCall.Failure("interrupted");
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

    /** One signed DescribeClusterShredding; its result element. */
    private static Element call(URI endpoint, Region region, AwsCredentialsProvider credentials, String cluster) {
        return ExtensionCall.call(
                endpoint,
                region,
                credentials,
                "DescribeClusterShredding",
                Map.of("ClusterIdentifier", cluster),
                Duration.ofMinutes(2));
    }

    private static String text(Element parent, String name) {
        return ExtensionCall.text(parent, name);
    }

    private static List<Element> children(Element parent, String list, String item) {
        return ExtensionCall.children(parent, list, item);
    }

    private static String json(Element r) {
        return ExtensionCall.json(r, LISTS);
    }

    private static String quote(@Nullable String s) {
        return ExtensionCall.quote(s);
    }

    private static String jsonStrings(List<String> values) {
        List<String> quoted = values.stream().map(ShredCommand::quote).toList();
        return "[" + String.join(",", quoted) + "]";
    }
}
