package io.strongroom.kms;

import io.strongroom.aws.Credential;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/** A KMS on an ephemeral loopback port in a temporary directory, with a second account, for tests. */
final class KmsFixture implements AutoCloseable {
    final Path dir;
    final MutableClock clock = new MutableClock(Instant.now());
    KmsServer server;
    final Credential admin;
    final Credential other;

    /** A clock tests move forward; starts at the real time so signatures and key dates agree. */
    static final class MutableClock implements InstantSource {
        private final AtomicReference<Instant> now;

        MutableClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }
    }

    KmsFixture() throws IOException {
        dir = Files.createTempDirectory("strongroom-kms-test");
        server = start();
        admin = server.adminCredential();
        other = server.credentials().add("222233334444", "role/redshift-other");
    }

    KmsServer start() {
        // No background scheduler: tests move the clock and run scheduled work themselves, so a background run
        // must not take the work (and its count) from under them.
        return KmsServer.builder(dir)
                .port(0)
                .clock(clock)
                .scheduledWorkInterval(Duration.ZERO)
                .start();
    }

    void restart() {
        server.close();
        server = start();
    }

    URI endpoint() {
        return server.endpoint();
    }

    KmsClient client(Credential c, String region) {
        return client(c.accessKeyId(), c.secretAccessKey(), region);
    }

    KmsClient client(String akid, String secret, String region) {
        return KmsClient.builder()
                .endpointOverride(server.endpoint())
                .region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(akid, secret)))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    AuditTrail audit() {
        return server.auditTrail();
    }

    @Override
    public void close() throws IOException {
        server.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
