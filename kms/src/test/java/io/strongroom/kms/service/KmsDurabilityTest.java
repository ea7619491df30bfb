package io.strongroom.kms.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.base.DurableFile.Step;
import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.store.KmsStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What failed saves and loads do to the service: a change that cannot be saved is undone; a store that cannot
 * be re-read either stops the service for good without writing; a store the loader would refuse is never
 * written; quotas and region names bound what any principal can make the store hold.
 */
class KmsDurabilityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Caller ADMIN =
            new Caller("AKIAADMIN", "111122223333", "arn:aws:iam::111122223333:user/admin", "127.0.0.1", "test");
    private static final KmsQuotas SMALL = new KmsQuotas(3, 3, 2, 2, 50, 32 * 1024);

    @TempDir
    Path dir;

    final InstantSource clock = () -> Instant.parse("2026-01-01T00:00:00Z");
    final Set<FaultPoint> failing = new HashSet<>();
    final FaultHook faults = (point, file) -> {
        if (failing.contains(point)) {
            throw new IOException("injected fault before " + point.name());
        }
    };
    int maxStoreBytes = KmsStore.MAX_STORE_BYTES;
    KmsStore store;
    AuditLog audit;
    KmsService kms;

    @BeforeEach
    void open() {
        store = KmsStore.open(dir, new SecureRandom(), faults, maxStoreBytes);
        audit = AuditLog.open(dir);
        kms = KmsService.open(store, clock, new SecureRandom(), audit, SMALL);
    }

    @AfterEach
    void close() {
        kms.close();
        audit.close();
        store.close();
    }

    void reopen() {
        close();
        open();
    }

    JsonNode call(String op, String json) throws Exception {
        return call(op, json, "us-east-1");
    }

    JsonNode call(String op, String json, String region) throws Exception {
        AuditEvent ev = new AuditEvent(UUID.randomUUID().toString(), "e", clock.instant(), op);
        return kms.call(op, ADMIN, region, JSON.readTree(json), ev);
    }

    String createKey() throws Exception {
        return call("CreateKey", "{}").path("KeyMetadata").path("KeyId").asText();
    }

    int keyCount() throws Exception {
        return call("ListKeys", "{}").path("Keys").size();
    }

    static String awsType(Throwable e) {
        return ((KmsApiException) e).wireCode();
    }

    @Test
    void failedSaveBeforeRename_undoesTheChange_andTheServiceKeepsServing() throws Exception {
        String kept = createKey();
        failing.add(Step.WRITE);
        assertThatThrownBy(this::createKey)
                .hasMessageContaining("nothing was changed")
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("KMSInternalException");
        assertThatThrownBy(() -> call("DisableKey", "{\"KeyId\":\"" + kept + "\"}"))
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("KMSInternalException");
        failing.clear();
        assertThat(keyCount()).isEqualTo(1);
        assertThat(call("DescribeKey", "{\"KeyId\":\"" + kept + "\"}")
                        .path("KeyMetadata")
                        .path("KeyState")
                        .asText())
                .isEqualTo("Enabled");
        createKey();
        reopen();
        assertThat(keyCount()).isEqualTo(2);
    }

    @Test
    void failedDirectorySyncAfterRename_saysTheChangeMayHaveBeenSaved() throws Exception {
        failing.add(Step.SYNC_DIRECTORY);
        assertThatThrownBy(this::createKey)
                .hasMessageContaining("may have been saved")
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("KMSInternalException");
        failing.clear();
        // Memory was re-read from disk, which holds the renamed new store.
        assertThat(keyCount()).isEqualTo(1);
        reopen();
        assertThat(keyCount()).isEqualTo(1);
    }

    @Test
    void failedSave_thenFailedReload_failStops_andNeverOverwritesTheStore() throws Exception {
        String a = createKey();
        String b = createKey();
        byte[] onDisk = Files.readAllBytes(store.storeFile());
        failing.addAll(Set.of(Step.WRITE, KmsStore.Step.LOAD));
        assertThatThrownBy(this::createKey)
                .hasMessageContaining("stopped serving")
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("KMSInternalException");
        assertThat(kms.isServing()).isFalse();
        failing.clear();
        // Every request now fails, reads and changes alike, and nothing is written.
        for (String[] req : new String[][] {
            {"DescribeKey", "{\"KeyId\":\"" + a + "\"}"},
            {"ListKeys", "{}"},
            {"CreateKey", "{}"},
            {"ScheduleKeyDeletion", "{\"KeyId\":\"" + b + "\"}"}
        }) {
            assertThatThrownBy(() -> call(req[0], req[1]))
                    .hasMessageContaining("stopped serving")
                    .extracting(KmsDurabilityTest::awsType)
                    .isEqualTo("KMSInternalException");
        }
        assertThatThrownBy(kms::runScheduledWork).isInstanceOf(KmsApiException.class);
        assertThatThrownBy(() -> kms.managedKey("111122223333", "us-east-1")).isInstanceOf(KmsApiException.class);
        assertThat(Files.readAllBytes(store.storeFile())).isEqualTo(onDisk);
        reopen();
        assertThat(kms.isServing()).isTrue();
        assertThat(kms.keyArns(arn -> true)).hasSize(2).anyMatch(arn -> arn.endsWith(a));
    }

    @Test
    void save_refusesAStoreTheLoaderWouldReject_andUndoesTheChange() throws Exception {
        close();
        maxStoreBytes = 4096;
        open();
        String keyId = createKey();
        KmsApiException refused = null;
        for (int i = 0; i < 20 && refused == null; i++) {
            try {
                call(
                        "TagResource",
                        "{\"KeyId\":\"" + keyId + "\",\"Tags\":[{\"TagKey\":\"t" + i + "\",\"TagValue\":\""
                                + "v".repeat(200) + "\"}]}");
            } catch (KmsApiException e) {
                refused = e;
            }
        }
        assertThat(refused).isNotNull();
        assertThat(refused.wireCode()).isEqualTo("LimitExceededException");
        assertThat(refused).hasMessageContaining("4096 bytes");
        int tagsInMemory = call("ListResourceTags", "{\"KeyId\":\"" + keyId + "\"}")
                .path("Tags")
                .size();
        assertThat(Files.size(store.storeFile())).isLessThanOrEqualTo(4096);
        reopen();
        assertThat(call("ListResourceTags", "{\"KeyId\":\"" + keyId + "\"}")
                        .path("Tags")
                        .size())
                .isEqualTo(tagsInMemory);
    }

    @Test
    void quotas_onKeysAliasesGrantsTagsAndPolicySize_answerLimitExceeded() throws Exception {
        String k1 = createKey();
        createKey();
        createKey();
        assertThatThrownBy(this::createKey)
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("LimitExceededException");
        assertThat(call("CreateKey", "{}", "eu-west-1")
                        .path("KeyMetadata")
                        .path("Arn")
                        .asText())
                .as("the key quota is per account and region")
                .startsWith("arn:aws:kms:eu-west-1:");

        call("CreateAlias", "{\"AliasName\":\"alias/a1\",\"TargetKeyId\":\"" + k1 + "\"}");
        call("CreateAlias", "{\"AliasName\":\"alias/a2\",\"TargetKeyId\":\"" + k1 + "\"}");
        assertThatThrownBy(() -> call("CreateAlias", "{\"AliasName\":\"alias/a3\",\"TargetKeyId\":\"" + k1 + "\"}"))
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("LimitExceededException");

        String grant = "{\"KeyId\":\"" + k1 + "\",\"GranteePrincipal\":\"arn:aws:iam::222233334444:root\","
                + "\"Operations\":[\"Decrypt\"]}";
        call("CreateGrant", grant);
        call("CreateGrant", grant);
        assertThatThrownBy(() -> call("CreateGrant", grant))
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("LimitExceededException");

        StringBuilder tags = new StringBuilder("[");
        for (int i = 0; i < 50; i++) {
            tags.append(i == 0 ? "" : ",").append("{\"TagKey\":\"k").append(i).append("\",\"TagValue\":\"v\"}");
        }
        call("TagResource", "{\"KeyId\":\"" + k1 + "\",\"Tags\":" + tags + "]}");
        assertThatThrownBy(() -> call(
                        "TagResource",
                        "{\"KeyId\":\"" + k1 + "\",\"Tags\":[{\"TagKey\":\"one-more\",\"TagValue\":\"v\"}]}"))
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("LimitExceededException");
        call("TagResource", "{\"KeyId\":\"" + k1 + "\",\"Tags\":[{\"TagKey\":\"k7\",\"TagValue\":\"changed\"}]}");

        String big = KeyPolicy.defaultPolicy("111122223333")
                .replace("\"Id\"", "\"Padding\":\"" + "x".repeat(33_000) + "\",\"Id\"");
        String escaped = JSON.writeValueAsString(big);
        assertThatThrownBy(() -> call("PutKeyPolicy", "{\"KeyId\":\"" + k1 + "\",\"Policy\":" + escaped + "}"))
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("LimitExceededException");
    }

    @Test
    void regionsMustBeAwsRegionNames_andTheManagedKeyIsCreatedOnlyByOperationsThatMayUseIt() throws Exception {
        for (String region : new String[] {"x", "US-EAST-1", "us-east", "us-east-1-", "../us-east-1", "a".repeat(40)}) {
            assertThatThrownBy(() -> call("DescribeKey", "{\"KeyId\":\"alias/aws/redshift\"}", region))
                    .extracting(KmsDurabilityTest::awsType)
                    .isEqualTo("ValidationException");
        }
        assertThatThrownBy(() -> call("EnableKey", "{\"KeyId\":\"alias/aws/redshift\"}"))
                .extracting(KmsDurabilityTest::awsType)
                .isEqualTo("NotFoundException");
        assertThatThrownBy(() -> call("Decrypt", "{\"KeyId\":\"alias/aws/redshift\",\"CiphertextBlob\":\"AAAA\"}"))
                .isInstanceOf(KmsApiException.class);
        assertThat(kms.keyArns(arn -> true)).isEmpty();
        assertThat(call("DescribeKey", "{\"KeyId\":\"alias/aws/redshift\"}", "us-gov-west-1")
                        .path("KeyMetadata")
                        .path("KeyManager")
                        .asText())
                .isEqualTo("AWS");
        assertThat(kms.keyArns(arn -> true)).hasSize(1);
    }

    @Test
    void aLostStore_refusesToStart_butAFreshDirectoryReopens() throws Exception {
        reopen(); // a first start with no change still leaves a store behind
        createKey();
        close();
        Files.delete(dir.resolve(KmsStore.STORE_FILE));
        assertThatThrownBy(this::open)
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("is missing")
                .hasMessageContaining("refuses to start")
                .hasMessageContaining("restore kms-store.bin");
        // So @AfterEach has something to close.
        dir = Files.createDirectories(dir.resolve("fresh"));
        open();
    }
}
