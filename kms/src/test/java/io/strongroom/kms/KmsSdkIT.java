package io.strongroom.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DataKey;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.RawKeyAccess;
import io.strongroom.crypto.SecretBytes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AlreadyExistsException;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.EncryptionAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.GrantOperation;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.InvalidKeyUsageException;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.KmsInvalidSignatureException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

/** The real-client scenarios with the AWS SDK for Java v2 KmsClient against a running KMS. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KmsSdkIT {
    private static final Map<String, String> CTX = Map.of(
            "aws:redshift:arn", "arn:aws:redshift:us-east-1:000000000000:cluster:dw1",
            "aws:redshift:createtime", "20250301T1159Z");

    KmsFixture f;
    KmsClient kms;
    KmsClient otherKms;

    @BeforeAll
    void start() throws Exception {
        f = new KmsFixture();
        kms = f.client(f.admin, "us-east-1");
        otherKms = f.client(f.other, "us-east-1");
    }

    @AfterAll
    void stop() throws Exception {
        kms.close();
        otherKms.close();
        f.close();
    }

    /** The KMS model has no AccessDeniedException class: the SDK gives a KmsException with that code. */
    static Consumer<Throwable> awsError(String code) {
        return e -> assertThat(e)
                .isInstanceOf(KmsException.class)
                .extracting(x -> ((KmsException) x).awsErrorDetails().errorCode())
                .isEqualTo(code);
    }

    private String newKey(String alias) {
        String id =
                kms.createKey(r -> r.description("test " + alias)).keyMetadata().keyId();
        kms.createAlias(r -> r.aliasName(alias).targetKeyId(id));
        return id;
    }

    private SdkBytes encrypt(String keyId, byte[] plaintext, Map<String, String> ctx) {
        return kms.encrypt(r -> r.keyId(keyId)
                        .plaintext(SdkBytes.fromByteArray(plaintext))
                        .encryptionContext(ctx))
                .ciphertextBlob();
    }

    @Test
    void createKey_andAlias_describeByAliasGivesTheKey() {
        String id = newKey("alias/sdk-create");
        var m = kms.describeKey(r -> r.keyId("alias/sdk-create")).keyMetadata();
        assertThat(m.keyId()).isEqualTo(id);
        assertThat(m.arn()).isEqualTo("arn:aws:kms:us-east-1:" + f.admin.accountId() + ":key/" + id);
        assertThat(m.keyState()).isEqualTo(KeyState.ENABLED);
        assertThat(m.keySpec()).isEqualTo(KeySpec.SYMMETRIC_DEFAULT);
        assertThat(m.creationDate()).isNotNull();
        assertThat(kms.listAliases(r -> r.keyId(id)).aliases())
                .extracting(a -> a.aliasName())
                .containsExactly("alias/sdk-create");
        assertThat(kms.listKeys().keys()).extracting(k -> k.keyId()).contains(id);
        assertThatThrownBy(() ->
                        kms.createAlias(r -> r.aliasName("alias/sdk-create").targetKeyId(id)))
                .isInstanceOf(AlreadyExistsException.class);
        // The SDK's model lets ':' through; the service refuses it with the code AWS uses.
        assertThatThrownBy(
                        () -> kms.createAlias(r -> r.aliasName("alias/my:alias").targetKeyId(id)))
                .isInstanceOfSatisfying(
                        KmsException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
    }

    @Test
    void encryptDecrypt_withContext_roundTrips_andWrongContextFails() {
        String id = newKey("alias/sdk-ctx");
        byte[] secret = "the cluster key".getBytes(StandardCharsets.UTF_8);
        SdkBytes blob = encrypt("alias/sdk-ctx", secret, CTX);
        var d = kms.decrypt(r -> r.ciphertextBlob(blob).encryptionContext(CTX));
        assertThat(d.plaintext().asByteArray()).isEqualTo(secret);
        assertThat(d.keyId()).endsWith(id);
        assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(blob)
                        .encryptionContext(Map.of("aws:redshift:arn", "arn:aws:redshift:us-east-1:0:cluster:dw2"))))
                .isInstanceOf(InvalidCiphertextException.class);
        assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(blob)))
                .isInstanceOf(InvalidCiphertextException.class);
        // The context encoding is unambiguous: {"ab":"c"} and {"a":"bc"} are different contexts.
        SdkBytes ab = encrypt(id, secret, Map.of("ab", "c"));
        assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(ab).encryptionContext(Map.of("a", "bc"))))
                .isInstanceOf(InvalidCiphertextException.class);
        // A malformed context is a ValidationException (it was an HTTP 500), never a crash.
        assertThatThrownBy(() -> encrypt(id, secret, Map.of("", "v")))
                .isInstanceOfSatisfying(
                        KmsException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
        assertThatThrownBy(() -> encrypt(id, secret, Map.of("k", "x".repeat(9000))))
                .isInstanceOfSatisfying(
                        KmsException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
        // A KeyId that is not the blob's key is IncorrectKeyException.
        String other = newKey("alias/sdk-ctx-other");
        assertThatThrownBy(() -> kms.decrypt(
                        r -> r.ciphertextBlob(blob).encryptionContext(CTX).keyId(other)))
                .isInstanceOf(IncorrectKeyException.class);
        // A flipped bit in the blob is InvalidCiphertextException.
        byte[] bad = blob.asByteArray();
        bad[bad.length - 1] ^= 1;
        assertThatThrownBy(() -> kms.decrypt(
                        r -> r.ciphertextBlob(SdkBytes.fromByteArray(bad)).encryptionContext(CTX)))
                .isInstanceOf(InvalidCiphertextException.class);
    }

    @Test
    void disable_givesDisabledException_enable_restoresUse() {
        String id = newKey("alias/sdk-disable");
        SdkBytes blob = encrypt(id, new byte[] {1, 2, 3}, CTX);
        kms.disableKey(r -> r.keyId(id));
        assertThat(kms.describeKey(r -> r.keyId(id)).keyMetadata().keyState()).isEqualTo(KeyState.DISABLED);
        assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(blob).encryptionContext(CTX)))
                .isInstanceOf(DisabledException.class)
                .hasMessageContaining("is disabled");
        assertThatThrownBy(() -> kms.generateDataKey(r -> r.keyId(id).keySpec(DataKeySpec.AES_256)))
                .isInstanceOf(DisabledException.class);
        kms.enableKey(r -> r.keyId(id));
        assertThat(kms.decrypt(r -> r.ciphertextBlob(blob).encryptionContext(CTX))
                        .plaintext()
                        .asByteArray())
                .containsExactly(1, 2, 3);
    }

    @Test
    void rotateOnDemand_oldCiphertextStillDecrypts_newOneUsesNewMaterial() {
        String id = newKey("alias/sdk-rotate");
        SdkBytes before = encrypt(id, new byte[] {7}, CTX);
        String materialBefore = kms.describeKey(r -> r.keyId(id)).keyMetadata().currentKeyMaterialId();
        assertThat(kms.rotateKeyOnDemand(r -> r.keyId(id)).keyId()).isEqualTo(id);
        String materialAfter = kms.describeKey(r -> r.keyId(id)).keyMetadata().currentKeyMaterialId();
        assertThat(materialAfter).isNotEqualTo(materialBefore).hasSize(64);
        SdkBytes after = encrypt(id, new byte[] {8}, CTX);
        assertThat(kms.decrypt(r -> r.ciphertextBlob(before).encryptionContext(CTX))
                        .plaintext()
                        .asByteArray())
                .containsExactly(7);
        assertThat(kms.decrypt(r -> r.ciphertextBlob(after).encryptionContext(CTX))
                        .plaintext()
                        .asByteArray())
                .containsExactly(8);
        var rotations = kms.listKeyRotations(r -> r.keyId(id)).rotations();
        assertThat(rotations).hasSize(1);
        assertThat(rotations.getFirst().rotationTypeAsString()).isEqualTo("ON_DEMAND");
        kms.enableKeyRotation(r -> r.keyId(id).rotationPeriodInDays(90));
        var status = kms.getKeyRotationStatus(r -> r.keyId(id));
        assertThat(status.keyRotationEnabled()).isTrue();
        assertThat(status.rotationPeriodInDays()).isEqualTo(90);
        assertThat(status.nextRotationDate()).isNotNull();
    }

    @Test
    void grantToAnotherAccountsPrincipal_allowsGenerateDataKey_revocationDeniesIt() {
        String id = newKey("alias/sdk-grant");
        String arn = kms.describeKey(r -> r.keyId(id)).keyMetadata().arn();
        assertThatThrownBy(() -> otherKms.generateDataKey(r -> r.keyId(arn).keySpec(DataKeySpec.AES_256)))
                .satisfies(awsError("AccessDeniedException"));
        var grant = kms.createGrant(r -> r.keyId(id)
                .granteePrincipal(f.other.principalArn())
                .operations(GrantOperation.GENERATE_DATA_KEY, GrantOperation.DECRYPT)
                .constraints(c -> c.encryptionContextSubset(Map.of("aws:redshift:arn", CTX.get("aws:redshift:arn")))));
        var dk = otherKms.generateDataKey(
                r -> r.keyId(arn).keySpec(DataKeySpec.AES_256).encryptionContext(CTX));
        assertThat(dk.plaintext().asByteArray()).hasSize(32);
        assertThat(otherKms.decrypt(r -> r.ciphertextBlob(dk.ciphertextBlob()).encryptionContext(CTX))
                        .plaintext())
                .isEqualTo(dk.plaintext());
        // The grant's context constraint holds.
        assertThatThrownBy(() -> otherKms.generateDataKey(r -> r.keyId(arn)
                        .keySpec(DataKeySpec.AES_256)
                        .encryptionContext(Map.of("aws:redshift:arn", "another cluster"))))
                .satisfies(awsError("AccessDeniedException"));
        // The key of another account is used by its ARN; a bare id means the caller's own account.
        assertThatThrownBy(() -> otherKms.generateDataKey(r -> r.keyId(id).keySpec(DataKeySpec.AES_256)))
                .isInstanceOf(NotFoundException.class);
        assertThat(kms.listGrants(r -> r.keyId(id)).grants())
                .extracting(g -> g.grantId())
                .containsExactly(grant.grantId());
        kms.revokeGrant(r -> r.keyId(id).grantId(grant.grantId()));
        assertThatThrownBy(() -> otherKms.generateDataKey(
                        r -> r.keyId(arn).keySpec(DataKeySpec.AES_256).encryptionContext(CTX)))
                .satisfies(awsError("AccessDeniedException"));
        // A policy can let another account use the key without a grant.
        String policy = kms.getKeyPolicy(r -> r.keyId(id).policyName("default")).policy();
        assertThat(policy).contains("arn:aws:iam::" + f.admin.accountId() + ":root");
        String shared = "{\"Version\":\"2012-10-17\",\"Statement\":["
                + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" + f.admin.accountId() + ":root\"},"
                + "\"Action\":\"kms:*\",\"Resource\":\"*\"},"
                + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::222233334444:root\"},"
                + "\"Action\":[\"kms:Encrypt\",\"kms:GenerateDataKey*\"],\"Resource\":\"*\"}]}";
        kms.putKeyPolicy(r -> r.keyId(id).policyName("default").policy(shared));
        assertThat(otherKms.generateDataKey(r -> r.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .plaintext()
                        .asByteArray())
                .hasSize(32);
        assertThatThrownBy(() -> otherKms.disableKey(r -> r.keyId(arn))).satisfies(awsError("AccessDeniedException"));
    }

    @Test
    void grantDerivedCreateGrant_cannotWidenOperationsOrWeakenConstraints() {
        String id = newKey("alias/sdk-grant-escalation");
        String arn = kms.describeKey(r -> r.keyId(id)).keyMetadata().arn();
        String third = "arn:aws:iam::222233334444:role/third";
        Map<String, String> cluster = Map.of("aws:redshift:arn", CTX.get("aws:redshift:arn"));
        kms.createGrant(r -> r.keyId(id)
                .granteePrincipal(f.other.principalArn())
                .operations(GrantOperation.CREATE_GRANT, GrantOperation.DECRYPT, GrantOperation.GENERATE_DATA_KEY)
                .constraints(c -> c.encryptionContextSubset(cluster)));
        // Wider operations: Encrypt and ReEncryptFrom are not in the parent grant.
        assertThatThrownBy(() -> otherKms.createGrant(r -> r.keyId(arn)
                        .granteePrincipal(third)
                        .operations(GrantOperation.DECRYPT, GrantOperation.ENCRYPT)
                        .constraints(c -> c.encryptionContextSubset(cluster))))
                .satisfies(awsError("AccessDeniedException"));
        assertThatThrownBy(() -> otherKms.createGrant(r -> r.keyId(arn)
                        .granteePrincipal(f.other.principalArn())
                        .operations(GrantOperation.RE_ENCRYPT_FROM)
                        .constraints(c -> c.encryptionContextSubset(cluster))))
                .satisfies(awsError("AccessDeniedException"));
        // Weaker constraints: none at all, another cluster, or an Equals that drops the parent's pair.
        assertThatThrownBy(() -> otherKms.createGrant(
                        r -> r.keyId(arn).granteePrincipal(third).operations(GrantOperation.DECRYPT)))
                .satisfies(awsError("AccessDeniedException"));
        assertThatThrownBy(() -> otherKms.createGrant(r -> r.keyId(arn)
                        .granteePrincipal(third)
                        .operations(GrantOperation.DECRYPT)
                        .constraints(c -> c.encryptionContextSubset(Map.of("aws:redshift:arn", "another")))))
                .satisfies(awsError("AccessDeniedException"));
        assertThatThrownBy(() -> otherKms.createGrant(r -> r.keyId(arn)
                        .granteePrincipal(third)
                        .operations(GrantOperation.DECRYPT)
                        .constraints(c -> c.encryptionContextEquals(Map.of("other", "pair")))))
                .satisfies(awsError("AccessDeniedException"));
        assertThat(kms.listGrants(r -> r.keyId(id)).grants()).hasSize(1);
        // The same or stricter: a subset of the operations with the same pair, more pairs, or an exact context.
        otherKms.createGrant(r -> r.keyId(arn)
                .granteePrincipal(third)
                .operations(GrantOperation.DECRYPT)
                .constraints(c -> c.encryptionContextSubset(cluster)));
        otherKms.createGrant(r -> r.keyId(arn)
                .granteePrincipal(third)
                .operations(GrantOperation.GENERATE_DATA_KEY, GrantOperation.CREATE_GRANT)
                .constraints(c -> c.encryptionContextSubset(CTX)));
        otherKms.createGrant(r -> r.keyId(arn)
                .granteePrincipal(third)
                .operations(GrantOperation.DECRYPT)
                .constraints(c -> c.encryptionContextEquals(CTX)));
        assertThat(kms.listGrants(r -> r.keyId(id)).grants()).hasSize(4);
        // An unconstrained parent grant still bounds the operations.
        String open = newKey("alias/sdk-grant-escalation-open");
        String openArn = kms.describeKey(r -> r.keyId(open)).keyMetadata().arn();
        kms.createGrant(r -> r.keyId(open)
                .granteePrincipal(f.other.principalArn())
                .operations(GrantOperation.CREATE_GRANT, GrantOperation.DECRYPT));
        assertThatThrownBy(() -> otherKms.createGrant(r -> r.keyId(openArn)
                        .granteePrincipal(f.other.principalArn())
                        .operations(GrantOperation.GENERATE_DATA_KEY)))
                .satisfies(awsError("AccessDeniedException"));
        otherKms.createGrant(r -> r.keyId(openArn)
                .granteePrincipal(third)
                .operations(GrantOperation.DECRYPT)
                .constraints(c -> c.encryptionContextSubset(cluster)));
        // The key policy's own CreateGrant permission is not narrowed by any of this.
        kms.createGrant(r -> r.keyId(id).granteePrincipal(third).operations(GrantOperation.ENCRYPT));
        assertThat(f.audit()
                        .query(AuditQuery.all()
                                .withKey(id)
                                .withEventName("CreateGrant")
                                .onlyErrors()))
                .hasSize(5)
                .allSatisfy(rec -> assertThat(rec.errorCode()).isEqualTo("AccessDeniedException"));
    }

    @Test
    void grantToAnAccount_coversThatAccountsPrincipals_andTokensRetireTheirGrant() {
        String id = newKey("alias/sdk-grant-account");
        String arn = kms.describeKey(r -> r.keyId(id)).keyMetadata().arn();
        var grant = kms.createGrant(r -> r.keyId(id)
                .granteePrincipal("arn:aws:iam::222233334444:root")
                .operations(GrantOperation.GENERATE_DATA_KEY));
        assertThat(otherKms.generateDataKey(r -> r.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .plaintext()
                        .asByteArray())
                .hasSize(32);
        assertThatThrownBy(() -> kms.retireGrant(r -> r.grantToken(grant.grantToken() + "x")))
                .isInstanceOf(KmsException.class);
        kms.retireGrant(r -> r.grantToken(grant.grantToken()));
        assertThatThrownBy(() -> otherKms.generateDataKey(r -> r.keyId(arn).keySpec(DataKeySpec.AES_256)))
                .satisfies(awsError("AccessDeniedException"));
    }

    @Test
    void scheduleAndCancelDeletion() {
        String id = newKey("alias/sdk-delete");
        var s = kms.scheduleKeyDeletion(r -> r.keyId(id).pendingWindowInDays(7));
        assertThat(s.keyState()).isEqualTo(KeyState.PENDING_DELETION);
        assertThat(s.pendingWindowInDays()).isEqualTo(7);
        assertThat(s.deletionDate()).isAfter(Instant.now().plus(Duration.ofDays(6)));
        assertThatThrownBy(() -> encrypt(id, new byte[] {1}, CTX)).isInstanceOf(KmsInvalidStateException.class);
        assertThatThrownBy(() -> kms.scheduleKeyDeletion(r -> r.keyId(id).pendingWindowInDays(3)))
                .isInstanceOf(KmsException.class)
                .hasMessageContaining("between 7 and 30");
        assertThat(kms.cancelKeyDeletion(r -> r.keyId(id)).keyId()).endsWith(id);
        var m = kms.describeKey(r -> r.keyId(id)).keyMetadata();
        assertThat(m.keyState()).isEqualTo(KeyState.DISABLED);
        assertThat(m.deletionDate()).isNull();
    }

    @Test
    void unsignedAndBadlySignedRequests_areRefused() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> unsigned = http.send(
                HttpRequest.newBuilder(URI.create(f.endpoint() + "/"))
                        .header("Content-Type", "application/x-amz-json-1.1")
                        .header("X-Amz-Target", "TrentService.ListKeys")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unsigned.statusCode()).isEqualTo(400);
        assertThat(unsigned.body()).contains("MissingAuthenticationTokenException");
        try (KmsClient wrongSecret = f.client(f.admin.accessKeyId(), "not-the-secret", "us-east-1");
                KmsClient unknown = f.client("AKIAUNKNOWNUNKNOWN00", "x", "us-east-1")) {
            assertThatThrownBy(wrongSecret::listKeys)
                    .isInstanceOf(KmsException.class)
                    .satisfies(
                            e -> assertThat(((KmsException) e).awsErrorDetails().errorCode())
                                    .isEqualTo("InvalidSignatureException"));
            assertThatThrownBy(unknown::listKeys)
                    .isInstanceOf(KmsException.class)
                    .satisfies(
                            e -> assertThat(((KmsException) e).awsErrorDetails().errorCode())
                                    .isEqualTo("UnrecognizedClientException"));
        }
        assertThat(f.audit().query(AuditQuery.all().withEventName("ListKeys").onlyErrors()))
                .extracting(AuditRecord::errorCode)
                .contains(
                        "MissingAuthenticationTokenException",
                        "InvalidSignatureException",
                        "UnrecognizedClientException");
    }

    @Test
    void asymmetricKeys_signVerify_rsaOaepDecrypt_andAreRefusedAsRootKeys() throws Exception {
        for (var spec : List.of(KeySpec.RSA_2048, KeySpec.ECC_NIST_P256)) {
            String id = kms.createKey(r -> r.keySpec(spec).keyUsage(KeyUsageType.SIGN_VERIFY))
                    .keyMetadata()
                    .keyId();
            SigningAlgorithmSpec alg = spec == KeySpec.RSA_2048
                    ? SigningAlgorithmSpec.RSASSA_PSS_SHA_256
                    : SigningAlgorithmSpec.ECDSA_SHA_256;
            SdkBytes msg = SdkBytes.fromUtf8String("snapshot manifest");
            SdkBytes sig = kms.sign(r -> r.keyId(id).message(msg).signingAlgorithm(alg))
                    .signature();
            assertThat(kms.verify(r -> r.keyId(id).message(msg).signature(sig).signingAlgorithm(alg))
                            .signatureValid())
                    .isTrue();
            assertThatThrownBy(() -> kms.verify(r -> r.keyId(id)
                            .message(SdkBytes.fromUtf8String("tampered"))
                            .signature(sig)
                            .signingAlgorithm(alg)))
                    .isInstanceOf(KmsInvalidSignatureException.class);
            // The public key verifies the same signature outside the KMS.
            byte[] der = kms.getPublicKey(r -> r.keyId(id)).publicKey().asByteArray();
            if (spec == KeySpec.ECC_NIST_P256) {
                PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
                Signature v = Signature.getInstance("SHA256withECDSA");
                v.initVerify(pub);
                v.update(msg.asByteArray());
                assertThat(v.verify(sig.asByteArray())).isTrue();
            }
            assertThatThrownBy(() -> kms.generateDataKey(r -> r.keyId(id).keySpec(DataKeySpec.AES_256)))
                    .isInstanceOf(InvalidKeyUsageException.class);
            assertThatThrownBy(() -> KmsRootKey.open(kms, id))
                    .isInstanceOf(StrongroomException.class)
                    .hasMessageContaining("only symmetric");
        }
        String rsa = kms.createKey(r -> r.keySpec(KeySpec.RSA_3072).keyUsage(KeyUsageType.ENCRYPT_DECRYPT))
                .keyMetadata()
                .keyId();
        byte[] der = kms.getPublicKey(r -> r.keyId(rsa)).publicKey().asByteArray();
        PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
        c.init(
                Cipher.ENCRYPT_MODE,
                pub,
                new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
        byte[] ct = c.doFinal("transient".getBytes(StandardCharsets.UTF_8));
        var d = kms.decrypt(r -> r.keyId(rsa)
                .ciphertextBlob(SdkBytes.fromByteArray(ct))
                .encryptionAlgorithm(EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256));
        assertThat(d.plaintext().asUtf8String()).isEqualTo("transient");
        SdkBytes viaKms = kms.encrypt(r -> r.keyId(rsa)
                        .plaintext(SdkBytes.fromUtf8String("both ways"))
                        .encryptionAlgorithm(EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256))
                .ciphertextBlob();
        assertThat(kms.decrypt(r -> r.keyId(rsa)
                                .ciphertextBlob(viaKms)
                                .encryptionAlgorithm(EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256))
                        .plaintext()
                        .asUtf8String())
                .isEqualTo("both ways");
    }

    @Test
    void managedRedshiftKey_createdOnFirstUse_perAccountAndRegion_andCannotBeDisabled() {
        var m = kms.describeKey(r -> r.keyId("alias/aws/redshift")).keyMetadata();
        assertThat(m.keyManagerAsString()).isEqualTo("AWS");
        assertThat(kms.describeKey(r -> r.keyId("alias/aws/redshift"))
                        .keyMetadata()
                        .keyId())
                .isEqualTo(m.keyId());
        var dk = kms.generateDataKey(
                r -> r.keyId("alias/aws/redshift").keySpec(DataKeySpec.AES_256).encryptionContext(CTX));
        assertThat(dk.keyId()).isEqualTo(m.arn());
        assertThatThrownBy(() -> kms.disableKey(r -> r.keyId(m.keyId()))).satisfies(awsError("AccessDeniedException"));
        assertThatThrownBy(() -> kms.scheduleKeyDeletion(r -> r.keyId(m.keyId())))
                .satisfies(awsError("AccessDeniedException"));
        assertThatThrownBy(() -> kms.putKeyPolicy(
                        r -> r.keyId(m.keyId()).policyName("default").policy(KmsTestPolicies.OPEN)))
                .satisfies(awsError("AccessDeniedException"));
        try (KmsClient west = f.client(f.admin, "eu-west-1")) {
            var w = west.describeKey(r -> r.keyId("alias/aws/redshift")).keyMetadata();
            assertThat(w.keyId()).isNotEqualTo(m.keyId());
            assertThat(w.arn()).startsWith("arn:aws:kms:eu-west-1:");
            // Keys are regional: the us-east-1 key does not exist in eu-west-1.
            assertThatThrownBy(() -> west.describeKey(r -> r.keyId(m.keyId()))).isInstanceOf(NotFoundException.class);
        }
        assertThat(otherKms.describeKey(r -> r.keyId("alias/aws/redshift"))
                        .keyMetadata()
                        .keyId())
                .isNotEqualTo(m.keyId());
    }

    @Test
    void kmsRootKey_wrapsAndUnwraps_andMapsFailuresToErrorCodes() throws Exception {
        String id = newKey("alias/sdk-root");
        KmsRootKey root = KmsRootKey.open(kms, "alias/sdk-root");
        assertThat(root.keyArn()).endsWith(id);
        EncryptionContext ctx = EncryptionContext.of(CTX);
        try (DataKey dk = root.generateDataKey(ctx);
                SecretBytes back = root.decrypt(dk.wrapped(), ctx)) {
            assertThat(back.contentEquals(dk.plaintext())).isTrue();
            assertThatThrownBy(() -> root.decrypt(dk.wrapped(), EncryptionContext.of(Map.of("x", "y"))))
                    .isInstanceOf(StrongroomException.class)
                    .extracting(e -> ((StrongroomException) e).code())
                    .isEqualTo(ErrorCode.WRONG_KEY);
            kms.disableKey(r -> r.keyId(id));
            assertThatThrownBy(() -> root.decrypt(dk.wrapped(), ctx))
                    .extracting(e -> ((StrongroomException) e).code())
                    .isEqualTo(ErrorCode.ACCESS_DENIED);
            kms.enableKey(r -> r.keyId(id));
            assertThat(root.toString())
                    .doesNotContain(
                            Base64.getEncoder().encodeToString(dk.plaintext().copyBytes(RawKeyAccess.insecure())));
        }
        try (KmsClient nowhere = KmsClient.builder()
                .endpointOverride(URI.create("http://127.0.0.1:1"))
                .region(Region.US_EAST_1)
                .credentialsProvider(() -> AwsBasicCredentials.create("a", "b"))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build()) {
            assertThatThrownBy(() -> KmsRootKey.open(nowhere, id))
                    .extracting(e -> ((StrongroomException) e).code())
                    .isEqualTo(ErrorCode.KEY_UNAVAILABLE);
        }
    }

    @Test
    void auditTrail_holdsEveryCall_withItsContext_andNoSecrets() throws Exception {
        String id = newKey("alias/sdk-audit");
        byte[] secret = "do-not-log-this-plaintext".getBytes(StandardCharsets.UTF_8);
        SdkBytes blob = encrypt(id, secret, CTX);
        kms.decrypt(r -> r.ciphertextBlob(blob).encryptionContext(CTX));
        var dk = kms.generateDataKey(
                r -> r.keyId(id).keySpec(DataKeySpec.AES_256).encryptionContext(CTX));
        assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(blob).encryptionContext(Map.of("k", "v"))))
                .isInstanceOf(InvalidCiphertextException.class);

        List<AuditRecord> forCluster =
                f.audit().query(AuditQuery.all().withKey(id).withContextValue("dw1"));
        assertThat(forCluster).extracting(AuditRecord::eventName).contains("Encrypt", "Decrypt", "GenerateDataKey");
        AuditRecord gdk = forCluster.stream()
                .filter(r -> r.eventName().equals("GenerateDataKey"))
                .findFirst()
                .orElseThrow();
        assertThat(gdk.encryptionContext()).isEqualTo(CTX);
        assertThat(gdk.principalArn()).isEqualTo(f.admin.principalArn());
        assertThat(gdk.region()).isEqualTo("us-east-1");
        assertThat(gdk.keyArn()).endsWith(id);
        assertThat(gdk.json().path("additionalEventData").path("keyMaterialId").asText())
                .hasSize(64);
        assertThat(gdk.json().path("readOnly").asBoolean()).isTrue();
        assertThat(gdk.json().path("requestParameters").path("keySpec").asText())
                .isEqualTo("AES_256");

        List<AuditRecord> failures =
                f.audit().query(AuditQuery.all().withKey(id).onlyErrors());
        assertThat(failures).extracting(AuditRecord::errorCode).contains("InvalidCiphertextException");
        assertThat(f.audit().query(AuditQuery.all().withKey(id).withEventName("CreateAlias")))
                .hasSize(1);
        assertThat(f.audit()
                        .query(AuditQuery.all()
                                .withPrincipal(f.admin.principalArn())
                                .withKey(id)))
                .hasSizeGreaterThanOrEqualTo(5);
        assertThat(f.audit()
                        .query(AuditQuery.all()
                                .withKey(id)
                                .between(Instant.now().plusSeconds(60), null)))
                .isEmpty();

        String trail = Files.readString(f.audit().file());
        Base64.Encoder b64 = Base64.getEncoder();
        assertThat(trail)
                .doesNotContain(b64.encodeToString(secret))
                .doesNotContain(b64.encodeToString(blob.asByteArray()))
                .doesNotContain(b64.encodeToString(dk.plaintext().asByteArray()))
                .doesNotContain(b64.encodeToString(dk.ciphertextBlob().asByteArray()))
                .doesNotContain(f.admin.secretAccessKey());
    }

    @Test
    void restart_keepsKeysAliasesGrantsAndOldCiphertexts() throws Exception {
        try (KmsFixture own = new KmsFixture()) {
            String id;
            SdkBytes blob;
            try (KmsClient first = own.client(own.admin, "us-east-1")) {
                id = first.createKey(r -> r.description("restart"))
                        .keyMetadata()
                        .keyId();
                first.createAlias(r -> r.aliasName("alias/sdk-restart").targetKeyId(id));
                first.rotateKeyOnDemand(r -> r.keyId(id));
                blob = first.encrypt(r -> r.keyId(id)
                                .plaintext(SdkBytes.fromByteArray(new byte[] {42}))
                                .encryptionContext(CTX))
                        .ciphertextBlob();
            }
            own.restart();
            checkAfterRestart(own, id, blob);
        }
    }

    private static void checkAfterRestart(KmsFixture own, String id, SdkBytes blob) {
        try (KmsClient again = own.client(own.admin, "us-east-1")) {
            assertThat(again.decrypt(r -> r.ciphertextBlob(blob).encryptionContext(CTX))
                            .plaintext()
                            .asByteArray())
                    .containsExactly(42);
            assertThat(again.describeKey(r -> r.keyId("alias/sdk-restart"))
                            .keyMetadata()
                            .keyId())
                    .isEqualTo(id);
            assertThat(again.listKeyRotations(r -> r.keyId(id)).rotations()).hasSize(1);
        }
    }
}
