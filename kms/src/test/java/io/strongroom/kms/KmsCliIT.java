package io.strongroom.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.aws.Credential;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The real-client scenarios with the AWS CLI v2 ({@code /usr/bin/aws}, Debian's awscli 2.9.19)
 * against a running KMS. CLI 2.9.19 predates RotateKeyOnDemand, so rotation is driven here the way the CLI
 * can: enable-key-rotation, then the KMS clock moves past the rotation date and its scheduled work rotates.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KmsCliIT {
    private static final Path AWS = Path.of("/usr/bin/aws");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CTX = "{\"aws:redshift:arn\":\"arn:aws:redshift:us-east-1:000000000000:cluster:cli1\","
            + "\"aws:redshift:createtime\":\"20250301T1159Z\"}";

    KmsFixture f;
    Path work;

    record Result(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("CLI output is not JSON: " + out + " / " + err, e);
            }
        }

        Result ok() {
            assertThat(exit).as("aws exit code; stderr: %s", err).isZero();
            return this;
        }

        Result failsWith(String awsType) {
            assertThat(exit).as("aws should fail; stdout: %s", out).isNotZero();
            assertThat(err).contains(awsType);
            return this;
        }
    }

    @BeforeAll
    void start() throws Exception {
        if (!Files.isExecutable(AWS)) {
            fail("/usr/bin/aws (AWS CLI v2) is missing: install it with `apt-get install -y awscli` (see"
                    + " reference/real-parts.md §0); these tests do not skip");
        }
        f = new KmsFixture();
        work = Files.createDirectories(f.dir.resolve("cli-work"));
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    Result aws(Credential c, String... args) throws Exception {
        return aws(c.accessKeyId(), c.secretAccessKey(), "us-east-1", args);
    }

    Result aws(String akid, String secret, String region, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(
                List.of(AWS.toString(), "--endpoint-url", f.endpoint().toString()));
        cmd.addAll(List.of("--region", region, "--output", "json"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        Map<String, String> env = pb.environment();
        env.put("AWS_ACCESS_KEY_ID", akid);
        env.put("AWS_SECRET_ACCESS_KEY", secret);
        env.put("AWS_DEFAULT_REGION", region);
        env.put("AWS_PAGER", "");
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_MAX_ATTEMPTS", "1");
        env.remove("AWS_SESSION_TOKEN");
        env.remove("AWS_PROFILE");
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("aws " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Path file(String name, byte[] content) throws IOException {
        return Files.write(work.resolve(name), content);
    }

    private String createKeyWithAlias(String alias) throws Exception {
        String id = aws(f.admin, "kms", "create-key", "--description", "cli " + alias)
                .ok()
                .json()
                .path("KeyMetadata")
                .path("KeyId")
                .asText();
        aws(f.admin, "kms", "create-alias", "--alias-name", alias, "--target-key-id", id)
                .ok();
        return id;
    }

    private byte[] encrypt(String keyId, Path plaintext, String ctx) throws Exception {
        String b64 = aws(
                        f.admin,
                        "kms",
                        "encrypt",
                        "--key-id",
                        keyId,
                        "--plaintext",
                        "fileb://" + plaintext,
                        "--encryption-context",
                        ctx,
                        "--query",
                        "CiphertextBlob",
                        "--output",
                        "text")
                .ok()
                .out()
                .trim();
        return Base64.getDecoder().decode(b64);
    }

    private Result decrypt(Credential c, Path ciphertext, String ctx) throws Exception {
        return aws(
                c,
                "kms",
                "decrypt",
                "--ciphertext-blob",
                "fileb://" + ciphertext,
                "--encryption-context",
                ctx,
                "--query",
                "Plaintext",
                "--output",
                "text");
    }

    @Test
    void keyLifecycle_contextDisableEnableRotationDeletion_withTheCli() throws Exception {
        String id = createKeyWithAlias("alias/cli-root");
        JsonNode described = aws(f.admin, "kms", "describe-key", "--key-id", "alias/cli-root")
                .ok()
                .json();
        assertThat(described.path("KeyMetadata").path("KeyId").asText()).isEqualTo(id);
        assertThat(described.path("KeyMetadata").path("KeyState").asText()).isEqualTo("Enabled");

        byte[] secret = "cli cluster key material 32 byte".getBytes(StandardCharsets.US_ASCII);
        Path plain = file("plain.bin", secret);
        Path ct = file("ct.bin", encrypt("alias/cli-root", plain, CTX));
        assertThat(Base64.getDecoder()
                        .decode(decrypt(f.admin, ct, CTX).ok().out().trim()))
                .isEqualTo(secret);
        decrypt(f.admin, ct, "{\"aws:redshift:arn\":\"another\"}").failsWith("InvalidCiphertextException");

        aws(f.admin, "kms", "disable-key", "--key-id", id).ok();
        decrypt(f.admin, ct, CTX).failsWith("DisabledException");
        aws(f.admin, "kms", "enable-key", "--key-id", id).ok();
        decrypt(f.admin, ct, CTX).ok();

        aws(f.admin, "kms", "enable-key-rotation", "--key-id", id).ok();
        assertThat(aws(f.admin, "kms", "get-key-rotation-status", "--key-id", id)
                        .ok()
                        .json()
                        .path("KeyRotationEnabled")
                        .asBoolean())
                .isTrue();
        f.clock.advance(Duration.ofDays(366));
        assertThat(f.server.service().runScheduledWork()).isEqualTo(1);
        Path ct2 = file("ct2.bin", encrypt(id, plain, CTX));
        assertThat(Base64.getDecoder()
                        .decode(decrypt(f.admin, ct, CTX).ok().out().trim()))
                .as("the ciphertext made before the rotation still decrypts")
                .isEqualTo(secret);
        assertThat(Base64.getDecoder()
                        .decode(decrypt(f.admin, ct2, CTX).ok().out().trim()))
                .isEqualTo(secret);
        assertThat(f.audit().query(AuditQuery.all().withKey(id).withEventName("RotateKey")))
                .hasSize(1);

        JsonNode scheduled = aws(
                        f.admin, "kms", "schedule-key-deletion", "--key-id", id, "--pending-window-in-days", "7")
                .ok()
                .json();
        assertThat(scheduled.path("KeyState").asText()).isEqualTo("PendingDeletion");
        decrypt(f.admin, ct, CTX).failsWith("KMSInvalidStateException");
        aws(f.admin, "kms", "cancel-key-deletion", "--key-id", id).ok();
        assertThat(aws(f.admin, "kms", "describe-key", "--key-id", id)
                        .ok()
                        .json()
                        .path("KeyMetadata")
                        .path("KeyState")
                        .asText())
                .isEqualTo("Disabled");

        List<AuditRecord> trail = f.audit().query(AuditQuery.all().withKey(id).withContextValue("cli1"));
        assertThat(trail).extracting(AuditRecord::eventName).contains("Encrypt", "Decrypt");
        assertThat(trail).extracting(AuditRecord::errorCode).contains("DisabledException", "KMSInvalidStateException");
        assertThat(f.audit().query(AuditQuery.all().withKey(id).onlyErrors()))
                .extracting(AuditRecord::errorCode)
                .contains("InvalidCiphertextException", "DisabledException", "KMSInvalidStateException");
        assertThat(trail.getFirst().json().path("userAgent").asText()).startsWith("aws-cli/2.");
        String raw = Files.readString(f.audit().file());
        assertThat(raw)
                .as("the trail holds no plaintext and no ciphertext")
                .doesNotContain(new String(secret, StandardCharsets.US_ASCII))
                .doesNotContain(Base64.getEncoder().encodeToString(secret))
                .doesNotContain(Base64.getEncoder().encodeToString(Files.readAllBytes(ct)))
                .doesNotContain(Base64.getEncoder().encodeToString(Files.readAllBytes(ct2)));
        assertThat(f.audit().query(AuditQuery.all().withKey(id)))
                .extracting(AuditRecord::eventName)
                .contains(
                        "CreateKey",
                        "CreateAlias",
                        "DisableKey",
                        "EnableKey",
                        "EnableKeyRotation",
                        "ScheduleKeyDeletion",
                        "CancelKeyDeletion");
    }

    @Test
    void grantToAnotherAccount_allowsGenerateDataKey_untilRevoked_withTheCli() throws Exception {
        String id = createKeyWithAlias("alias/cli-grant");
        String arn = aws(f.admin, "kms", "describe-key", "--key-id", id)
                .ok()
                .json()
                .path("KeyMetadata")
                .path("Arn")
                .asText();
        aws(f.other, "kms", "generate-data-key", "--key-id", arn, "--key-spec", "AES_256")
                .failsWith("AccessDeniedException");
        JsonNode grant = aws(
                        f.admin,
                        "kms",
                        "create-grant",
                        "--key-id",
                        id,
                        "--grantee-principal",
                        f.other.principalArn(),
                        "--operations",
                        "GenerateDataKey",
                        "Decrypt")
                .ok()
                .json();
        String grantId = grant.path("GrantId").asText();
        JsonNode dk = aws(
                        f.other,
                        "kms",
                        "generate-data-key",
                        "--key-id",
                        arn,
                        "--key-spec",
                        "AES_256",
                        "--encryption-context",
                        CTX)
                .ok()
                .json();
        assertThat(Base64.getDecoder().decode(dk.path("Plaintext").asText())).hasSize(32);
        assertThat(aws(f.admin, "kms", "list-grants", "--key-id", id)
                        .ok()
                        .json()
                        .path("Grants")
                        .path(0)
                        .path("GrantId")
                        .asText())
                .isEqualTo(grantId);
        aws(f.admin, "kms", "revoke-grant", "--key-id", id, "--grant-id", grantId)
                .ok();
        aws(f.other, "kms", "generate-data-key", "--key-id", arn, "--key-spec", "AES_256", "--encryption-context", CTX)
                .failsWith("AccessDeniedException");
        assertThat(f.audit().query(AuditQuery.all().withKey(id).withPrincipal(f.other.principalArn())))
                .extracting(AuditRecord::errorCode)
                .containsExactly("AccessDeniedException", null, "AccessDeniedException");
    }

    @Test
    void unsignedAndBadlySignedRequests_areRefused_withTheCli() throws Exception {
        aws(f.admin, "kms", "list-keys", "--no-sign-request").failsWith("MissingAuthenticationTokenException");
        aws(f.admin.accessKeyId(), "wrong-secret", "us-east-1", "kms", "list-keys")
                .failsWith("InvalidSignatureException");
        aws("AKIANOBODYNOBODY0000", "x", "us-east-1", "kms", "list-keys").failsWith("UnrecognizedClientException");
        List<AuditRecord> refused =
                f.audit().query(AuditQuery.all().withEventName("ListKeys").onlyErrors());
        assertThat(refused)
                .extracting(AuditRecord::errorCode)
                .contains(
                        "MissingAuthenticationTokenException",
                        "InvalidSignatureException",
                        "UnrecognizedClientException");
        AuditRecord badSignature = refused.stream()
                .filter(r -> "InvalidSignatureException".equals(r.errorCode()))
                .findFirst()
                .orElseThrow();
        assertThat(badSignature.json().path("userAgent").asText()).startsWith("aws-cli/2.");
        assertThat(badSignature.json().toString())
                .as("the claimed access key is recorded, the secret never")
                .contains(f.admin.accessKeyId())
                .doesNotContain(f.admin.secretAccessKey());
    }

    @Test
    void asymmetricKey_signsAndVerifies_andRegionsComeFromTheScope_withTheCli() throws Exception {
        JsonNode key = aws(
                        f.admin.accessKeyId(),
                        f.admin.secretAccessKey(),
                        "eu-west-1",
                        "kms",
                        "create-key",
                        "--key-spec",
                        "ECC_NIST_P256",
                        "--key-usage",
                        "SIGN_VERIFY")
                .ok()
                .json()
                .path("KeyMetadata");
        String id = key.path("KeyId").asText();
        assertThat(key.path("Arn").asText()).startsWith("arn:aws:kms:eu-west-1:" + f.admin.accountId() + ":key/");
        assertThat(key.path("SigningAlgorithms").toString()).contains("ECDSA_SHA_256");
        aws(f.admin, "kms", "describe-key", "--key-id", id).failsWith("NotFoundException");

        Path msg = file("msg.bin", "manifest v7".getBytes(StandardCharsets.UTF_8));
        String sig = aws(
                        f.admin.accessKeyId(),
                        f.admin.secretAccessKey(),
                        "eu-west-1",
                        "kms",
                        "sign",
                        "--key-id",
                        id,
                        "--message",
                        "fileb://" + msg,
                        "--message-type",
                        "RAW",
                        "--signing-algorithm",
                        "ECDSA_SHA_256",
                        "--query",
                        "Signature",
                        "--output",
                        "text")
                .ok()
                .out()
                .trim();
        Path sigFile = file("sig.bin", Base64.getDecoder().decode(sig));
        JsonNode v = aws(
                        f.admin.accessKeyId(),
                        f.admin.secretAccessKey(),
                        "eu-west-1",
                        "kms",
                        "verify",
                        "--key-id",
                        id,
                        "--message",
                        "fileb://" + msg,
                        "--message-type",
                        "RAW",
                        "--signature",
                        "fileb://" + sigFile,
                        "--signing-algorithm",
                        "ECDSA_SHA_256")
                .ok()
                .json();
        assertThat(v.path("SignatureValid").asBoolean()).isTrue();
        Path other = file("other.bin", "manifest v8".getBytes(StandardCharsets.UTF_8));
        aws(
                        f.admin.accessKeyId(),
                        f.admin.secretAccessKey(),
                        "eu-west-1",
                        "kms",
                        "verify",
                        "--key-id",
                        id,
                        "--message",
                        "fileb://" + other,
                        "--message-type",
                        "RAW",
                        "--signature",
                        "fileb://" + sigFile,
                        "--signing-algorithm",
                        "ECDSA_SHA_256")
                .failsWith("KMSInvalidSignatureException");
        aws(
                        f.admin.accessKeyId(),
                        f.admin.secretAccessKey(),
                        "eu-west-1",
                        "kms",
                        "generate-data-key",
                        "--key-id",
                        id,
                        "--key-spec",
                        "AES_256")
                .failsWith("InvalidKeyUsageException");
        assertThat(f.audit().query(AuditQuery.all().withKey(id)))
                .extracting(AuditRecord::eventName)
                .contains("CreateKey", "Sign", "Verify", "GenerateDataKey");
    }
}
