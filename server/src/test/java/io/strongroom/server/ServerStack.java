package io.strongroom.server;

import static org.assertj.core.api.Assertions.fail;

import io.strongroom.aws.Credential;
import io.strongroom.control.ControlPlane;
import io.strongroom.kms.KmsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * What {@code strongroom up} runs, in this process, for an integration test: the embedded KMS, the control plane
 * on an ephemeral port and (unless a test turns them off) the SQL endpoints wired as {@code Main} wires them
 * (failed logins audited, {@code IAM:} logins checked against GetClusterCredentials), all under one temporary
 * directory; optionally one encrypted cluster made through the Redshift API. It hands out what a client needs:
 * the API endpoint, the admin's access key, a Redshift client signed with it, the cluster's SQL port and the
 * installation's CA as a PEM file.
 *
 * <p>A JUnit 5 extension: registered on a static field ({@code @RegisterExtension static final ServerStack}) it
 * starts once before the class's tests and closes after them; on an instance field, once around each test. It
 * starts before the class's own {@code @BeforeAll}/{@code @BeforeEach} methods run and closes after their
 * {@code @AfterAll}/{@code @AfterEach}, so those can use it. Closing stops the Redshift client, the control plane,
 * the SQL endpoints, the KMS and then whatever a test handed to {@link #own}, and deletes the directory.
 *
 * <p>Public for the tests of {@code server}'s sub-packages ({@code watch}); {@link #sql} stays package-private,
 * as {@code SqlEndpoints} is.
 *
 * <p>Not thread-safe: set up and torn down by JUnit's thread; the running parts it holds are thread-safe.
 */
public final class ServerStack implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    /** The master user and password of the cluster the stack makes. */
    public static final String MASTER_USER = "admin";

    public static final String MASTER_PASSWORD = "Passw0rdX";

    private final String name;
    private final boolean sqlEndpoints;
    private final @Nullable Integer fixedPortBase;
    private final UnaryOperator<KmsServer.Builder> kmsOptions;
    private final UnaryOperator<ControlPlane.Builder> controlOptions;
    private final @Nullable String clusterId;

    private boolean perClass;
    private @Nullable Path dir;
    private int portBase;
    private @Nullable KmsServer kms;
    private @Nullable SqlEndpoints sql;
    private @Nullable ControlPlane control;
    private @Nullable RedshiftClient redshift;
    private int clusterPort;
    private @Nullable Path ca;
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();

    private ServerStack(Builder b) {
        this.name = b.name;
        this.sqlEndpoints = b.sqlEndpoints;
        this.fixedPortBase = b.portBase;
        this.kmsOptions = b.kmsOptions;
        this.controlOptions = b.controlOptions;
        this.clusterId = b.clusterId;
    }

    /** A stack whose temporary directory is named after {@code name} ({@code strongroom-<name>...}). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** What the stack runs; everything not set is as {@code strongroom up} has it. */
    public static final class Builder {
        private final String name;
        private boolean sqlEndpoints = true;
        private @Nullable Integer portBase;
        private UnaryOperator<KmsServer.Builder> kmsOptions = UnaryOperator.identity();
        private UnaryOperator<ControlPlane.Builder> controlOptions = UnaryOperator.identity();
        private @Nullable String clusterId;

        private Builder(String name) {
            this.name = name;
        }

        /** No SQL endpoints: clusters are made and run, but nothing listens on their ports. */
        public Builder withoutSql() {
            this.sqlEndpoints = false;
            return this;
        }

        /** The first cluster port (default: a port free when the stack starts). */
        public Builder clusterPortBase(int port) {
            this.portBase = port;
            return this;
        }

        /** More KMS options (a clock, say) on top of the data directory and an ephemeral port. */
        public Builder kms(UnaryOperator<KmsServer.Builder> options) {
            this.kmsOptions = options;
            return this;
        }

        /** More control plane options (job hooks, say) on top of the KMS, ports and SQL endpoints. */
        public Builder control(UnaryOperator<ControlPlane.Builder> options) {
            this.controlOptions = options;
            return this;
        }

        /**
         * Makes an encrypted two-node ra3.xlplus cluster {@code id} (master user {@link #MASTER_USER}, password
         * {@link #MASTER_PASSWORD}) through the Redshift API once the stack runs; {@link #port()} is its SQL port.
         */
        public Builder cluster(String id) {
            this.clusterId = id;
            return this;
        }

        public ServerStack build() {
            return new ServerStack(this);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (perClass) {
            close();
        }
    }

    private void start() throws Exception {
        Path d = Files.createTempDirectory("strongroom-" + name);
        dir = d;
        if (fixedPortBase != null) {
            portBase = fixedPortBase;
        } else {
            try (ServerSocket s = new ServerSocket(0)) {
                portBase = s.getLocalPort();
            }
        }
        SqlEndpoints endpoints = sqlEndpoints
                ? new SqlEndpoints("127.0.0.1", d.resolve("control").resolve("tls"))
                : null;
        sql = endpoints;
        KmsServer k =
                kmsOptions.apply(KmsServer.builder(d.resolve("kms")).port(0)).start();
        kms = k;
        ControlPlane.Builder cb =
                ControlPlane.builder(d.resolve("control")).kms(k).port(0).clusterPortBase(portBase);
        if (endpoints != null) {
            cb.clusterListener(endpoints);
        }
        ControlPlane c = controlOptions.apply(cb).start();
        control = c;
        if (endpoints != null) {
            endpoints.auditTo(c.auditLog());
            endpoints.temporaryCredentialsFrom(c.clusters().temporaryCredentials());
        }
        RedshiftClient rs = redshift(Region.US_EAST_1);
        redshift = rs;
        String id = clusterId;
        if (id != null) {
            rs.createCluster(r -> r.clusterIdentifier(id)
                    .nodeType("ra3.xlplus")
                    .numberOfNodes(2)
                    .masterUsername(MASTER_USER)
                    .masterUserPassword(MASTER_PASSWORD)
                    .encrypted(true));
            clusterPort = rs.describeClusters(r -> r.clusterIdentifier(id))
                    .clusters()
                    .get(0)
                    .endpoint()
                    .port();
        }
    }

    /** Closes {@code resource} when the stack closes, after the KMS (last handed over, first closed). */
    public <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
    }

    /** The stack's temporary directory: {@code kms/} and {@code control/} are the servers'; the rest is free. */
    public Path dir() {
        return running(dir);
    }

    public KmsServer kms() {
        return running(kms);
    }

    public ControlPlane control() {
        return running(control);
    }

    /** The SQL endpoints (not there for a stack built {@link Builder#withoutSql}). */
    SqlEndpoints sql() {
        return running(sql);
    }

    /** The control plane's endpoint: the Redshift API, and the KMS API forwarded to the KMS. */
    public URI endpoint() {
        return control().endpoint();
    }

    /** The KMS's admin, whose access key signs the stack's clients. */
    public Credential admin() {
        return kms().adminCredential();
    }

    /** A Redshift client for us-east-1, signed as {@link #admin}, no retries; the stack closes it. */
    public RedshiftClient redshift() {
        return running(redshift);
    }

    /** A new Redshift client signed as {@link #admin} for {@code region}, no retries; the caller closes it. */
    public RedshiftClient redshift(Region region) {
        return redshift(admin(), region);
    }

    /** A new Redshift client signed as {@code c} for {@code region}, no retries; the caller closes it. */
    public RedshiftClient redshift(Credential c, Region region) {
        return redshiftClient(endpoint(), c, region);
    }

    /** A new KMS client for {@code region} on the control plane's endpoint, signed as {@link #admin}. */
    public KmsClient kmsClient(Region region) {
        return kmsClient(endpoint(), admin(), region);
    }

    /**
     * A new Redshift client for any endpoint (a control plane this stack did not start, one in another process),
     * signed as {@code c} for {@code region}, no retries; the caller closes it.
     */
    public static RedshiftClient redshiftClient(URI endpoint, Credential c, Region region) {
        return signed(RedshiftClient.builder(), endpoint, c, region).build();
    }

    /** A new KMS client for any endpoint, signed as {@code c} for {@code region}, no retries. */
    public static KmsClient kmsClient(URI endpoint, Credential c, Region region) {
        return signed(KmsClient.builder(), endpoint, c, region).build();
    }

    /** {@code b} pointed at {@code endpoint}, signed as {@code c} for {@code region}, over the JDK's HTTP client. */
    private static <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> B signed(
            B b, URI endpoint, Credential c, Region region) {
        return b.endpointOverride(endpoint)
                .region(region)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
    }

    /**
     * The PostgreSQL JDBC driver logged in as {@link #MASTER_USER} with {@code password} to database dev on
     * {@code port}, over TLS without checking the certificate ({@code sslmode=require}).
     */
    public static Connection connect(int port, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", MASTER_USER);
        p.setProperty("password", password);
        p.setProperty("sslmode", "require");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p);
    }

    /**
     * The environment a {@code strongroom} client command ({@code watch}, {@code coverage}, {@code shred}) is run
     * with: this stack's endpoint, the admin's access key and us-east-1.
     */
    public Map<String, String> commandEnvironment() {
        Credential c = admin();
        return Map.of(
                "STRONGROOM_ENDPOINT", endpoint().toString(),
                "AWS_ACCESS_KEY_ID", c.accessKeyId(),
                "AWS_SECRET_ACCESS_KEY", c.secretAccessKey(),
                "AWS_REGION", "us-east-1");
    }

    /** The AWS CLI v2 the {@link #aws} calls run. */
    public static final Path AWS = Path.of("/usr/bin/aws");

    /** Fails (these tests never skip) when the AWS CLI v2 is not installed. */
    public static void requireAwsCli() {
        if (!Files.isExecutable(AWS)) {
            fail("/usr/bin/aws (AWS CLI v2) is missing: install it with `apt-get install -y awscli`");
        }
    }

    /** What one AWS CLI call returned. */
    public record AwsCall(int exit, String out, String err) {}

    /**
     * One call of the AWS CLI v2 in {@code region}, as {@link #admin}, against the control plane's endpoint: a fresh
     * process with no profile, pager, metadata service or retries, its output captured under {@link #dir}. Fails
     * when the CLI is not installed (these tests do not skip) or does not finish in 90 s.
     */
    public AwsCall aws(String region, String... args) throws Exception {
        requireAwsCli();
        Credential c = admin();
        List<String> cmd = new ArrayList<>(List.of(
                AWS.toString(), "--endpoint-url", endpoint().toString(), "--region", region, "--output", "json"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir().toFile());
        Map<String, String> env = pb.environment();
        env.put("AWS_ACCESS_KEY_ID", c.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", c.secretAccessKey());
        env.put("AWS_PAGER", "");
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_MAX_ATTEMPTS", "1");
        env.remove("AWS_SESSION_TOKEN");
        env.remove("AWS_PROFILE");
        Path out = Files.createTempFile(dir(), "out", ".txt");
        Path err = Files.createTempFile(dir(), "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("aws " + String.join(" ", args) + " did not finish in 90 s");
        }
        return new AwsCall(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** The first cluster port the control plane hands out. */
    public int portBase() {
        return portBase;
    }

    /** The SQL port of the cluster the builder asked for. */
    public int port() {
        if (clusterId == null) {
            throw new IllegalStateException("this stack makes no cluster: ask for one with Builder.cluster(id)");
        }
        return clusterPort;
    }

    /** The installation's CA certificate (what {@code strongroom ca} prints), written to {@code ca.pem}. */
    public Path ca() {
        Path p = ca;
        if (p == null) {
            p = dir().resolve("ca.pem");
            try {
                Files.writeString(p, sql().authority().caPem());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ca = p;
        }
        return p;
    }

    private static <T> T running(@Nullable T part) {
        if (part == null) {
            throw new IllegalStateException("the stack is not running (or has no such part)");
        }
        return part;
    }

    /** Closes what started, in the reverse order of {@code strongroom up}, and deletes the directory. */
    void close() throws Exception {
        try {
            closeAll(redshift, control, sql, kms);
            while (!owned.isEmpty()) {
                owned.pop().close();
            }
        } finally {
            redshift = null;
            control = null;
            sql = null;
            kms = null;
            ca = null;
            owned.clear();
            Path d = dir;
            dir = null;
            if (d != null) {
                try (Stream<Path> s = Files.walk(d)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static void closeAll(@Nullable AutoCloseable... parts) throws Exception {
        for (AutoCloseable part : parts) {
            if (part != null) {
                part.close();
            }
        }
    }
}
