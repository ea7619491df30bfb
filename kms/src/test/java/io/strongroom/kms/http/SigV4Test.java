package io.strongroom.kms.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.kms.Credential;
import io.strongroom.kms.CredentialStore;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.service.KmsService;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SigV4 verification against requests the real AWS CLI v2 and SDK for Java v2 signed (captured byte for byte
 * in reference/captured, secret known), plus tampering of each signed part.
 */
class SigV4Test {
    private static final Credential EXAMPLE = new Credential(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "111122223333",
            "arn:aws:iam::111122223333:user/e");

    @TempDir
    Path dir;

    SigV4 sigV4;

    @BeforeEach
    void setUp() {
        CredentialStore store = CredentialStore.open(dir, new SecureRandom());
        store.add(EXAMPLE);
        sigV4 = new SigV4(store, "kms");
    }

    record Captured(Map<String, List<String>> headers, byte[] body) {
        String first(String name) {
            return headers.get(name).getFirst();
        }

        Instant time() {
            return LocalDateTime.parse(
                            first("x-amz-date"), DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT))
                    .toInstant(ZoneOffset.UTC);
        }

        Captured withHeader(String name, String value) {
            Map<String, List<String>> h = new TreeMap<>(headers);
            h.put(name, List.of(value));
            return new Captured(h, body);
        }

