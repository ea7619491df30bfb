package io.strongroom.kms.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.CiphertextBlob;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.store.KmsStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service without HTTP: scheduled rotation and deletion on an injected clock, and the sealed store. */
class KmsServiceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Caller ADMIN =
            new Caller("AKIAADMIN", "111122223333", "arn:aws:iam::111122223333:user/admin", "127.0.0.1", "test");

    @TempDir
    Path dir;

    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    final InstantSource clock = now::get;
    KmsStore store;
    AuditLog audit;
    KmsService kms;

    @BeforeEach
    void open() {
        store = KmsStore.open(dir, new SecureRandom());
        audit = AuditLog.open(dir);
        kms = KmsService.open(store, clock, new SecureRandom(), audit);
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
        AuditEvent ev = new AuditEvent(UUID.randomUUID().toString(), "e", now.get(), op);
        return kms.call(op, ADMIN, "us-east-1", JSON.readTree(json), ev);
    }

    String createKey() throws Exception {
        return call("CreateKey", "{}").path("KeyMetadata").path("KeyId").asText();
    }

    String encrypt(String id, String ctx) throws Exception {
        return call("Encrypt", "{\"KeyId\":\"" + id + "\",\"Plaintext\":\"AQID\",\"EncryptionContext\":" + ctx + "}")
                .path("CiphertextBlob")
                .asText();
    }

    JsonNode decrypt(String blob, String ctx) throws Exception {
        return call("Decrypt", "{\"CiphertextBlob\":\"" + blob + "\",\"EncryptionContext\":" + ctx + "}");
    }

    @Test
    void automaticRotation_happensWhenTheClockPassesTheDate_andOldCiphertextsStillDecrypt() throws Exception {
        String id = createKey();
        call("EnableKeyRotation", "{\"KeyId\":\"" + id + "\",\"RotationPeriodInDays\":90}");
        String before = encrypt(id, "{\"c\":\"1\"}");
        now.set(now.get().plus(Duration.ofDays(89)));
        assertThat(kms.runScheduledWork()).isZero();
        now.set(now.get().plus(Duration.ofDays(2)));
        assertThat(kms.runScheduledWork()).isEqualTo(1);
        JsonNode rotations =
                call("ListKeyRotations", "{\"KeyId\":\"" + id + "\"}").path("Rotations");
        assertThat(rotations).hasSize(1);
        assertThat(rotations.get(0).path("RotationType").asText()).isEqualTo("AUTOMATIC");
        String after = encrypt(id, "{\"c\":\"1\"}");
        reopen();
        assertThat(decrypt(before, "{\"c\":\"1\"}").path("Plaintext").asText()).isEqualTo("AQID");
        assertThat(decrypt(after, "{\"c\":\"1\"}").path("Plaintext").asText()).isEqualTo("AQID");
        assertThat(decrypt(before, "{\"c\":\"1\"}").path("KeyMaterialId").asText())
                .isNotEqualTo(
                        decrypt(after, "{\"c\":\"1\"}").path("KeyMaterialId").asText());
    }

    @Test
    void deletion_afterTheWaitingPeriod_destroysTheKeyForGood() throws Exception {
        String id = createKey();
        call("CreateAlias", "{\"AliasName\":\"alias/doomed\",\"TargetKeyId\":\"" + id + "\"}");
        String blob = encrypt(id, "{}");
        call("ScheduleKeyDeletion", "{\"KeyId\":\"" + id + "\",\"PendingWindowInDays\":7}");
        now.set(now.get().plus(Duration.ofDays(6)));
        assertThat(kms.runScheduledWork()).isZero();
        now.set(now.get().plus(Duration.ofDays(1)));
        assertThat(kms.runScheduledWork()).isEqualTo(1);
        reopen();
        assertThatThrownBy(() -> call("DescribeKey", "{\"KeyId\":\"" + id + "\"}"))
                .isInstanceOf(KmsApiException.class)
                .extracting(e -> ((KmsApiException) e).wireCode())
                .isEqualTo("NotFoundException");
        assertThatThrownBy(() -> decrypt(blob, "{}"))
                .extracting(e -> ((KmsApiException) e).wireCode())
                .isEqualTo("AccessDeniedException");
        assertThat(call("ListAliases", "{}").path("Aliases")).isEmpty();
        // The material is gone from the store document, not just hidden.
        assertThat(new String(store.load(), StandardCharsets.UTF_8)).doesNotContain(id);
    }

    @Test
    void contextEncoding_isUnambiguous_andExactMatchIsRequired() throws Exception {
        String id = createKey();
        String blob = encrypt(id, "{\"ab\":\"c\"}");
        assertThat(decrypt(blob, "{\"ab\":\"c\"}").path("Plaintext").asText()).isEqualTo("AQID");
        for (String wrong : new String[] {"{\"a\":\"bc\"}", "{}", "{\"ab\":\"c\",\"x\":\"y\"}", "{\"AB\":\"c\"}"}) {
            assertThatThrownBy(() -> decrypt(blob, wrong))
                    .extracting(e -> ((KmsApiException) e).wireCode())
                    .isEqualTo("InvalidCiphertextException");
        }
    }

    @Test
    void ciphertextBlob_headerNamesKeyAndMaterialVersion() throws Exception {
        String id = createKey();
        call("RotateKeyOnDemand", "{\"KeyId\":\"" + id + "\"}");
        byte[] blob = Base64.getDecoder().decode(encrypt(id, "{}"));
        CiphertextBlob b = CiphertextBlob.decode(blob);
        assertThat(b.keyId()).isEqualTo(UUID.fromString(id));
        assertThat(b.materialVersion()).isEqualTo(2);
        assertThat(blob[0]).isEqualTo((byte) 1);
        assertThat(blob[1]).isEqualTo((byte) 1);
        assertThat(blob).hasSize(CiphertextBlob.HEADER_BYTES + 44 + 3 + 16);
        byte[] badVersion = blob.clone();
        badVersion[0] = 2;
        byte[] badReserved = blob.clone();
        badReserved[3] = 1;
        byte[] otherMaterial = blob.clone();
        otherMaterial[23] = 1; // outer material version 1, inner still 2
        for (byte[] bad : new byte[][] {badVersion, badReserved, otherMaterial}) {
            assertThatThrownBy(() -> CiphertextBlob.decode(bad))
                    .extracting(e -> ((KmsApiException) e).wireCode())
                    .isEqualTo("InvalidCiphertextException");
        }
    }

    @Test
    void store_isSealed_ownerOnly_andATamperedStoreRefusesToStart() throws Exception {
        String id = createKey();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(KmsStore.MASTER_FILE))))
                .isEqualTo("rw-------");
        byte[] onDisk = Files.readAllBytes(store.storeFile());
        assertThat(new String(onDisk, StandardCharsets.ISO_8859_1)).doesNotContain(id);
        close();
        byte[] tampered = onDisk.clone();
        tampered[tampered.length / 2] ^= 0x01;
        Files.write(dir.resolve(KmsStore.STORE_FILE), tampered);
        assertThatThrownBy(this::open)
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("damaged or was modified")
                .hasMessageContaining("refuses to start")
                .extracting(e -> ((StrongroomException) e).code())
                .isEqualTo(ErrorCode.INTEGRITY_FAILURE);
        // Another master key is told apart from tampering.
        Files.write(dir.resolve(KmsStore.STORE_FILE), onDisk);
        Files.delete(dir.resolve(KmsStore.MASTER_FILE));
        assertThatThrownBy(this::open).hasMessageContaining("master key file").hasMessageContaining("missing");
        Path elsewhere = Files.createDirectories(dir.resolve("other"));
        KmsStore.open(elsewhere, new SecureRandom()).close();
        Files.copy(elsewhere.resolve(KmsStore.MASTER_FILE), dir.resolve(KmsStore.MASTER_FILE));
        assertThatThrownBy(this::open)
                .hasMessageContaining("different master key")
                .extracting(e -> ((StrongroomException) e).code())
                .isEqualTo(ErrorCode.WRONG_KEY);
        store = KmsStore.open(elsewhere, new SecureRandom()); // so @AfterEach has something to close
        audit = AuditLog.open(elsewhere);
        kms = KmsService.open(store, clock, new SecureRandom(), audit);
    }

    @Test
    void crashBeforeRename_leavesThePreviousStore() throws Exception {
        String id = createKey();
        close();
        // A crash after writing the temporary file but before the rename: the next start ignores it.
        Files.write(dir.resolve(KmsStore.STORE_FILE + ".tmp"), new byte[] {1, 2, 3});
        open();
        assertThat(call("DescribeKey", "{\"KeyId\":\"" + id + "\"}")
                        .path("KeyMetadata")
                        .path("KeyId")
                        .asText())
                .isEqualTo(id);
        assertThat(Files.exists(dir.resolve(KmsStore.STORE_FILE + ".tmp"))).isFalse();
    }

    @Test
    void keyPolicy_explicitDenyWins_andUnsupportedConditionsAreRefused() {
        Caller other = new Caller("AKIAO", "222233334444", "arn:aws:iam::222233334444:user/o", "", "");
        KeyPolicy p = KeyPolicy.parse("{\"Statement\":["
                + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"111122223333\",\"arn:aws:iam::222233334444:root\"]},"
                + "\"Action\":\"kms:*\",\"Resource\":\"*\"},"
                + "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"kms:Decrypt\",\"Resource\":\"*\","
                + "\"Condition\":{\"StringEquals\":{\"kms:CallerAccount\":\"222233334444\"}}}]}");
        assertThat(p.evaluate(ADMIN, "kms:Decrypt", Map.of())).isEqualTo(KeyPolicy.Decision.ALLOW);
        assertThat(p.evaluate(other, "kms:Encrypt", Map.of())).isEqualTo(KeyPolicy.Decision.ALLOW);
        assertThat(p.evaluate(other, "kms:Decrypt", Map.of())).isEqualTo(KeyPolicy.Decision.DENY);
        KeyPolicy own = KeyPolicy.parse(KeyPolicy.defaultPolicy("111122223333"));
        assertThat(own.evaluate(other, "kms:Encrypt", Map.of())).isEqualTo(KeyPolicy.Decision.NONE);
        assertThatThrownBy(() -> KeyPolicy.parse("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                        + "\"Action\":\"kms:*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"1.2.3.4\"}}}]}"))
                .extracting(e -> ((KmsApiException) e).wireCode())
                .isEqualTo("MalformedPolicyDocumentException");
    }

    private String errorType(String op, String json) {
        try {
            call(op, json);
        } catch (KmsApiException e) {
            return e.wireCode() + ": " + e.getMessage();
        } catch (Exception e) {
            return e.toString();
        }
        return "no error";
    }

    @Test
    void valuesOutsideAwsEnums_areValidationExceptions_andEnumValuesThisKmsLacks_areUnsupported() throws Exception {
        assertThat(errorType("CreateKey", "{\"KeySpec\":\"FOO\"}"))
                .startsWith("ValidationException: 1 validation error detected: Value 'FOO' at 'keySpec' failed to"
                        + " satisfy constraint: Member must satisfy enum value set: [RSA_2048");
        assertThat(errorType("CreateKey", "{\"KeyUsage\":\"ENCRYPT\"}")).contains("at 'keyUsage'");
        assertThat(errorType("CreateKey", "{\"Origin\":\"HSM\"}")).startsWith("ValidationException");
        assertThat(errorType("CreateKey", "{\"CustomerMasterKeySpec\":\"AES\"}"))
                .contains("at 'customerMasterKeySpec'");
        // In the enum, but not something this KMS makes: refused as unsupported, as before.
        assertThat(errorType("CreateKey", "{\"KeySpec\":\"HMAC_256\",\"KeyUsage\":\"GENERATE_VERIFY_MAC\"}"))
                .startsWith("UnsupportedOperationException");
        String id = createKey();
        assertThat(errorType(
                        "Encrypt", "{\"KeyId\":\"" + id + "\",\"Plaintext\":\"AQID\",\"EncryptionAlgorithm\":\"AES\"}"))
                .contains("at 'encryptionAlgorithm'");
        // A real algorithm the key cannot use: InvalidKeyUsageException, as AWS answers.
        assertThat(errorType(
                        "Encrypt",
                        "{\"KeyId\":\"" + id
                                + "\",\"Plaintext\":\"AQID\",\"EncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}"))
                .startsWith("InvalidKeyUsageException");
        String signing = call("CreateKey", "{\"KeySpec\":\"ECC_NIST_P256\",\"KeyUsage\":\"SIGN_VERIFY\"}")
                .path("KeyMetadata")
                .path("KeyId")
                .asText();
        assertThat(errorType(
                        "Sign", "{\"KeyId\":\"" + signing + "\",\"Message\":\"AQID\",\"SigningAlgorithm\":\"ECDSA\"}"))
                .contains("at 'signingAlgorithm'");
        assertThat(
                        errorType(
                                "Sign",
                                "{\"KeyId\":\"" + signing
                                        + "\",\"Message\":\"AQID\",\"SigningAlgorithm\":\"ECDSA_SHA_256\",\"MessageType\":\"HASH\"}"))
                .contains("at 'messageType'");
    }
}
