package io.strongroom.kms.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.CiphertextBlob;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.service.KmsService;
import io.strongroom.kms.store.KmsStore;
import io.strongroom.testkit.fuzz.Fuzz;
import io.strongroom.testkit.fuzz.FuzzInput;
import io.strongroom.testkit.fuzz.Generator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzz targets for the KMS's JSON requests (docs/security.md, "Fuzzing"): a request body goes through what the
 * HTTP handler does after SigV4 ({@link KmsHttpHandler#requestBody}, then {@link KmsService#call}) for Encrypt,
 * Decrypt, GenerateDataKey, CreateKey, CreateGrant and PutKeyPolicy, against a KMS in a temporary folder. For any
 * body the KMS answers or throws {@link KmsApiException}, nothing else, and keeps serving (no input makes it
 * fail-stop); what Encrypt and GenerateDataKey answer decrypts to the plaintext; a policy PutKeyPolicy took is the
 * one GetKeyPolicy gives back. {@link KeyPolicy#parse} and {@link KeyPolicy#evaluate}, and the {@link
 * CiphertextBlob} decoder, are targets of their own. Seeds: {@code src/test/resources/fuzz/kms-*} ({@link
 * #writeCorpus}, and {@code regression-*} files: inputs this harness found); {@value #KEY} names the key each KMS
 * is set up with. Each test gets a KMS of its own ({@link #openKms}), which a target's tries share, as a client's
 * requests would.
 */
class KmsRequestFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Caller ADMIN =
            new Caller("AKIAADMIN", "111122223333", "arn:aws:iam::111122223333:user/admin", "127.0.0.1", "fuzz");
    private static final Caller OTHER =
            new Caller("AKIAOTHER", "444455556666", "arn:aws:iam::444455556666:user/eve", "127.0.0.1", "fuzz");
    private static final String REGION = "us-east-1";
    private static final String KEY = "alias/fuzz";
    private static final List<String> OPERATIONS =
            List.of("Encrypt", "Decrypt", "GenerateDataKey", "CreateKey", "CreateGrant", "PutKeyPolicy");

    /** Seeds say {@value #KEY_ID} where the key's id goes, and {@value #BLOB} for a ciphertext of it. */
    private static final String KEY_ID = "@KEY_ID@";

    private static final String BLOB = "@BLOB@";
    private static final String CONTEXT = "{\"cluster\":\"analytics-1\",\"purpose\":\"database-key\"}";

    private Path dir;
    private String keyId;
    private String blob;
    private KmsStore store;
    private AuditLog audit;
    private KmsService kms;

    @BeforeEach
    void openKms() throws IOException {
        dir = Files.createTempDirectory("kms-fuzz");
        store = KmsStore.open(dir, new SecureRandom());
        audit = AuditLog.open(dir);
        kms = KmsService.open(store, Instant::now, new SecureRandom(), audit);
        keyId = call("CreateKey", JSON.createObjectNode())
                .path("KeyMetadata")
                .path("KeyId")
                .asText();
        call("CreateAlias", JSON.createObjectNode().put("AliasName", KEY).put("TargetKeyId", keyId));
        blob = call(
                        "Encrypt",
                        JSON.readTree("{\"KeyId\":\"" + KEY + "\",\"Plaintext\":\"AQIDBA==\",\"EncryptionContext\":"
                                + CONTEXT + "}"))
                .path("CiphertextBlob")
                .asText();
    }

    /** The input with this KMS's key id and ciphertext where the seed has their placeholders. */
    private byte[] substitute(FuzzInput in) {
        return new String(in.bytes(), StandardCharsets.ISO_8859_1)
                .replace(KEY_ID, keyId)
                .replace(BLOB, blob)
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    @AfterEach
    void closeKms() throws IOException {
        kms.close();
        audit.close();
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private JsonNode call(String op, JsonNode request) {
        return kms.call(op, ADMIN, REGION, request, new AuditEvent("r", "e", Instant.now(), op));
    }

    private static Generator<FuzzInput> bodies(String op) {
        return Fuzz.inputs(Fuzz.corpus(KmsRequestFuzzTest.class, "kms-" + op), 4096);
    }

    /** Runs the body through the handler's parsing and the service: the answer, or null for a typed refusal. */
    private @Nullable JsonNode run(String op, byte[] raw) {
        JsonNode answer = Fuzz.decodes(() -> call(op, KmsHttpHandler.requestBody(raw)), KmsApiException.class)
                .orElse(null);
        assertThat(kms.isServing()).as("no request makes the KMS fail-stop").isTrue();
        return answer;
    }

    @Test
    void encrypt_answersOrThrowsTyped_andWhatItEncryptsDecrypts() {
        Fuzz.run("kms.Encrypt", 1500, bodies("Encrypt"), this::checkEncrypt);
    }

    private void checkEncrypt(FuzzInput in) throws IOException {
        byte[] raw = substitute(in);
        JsonNode out = run("Encrypt", raw);
        if (out != null) {
            JsonNode req = JSON.readTree(raw);
            ObjectNode d = JSON.createObjectNode()
                    .put("CiphertextBlob", out.path("CiphertextBlob").asText());
            if (req.has("EncryptionContext")) {
                d.set("EncryptionContext", req.get("EncryptionContext"));
            }
            // Compared as bytes: a request may spell its plaintext in non-canonical base64 (non-zero padding bits,
            // "AQIDBE==" for "AQIDBA=="), which decodes to the same bytes; the answer is always canonical.
            assertThat(base64(call("Decrypt", d).path("Plaintext").asText()))
                    .isEqualTo(base64(req.path("Plaintext").asText()));
        }
    }

    private static byte[] base64(String text) {
        return Base64.getDecoder().decode(text);
    }

    @Test
    void decrypt_answersOrThrowsTyped() {
        Fuzz.run("kms.Decrypt", 1500, bodies("Decrypt"), this::checkDecrypt);
    }

    private void checkDecrypt(FuzzInput in) {
        run("Decrypt", substitute(in));
    }

    @Test
    void generateDataKey_answersOrThrowsTyped_andTheKeyDecrypts() {
        Fuzz.run("kms.GenerateDataKey", 1500, bodies("GenerateDataKey"), this::checkGenerateDataKey);
    }

    private void checkGenerateDataKey(FuzzInput in) throws IOException {
        byte[] raw = substitute(in);
        JsonNode out = run("GenerateDataKey", raw);
        if (out != null) {
            JsonNode req = JSON.readTree(raw);
            ObjectNode d = JSON.createObjectNode()
                    .put("CiphertextBlob", out.path("CiphertextBlob").asText());
            if (req.has("EncryptionContext")) {
                d.set("EncryptionContext", req.get("EncryptionContext"));
            }
            assertThat(call("Decrypt", d).path("Plaintext").asText())
                    .isEqualTo(out.path("Plaintext").asText());
        }
    }

    @Test
    void createKey_answersOrThrowsTyped_andTheKeyIsDescribed() {
        Fuzz.run("kms.CreateKey", 500, bodies("CreateKey"), this::checkCreateKey);
    }

    private void checkCreateKey(FuzzInput in) {
        JsonNode out = run("CreateKey", substitute(in));
        if (out != null) {
            String id = out.path("KeyMetadata").path("KeyId").asText();
            assertThat(call("DescribeKey", JSON.createObjectNode().put("KeyId", id))
                            .path("KeyMetadata")
                            .path("KeyId")
                            .asText())
                    .isEqualTo(id);
        }
    }

    @Test
    void createGrant_answersOrThrowsTyped() {
        Fuzz.run("kms.CreateGrant", 500, bodies("CreateGrant"), this::checkCreateGrant);
    }

    private void checkCreateGrant(FuzzInput in) {
        run("CreateGrant", substitute(in));
    }

    @Test
    void putKeyPolicy_answersOrThrowsTyped_andThePolicyReadsBack() {
        Fuzz.run("kms.PutKeyPolicy", 500, bodies("PutKeyPolicy"), this::checkPutKeyPolicy);
    }

    private void checkPutKeyPolicy(FuzzInput in) throws IOException {
        byte[] raw = substitute(in);
        if (run("PutKeyPolicy", raw) != null) {
            JsonNode req = JSON.readTree(raw);
            JsonNode got = call(
                    "GetKeyPolicy",
                    JSON.createObjectNode()
                            .put("KeyId", req.path("KeyId").asText())
                            .put("PolicyName", "default"));
            assertThat(got.path("Policy").asText()).isEqualTo(req.path("Policy").asText());
        }
    }

    @Test
    void keyPolicy_parsesOrThrowsTyped_andEvaluatesWithoutThrowing() {
        Fuzz.run(
                "kms.KeyPolicy",
                3000,
                Fuzz.texts(Fuzz.textCorpus(getClass(), "kms-policy"), 8192),
                this::checkKeyPolicy);
    }

    private void checkKeyPolicy(String document) {
        Fuzz.decodes(() -> KeyPolicy.parse(document), KmsApiException.class).ifPresent(p -> {
            for (Caller c : List.of(ADMIN, OTHER)) {
                for (String action : List.of("kms:Encrypt", "kms:Decrypt", "kms:PutKeyPolicy")) {
                    assertThat(p.evaluate(c, action, Map.of("kms:EncryptionContext:team", "data")))
                            .isNotNull();
                }
            }
            assertThat(KeyPolicy.parse(p.document()).document()).isEqualTo(document);
        });
    }

    @Test
    void ciphertextBlob_decodesOrThrowsTyped_andReencodes() {
        Fuzz.run(
                "kms.CiphertextBlob",
                3000,
                Fuzz.inputs(Fuzz.corpus(getClass(), "kms-ciphertext-blob"), 8192),
                this::checkCiphertextBlob);
    }

    private void checkCiphertextBlob(FuzzInput in) {
        byte[] bytes = in.bytes();
        Fuzz.decodes(() -> CiphertextBlob.decode(bytes), KmsApiException.class)
                .ifPresent(b -> assertThat(b.encode()).isEqualTo(bytes));
    }

    @Test
    void corpus_everySeedHoldsItsProperties() {
        for (String op : OPERATIONS) {
            for (byte[] seed : Fuzz.corpus(getClass(), "kms-" + op)) {
                run(op, substitute(new FuzzInput(seed, "corpus")));
            }
        }
        for (String seed : Fuzz.textCorpus(getClass(), "kms-policy")) {
            checkKeyPolicy(seed);
        }
        for (byte[] seed : Fuzz.corpus(getClass(), "kms-ciphertext-blob")) {
            checkCiphertextBlob(new FuzzInput(seed, "corpus"));
        }
    }

    /** Regenerates the seed files: {@code mvn -pl kms test -Dtest=KmsRequestFuzzTest -Dstrongroom.fuzz.writeCorpus=true}. */
    @Test
    @EnabledIfSystemProperty(named = Fuzz.WRITE_CORPUS_PROPERTY, matches = "true")
    void writeCorpus() throws IOException {
        try {
            String ctx = CONTEXT;
            String policy = KeyPolicy.defaultPolicy(ADMIN.accountId());
            Map<String, List<String>> seeds = Map.of(
                    "Encrypt",
                    List.of(
                            "{\"KeyId\":\"" + KEY + "\",\"Plaintext\":\"aGVsbG8=\"}",
                            "{\"KeyId\":\"" + KEY + "\",\"Plaintext\":\"AQIDBA==\",\"EncryptionContext\":" + ctx
                                    + ",\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}"),
                    "Decrypt",
                    List.of(
                            "{\"CiphertextBlob\":\"" + BLOB + "\",\"EncryptionContext\":" + ctx + "}",
                            "{\"CiphertextBlob\":\"" + BLOB + "\",\"KeyId\":\"" + KEY + "\"}"),
                    "GenerateDataKey",
                    List.of(
                            "{\"KeyId\":\"" + KEY + "\",\"KeySpec\":\"AES_256\",\"EncryptionContext\":" + ctx + "}",
                            "{\"KeyId\":\"" + KEY + "\",\"NumberOfBytes\":64}"),
                    "CreateKey",
                    List.of(
                            "{}",
                            "{\"Description\":\"warehouse\",\"KeyUsage\":\"ENCRYPT_DECRYPT\",\"KeySpec\":"
                                    + "\"SYMMETRIC_DEFAULT\",\"Tags\":[{\"TagKey\":\"team\",\"TagValue\":\"data\"}]}",
                            "{\"KeySpec\":\"RSA_2048\",\"KeyUsage\":\"SIGN_VERIFY\"}"),
                    "CreateGrant",
                    List.of("{\"KeyId\":\"" + KEY_ID + "\",\"GranteePrincipal\":\"arn:aws:iam::444455556666:user/eve\","
                            + "\"Operations\":[\"Decrypt\",\"GenerateDataKey\"],\"Constraints\":"
                            + "{\"EncryptionContextSubset\":{\"cluster\":\"analytics-1\"}},"
                            + "\"Name\":\"redshift\"}"),
                    "PutKeyPolicy",
                    List.of("{\"KeyId\":\"" + KEY_ID + "\",\"PolicyName\":\"default\",\"Policy\":"
                            + JSON.writeValueAsString(policy) + "}"));
            seeds.forEach((op, bodies) -> {
                for (int i = 0; i < bodies.size(); i++) {
                    Fuzz.writeSeed(
                            "kms-" + op, "seed-" + i + ".json", bodies.get(i).getBytes(StandardCharsets.UTF_8));
                }
            });
            Fuzz.writeSeed("kms-policy", "default.json", policy.getBytes(StandardCharsets.UTF_8));
            Fuzz.writeSeed(
                    "kms-policy",
                    "managed.json",
                    KeyPolicy.managedPolicy(ADMIN.accountId()).getBytes(StandardCharsets.UTF_8));
            Fuzz.writeSeed(
                    "kms-policy",
                    "conditions.json",
                    ("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                                    + "[\"444455556666\",\"arn:aws:iam::111122223333:root\"]},\"Action\":[\"kms:Decrypt\","
                                    + "\"kms:ReEncrypt*\"],\"Resource\":\"*\",\"Condition\":{\"StringLike\":"
                                    + "{\"kms:EncryptionContext:team\":\"da?a*\"},\"StringEquals\":"
                                    + "{\"kms:CallerAccount\":\"444455556666\"}}},{\"Effect\":\"Deny\",\"Principal\":\"*\","
                                    + "\"NotAction\":\"kms:Describe*\",\"Resource\":\"*\"}]}")
                            .getBytes(StandardCharsets.UTF_8));
            Fuzz.writeSeed(
                    "kms-ciphertext-blob", "blob.bin", Base64.getDecoder().decode(blob));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
