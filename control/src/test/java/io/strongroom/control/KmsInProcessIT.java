package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.aws.Credential;
import io.strongroom.aws.SigV4;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.redshift.RedshiftClient;

/**
 * The embedded KMS is called in process, and its audit trail names the callers rather than the control plane: a KMS
 * request sent to the control plane's endpoint is recorded with the client's own address (the client here connects
 * from 127.0.0.2, the control plane listens on 127.0.0.1), and the calls CreateCluster makes with the Redshift API
 * caller's rights are recorded under that caller, from {@code redshift.amazonaws.com} (no HTTP hop). A control plane
 * whose KMS is elsewhere still forwards over HTTP, so there the KMS sees the control plane's address.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KmsInProcessIT {
    private static final String CLIENT_ADDRESS = "127.0.0.2";

    ControlFixture f;

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    /** A signed ListKeys from {@link #CLIENT_ADDRESS} to {@code endpoint}, with a user agent of its own; the status. */
    private static int listKeysFrom127002(URI endpoint, Credential c, String userAgent) throws Exception {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        Map<String, String> signed = new TreeMap<>(Map.of(
                "host", endpoint.getHost() + ":" + endpoint.getPort(),
                "content-type", "application/x-amz-json-1.1",
                "x-amz-target", "TrentService.ListKeys"));
        Map<String, String> auth = SigV4.sign(c, "us-east-1", "kms", Instant.now(), "POST", "/", signed, body);
        HttpRequest.Builder r = HttpRequest.newBuilder(endpoint.resolve("/"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "TrentService.ListKeys")
                .header("User-Agent", userAgent);
        auth.forEach(r::header);
        try (HttpClient client = HttpClient.newBuilder()
                .localAddress(InetAddress.getByName(CLIENT_ADDRESS))
                .version(HttpClient.Version.HTTP_1_1)
                .build()) {
            return client.send(r.build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }
    }

    private AuditRecord onlyRecordWithAgent(String userAgent) {
        List<AuditRecord> records = f.audit().query(AuditQuery.all().withEventName("ListKeys")).stream()
                .filter(r -> r.json().path("userAgent").asText().equals(userAgent))
                .toList();
        assertThat(records).hasSize(1);
        return records.getFirst();
    }

    @Test
    void aKmsRequestAtTheControlEndpoint_isAnsweredInProcess_andAuditedWithTheClientsAddress() throws Exception {
        String agent = "in-process-test/" + UUID.randomUUID();
        assertThat(listKeysFrom127002(f.control.endpoint(), f.admin, agent)).isEqualTo(200);
        AuditRecord r = onlyRecordWithAgent(agent);
        assertThat(r.principalArn()).isEqualTo(f.admin.principalArn());
        assertThat(r.json().path("sourceIPAddress").asText()).isEqualTo(CLIENT_ADDRESS);
    }

    @Test
    void kmsCallsCreateClusterMakesForItsCaller_areAuditedUnderThatCaller_fromTheRedshiftService() throws Exception {
        Credential carol = f.kms.credentials().add(f.admin.accountId(), "user/carol");
        String key = f.kmsThroughControl(f.admin)
                .createKey(r -> r.description("carol's cluster"))
                .keyMetadata()
                .arn();
        Instant before = Instant.now().minusSeconds(1);
        try (RedshiftClient rs = f.redshift(carol)) {
            rs.createCluster(r -> r.clusterIdentifier("dw-carol")
                    .nodeType("ra3.xlplus")
                    .numberOfNodes(2)
                    .masterUsername("admin1")
                    .masterUserPassword("Passw0rdX")
                    .encrypted(true)
                    .kmsKeyId(key));
            // The key steps may finish in the create job after the answer; wait for the job, not for a time.
            for (int i = 0; i < 600; i++) {
                String status = rs.describeClusters(r -> r.clusterIdentifier("dw-carol"))
                        .clusters()
                        .getFirst()
                        .clusterStatus();
                if (!status.equals("creating")) {
                    assertThat(status).isEqualTo("available");
                    break;
                }
                Thread.sleep(50);
            }
        }
        List<AuditRecord> grants =
                f.audit().query(AuditQuery.all().withEventName("CreateGrant").between(before, null)).stream()
                        .filter(r -> key.equals(r.keyArn()))
                        .toList();
        assertThat(grants).isNotEmpty().allSatisfy(r -> {
            assertThat(r.principalArn()).as("the Redshift API caller").isEqualTo(carol.principalArn());
            assertThat(r.json().path("sourceIPAddress").asText()).isEqualTo("redshift.amazonaws.com");
            assertThat(r.errorCode()).isNull();
        });
        List<AuditRecord> generated = f.audit()
                .query(AuditQuery.all()
                        .withEventName("GenerateDataKey")
                        .between(before, null)
                        .withContextValue("dw-carol"));
        assertThat(generated).singleElement().satisfies(r -> {
            assertThat(r.principalArn())
                    .as("the service, through the cluster's grant")
                    .isEqualTo(f.control.servicePrincipalArn());
            assertThat(r.json().path("sourceIPAddress").asText()).isEqualTo("redshift.amazonaws.com");
        });
    }

    @Test
    void withTheKmsElsewhere_requestsAreStillForwardedOverHttp() throws Exception {
        try (ControlPlane remote = ControlPlane.builder(f.dir.resolve("control-remote"))
                .kmsEndpoint(f.kms.endpoint())
                .credentials(f.kms.credentials())
                .port(0)
                .clusterPortBase(26439)
                .monitorInterval(Duration.ZERO)
                .start()) {
            assertThat(remote.startupReport()).contains("forwarded to " + f.kms.endpoint());
            String agent = "forwarded-test/" + UUID.randomUUID();
            assertThat(listKeysFrom127002(remote.endpoint(), f.admin, agent)).isEqualTo(200);
            AuditRecord r = onlyRecordWithAgent(agent);
            assertThat(r.principalArn()).isEqualTo(f.admin.principalArn());
            assertThat(r.json().path("sourceIPAddress").asText())
                    .as("the forwarding control plane's address")
                    .isEqualTo("127.0.0.1");
        }
        assertThat(f.control.startupReport()).contains("answered in process by the embedded KMS");
    }
}