        Captured withBody(String b) {
            return new Captured(headers, b.getBytes(StandardCharsets.UTF_8));
        }
    }

    static Captured load(String name) throws Exception {
        byte[] raw;
        try (InputStream in = SigV4Test.class.getResourceAsStream("/sigv4/" + name)) {
            raw = in.readAllBytes();
        }
        String text = new String(raw, StandardCharsets.UTF_8);
        int split = text.indexOf("\r\n\r\n");
        int bodyStart = split + 4;
        if (split < 0) {
            split = text.indexOf("\n\n");
            bodyStart = split + 2;
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        String[] lines = text.substring(0, split).split("\r?\n");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>())
                    .add(lines[i].substring(colon + 1).trim());
        }
        String body = text.substring(bodyStart);
        int length = Integer.parseInt(headers.get("Content-Length").getFirst());
        return new Captured(headers, body.substring(0, length).getBytes(StandardCharsets.UTF_8));
    }

    SigV4.Verified verify(Captured c, Instant now) {
        Map<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.putAll(c.headers());
        return sigV4.verify("POST", "/", null, h::get, c.body(), now, akid -> {});
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "cli-kms-encrypt.http",
                "cli-kms-list-keys.http",
                "sdk-java-kms-encrypt.http",
                "sdk-java-kms-list-keys.http"
            })
    void realClientRequests_verify_andNameTheirRegion(String file) throws Exception {
        Captured c = load(file);
        SigV4.Verified v = verify(c, c.time().plusSeconds(30));
        assertThat(v.credential().accessKeyId()).isEqualTo("AKIDEXAMPLE");
        assertThat(v.region()).isEqualTo("us-east-1");
    }

    @Test
    void changedBody_signedHeader_orTime_failsAsAwsDoes() throws Exception {
        Captured c = load("cli-kms-encrypt.http");
        Instant t = c.time();
        assertThat(code(() -> verify(c.withBody("{\"KeyId\": \"alias/other\"}"), t)))
                .isEqualTo("InvalidSignatureException");
        assertThat(code(() -> verify(c.withHeader("X-Amz-Target", "TrentService.Decrypt"), t)))
                .isEqualTo("InvalidSignatureException");
        assertThat(code(() -> verify(c, t.plus(Duration.ofMinutes(6))))).isEqualTo("InvalidSignatureException");
        assertThatThrownBy(() -> verify(c, t.plus(Duration.ofMinutes(6))))
                .as("an expired signature is told apart by its kind, not its message")
                .isInstanceOfSatisfying(
                        SigV4.Rejected.class, e -> assertThat(e.failure()).isEqualTo(SigV4.Failure.EXPIRED));
        assertThatThrownBy(() -> verify(c.withBody("{}"), t))
                .isInstanceOfSatisfying(
                        SigV4.Rejected.class, e -> assertThat(e.failure()).isEqualTo(SigV4.Failure.MISMATCH));
        Captured sdk = load("sdk-java-kms-encrypt.http");
        assertThat(code(() -> verify(sdk.withBody("{}"), sdk.time())))
                .as("x-amz-content-sha256 must match the body")
                .isEqualTo("InvalidSignatureException");
        String auth = c.first("Authorization");
        assertThat(code(() -> verify(c.withHeader("Authorization", auth.replace("AKIDEXAMPLE", "AKIDNOBODY")), t)))
                .isEqualTo("UnrecognizedClientException");
        assertThat(code(() -> verify(c.withHeader("Authorization", auth.replaceAll(", Signature=.*", "")), t)))
                .isEqualTo("IncompleteSignatureException");
        assertThat(code(() -> verify(c.withHeader("Authorization", auth.replace("/kms/", "/s3/")), t)))
                .isEqualTo("InvalidSignatureException");
        Map<String, List<String>> none = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        assertThat(code(() -> sigV4.verify("POST", "/", null, none::get, c.body(), t, a -> {})))
                .isEqualTo("MissingAuthenticationTokenException");
    }

    @Test
    void ownSigner_producesWhatTheVerifierAccepts_inAnyRegion() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        Map<String, String> h = new TreeMap<>(Map.of(
                "host",
                "127.0.0.1:1",
                "content-type",
                "application/x-amz-json-1.1",
                "x-amz-target",
                "TrentService.ListKeys"));
        h.putAll(SigV4.sign(EXAMPLE, "ap-southeast-2", "kms", now, "POST", "/", h, body));
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.forEach((k, v) -> headers.put(k, List.of(v)));
        assertThat(sigV4.verify("POST", "/", null, headers::get, body, now, a -> {})
                        .region())
                .isEqualTo("ap-southeast-2");
    }

    @Test
    void unsignedPayload_isRefused() throws Exception {
        Captured sdk = load("sdk-java-kms-encrypt.http");
        assertThatThrownBy(() -> verify(sdk.withHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), sdk.time()))
                .isInstanceOf(KmsApiException.class)
                .hasMessageContaining("UNSIGNED-PAYLOAD is not accepted")
                .extracting(e -> ((KmsApiException) e).awsType())
                .isEqualTo("InvalidSignatureException");
    }

    @ParameterizedTest
    @ValueSource(strings = {"host", "x-amz-target", "content-type"})
    void aCorrectSignature_thatLeavesOutARequiredHeader_isIncomplete(String left) {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        Map<String, String> all = Map.of(
                "host",
                "127.0.0.1:1",
                "content-type",
                "application/x-amz-json-1.1",
                "x-amz-target",
                "TrentService.ListKeys");
        Map<String, String> signed = new TreeMap<>(all);
        signed.remove(left);
        Map<String, String> sent = new TreeMap<>(all);
        sent.putAll(SigV4.sign(EXAMPLE, "us-east-1", "kms", now, "POST", "/", signed, body));
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        sent.forEach((k, v) -> headers.put(k, List.of(v)));
        assertThatThrownBy(() -> sigV4.verify("POST", "/", null, headers::get, body, now, a -> {}))
                .hasMessageContaining("The " + left + " header must be signed")
                .extracting(e -> ((KmsApiException) e).awsType())
                .isEqualTo("IncompleteSignatureException");
    }

    /**
     * The Query protocol (Redshift) names the operation in the signed body; AWS accepts such a request whose content
     * type is not signed, as the AWS SDK for Java v1 sends it (Redshift's JDBC driver logs in with IAM through it).
     * Host stays required.
     */
    @Test
    void aQueryProtocolRequest_needNotSignItsContentType_butMustSignItsHost() {
        CredentialStore store = CredentialStore.open(dir.resolve("rs"), new SecureRandom());
        store.add(EXAMPLE);
        SigV4 redshift = new SigV4(store, "redshift");
        byte[] body = "Action=DescribeClusters&Version=2012-12-01".getBytes(StandardCharsets.UTF_8);
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        Map<String, String> signed = new TreeMap<>(Map.of("host", "127.0.0.1:1"));
        Map<String, String> sent = new TreeMap<>(signed);
        sent.putAll(SigV4.sign(EXAMPLE, "us-east-1", "redshift", now, "POST", "/", signed, body));
        sent.put("content-type", "application/x-www-form-urlencoded; charset=utf-8");
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        sent.forEach((k, v) -> headers.put(k, List.of(v)));
        assertThat(redshift.verify("POST", "/", null, headers::get, body, now, a -> {}))
                .isNotNull();

        Map<String, String> noHost = new TreeMap<>(Map.of("content-type", "application/x-www-form-urlencoded"));
        Map<String, String> sent2 = new TreeMap<>(noHost);
        sent2.putAll(SigV4.sign(EXAMPLE, "us-east-1", "redshift", now, "POST", "/", noHost, body));
        sent2.put("host", "127.0.0.1:1");
        Map<String, List<String>> headers2 = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        sent2.forEach((k, v) -> headers2.put(k, List.of(v)));
        assertThatThrownBy(() -> redshift.verify("POST", "/", null, headers2::get, body, now, a -> {}))
                .hasMessageContaining("The host header must be signed");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026112:yyyyMMdd",
                "202611220:yyyyMMdd",
                "2026112x:yyyyMMdd",
                "20261332:valid date",
                "20261123:does not match",
                "2026:yyyyMMdd"
            })
    void scopeDate_mustBeAnEightDigitDate_equalToTheRequestDate(String caseAndMessage) throws Exception {
        String scopeDate = caseAndMessage.substring(0, caseAndMessage.indexOf(':'));
        String message = caseAndMessage.substring(caseAndMessage.indexOf(':') + 1);
        Captured c = load("cli-kms-encrypt.http");
        String auth = c.first("Authorization").replace("/20261122/", "/" + scopeDate + "/");
        assertThatThrownBy(() -> verify(c.withHeader("Authorization", auth), c.time()))
                .hasMessageContaining(message)
                .extracting(e -> ((KmsApiException) e).awsType())
                .isEqualTo("InvalidSignatureException");
    }

    @ParameterizedTest
    @ValueSource(strings = {"us-east-1", "us-gov-west-1", "eu-central-2", "ap-southeast-4", "il-central-1"})
    void regionNames_followTheAwsPattern(String region) {
        assertThat(KmsService.isValidRegion(region)).isTrue();
        assertThat(KmsService.isValidRegion(region.toUpperCase(Locale.ROOT))).isFalse();
        assertThat(KmsService.isValidRegion(region + "x")).isFalse();
    }

    private static String code(Runnable r) {
        try {
            r.run();
        } catch (KmsApiException e) {
            return e.awsType();
        }
        throw new AssertionError("expected a KmsApiException");
    }

    @Test
    void credentialsFile_isOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(CredentialStore.FILE))))
                .isEqualTo("rw-------");
        assertThatThrownBy(() -> CredentialStore.open(dir, new SecureRandom()).add(EXAMPLE))
                .hasMessageContaining("already exists");
        Files.setPosixFilePermissions(dir.resolve(CredentialStore.FILE), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> CredentialStore.open(dir, new SecureRandom()))
                .hasMessageContaining("readable or writable by others")
                .hasMessageContaining("chmod 600");
    }
}
