package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.aws.Credential;
import io.strongroom.aws.SigV4;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.storage.Store;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.GrantOperation;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.ClusterNotFoundException;
import software.amazon.awssdk.services.redshift.model.Event;
import software.amazon.awssdk.services.redshift.model.InvalidClusterStateException;
import software.amazon.awssdk.services.redshift.model.InvalidTagException;
import software.amazon.awssdk.services.redshift.model.RedshiftException;
import software.amazon.awssdk.services.redshift.model.SourceType;
import software.amazon.awssdk.services.redshift.model.Tag;
import software.amazon.awssdk.services.redshift.model.TagLimitExceededException;

/**
 * The lifecycle with the AWS SDK for Java v2 RedshiftClient (and KmsClient through the same endpoint)
 * against a control plane and a KMS started in-process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlSdkIT {
    static final String PASSWORD = "Passw0rdX";

    ControlFixture f;
    RedshiftClient rs;
    KmsClient kms;

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private Cluster create(String id, String keyId, int nodes) {
        return rs.createCluster(r -> {
                    r.clusterIdentifier(id)
                            .nodeType("ra3.xlplus")
                            .numberOfNodes(nodes)
                            .masterUsername("admin1")
                            .masterUserPassword(PASSWORD)
                            .encrypted(true);
                    if (keyId != null) {
                        r.kmsKeyId(keyId);
                    }
                })
                .cluster();
    }

    private Cluster describe(String id) {
        return rs.describeClusters(r -> r.clusterIdentifier(id)).clusters().get(0);
    }

    private List<AuditRecord> audit(String eventName, String contextValue) {
        return f.audit().query(AuditQuery.all().withEventName(eventName).withContextValue(contextValue));
    }

    @Test
    void tags_areCheckedOnTheWayIn_andAnyTextInAnswersStaysWellFormedXml() {
        assertThatThrownBy(() -> rs.createCluster(r -> r.clusterIdentifier("tagbad")
                        .nodeType("ra3.xlplus")
                        .numberOfNodes(2)
                        .masterUsername("admin1")
                        .masterUserPassword(PASSWORD)
                        .tags(Tag.builder().key("team").value("a\u0001b").build())))
                .isInstanceOf(InvalidTagException.class)
                .hasMessageContaining("U+0001");
        assertThatThrownBy(() -> rs.createCluster(r -> r.clusterIdentifier("tagmany")
                        .nodeType("ra3.xlplus")
                        .numberOfNodes(2)
                        .masterUsername("admin1")
                        .masterUserPassword(PASSWORD)
                        .tags(IntStream.range(0, 51)
                                .mapToObj(i ->
                                        Tag.builder().key("k" + i).value("v").build())
                                .toList())))
                .isInstanceOf(TagLimitExceededException.class);
        assertThat(rs.describeClusters().clusters())
                .noneMatch(c -> c.clusterIdentifier().startsWith("tag"));
        // Unicode letters are fine, and come back as they went in.
        rs.createCluster(r -> r.clusterIdentifier("tagok")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword(PASSWORD)
                .tags(Tag.builder().key("équipe").value("日本語 ž").build()));
        assertThat(rs.describeClusters(r -> r.clusterIdentifier("tagok"))
                        .clusters()
                        .get(0)
                        .tags())
                .containsExactly(Tag.builder().key("équipe").value("日本語 ž").build());
        rs.deleteCluster(r -> r.clusterIdentifier("tagok").skipFinalClusterSnapshot(true));
    }

    @Test
    @Order(1)
    void createEncrypted_withoutKey_usesAccountsAwsRedshiftKey_withContextAndGrant() {
        Cluster c = create("dw-default", null, 2);
        assertThat(c.clusterStatus()).isEqualTo("creating");
        assertThat(c.encrypted()).isTrue();

        Cluster d = describe("dw-default");
        assertThat(d.clusterStatus()).isEqualTo("available");
        assertThat(d.clusterAvailabilityStatus()).isEqualTo("Available");
        assertThat(d.numberOfNodes()).isEqualTo(2);
        assertThat(d.clusterNodes()).hasSize(3);
        assertThat(d.endpoint().port()).isEqualTo(25439);
        assertThat(d.endpoint().address()).isEqualTo("localhost");
        assertThat(d.masterUsername()).isEqualTo("admin1");
        assertThat(d.dbName()).isEqualTo("dev");
        assertThat(d.clusterNamespaceArn())
                .startsWith("arn:aws:redshift:us-east-1:" + f.admin.accountId() + ":namespace:");
        String defaultKeyArn = kms.describeKey(r -> r.keyId("alias/aws/redshift"))
                .keyMetadata()
                .arn();
        assertThat(d.kmsKeyId()).isEqualTo(defaultKeyArn);

        String arn = "arn:aws:redshift:us-east-1:" + f.admin.accountId() + ":cluster:dw-default";
        List<AuditRecord> gen = audit("GenerateDataKey", "dw-default");
        assertThat(gen).hasSize(1);
        assertThat(gen.get(0).encryptionContext()).containsEntry("aws:redshift:arn", arn);
        assertThat(gen.get(0).encryptionContext().get("aws:redshift:createtime"))
                .matches("\\d{8}T\\d{4}Z");
        assertThat(gen.get(0).principalArn()).isEqualTo(f.control.servicePrincipalArn());
        var grants = kms.listGrants(r -> r.keyId(defaultKeyArn)).grants();
        assertThat(grants).anySatisfy(g -> {
            assertThat(g.granteePrincipal()).isEqualTo(f.control.servicePrincipalArn());
            assertThat(g.constraints().encryptionContextSubset()).containsEntry("aws:redshift:arn", arn);
        });
        assertThat(f.control.running(f.admin.accountId(), "us-east-1", "dw-default"))
                .hasValueSatisfying(
                        run -> assertThat(run.store().layout().sliceCount()).isEqualTo(4));
        // The key vault lives apart from the cluster's data and holds no plaintext.
        assertThat(f.control.dataDir().resolve("keyvault")).isDirectory();
    }

    @Test
    @Order(2)
    void createWithCustomerKeyByAlias_reportsTheKeyArn() {
        String keyId =
                kms.createKey(r -> r.description("dw root")).keyMetadata().keyId();
        kms.createAlias(r -> r.aliasName("alias/dw-root").targetKeyId(keyId));
        create("dw-cmk", "alias/dw-root", 2);
        Cluster d = describe("dw-cmk");
        assertThat(d.clusterStatus()).isEqualTo("available");
        assertThat(d.kmsKeyId())
                .isEqualTo(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().arn());
        assertThat(d.endpoint().port()).isEqualTo(25440);
    }

    @Test
    @Order(3)
    void createWithOtherAccountsKey_worksThroughAGrant_andIsRefusedWithout() {
        Credential bob = f.kms.credentials().add("222233334444", "user/bob");
        KmsClient bobKms = f.kmsThroughControl(bob);
        String granted =
                bobKms.createKey(r -> r.description("shared")).keyMetadata().arn();
        bobKms.createGrant(r -> r.keyId(granted)
                .granteePrincipal(f.admin.principalArn())
                .operations(
                        GrantOperation.DESCRIBE_KEY,
                        GrantOperation.CREATE_GRANT,
                        GrantOperation.GENERATE_DATA_KEY,
                        GrantOperation.DECRYPT,
                        GrantOperation.RETIRE_GRANT));
        create("dw-shared", granted, 2);
        assertThat(describe("dw-shared").kmsKeyId()).isEqualTo(granted);

        String notGranted =
                bobKms.createKey(r -> r.description("private")).keyMetadata().arn();
        assertThatThrownBy(() -> create("dw-denied", notGranted, 2))
                .isInstanceOfSatisfying(RedshiftException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("DependentServiceAccessDenied");
                    assertThat(e.statusCode()).isEqualTo(403);
                });
        assertThatThrownBy(() -> describe("dw-denied")).isInstanceOf(ClusterNotFoundException.class);
    }

    @Test
    @Order(4)
    void asymmetricKey_isRefused_andNothingIsCreated() {
        String rsa = kms.createKey(r -> r.keySpec(KeySpec.RSA_2048).keyUsage(KeyUsageType.ENCRYPT_DECRYPT))
                .keyMetadata()
                .arn();
        assertThatThrownBy(() -> create("dw-rsa", rsa, 2)).isInstanceOfSatisfying(RedshiftException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterValue");
            assertThat(e.getMessage()).contains("symmetric");
        });
        assertThatThrownBy(() -> describe("dw-rsa")).isInstanceOf(ClusterNotFoundException.class);
        assertThat(audit("GenerateDataKey", "dw-rsa")).isEmpty();
    }

    @Test
    @Order(5)
    void disabledKey_isRefused() {
        String key = kms.createKey(r -> r.description("off")).keyMetadata().arn();
        kms.disableKey(r -> r.keyId(key));
        assertThatThrownBy(() -> create("dw-off", key, 2)).isInstanceOfSatisfying(RedshiftException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterValue");
            assertThat(e.getMessage()).contains("Disabled");
        });
        assertThatThrownBy(() -> create("dw-nokey", "alias/no-such-key", 2))
                .isInstanceOfSatisfying(
                        RedshiftException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterValue"));
        assertThatThrownBy(() -> describe("dw-off")).isInstanceOf(ClusterNotFoundException.class);
    }

    @Test
    @Order(6)
    void rename_keepsTheOriginalArnInTheEncryptionContext() {
        Cluster c = rs.modifyCluster(r -> r.clusterIdentifier("dw-cmk").newClusterIdentifier("dw-cmk2"))
                .cluster();
        assertThat(c.clusterStatus()).isEqualTo("renaming");
        assertThat(describe("dw-cmk2").clusterStatus()).isEqualTo("available");
        assertThatThrownBy(() -> describe("dw-cmk")).isInstanceOf(ClusterNotFoundException.class);

        Instant before = Instant.now().minusSeconds(1);
        assertThat(rs.rebootCluster(r -> r.clusterIdentifier("dw-cmk2"))
                        .cluster()
                        .clusterStatus())
                .isEqualTo("rebooting");
        assertThat(describe("dw-cmk2").clusterStatus()).isEqualTo("available");
        List<AuditRecord> decrypts = f.audit()
                .query(AuditQuery.all()
                        .withEventName("Decrypt")
                        .between(before, null)
                        .withContextValue("dw-cmk"));
        assertThat(decrypts).hasSize(1);
        assertThat(decrypts.get(0).encryptionContext())
                .containsEntry(
                        "aws:redshift:arn", "arn:aws:redshift:us-east-1:" + f.admin.accountId() + ":cluster:dw-cmk");
        assertThat(decrypts.get(0).errorCode()).isNull();
        assertThatThrownBy(() ->
                        rs.modifyCluster(r -> r.clusterIdentifier("dw-cmk2").newClusterIdentifier("dw-shared")))
                .isInstanceOfSatisfying(
                        RedshiftException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ClusterAlreadyExists"));
    }

    @Test
    @Order(7)
    void reboot_decryptsTheClusterKeyWithTheStoredContext_andKeepsTheData() {
        Store store = f.control
                .running(f.admin.accountId(), "us-east-1", "dw-default")
                .orElseThrow()
                .store();
        ControlFixture.writeTable(store, "t", 10_000);
        Instant before = Instant.now().minusSeconds(1);
        rs.rebootCluster(r -> r.clusterIdentifier("dw-default"));
        List<AuditRecord> decrypts = f.audit()
                .query(AuditQuery.all()
                        .withEventName("Decrypt")
                        .between(before, null)
                        .withContextValue("dw-default"));
        assertThat(decrypts).hasSize(1);
        assertThat(decrypts.get(0).principalArn()).isEqualTo(f.control.servicePrincipalArn());
        Store after = f.control
                .running(f.admin.accountId(), "us-east-1", "dw-default")
                .orElseThrow()
                .store();
        assertThat(ControlFixture.countAndSum(after, "t")).containsExactly(10_000, 49_995_000);
    }

    @Test
    @Order(8)
    void disabledKey_stopsReboot_withAnEvent_andEnablingItRecovers() {
        String keyArn = describe("dw-cmk2").kmsKeyId();
        kms.disableKey(r -> r.keyId(keyArn));
        rs.rebootCluster(r -> r.clusterIdentifier("dw-cmk2"));
        Cluster down = describe("dw-cmk2");
        assertThat(down.clusterStatus()).isEqualTo("inaccessible-encryption-credentials");
        assertThat(down.clusterAvailabilityStatus()).isEqualTo("Failed");
        assertThat(f.control.running(f.admin.accountId(), "us-east-1", "dw-cmk2"))
                .isEmpty();
        List<Event> events = rs.describeEvents(
                        r -> r.sourceIdentifier("dw-cmk2").sourceType(SourceType.CLUSTER))
                .events();
        assertThat(events).anySatisfy(e -> {
            assertThat(e.severity()).isEqualTo("ERROR");
            assertThat(e.eventCategories()).contains("security");
            assertThat(e.message()).contains("DisabledException").contains(keyArn);
        });
        assertThatThrownBy(() ->
                        rs.resizeCluster(r -> r.clusterIdentifier("dw-cmk2").numberOfNodes(3)))
                .isInstanceOf(InvalidClusterStateException.class);

        kms.enableKey(r -> r.keyId(keyArn));
        rs.rebootCluster(r -> r.clusterIdentifier("dw-cmk2"));
        assertThat(describe("dw-cmk2").clusterStatus()).isEqualTo("available");
    }

    @Test
    @Order(9)
    void revokedGrant_stopsReboot() {
        String keyArn = describe("dw-shared").kmsKeyId();
        KmsClient bobKms = f.kmsThroughControl(f.kms.credentials().all().stream()
                .filter(c -> c.principalArn().endsWith("user/bob"))
                .findFirst()
                .orElseThrow());
        var grant = bobKms.listGrants(r -> r.keyId(keyArn)).grants().stream()
                .filter(g -> g.granteePrincipal().equals(f.control.servicePrincipalArn()))
                .findFirst()
                .orElseThrow();
        bobKms.revokeGrant(r -> r.keyId(keyArn).grantId(grant.grantId()));
        rs.rebootCluster(r -> r.clusterIdentifier("dw-shared"));
        assertThat(describe("dw-shared").clusterStatus()).isEqualTo("inaccessible-encryption-credentials");
        assertThat(rs.describeEvents(r -> r.sourceIdentifier("dw-shared").sourceType(SourceType.CLUSTER))
                        .events())
                .anySatisfy(e -> assertThat(e.message()).contains("AccessDeniedException"));
    }

    @Test
    @Order(10)
    void resize_spreadsTheTablesOverTheNewSlices() {
        Cluster c = rs.resizeCluster(
                        r -> r.clusterIdentifier("dw-default").numberOfNodes(4).classic(true))
                .cluster();
        assertThat(c.clusterStatus()).isEqualTo("resizing");
        Cluster d = describe("dw-default");
        assertThat(d.clusterStatus()).isEqualTo("available");
        assertThat(d.numberOfNodes()).isEqualTo(4);
        assertThat(d.encrypted()).isTrue();
        Store store = f.control
                .running(f.admin.accountId(), "us-east-1", "dw-default")
                .orElseThrow()
                .store();
        assertThat(store.layout().sliceCount()).isEqualTo(8);
        assertThat(ControlFixture.countAndSum(store, "t")).containsExactly(10_000, 49_995_000);

        rs.modifyCluster(
                r -> r.clusterIdentifier("dw-default").nodeType("ra3.4xlarge").numberOfNodes(2));
        Store again = f.control
                .running(f.admin.accountId(), "us-east-1", "dw-default")
                .orElseThrow()
                .store();
        assertThat(again.layout().sliceCount()).isEqualTo(8);
        assertThat(describe("dw-default").nodeType()).isEqualTo("ra3.4xlarge");
        assertThat(ControlFixture.countAndSum(again, "t")).containsExactly(10_000, 49_995_000);
    }

    @Test
    @Order(11)
    void modifyPassword_isNeverEchoed() {
        Cluster c = rs.modifyCluster(r -> r.clusterIdentifier("dw-default").masterUserPassword("NewPassw0rd"))
                .cluster();
        assertThat(c.pendingModifiedValues().masterUserPassword()).isEqualTo("****");
        assertThat(rs.describeEvents(r -> r.sourceIdentifier("dw-default").sourceType(SourceType.CLUSTER))
                        .events())
                .anySatisfy(e -> assertThat(e.eventId()).isEqualTo("REDSHIFT-EVENT-4000"))
                .allSatisfy(e -> assertThat(e.message()).doesNotContain("NewPassw0rd"));
    }

    @Test
    @Order(12)
    void restart_bringsEveryClusterBackThroughTheRebootFlow() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        f.restartControl();
        rs = f.redshift(f.admin);
        kms = f.kmsThroughControl(f.admin);
        assertThat(describe("dw-default").clusterStatus()).isEqualTo("available");
        assertThat(describe("dw-cmk2").clusterStatus()).isEqualTo("available");
        assertThat(describe("dw-shared").clusterStatus()).isEqualTo("inaccessible-encryption-credentials");
        assertThat(f.audit().query(AuditQuery.all().withEventName("Decrypt").between(before, null)))
                .hasSizeGreaterThanOrEqualTo(3);
        Store store = f.control
                .running(f.admin.accountId(), "us-east-1", "dw-default")
                .orElseThrow()
                .store();
        assertThat(ControlFixture.countAndSum(store, "t")).containsExactly(10_000, 49_995_000);
        // Nothing in the data directory holds the master password.
        try (var files = Files.walk(f.control.dataDir())) {
            for (var p : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1))
                        .doesNotContain(PASSWORD)
                        .doesNotContain("NewPassw0rd");
            }
        }
    }

    @Test
    @Order(13)
    void kmsDown_stopsReboot_andRebootRecoversWhenItIsBack() {
        f.stopKms();
        rs.rebootCluster(r -> r.clusterIdentifier("dw-cmk2"));
        assertThat(describe("dw-cmk2").clusterStatus()).isEqualTo("inaccessible-encryption-credentials");
        assertThat(rs.describeEvents(r -> r.sourceIdentifier("dw-cmk2").sourceType(SourceType.CLUSTER))
                        .events())
                .anySatisfy(e -> assertThat(e.message()).contains("cannot be reached"));
        f.startKms();
        rs.rebootCluster(r -> r.clusterIdentifier("dw-cmk2"));
        assertThat(describe("dw-cmk2").clusterStatus()).isEqualTo("available");
    }

    @Test
    @Order(14)
    void delete_withoutFinalSnapshotIdentifier_isRefused_andSkipDeletesEverything() throws Exception {
        // Final snapshots themselves are covered by SnapshotSdkIT.
        assertThatThrownBy(() -> rs.deleteCluster(r -> r.clusterIdentifier("dw-cmk2")))
                .isInstanceOfSatisfying(
                        RedshiftException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterCombination"));
        Cluster c = rs.deleteCluster(r -> r.clusterIdentifier("dw-cmk2").skipFinalClusterSnapshot(true))
                .cluster();
        assertThat(c.clusterStatus()).isEqualTo("deleting");
        rs.waiter().waitUntilClusterDeleted(r -> r.clusterIdentifier("dw-cmk2"));
        assertThatThrownBy(() -> describe("dw-cmk2")).isInstanceOfSatisfying(ClusterNotFoundException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(404);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ClusterNotFound");
        });
        rs.deleteCluster(r -> r.clusterIdentifier("dw-shared").skipFinalClusterSnapshot(true));
        assertThat(f.control.dataDir().resolve("keyvault").toFile().list()).hasSize(1);
        assertThat(f.control.dataDir().resolve("data").toFile().list()).hasSize(1);
        assertThat(rs.describeClusters().clusters())
                .extracting(Cluster::clusterIdentifier)
                .containsExactly("dw-default");
        assertThat(rs.describeEvents(r -> r.sourceIdentifier("dw-cmk2").sourceType(SourceType.CLUSTER))
                        .events())
                .anySatisfy(e -> assertThat(e.eventId()).isEqualTo("REDSHIFT-EVENT-2001"));
    }

    @Test
    @Order(15)
    void waiterClusterAvailable_returnsAtTheFirstPoll() {
        rs.waiter().waitUntilClusterAvailable(r -> r.clusterIdentifier("dw-default"));
        assertThat(rs.describeEvents(r -> r.duration(5)).events()).isNotEmpty();
        assertThat(rs.describeEvents(r -> r.startTime(Instant.now().plusSeconds(3600)))
                        .events())
                .isEmpty();
    }

    @Test
    @Order(16)
    void unsignedAndBadlySignedRequests_areRefused() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI uri = f.control.endpoint();
        byte[] body = "Action=DescribeClusters&Version=2012-12-01".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> unsigned = http.send(
                HttpRequest.newBuilder(uri)
                        .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unsigned.statusCode()).isEqualTo(403);
        assertThat(unsigned.body()).contains("<Code>MissingAuthenticationToken</Code>");
        assertThat(unsigned.body())
                .startsWith("<?xml")
                .contains("<ErrorResponse")
                .contains("<RequestId>");

        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("host", uri.getHost() + ":" + uri.getPort());
        headers.put("content-type", "application/x-www-form-urlencoded; charset=utf-8");
        Credential wrong =
                new Credential(f.admin.accessKeyId(), "not-the-secret", f.admin.accountId(), f.admin.principalArn());
        Map<String, String> auth =
                SigV4.sign(wrong, "us-east-1", "redshift", Instant.now(), "POST", "/", headers, body);
        HttpResponse<String> bad = http.send(
                HttpRequest.newBuilder(uri)
                        .header("Content-Type", headers.get("content-type"))
                        .header("X-Amz-Date", auth.get("X-Amz-Date"))
                        .header("Authorization", auth.get("Authorization"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(403);
        assertThat(bad.body()).contains("<Code>SignatureDoesNotMatch</Code>");

        Map<String, String> good =
                SigV4.sign(f.admin, "us-east-1", "redshift", Instant.now(), "POST", "/", headers, body);
        HttpResponse<String> ok = http.send(
                HttpRequest.newBuilder(uri)
                        .header("Content-Type", headers.get("content-type"))
                        .header("X-Amz-Date", good.get("X-Amz-Date"))
                        .header("Authorization", good.get("Authorization"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("<DescribeClustersResponse").contains("<DescribeClustersResult><Clusters>");
        assertThat(ok.headers().firstValue("x-amzn-RequestId")).isPresent();
    }
}
