package io.strongroom.server.watch;

import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.ClusterNotFoundException;
import software.amazon.awssdk.services.redshift.model.Snapshot;
import software.amazon.awssdk.services.redshift.model.TableRestoreStatus;

/**
 * {@code strongroom watch [cluster-identifier]}: polls the public Redshift API of an endpoint and shows its running
 * long operations until none is left ({@code --follow}: until Ctrl-C; {@code --once}: one plain frame). Endpoint,
 * region and credentials come from the environment as for the AWS CLI, so it watches any Strongroom endpoint, not
 * only the local one.
 *
 * <p>Every failure ends in one line on standard error saying what to do, and exit status 1 (2 for a usage error);
 * never a stack trace. Once a first poll has succeeded, a failed poll is retried at the next interval (the endpoint
 * may be restarting) up to {@value #MAX_FAILED_POLLS} times in a row, or for ever with {@code --follow}.
 *
 * <p>Not thread-safe: {@link #run} drives one watch on the calling thread.
 */
public final class WatchCommand {
    static final int MAX_FAILED_POLLS = 5;
    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    private static final Duration MIN_INTERVAL = Duration.ofMillis(200);
    private static final Set<String> CREDENTIAL_ERRORS = Set.of(
            "InvalidClientTokenId",
            "SignatureDoesNotMatch",
            "UnrecognizedClientException",
            "AuthFailure",
            "IncompleteSignature",
            "MissingAuthenticationToken",
            "InvalidSignatureException",
            "ExpiredToken",
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation");

    /** What to watch and how, from the arguments and the environment. Immutable. */
    record Options(
            URI endpoint, Region region, @Nullable String cluster, Duration interval, boolean once, boolean follow) {

        /** E.g. {@code cluster dw1 at http://127.0.0.1:4566}: the phrase the views use. */
        String target() {
            return (cluster == null ? "" : "on cluster " + cluster + " ") + "at " + endpoint;
        }
    }

    /** A usage error: wrong flags or values. */
    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private WatchCommand() {}

    /**
     * Runs the command.
     *
     * @param args the arguments after {@code watch}
     * @param env the process environment (a map so that tests can give their own)
     * @param terminal whether standard output is a terminal; if not, frames are plain text as with {@code --once}
     * @return the exit status: 0 when nothing is left running (or after {@code --once}), 1 on failure, 2 on a usage
     *     error
     */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, boolean terminal) {
        Options options;
        try {
            options = parse(args, env);
        } catch (UsageException e) {
            err.println("strongroom watch: " + e.getMessage() + "; see strongroom help");
            return 2;
        }
        AwsCredentialsProvider credentials;
        try {
            credentials = credentials(env);
        } catch (RuntimeException e) {
            err.println("strongroom watch: no AWS credentials found; run eval \"$(./strongroom env)\" for a local"
                    + " endpoint's admin credential, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
            return 1;
        }
        try (RedshiftClient client = client(options, credentials);
                View view = options.once() || !terminal
                        ? new PlainView(out, options.target())
                        : new LiveView(out, options.target(), options.interval())) {
            return loop(options, client, view);
        } catch (WatchFailure e) {
            err.println("strongroom watch: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            // Not expected; still one line rather than a stack trace, naming the endpoint.
            err.println("strongroom watch: " + explain(e, options));
            return 1;
        }
    }

    private static int loop(Options options, RedshiftClient client, View view) {
        Map<String, Operation> tracked = new LinkedHashMap<>();
        boolean first = true;
        int failures = 0;
        while (true) {
            List<Operation> all;
            try {
                all = poll(client, options.cluster(), first);
                failures = 0;
            } catch (SdkException e) {
                failures++;
                if (first || (!options.follow() && failures > MAX_FAILED_POLLS)) {
                    throw new WatchFailure(explain(e, options));
                }
                view.frame(List.copyOf(tracked.values()), List.of(), explain(e, options));
                if (!sleep(options.interval())) {
                    return 0;
                }
                continue;
            }
            List<Operation> running = RunningOperations.running(all);
            List<Operation> ended = RunningOperations.ended(tracked.values(), all);
            tracked.clear();
            running.forEach(o -> tracked.put(o.id(), o));
            view.frame(running, ended, null);
            first = false;
            if (options.once() || (running.isEmpty() && !options.follow())) {
                return 0;
            }
            if (!sleep(options.interval())) {
                return 0;
            }
        }
    }

    /** Sleeps; false when interrupted (the command then ends quietly). */
    private static boolean sleep(Duration d) {
        try {
            Thread.sleep(d);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * One poll: the clusters (or the named one), their snapshots and the table restores. After the first poll a
     * named cluster that is gone (its deletion finished) is no error: its operations have ended.
     */
    private static List<Operation> poll(RedshiftClient client, @Nullable String cluster, boolean first) {
        List<Cluster> clusters = new ArrayList<>();
        List<Snapshot> snapshots = new ArrayList<>();
        List<TableRestoreStatus> tableRestores = new ArrayList<>();
        try {
            client.describeClustersPaginator(b -> b.clusterIdentifier(cluster))
                    .clusters()
                    .forEach(clusters::add);
        } catch (ClusterNotFoundException e) {
            if (first) {
                throw e;
            }
        }
        try {
            client.describeClusterSnapshotsPaginator(b -> b.clusterIdentifier(cluster))
                    .snapshots()
                    .forEach(snapshots::add);
            client.describeTableRestoreStatusPaginator(b -> b.clusterIdentifier(cluster))
                    .tableRestoreStatusDetails()
                    .forEach(tableRestores::add);
        } catch (ClusterNotFoundException e) {
            // A named cluster that is gone has no running snapshots or table restores.
        }
        return RunningOperations.of(clusters, snapshots, tableRestores);
    }

    static Options parse(String[] args, Map<String, String> env) {
        String endpoint = null;
        String region = null;
        String cluster = null;
        Duration interval = DEFAULT_INTERVAL;
        boolean once = false;
        boolean follow = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--once" -> once = true;
                case "--follow" -> follow = true;
                case "--endpoint-url", "--region", "--interval" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new UsageException("missing value after " + a);
                        }
                        value = args[++i];
                    }
                    switch (a) {
                        case "--endpoint-url" -> endpoint = value;
                        case "--region" -> region = value;
                        default -> interval = interval(value);
                    }
                }
                default -> {
                    if (a.startsWith("-")) {
                        throw new UsageException("unknown option " + a);
                    }
                    if (cluster != null) {
                        throw new UsageException(
                                "one cluster identifier at most, not '" + cluster + "' and '" + a + "'");
                    }
                    cluster = a;
                }
            }
        }
        if (once && follow) {
            throw new UsageException("--once and --follow exclude each other");
        }
        return new Options(endpoint(endpoint, env), region(region, env), cluster, interval, once, follow);
    }

    private static Duration interval(String seconds) {
        double s;
        try {
            s = Double.parseDouble(seconds);
        } catch (NumberFormatException e) {
            throw new UsageException("--interval takes seconds, e.g. 2 or 0.5, not '" + seconds + "'");
        }
        if (!(s >= MIN_INTERVAL.toMillis() / 1000.0) || Double.isInfinite(s) || s > 3600) {
            throw new UsageException("--interval must be between 0.2 and 3600 seconds, not " + seconds);
        }
        return Duration.ofMillis(Math.round(s * 1000));
    }

    /**
     * The endpoint, in the order the AWS CLI and {@code ./strongroom env} set it: {@code --endpoint-url}, {@code
     * STRONGROOM_ENDPOINT}, {@code AWS_ENDPOINT_URL_REDSHIFT}, {@code AWS_ENDPOINT_URL}, else the local endpoint
     * ({@code STRONGROOM_PORT}, default 4566).
     */
    static URI endpoint(@Nullable String flag, Map<String, String> env) {
        String e = firstSet(
                flag,
                env.get("STRONGROOM_ENDPOINT"),
                env.get("AWS_ENDPOINT_URL_REDSHIFT"),
                env.get("AWS_ENDPOINT_URL"));
        if (e == null) {
            String port = env.get("STRONGROOM_PORT");
            e = "http://127.0.0.1:" + (port == null || port.isBlank() ? "4566" : port.strip());
        }
        try {
            URI uri = new URI(e.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new UsageException("the endpoint must be an http:// or https:// URL, not '" + e + "'");
            }
            return uri;
        } catch (URISyntaxException x) {
            throw new UsageException("the endpoint must be an http:// or https:// URL, not '" + e + "'");
        }
    }

    /** {@code --region}, {@code AWS_REGION}, {@code AWS_DEFAULT_REGION}, else us-east-1 (Strongroom's default). */
    static Region region(@Nullable String flag, Map<String, String> env) {
        String r = firstSet(flag, env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
        return Region.of(r == null ? "us-east-1" : r.strip());
    }

    private static @Nullable String firstSet(@Nullable String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    /**
     * The credentials: the {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} (and {@code AWS_SESSION_TOKEN})
     * of {@code env}, else the AWS profile ({@code AWS_PROFILE}, {@code ~/.aws/credentials}) as the CLI reads it.
     * Resolved now, so that a missing credential is reported before the first request.
     */
    static AwsCredentialsProvider credentials(Map<String, String> env) {
        String id = env.get("AWS_ACCESS_KEY_ID");
        String secret = env.get("AWS_SECRET_ACCESS_KEY");
        if (id != null && !id.isBlank() && secret != null && !secret.isBlank()) {
            String token = env.get("AWS_SESSION_TOKEN");
            return StaticCredentialsProvider.create(
                    token == null || token.isBlank()
                            ? AwsBasicCredentials.create(id.strip(), secret.strip())
                            : AwsSessionCredentials.create(id.strip(), secret.strip(), token.strip()));
        }
        ProfileCredentialsProvider profile = ProfileCredentialsProvider.create();
        profile.resolveCredentials();
        return profile;
    }

    private static RedshiftClient client(Options options, AwsCredentialsProvider credentials) {
        return RedshiftClient.builder()
                .endpointOverride(options.endpoint())
                .region(options.region())
                .credentialsProvider(credentials)
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(20))
                        .build())
                // The poll loop is the retry: a slow failure would only delay the one line that says what to do.
                .overrideConfiguration(
                        o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(Duration.ofSeconds(30)))
                .build();
    }

    /** One line saying what went wrong and what to do about it. */
    static String explain(Exception e, Options options) {
        URI endpoint = options.endpoint();
        if (e instanceof AwsServiceException s) {
            String code = s.awsErrorDetails() == null || s.awsErrorDetails().errorCode() == null
                    ? ""
                    : s.awsErrorDetails().errorCode();
            String message = s.awsErrorDetails() == null
                    ? s.getMessage()
                    : s.awsErrorDetails().errorMessage();
            if (e instanceof ClusterNotFoundException || "ClusterNotFound".equals(code)) {
                return "cluster " + options.cluster() + " not found at " + endpoint
                        + "; list the clusters with: aws redshift describe-clusters --endpoint-url " + endpoint;
            }
            if (CREDENTIAL_ERRORS.contains(code) || s.statusCode() == 401 || s.statusCode() == 403) {
                return endpoint + " rejected the credentials (" + code + ": " + message + "); run eval \"$(./strongroom"
                        + " env)\" for a local endpoint's admin credential, or set AWS_ACCESS_KEY_ID and"
                        + " AWS_SECRET_ACCESS_KEY to a key it knows";
            }
            return endpoint + " answered " + (code.isEmpty() ? "HTTP " + s.statusCode() : code) + ": " + message;
        }
        if (e instanceof SdkClientException) {
            return "cannot reach the Redshift API at " + endpoint + " (" + rootMessage(e) + "); start it with"
                    + " ./strongroom up, or point STRONGROOM_ENDPOINT or --endpoint-url at a running endpoint";
        }
        return "unexpected failure watching " + endpoint + ": " + rootMessage(e);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        // Bounded: a cause chain can loop.
        for (int depth = 0; depth < 16 && root.getCause() != null; depth++) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.strip());
    }

    /** A failure already explained in one line. */
    private static final class WatchFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        WatchFailure(String message) {
            super(message, null, false, false);
        }
    }
}
