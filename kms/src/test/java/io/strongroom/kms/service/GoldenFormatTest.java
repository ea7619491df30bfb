package io.strongroom.kms.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.model.Caller;
import io.strongroom.kms.model.CiphertextBlob;
import io.strongroom.kms.model.KmsKey;
import io.strongroom.kms.store.KmsStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by format version 1 of the KMS store (docs/format/kms-store.md) and of the ciphertext blob
 * (docs/format/kms-ciphertext.md), kept as test resources in {@code golden/v1/}, must read the same with every
 * later build. They were made once from a fixed master key and fixed key material (a deterministic random
 * source), and are checked two ways: through the KMS (open the store, Decrypt), and by hand from the
 * documented layouts with the crypto primitives alone, so a change to either the code or the format fails.
 *
 * <p>Regenerate only for a new format version, into a new folder: {@code mvn -o -q test -Dtest=GoldenFormatTest
 * -Dstrongroom.golden.write=<absolute dir>}.
 */
class GoldenFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE = "/golden/v1/";
    private static final Caller ADMIN = new Caller(
            "AKIAGOLDENGOLDEN0000", "111122223333", "arn:aws:iam::111122223333:user/admin", "127.0.0.1", "golden");
    private static final Map<String, String> CTX =
            Map.of("aws:redshift:arn", "arn:aws:redshift:us-east-1:111122223333:cluster:golden");
    private static final String PLAINTEXT_V1 = "golden plaintext under material v1";
    private static final String PLAINTEXT_V2 = "golden plaintext under material v2";

    @TempDir
    Path tmp;

    /** Deterministic bytes (SHA-256 of a counter), so the master key and key material are fixed. */
    static final class FixedRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private long counter;

        @Override
        public void nextBytes(byte[] bytes) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                for (int off = 0; off < bytes.length; off += 32) {
                    byte[] block = sha.digest(("strongroom golden v1 " + counter++).getBytes(StandardCharsets.UTF_8));
                    System.arraycopy(block, 0, bytes, off, Math.min(32, bytes.length - off));
                }
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static JsonNode call(KmsService kms, String op, String json) throws IOException {
        return kms.call(op, ADMIN, "us-east-1", JSON.readTree(json), new AuditEvent("r", "e", Instant.EPOCH, op));
    }

    /**
     * Writes the golden files of the newest store format into {@code out} (a tool, run by {@link GoldenFiles} only
     * for a new format version; the tests read the committed ones). {@code scratch} takes the audit log.
     */
    static void writeGoldenFiles(Path out, Path scratch) throws Exception {
        Files.createDirectories(out);
        InstantSource clock = () -> Instant.parse("2026-01-01T00:00:00Z");
        FixedRandom random = new FixedRandom();
        Properties expected = new Properties();
        try (KmsStore store = KmsStore.open(out, random);
                AuditLog audit = AuditLog.open(scratch);
                KmsService kms = KmsService.open(store, clock, random, audit)) {
            JsonNode meta = call(
                            kms,
                            "CreateKey",
                            "{\"Description\":\"golden\",\"Tags\":[{\"TagKey\":\"t\",\"TagValue\":\"v\"}]}")
                    .path("KeyMetadata");
            String id = meta.path("KeyId").asText();
            String arn = meta.path("Arn").asText();
            String ctx = JSON.writeValueAsString(CTX);
            call(kms, "CreateAlias", "{\"AliasName\":\"alias/golden\",\"TargetKeyId\":\"" + id + "\"}");
            call(
                    kms,
                    "CreateGrant",
                    "{\"KeyId\":\"" + id + "\",\"GranteePrincipal\":\"arn:aws:iam::222233334444:root\","
                            + "\"Operations\":[\"Decrypt\",\"GenerateDataKey\"],\"Constraints\":{\"EncryptionContextSubset\":"
                            + ctx
                            + "},\"Name\":\"golden-grant\"}");
            byte[] v1 = Base64.getDecoder().decode(encrypt(kms, id, PLAINTEXT_V1, ctx));
            call(kms, "RotateKeyOnDemand", "{\"KeyId\":\"" + id + "\"}");
            byte[] v2 = Base64.getDecoder().decode(encrypt(kms, id, PLAINTEXT_V2, ctx));
            Files.write(out.resolve("ciphertext-v1.bin"), v1);
            Files.write(out.resolve("ciphertext-v2.bin"), v2);
            expected.setProperty("keyId", id);
            expected.setProperty("keyArn", arn);
            KmsKey k = kms.keysForTest().get(id);
            for (int v = 1; v <= 2; v++) {
                byte[] raw = store.openMaterial(arn, v, k.material(v).sealed());
                expected.setProperty("material.v" + v, HexFormat.of().formatHex(raw));
                expected.setProperty("materialId.v" + v, k.material(v).materialId());
            }
        }
        byte[] master = Files.readAllBytes(out.resolve(KmsStore.MASTER_FILE));
        expected.setProperty("masterKey", HexFormat.of().formatHex(master, 8, 40));
        try (OutputStream o = Files.newOutputStream(out.resolve("expected.properties"))) {
            expected.store(o, "expected values of the version 1 golden files");
        }
    }

    private static String encrypt(KmsService kms, String id, String plaintext, String ctx) throws IOException {
        return call(
                        kms,
                        "Encrypt",
                        "{\"KeyId\":\"" + id + "\",\"Plaintext\":\""
                                + Base64.getEncoder().encodeToString(plaintext.getBytes(StandardCharsets.UTF_8))
                                + "\",\"EncryptionContext\":" + ctx + "}")
                .path("CiphertextBlob")
                .asText();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Objects.requireNonNull(
                GoldenFormatTest.class.getResourceAsStream(BASE + name), "golden file " + name + " missing")) {
            return in.readAllBytes();
        }
    }

    private static Properties expected() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Objects.requireNonNull(
                GoldenFormatTest.class.getResourceAsStream(BASE + "expected.properties"), "expected.properties")) {
            p.load(in);
        }
        return p;
    }

    @Test
    void version1Store_opens_andHoldsTheKeyAliasGrantTagAndBothMaterials() throws Exception {
        Properties e = expected();
        String id = e.getProperty("keyId");
        Path dir = tmp.resolve("kms");
        Files.createDirectories(dir);
        Files.write(dir.resolve(KmsStore.MASTER_FILE), resource("master.key"));
        Files.setPosixFilePermissions(dir.resolve(KmsStore.MASTER_FILE), PosixFilePermissions.fromString("rw-------"));
        Files.write(dir.resolve(KmsStore.STORE_FILE), resource("kms-store.bin"));

        // The store file's header, as docs/format/kms-store.md lays it out.
        ByteBuffer h = ByteBuffer.wrap(resource("kms-store.bin"));
        byte[] magic = new byte[8];
        h.get(magic);
        assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("SRKMSSTO");
        assertThat(h.getShort()).isEqualTo((short) 1);
        assertThat(h.getShort()).isZero();
        assertThat(h.getLong()).isPositive();
        assertThat(h.getInt()).isEqualTo(resource("kms-store.bin").length - 24);
        byte[] master = resource("master.key");
        assertThat(new String(master, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("SRKMSMK1");
        assertThat(HexFormat.of().formatHex(master, 8, 40)).isEqualTo(e.getProperty("masterKey"));

        try (KmsStore store = KmsStore.open(dir, new SecureRandom());
                AuditLog audit = AuditLog.open(tmp);
                KmsService kms = KmsService.open(store, Instant::now, new SecureRandom(), audit)) {
            JsonNode m =
                    call(kms, "DescribeKey", "{\"KeyId\":\"alias/golden\"}").path("KeyMetadata");
            assertThat(m.path("KeyId").asText()).isEqualTo(id);
            assertThat(m.path("Arn").asText()).isEqualTo(e.getProperty("keyArn"));
            assertThat(m.path("Description").asText()).isEqualTo("golden");
            assertThat(m.path("KeyState").asText()).isEqualTo("Enabled");
            assertThat(m.path("CreationDate").asDouble())
                    .isEqualTo(Instant.parse("2026-01-01T00:00:00Z").getEpochSecond());
            assertThat(m.path("CurrentKeyMaterialId").asText()).isEqualTo(e.getProperty("materialId.v2"));
            assertThat(call(kms, "ListResourceTags", "{\"KeyId\":\"" + id + "\"}")
                            .path("Tags")
                            .toString())
                    .isEqualTo("[{\"TagKey\":\"t\",\"TagValue\":\"v\"}]");
            JsonNode grant = call(kms, "ListGrants", "{\"KeyId\":\"" + id + "\"}")
                    .path("Grants")
                    .path(0);
            assertThat(grant.path("Name").asText()).isEqualTo("golden-grant");
            assertThat(grant.path("GranteePrincipal").asText()).isEqualTo("arn:aws:iam::222233334444:root");
            assertThat(grant.path("Operations").toString()).isEqualTo("[\"Decrypt\",\"GenerateDataKey\"]");
            assertThat(grant.path("Constraints")
                            .path("EncryptionContextSubset")
                            .path("aws:redshift:arn")
                            .asText())
                    .isEqualTo(CTX.get("aws:redshift:arn"));
            assertThat(call(kms, "ListKeyRotations", "{\"KeyId\":\"" + id + "\"}")
                            .path("Rotations")
                            .size())
                    .isEqualTo(1);
            KmsKey k = kms.keysForTest().get(id);
            for (int v = 1; v <= 2; v++) {
                assertThat(HexFormat.of()
                                .formatHex(store.openMaterial(
                                        k.arn(), v, k.material(v).sealed())))
                        .isEqualTo(e.getProperty("material.v" + v));
            }
            // Through the KMS: both blobs decrypt with their context.
            String ctx = JSON.writeValueAsString(CTX);
            for (String[] c :
                    new String[][] {{"ciphertext-v1.bin", PLAINTEXT_V1}, {"ciphertext-v2.bin", PLAINTEXT_V2}}) {
                JsonNode d = call(
                        kms,
                        "Decrypt",
                        "{\"CiphertextBlob\":\"" + Base64.getEncoder().encodeToString(resource(c[0]))
                                + "\",\"EncryptionContext\":" + ctx + "}");
                assertThat(new String(
                                Base64.getDecoder().decode(d.path("Plaintext").asText()), StandardCharsets.UTF_8))
                        .isEqualTo(c[1]);
            }
        }
    }

    @Test
    void version1CiphertextBlobs_decodeByTheDocumentedLayout_andDecryptWithTheFixedMaterial() throws Exception {
        Properties e = expected();
        UUID keyId = UUID.fromString(e.getProperty("keyId"));
        String arn = e.getProperty("keyArn");
        for (int v = 1; v <= 2; v++) {
            byte[] blob = resource("ciphertext-v" + v + ".bin");
            ByteBuffer b = ByteBuffer.wrap(blob);
            assertThat(b.get()).as("format version").isEqualTo((byte) 1);
            assertThat(b.get()).as("blob type").isEqualTo((byte) 1);
            assertThat(b.getShort()).as("reserved").isZero();
            assertThat(new UUID(b.getLong(), b.getLong())).isEqualTo(keyId);
            assertThat(b.getInt()).as("material version").isEqualTo(v);
            assertThat(b.get(24)).as("envelope format").isEqualTo((byte) 1);
            assertThat(b.getInt(28)).as("authenticated material version").isEqualTo(v);
            String plaintext = v == 1 ? PLAINTEXT_V1 : PLAINTEXT_V2;
            assertThat(blob).hasSize(24 + 44 + plaintext.length() + 16);
            assertThat(CiphertextBlob.decode(blob).materialVersion()).isEqualTo(v);
            byte[] material = HexFormat.of().parseHex(e.getProperty("material.v" + v));
            try (SoftwareRootKey key =
                    SoftwareRootKey.ofMaterial(new KeyInfo(KeyTier.ROOT, arn, v), SecretBytes.copyOf(material))) {
                byte[] envelope = Arrays.copyOfRange(blob, 24, blob.length);
                byte[] out = key.decrypt(EncryptionContext.of(CTX).toAssociatedData(arn), envelope);
                assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo(plaintext);
            }
        }
    }
}
