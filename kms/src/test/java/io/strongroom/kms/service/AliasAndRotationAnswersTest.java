package io.strongroom.kms.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.store.KmsStore;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The answers AWS KMS gives that clients match on: which error code a malformed or reserved alias name gets, and
 * that RotateKeyOnDemand names the key by its id (the other rotation operations answer with the ARN).
 */
class AliasAndRotationAnswersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Caller ADMIN =
            new Caller("AKIAADMIN", "111122223333", "arn:aws:iam::111122223333:user/admin", "127.0.0.1", "test");

    @TempDir
    Path dir;

    KmsStore store;
    AuditLog audit;
    KmsService kms;
    String keyId;

    @BeforeEach
    void open() throws Exception {
        store = KmsStore.open(dir, new SecureRandom());
        audit = AuditLog.open(dir);
        kms = KmsService.open(store, () -> Instant.parse("2026-01-01T00:00:00Z"), new SecureRandom(), audit);
        keyId = call("CreateKey", "{}").path("KeyMetadata").path("KeyId").asText();
    }

    @AfterEach
    void close() {
        kms.close();
        audit.close();
        store.close();
    }

    JsonNode call(String op, String json) throws Exception {
        AuditEvent ev = new AuditEvent(UUID.randomUUID().toString(), "e", Instant.EPOCH, op);
        return kms.call(op, ADMIN, "us-east-1", JSON.readTree(json), ev);
    }

    KmsApiException createAliasRefused(String name) {
        Throwable t = catchThrowable(() -> call(
                "CreateAlias",
                JSON.createObjectNode()
                        .put("AliasName", name)
                        .put("TargetKeyId", keyId)
                        .toString()));
        assertThat(t).as(name).isInstanceOf(KmsApiException.class);
        return (KmsApiException) t;
    }

    @Test
    void createAlias_colonInTheName_isAValidationException_asAwsAnswers() {
        KmsApiException e = createAliasRefused("alias/my:alias");
        assertThat(e.wireCode()).isEqualTo("ValidationException");
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo("alias/my:alias contains invalid characters for an alias");
    }

    @Test
    void createAlias_charactersOutsideTheModelPattern_areAValidationException() {
        for (String name : new String[] {"alias/my alias", "alias/é", "alias/a.b", "alias/a*"}) {
            KmsApiException e = createAliasRefused(name);
            assertThat(e.wireCode()).as(name).isEqualTo("ValidationException");
            assertThat(e.getMessage())
                    .as(name)
                    .isEqualTo("1 validation error detected: Value '" + name
                            + "' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression"
                            + " pattern: ^[a-zA-Z0-9:/_-]+$");
        }
    }

    @Test
    void createAlias_tooLongOrWithoutThePrefix_isAValidationException() {
        String tooLong = "alias/" + "a".repeat(251);
        KmsApiException e = createAliasRefused(tooLong);
        assertThat(e.wireCode()).isEqualTo("ValidationException");
        assertThat(e.getMessage()).contains("Member must have length less than or equal to 256");
        KmsApiException noPrefix = createAliasRefused("my-key");
        assertThat(noPrefix.wireCode()).isEqualTo("ValidationException");
        assertThat(noPrefix.getMessage()).startsWith("Invalid identifier").contains("alias/");
    }

    @Test
    void createAlias_reservedOrEmptyName_isInvalidAliasName() {
        for (String name : new String[] {"alias/aws/mine", "alias/aws/redshift", "alias/"}) {
            assertThat(createAliasRefused(name).wireCode()).as(name).isEqualTo("InvalidAliasNameException");
        }
    }

    @Test
    void createAlias_everyAllowedCharacter_andTheLongestName_areAccepted() throws Exception {
        String longest = "alias/" + "b".repeat(250);
        for (String name : new String[] {"alias/my-alias_/", "alias/Az09/_-x", "alias/awsish", longest}) {
            call(
                    "CreateAlias",
                    JSON.createObjectNode()
                            .put("AliasName", name)
                            .put("TargetKeyId", keyId)
                            .toString());
        }
        assertThat(call("ListAliases", "{}").path("Aliases").findValuesAsText("AliasName"))
                .containsExactlyInAnyOrder("alias/my-alias_/", "alias/Az09/_-x", "alias/awsish", longest);
        assertThat(call("DescribeKey", "{\"KeyId\":\"alias/Az09/_-x\"}")
                        .path("KeyMetadata")
                        .path("KeyId")
                        .asText())
                .isEqualTo(keyId);
    }

    @Test
    void updateAndDeleteAlias_checkTheNameTheSameWay() {
        assertThatThrownBy(() -> call("DeleteAlias", "{\"AliasName\":\"alias/my:alias\"}"))
                .extracting(e -> ((KmsApiException) e).wireCode())
                .isEqualTo("ValidationException");
        assertThatThrownBy(() ->
                        call("UpdateAlias", "{\"AliasName\":\"alias/aws/redshift\",\"TargetKeyId\":\"" + keyId + "\"}"))
                .extracting(e -> ((KmsApiException) e).wireCode())
                .isEqualTo("InvalidAliasNameException");
    }

    @Test
    void rotateKeyOnDemand_answersTheKeyId_notTheArn() throws Exception {
        String arn = call("DescribeKey", "{\"KeyId\":\"" + keyId + "\"}")
                .path("KeyMetadata")
                .path("Arn")
                .asText();
        JsonNode answer = call("RotateKeyOnDemand", "{\"KeyId\":\"" + arn + "\"}");
        assertThat(answer.path("KeyId").asText()).isEqualTo(keyId);
        assertThat(answer.size()).isEqualTo(1);
        // The others keep answering with the ARN, as AWS does.
        assertThat(call("GetKeyRotationStatus", "{\"KeyId\":\"" + keyId + "\"}")
                        .path("KeyId")
                        .asText())
                .isEqualTo(arn);
    }
}
