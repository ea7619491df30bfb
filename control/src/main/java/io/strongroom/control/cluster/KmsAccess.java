package io.strongroom.control.cluster;

import io.strongroom.kms.Credential;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
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
 * grant). One client per access key and region, sharing one small HTTP client. No retries: a KMS that is down
 * answers at once, and the caller (an API request, a reboot) reports it. Thread-safe.
 */
final class KmsAccess implements AutoCloseable {
    private final URI endpoint;
    private final Credential service;
    private final SdkHttpClient http;
    private final Map<String, KmsClient> clients = new ConcurrentHashMap<>();

    KmsAccess(URI endpoint, Credential service) {
        this.endpoint = endpoint;
        this.service = service;
        this.http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(3))
                .socketTimeout(Duration.ofSeconds(20))
                .build();
    }

    /** The service principal's ARN: the grantee of every cluster grant. */
    String servicePrincipalArn() {
        return service.principalArn();
    }

    KmsClient asCaller(Credential caller, String region) {
        return client(caller, region);
    }

    KmsClient asService(String region) {
        return client(service, region);
    }

    private KmsClient client(Credential c, String region) {
        return clients.computeIfAbsent(
                c.accessKeyId() + "/" + region,
                k -> KmsClient.builder()
                        .endpointOverride(endpoint)
                        .region(Region.of(region))
                        .credentialsProvider(StaticCredentialsProvider.create(
                                AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
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
        return "KmsAccess[" + endpoint + ", service principal " + service.principalArn() + "]";
    }
}
