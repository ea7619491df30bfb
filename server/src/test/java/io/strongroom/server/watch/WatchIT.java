package io.strongroom.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.control.ControlPlane;
import io.strongroom.kms.Credential;
import io.strongroom.kms.KmsServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * {@code strongroom watch} against a real control plane over HTTP with the SDK: the whole poll (DescribeClusters,
 * DescribeClusterSnapshots, DescribeTableRestoreStatus, with their paginators) and its error lines.
 */
class WatchIT {
    private static Path dir;
    private static KmsServer kms;
    private static ControlPlane control;
    private static Credential admin;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("strongroom-watch");
        int portBase;
        try (ServerSocket s = new ServerSocket(0)) {
            portBase = s.getLocalPort();
        }
        kms = KmsServer.builder(dir.resolve("kms")).port(0).start();
        control = ControlPlane.builder(dir.resolve("control"))
                .kms(kms)
                .port(0)
                .clusterPortBase(portBase)
                .start();
        admin = kms.adminCredential();
        try (RedshiftClient rs = RedshiftClient.builder()
                .endpointOverride(control.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build()) {
            rs.createCluster(b -> b.clusterIdentifier("dw1")
                    .nodeType("ra3.xlplus")
                    .numberOfNodes(2)
                    .masterUsername("admin")
                    .masterUserPassword("Passw0rdX")
                    .encrypted(true));
            rs.waiter().waitUntilClusterAvailable(b -> b.clusterIdentifier("dw1"));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        control.close();
        kms.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Map<String, String> env(String secret) {
        Map<String, String> env = new HashMap<>();
        env.put("STRONGROOM_ENDPOINT", control.endpoint().toString());
        env.put("AWS_ACCESS_KEY_ID", admin.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", secret);
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        return env;
    }

    private record Run(int status, String out, String err) {}

    private static Run watch(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = WatchCommand.run(
                args,
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void once_onAnIdleCluster_saysNothingIsRunning() {
        Run r = watch(env(admin.secretAccessKey()), "--once", "dw1");

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("nothing running on cluster dw1 at " + control.endpoint() + "\n");
    }

    @Test
    void withoutOnce_andNothingRunning_exitsAfterTheFirstPoll() {
        Run r = watch(env(admin.secretAccessKey()), "--interval", "0.2");

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("nothing running at " + control.endpoint() + "\n");
    }

    @Test
    void unknownCluster_exitsOneNamingIt() {
        Run r = watch(env(admin.secretAccessKey()), "--once", "dw9");

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("strongroom watch: cluster dw9 not found at " + control.endpoint())
                .hasLineCount(1);
    }

    @Test
    void wrongSecret_exitsOneSayingTheCredentialsWereRejected() {
        Run r = watch(env("not-the-secret"), "--once");

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("strongroom watch: " + control.endpoint() + " rejected the credentials (")
                .contains("eval \"$(./strongroom env)\"")
                .hasLineCount(1);
        assertThat(r.out()).isEmpty();
    }
}
