package io.strongroom.server.watch;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.w3c.dom.Element;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;

/**
 * {@code strongroom coverage [cluster] [--json] [--endpoint-url URL] [--region R]}: the encryption coverage of a
 * cluster (or of every cluster of the caller in the region), from the endpoint's {@code DescribeEncryptionCoverage}
 * action (a Strongroom extension of the Redshift API, signed with SigV4 like every other request): each table's
 * blocks by state and key version, read from the block files and reconciled with the manifests, and each snapshot
 * and copy. Endpoint, region and credentials come from the environment as for {@code strongroom watch}. Exit
 * status: 0 when everything is encrypted and consistent, 3 when something is not (a report worth reading), 1 on a
 * failure, 2 on a usage error.
 */
public final class CoverageCommand {
    private static final Set<String> TEXT_LISTS = Set.of("Tables", "Snapshots", "Problems");

    private CoverageCommand() {}

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String cluster = null;
        boolean json = false;
        String endpointFlag = null;
        String regionFlag = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = true;
                case "--endpoint-url", "--region" -> {
                    if (i + 1 >= args.length) {
                        err.println("strongroom coverage: missing value after " + args[i]);
                        return 2;
                    }
                    if (args[i].equals("--region")) {
                        regionFlag = args[++i];
                    } else {
                        endpointFlag = args[++i];
                    }
                }
                default -> {
                    if (args[i].startsWith("-") || cluster != null) {
                        err.println("strongroom coverage: unexpected argument " + args[i]
                                + "; usage: strongroom coverage [cluster] [--json] [--endpoint-url URL] [--region R]");
                        return 2;
                    }
                    cluster = args[i];
                }
            }
        }
        ExtensionCall.Target target;
        try {
            target = ExtensionCall.target("strongroom coverage", endpointFlag, regionFlag, env, err);
        } catch (ExtensionCall.Exit e) {
            return e.status;
        }
        URI endpoint = target.endpoint();
        Region region = target.region();
        AwsCredentialsProvider credentials = target.credentials();
        try {
            List<String> clusters = new ArrayList<>();
            if (cluster != null) {
                clusters.add(cluster);
            } else {
                try (RedshiftClient rs = RedshiftClient.builder()
                        .endpointOverride(endpoint)
                        .region(region)
                        .credentialsProvider(credentials)
                        .build()) {
                    rs.describeClustersPaginator().clusters().stream()
                            .map(Cluster::clusterIdentifier)
                            .forEach(clusters::add);
                }
            }
            boolean allGood = true;
            List<String> jsonReports = new ArrayList<>();
            for (String c : clusters) {
                Element result = report(endpoint, region, credentials, c, err);
                allGood &= "true".equals(text(result, "FullyEncrypted"));
                if (json) {
                    jsonReports.add(json(result));
                } else {
                    print(result, out);
                }
            }
            if (json) {
                out.println("[" + String.join(",\n", jsonReports) + "]");
            } else if (clusters.isEmpty()) {
                out.println("no clusters in " + region + " at " + endpoint);
            }
            return allGood ? 0 : 3;
        } catch (ExtensionCall.Failure e) {
            err.println("strongroom coverage: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            err.println("strongroom coverage: " + e.getClass().getSimpleName() + " talking to " + endpoint + ": "
                    + e.getMessage());
            return 1;
        }
    }

    /** One signed DescribeEncryptionCoverage; its result element. */
    private static Element call(
            URI endpoint, Region region, AwsCredentialsProvider credentials, String cluster, boolean refresh) {
        return ExtensionCall.call(
                endpoint,
                region,
                credentials,
                "DescribeEncryptionCoverage",
                Map.of("ClusterIdentifier", cluster, "Refresh", String.valueOf(refresh)),
                Duration.ofMinutes(5));
    }

    private static String text(Element parent, String name) {
        return ExtensionCall.text(parent, name);
    }

    private static List<Element> children(Element parent, String list, String item) {
        return ExtensionCall.children(parent, list, item);
    }

    private static String json(Element r) {
        return ExtensionCall.json(r, TEXT_LISTS);
    }

    /**
     * A new report of {@code cluster}: asks for one (a background job on the server), then polls until it is made,
     * telling {@code progress} how far the job is every few seconds.
     */
    private static Element report(
            URI endpoint, Region region, AwsCredentialsProvider credentials, String cluster, PrintStream progress) {
        Element result = call(endpoint, region, credentials, cluster, true);
        long lastSaid = System.nanoTime();
        while ("running".equals(text(result, "Status"))) {
            if (System.nanoTime() - lastSaid > 5_000_000_000L) {
                progress.println("coverage of " + cluster + ": " + text(result, "ItemsRead") + " of "
                        + text(result, "ItemsToRead") + " tables and snapshots read (job " + text(result, "JobId")
                        + ")");
                lastSaid = System.nanoTime();
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ExtensionCall.Failure("interrupted");
            }
            result = call(endpoint, region, credentials, cluster, false);
        }
        if (!"succeeded".equals(text(result, "Status"))) {
            throw new ExtensionCall.Failure(
                    cluster + ": the coverage job " + text(result, "Status") + ": " + text(result, "Message"));
        }
        return result;
    }

    private static void print(Element r, PrintStream out) {
        out.println("cluster " + text(r, "ClusterIdentifier") + " (" + text(r, "Region") + "): protection "
                + text(r, "Protection")
                + (text(r, "RootKeyArn").isEmpty() ? "" : ", root key " + text(r, "RootKeyArn"))
                + ", cluster key v" + text(r, "ClusterKeyVersion") + ", database key v"
                + text(r, "DatabaseKeyVersion") + ": "
                + ("true".equals(text(r, "FullyEncrypted")) ? "everything encrypted" : "NOT fully encrypted")
                + " (read at " + text(r, "GeneratedAt") + ")");
        out.println(
                String.format(Locale.ROOT, "  %-32s %-12s %4s %10s %14s", "table", "state", "key", "blocks", "bytes"));
        for (Element t : children(r, "Tables", "Table")) {
            out.println(String.format(
                    Locale.ROOT,
                    "  %-32s %-12s %4s %10s %14s%s",
                    text(t, "Name"),
                    text(t, "State"),
                    "v" + text(t, "KeyVersion"),
                    text(t, "Blocks"),
                    text(t, "Bytes"),
                    text(t, "Detail").isEmpty() ? "" : "  " + text(t, "Detail")));
        }
        for (Element s : children(r, "Snapshots", "Snapshot")) {
            out.println("  snapshot " + text(s, "SnapshotIdentifier") + " (" + text(s, "Region") + ", "
                    + text(s, "Status") + "): " + text(s, "EncryptedBlocks") + " blocks encrypted, "
                    + text(s, "ClearBlocks") + " in the clear, " + text(s, "UnreadableBlocks") + " unreadable"
                    + ("true".equals(text(s, "Encrypted"))
                            ? "; key " + text(s, "RootKeyArn") + ", cluster key v" + text(s, "ClusterKeyVersion")
                                    + ", database key v" + text(s, "DatabaseKeyVersion")
                            : "; unencrypted snapshot")
                    + (text(s, "Reconciliation").isEmpty()
                            ? "; " + text(s, "ReconciledBlocks") + " manifest entries reconciled with their files"
                            : "; NOT reconciled: " + text(s, "Reconciliation")));
        }
        for (Element p : children(r, "Problems", "member")) {
            out.println("  PROBLEM: " + p.getTextContent());
        }
    }
}
