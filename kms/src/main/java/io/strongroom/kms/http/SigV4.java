package io.strongroom.kms.http;

import io.strongroom.base.ErrorCode;
import io.strongroom.kms.Credential;
import io.strongroom.kms.CredentialStore;
import io.strongroom.kms.model.KmsApiException;
import io.strongroom.kms.service.KmsService;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * AWS Signature Version 4, server side (verification) and the client side this module's tests and benchmark
 * need (signing). reference/aws-api.md §3 is the spec followed.
 *
 * <p>How verification works: parse the {@code Authorization} header; find the access key's secret; check the
 * request time ({@code X-Amz-Date}, else {@code Date}) against the scope date and the clock (at most 5 minutes
 * apart); rebuild the canonical request from exactly the signed headers, the canonical query and the payload
 * hash (the {@code x-amz-content-sha256} header, which must then match the body, or the body's SHA-256);
 * derive the signing key and compare signatures in constant time. The region is taken from the credential
 * scope, so one endpoint serves every region. Derived signing keys are cached per access key, day, region
 * and service (they change daily), which removes four of the five HMACs from every request.
 *
 * <p>Stricter than some AWS endpoints, on purpose: the payload is always signed ({@code UNSIGNED-PAYLOAD}
 * is refused); {@code host} and the date header must be among the signed headers, and for KMS (the JSON
 * protocol) {@code x-amz-target} and {@code content-type} too (a Query-protocol request such as Redshift's names
 * its operation in the signed body, and the AWS SDK for Java v1 does not sign its content type, as AWS accepts); the scope date must be a real {@code yyyyMMdd} date equal to the request date.
 *
 * <p>Not supported: query-string (presigned) authentication, session tokens. Thread-safe.
 */
public final class SigV4 {
    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    public static final Duration MAX_SKEW = Duration.ofMinutes(5);
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter SCOPE_DATE =
            DateTimeFormatter.ofPattern("uuuuMMdd", Locale.ROOT).withResolverStyle(ResolverStyle.STRICT);
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final Pattern EIGHT_DIGITS = Pattern.compile("\\d{8}");
    /**
     * Headers a KMS request must sign besides the date: the CLI signs {@code content-type;host;x-amz-date;
     * x-amz-target}, the SDKs more. Signing the target and content type means a captured signature cannot be
     * replayed as another operation. Only {@code host} is required of every service: the Query protocol
     * (Redshift) names the operation in the body, whose hash is always signed.
     */
    private static final List<String> REQUIRED_SIGNED = List.of("host", "x-amz-target", "content-type");

    private static final HexFormat HEX = HexFormat.of();

    private final CredentialStore credentials;
    private final String service;
    private final Map<String, byte[]> signingKeys = new ConcurrentHashMap<>();

    /** The verified signer and the region its credential scope names. */
    public record Verified(Credential credential, String region) {}

    public SigV4(CredentialStore credentials, String service) {
        this.credentials = credentials;
        this.service = service;
    }

    /**
     * Verifies a request. {@code header} returns a header's values (case-insensitive name) or null; {@code
     * onAccessKey} hears the claimed access key id as soon as it is parsed, so a failure can still be audited
     * with it.
     */
    public Verified verify(
            String method,
            String rawPath,
            @Nullable String rawQuery,
            Function<String, @Nullable List<String>> header,
            byte[] body,
            Instant now,
            Consumer<String> onAccessKey) {
        String auth = first(header, "authorization");
        if (auth == null) {
            throw new Rejected(Failure.MISSING_TOKEN, "Missing Authentication Token");
        }
        if (!auth.startsWith(ALGORITHM + " ")) {
            throw incomplete("Unsupported AWS 'algorithm' in the Authorization header; use " + ALGORITHM + ".");
        }
        String credentialPart = null;
        String signedHeadersPart = null;
        String signature = null;
        for (String part : auth.substring(ALGORITHM.length() + 1).split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String v = p.substring(eq + 1).trim();
            switch (p.substring(0, eq).trim()) {
                case "Credential" -> credentialPart = v;
                case "SignedHeaders" -> signedHeadersPart = v;
                case "Signature" -> signature = v;
                default -> {}
            }
        }
        if (credentialPart == null || signedHeadersPart == null || signature == null) {
            throw incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'"
                    + " parameters. Authorization=" + ALGORITHM + " ...");
        }
        String[] scope = credentialPart.split("/", -1);
        if (scope.length != 5 || !scope[4].equals("aws4_request")) {
            throw incomplete("Credential should be scoped to a valid region, not '" + credentialPart
                    + "'. Credential=<access key>/<yyyymmdd>/<region>/<service>/aws4_request");
        }
        String akid = scope[0];
        onAccessKey.accept(akid);
        String scopeDate = scope[1];
        String region = scope[2];
        String scopeService = scope[3];
        Credential cred = credentials.find(akid);
        if (cred == null) {
            throw new Rejected(Failure.UNKNOWN_ACCESS_KEY, "The security token included in the request is invalid.");
        }
        if (!scopeService.equals(service)) {
            throw invalid("Credential should be scoped to correct service: '" + service + "'.");
        }
        if (!KmsService.isValidRegion(region)) {
            throw invalid("Credential should be scoped to a valid region, not '" + region + "'.");
        }
        if (!EIGHT_DIGITS.matcher(scopeDate).matches()) {
            throw invalid("Credential should be scoped to a date in yyyyMMdd format, not '" + scopeDate + "'.");
        }
        try {
            SCOPE_DATE.parse(scopeDate);
        } catch (DateTimeParseException e) {
            throw invalid("Credential should be scoped to a valid date, not '" + scopeDate + "'.");
        }
        List<String> signed = List.of(signedHeadersPart.split(";"));
        for (String required : REQUIRED_SIGNED) {
            // x-amz-target names the operation of JSON-protocol APIs (KMS); the Query protocol (Redshift) names it
            // in the signed body instead, so the header is required to be signed wherever it is sent. The content
            // type is required for KMS only: AWS takes Query requests whose content type is not signed, as the
            // AWS SDK for Java v1 (which Redshift's JDBC driver uses for IAM login) sends them.
            boolean applies = switch (required) {
                case "x-amz-target" -> first(header, required) != null || service.equals("kms");
                case "content-type" -> service.equals("kms");
                default -> true;
            };
            if (applies && !signed.contains(required)) {
                throw incomplete(
                        "The " + required + " header must be signed (SignedHeaders=" + signedHeadersPart + ").");
            }
        }
        String amzDate = first(header, "x-amz-date");
        Instant requestTime;
        String requestTimeText;
        try {
            if (amzDate != null) {
                if (!signed.contains("x-amz-date")) {
                    throw incomplete("The X-Amz-Date header must be signed.");
                }
                requestTimeText = amzDate.trim();
                requestTime = LocalDateTime.parse(requestTimeText, AMZ_DATE).toInstant(ZoneOffset.UTC);
            } else {
                String date = first(header, "date");
                if (date == null || !signed.contains("date")) {
                    throw incomplete("Authorization header requires existence of either a signed 'X-Amz-Date' or"
                            + " a signed 'Date' header.");
                }
                requestTime = ZonedDateTime.parse(date.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant();
                requestTimeText = AMZ_DATE.format(requestTime);
            }
        } catch (DateTimeParseException e) {
            throw incomplete("The request date is not in ISO 8601 basic format (yyyyMMdd'T'HHmmss'Z').");
        }
        if (!requestTimeText.substring(0, 8).equals(scopeDate)) {
            throw invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from"
                    + " HTTP: '" + scopeDate + "' != '" + requestTimeText.substring(0, 8) + "', from '"
                    + requestTimeText + "'.");
        }
        if (Duration.between(requestTime, now).abs().compareTo(MAX_SKEW) > 0) {
            throw new Rejected(
                    Failure.EXPIRED,
                    "Signature expired: " + requestTimeText + " is now earlier than "
                            + AMZ_DATE.format(now.minus(MAX_SKEW)) + " (" + AMZ_DATE.format(now) + " - 5 min.)");
        }
        String bodyHash = hex(sha256(body));
        String payloadHash = bodyHash;
        String declared = first(header, "x-amz-content-sha256");
        if (declared != null) {
            declared = declared.trim();
            if (declared.equals("UNSIGNED-PAYLOAD")) {
                throw invalid("UNSIGNED-PAYLOAD is not accepted: KMS requests must sign their payload.");
            }
            if (!declared.equals(bodyHash)) {
                throw invalid("The provided 'x-amz-content-sha256' header does not match what was computed.");
            }
            payloadHash = declared;
        }
        StringBuilder canonicalHeaders = new StringBuilder();
        for (String name : signed) {
            List<String> values = header.apply(name);
            if (values == null) {
                throw invalid("Signed header " + name + " is missing from the request.");
            }
            canonicalHeaders.append(name).append(':');
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    canonicalHeaders.append(',');
                }
                canonicalHeaders.append(WHITESPACE.matcher(values.get(i).trim()).replaceAll(" "));
            }
            canonicalHeaders.append('\n');
        }
        String canonicalRequest = method + "\n" + (rawPath.isEmpty() ? "/" : rawPath) + "\n" + canonicalQuery(rawQuery)
                + "\n" + canonicalHeaders + "\n" + signedHeadersPart + "\n" + payloadHash;
        String stringToSign = ALGORITHM + "\n" + requestTimeText + "\n" + scopeDate + "/" + region + "/" + service
                + "/aws4_request\n" + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        byte[] key = signingKeys.computeIfAbsent(
                akid + "/" + scopeDate + "/" + region, k -> signingKey(cred.secretAccessKey(), scopeDate, region));
        if (signingKeys.size() > 10_000) {
            signingKeys.clear();
        }
        byte[] expected = hmac(key, stringToSign);
        byte[] given;
        try {
            given = HEX.parseHex(signature);
        } catch (IllegalArgumentException e) {
            given = new byte[0];
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw invalid("The request signature we calculated does not match the signature you provided. Check"
                    + " your AWS Secret Access Key and signing method. Consult the service documentation for"
                    + " details.");
        }
        return new Verified(cred, region);
    }

    /**
     * Signs a request the way the SDKs do: returns the headers to add ({@code X-Amz-Date} and {@code
     * Authorization}). {@code headers} must hold every header to sign, including {@code host}; names are
     * matched case-insensitively.
     */
    public static Map<String, String> sign(
            Credential cred,
            String region,
            String service,
            Instant now,
            String method,
            String path,
            Map<String, String> headers,
            byte[] body) {
        String amzDate = AMZ_DATE.format(now);
        String day = amzDate.substring(0, 8);
        TreeMap<String, String> canon = new TreeMap<>();
        headers.forEach((k, v) -> canon.put(k.toLowerCase(Locale.ROOT), v.trim()));
        canon.put("x-amz-date", amzDate);
        StringBuilder ch = new StringBuilder();
        canon.forEach((k, v) -> ch.append(k).append(':').append(v).append('\n'));
        String signedHeaders = String.join(";", canon.keySet());
        String canonicalRequest = method + "\n" + path + "\n\n" + ch + "\n" + signedHeaders + "\n" + hex(sha256(body));
        String scope = day + "/" + region + "/" + service + "/aws4_request";
        String stringToSign = ALGORITHM + "\n" + amzDate + "\n" + scope + "\n"
                + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        String sig = hex(hmac(signingKey(cred.secretAccessKey(), day, region, service), stringToSign));
        return Map.of(
                "X-Amz-Date",
                amzDate,
                "Authorization",
                ALGORITHM + " Credential=" + cred.accessKeyId() + "/" + scope + ", SignedHeaders=" + signedHeaders
                        + ", Signature=" + sig);
    }

    private byte[] signingKey(String secret, String day, String region) {
        return signingKey(secret, day, region, service);
    }

    private static byte[] signingKey(String secret, String day, String region, String service) {
        byte[] k = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), day);
        k = hmac(k, region);
        k = hmac(k, service);
        return hmac(k, "aws4_request");
    }

    private static String canonicalQuery(@Nullable String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String p : rawQuery.split("&")) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String k = eq < 0 ? p : p.substring(0, eq);
            String v = eq < 0 ? "" : p.substring(eq + 1);
            pairs.add(new String[] {uriEncode(decode(k)), uriEncode(decode(v))});
        }
        pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        StringBuilder sb = new StringBuilder();
        for (String[] p : pairs) {
            if (!sb.isEmpty()) {
                sb.append('&');
            }
            sb.append(p[0]).append('=').append(p[1]);
        }
        return sb.toString();
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String uriEncode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-_.~".indexOf(c) >= 0) {
                sb.append(c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
            }
        }
        return sb.toString();
    }

    private static @Nullable String first(Function<String, @Nullable List<String>> header, String name) {
        List<String> v = header.apply(name);
        return v == null || v.isEmpty() ? null : String.join(",", v);
    }

    private static Rejected incomplete(String message) {
        return new Rejected(Failure.INCOMPLETE, message);
    }

    private static Rejected invalid(String message) {
        return new Rejected(Failure.MISMATCH, message);
    }

    /** Why a request's signature was refused; each endpoint answers it in its own protocol's words. */
    public enum Failure {
        /** No Authorization header. */
        MISSING_TOKEN("MissingAuthenticationTokenException"),
        /** An Authorization header without the parts SigV4 needs. */
        INCOMPLETE("IncompleteSignatureException"),
        /** An access key id nobody holds. */
        UNKNOWN_ACCESS_KEY("UnrecognizedClientException"),
        /** The request time is outside the allowed skew. */
        EXPIRED("InvalidSignatureException"),
        /** A wrong scope, a missing signed header, or a signature that does not match. */
        MISMATCH("InvalidSignatureException");

        private final String kmsType;

        Failure(String kmsType) {
            this.kmsType = kmsType;
        }

        /** The KMS JSON protocol's {@code __type} for it. */
        public String kmsType() {
            return kmsType;
        }
    }

    /**
     * A refused signature: a {@link KmsApiException} (the KMS endpoint answers it as AWS KMS does) that also says
     * which {@link Failure} it is, so other endpoints map it by kind rather than by its message.
     */
    public static final class Rejected extends KmsApiException {
        private static final long serialVersionUID = 1L;

        private final Failure failure;

        Rejected(Failure failure, String message) {
            super(ErrorCode.ACCESS_DENIED, failure.kmsType(), 400, message);
            this.failure = failure;
        }

        public Failure failure() {
            return failure;
        }
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 missing from this JDK", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 missing from this JDK", e);
        }
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    @Override
    public String toString() {
        return "SigV4[" + service + "]";
    }
}
