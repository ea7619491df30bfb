package io.strongroom.control.cluster;

import io.strongroom.aws.Credential;
import io.strongroom.kms.KmsServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The control plane's KMS clients: signed as a calling principal (what CreateCluster does on the caller's behalf,
 * like AWS's forward access sessions: DescribeKey and CreateGrant run with the caller's permissions) or as the
 * control plane's own service principal (GenerateDataKey and every later Decrypt, allowed only by the cluster's
 * grant). With an external KMS ({@link KmsConnection#external}) the control plane holds no caller's KMS
 * credentials, so caller requests are the service principal's too. One client per access key and region, sharing
 * one small HTTP client. No retries: a KMS that is down answers at once, and the caller (an API request, a reboot)
 * reports it. An embedded KMS is called in process ({@link InProcessKmsHttpClient}); HTTP only reaches a KMS elsewhere.
 * Thread-safe.
 */
public final class KmsAccess implements AutoCloseable {
    private final KmsConnection connection;
    private final SdkHttpClient http;
    private final Map<String, KmsClient> clients = new ConcurrentHashMap<>();

    public KmsAccess(KmsConnection connection) {
        this.connection = connection;
        Supplier<KmsServer> embedded = connection.embedded();
        this.http = embedded != null
                ? new InProcessKmsHttpClient(embedded)
                : UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(3))
                        .socketTimeout(Duration.ofSeconds(20))
                        .build();
    }

    /** The service principal's ARN: the grantee of every cluster grant. */
    String servicePrincipalArn() {
        return connection.servicePrincipalArn();
    }

    /** The principal whose rights on a key decide a request made for {@code caller} ({@link #asCaller}). */
    String actingPrincipal(Credential caller) {
        return connection.sharedAccounts() ? caller.principalArn() : connection.servicePrincipalArn();
    }

    public KmsClient asCaller(Credential caller, String region) {
        if (!connection.sharedAccounts()) {
            return asService(region);
        }
        return client(
                caller.accessKeyId() + "/" + region,
                StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(caller.accessKeyId(), caller.secretAccessKey())),
                region);
    }

    public KmsClient asService(String region) {
        return client("service/" + region, connection.serviceCredentials(), region);
    }

    private KmsClient client(String cacheKey, AwsCredentialsProvider credentials, String region) {
        return clients.computeIfAbsent(
                cacheKey,
                k -> KmsClient.builder()
                        .endpointOverride(connection.endpoint())
                        .region(Region.of(region))
                        .credentialsProvider(credentials)
                        .httpClient(http)
                        .overrideConfiguration(o ->
                                o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(Duration.ofSeconds(30)))
                        .build());
    }

    @Override
    public void close() {
        clients.values().forEach(KmsClient::close);
        clients.clear();
        http.close();
    }

    @Override
    public String toString() {
        return "KmsAccess[" + connection + "]";
    }
}
