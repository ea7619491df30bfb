package io.strongroom.kms.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.kms.model.Caller;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The audit record of one API call, filled in as the call proceeds and written once at its end, whether it
 * succeeded or not. Its JSON is a CloudTrail record (reference/aws-api.md §4).
 *
 * <p>Secrets never enter it: {@link #requestParameters} drops plaintext, ciphertext, messages, signatures and
 * grant tokens, so an echo of the request is safe to store; the key's material id is public by design.
 *
 * <p>Not thread-safe: one request, one thread.
 */
public final class AuditEvent {
    /** Request fields never written to the trail: they are data or bearer values, not parameters. */
    private static final Set<String> SECRET_FIELDS =
            Set.of("Plaintext", "CiphertextBlob", "Message", "Signature", "GrantTokens", "GrantToken", "Recipient");
    /** Request fields whose value is an encryption-context map: its keys are kept verbatim. */
    private static final Set<String> CONTEXT_FIELDS = Set.of(
            "EncryptionContext",
            "SourceEncryptionContext",
            "DestinationEncryptionContext",
            "EncryptionContextSubset",
            "EncryptionContextEquals");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final String requestId;
    private final String eventId;
    private final Instant eventTime;
    private final String eventName;
    private String region = "";
    private @Nullable Caller caller;
    private @Nullable String accessKeyIdOnly;
    private String sourceAddress = "";
    private String userAgent = "";
    private @Nullable JsonNode requestParameters;
    private @Nullable JsonNode responseElements;
    private @Nullable String keyMaterialId;
    private @Nullable String keyArn;
    private @Nullable String keyAccount;
    private @Nullable String errorCode;
    private @Nullable String errorMessage;
    private boolean readOnly;
    private String eventSource = "kms.amazonaws.com";
    private @Nullable String databaseUser;

    public AuditEvent(String requestId, String eventId, Instant eventTime, String eventName) {
        this.requestId = requestId;
        this.eventId = eventId;
        this.eventTime = eventTime;
        this.eventName = eventName;
    }

    public String requestId() {
        return requestId;
    }

    public String eventName() {
        return eventName;
    }

    public void source(String sourceAddress, String userAgent) {
        this.sourceAddress = sourceAddress;
        this.userAgent = userAgent;
    }

    public void region(String region) {
        this.region = region;
    }

    public void caller(Caller caller) {
        this.caller = caller;
    }

    /** For a request whose signature failed: the access key it claimed, not a verified identity. */
    public void claimedAccessKey(String accessKeyId) {
        this.accessKeyIdOnly = accessKeyId;
    }

    /**
     * The service the event is about ({@code kms.amazonaws.com} unless set): the control plane records refused
     * Redshift API requests as {@code redshift.amazonaws.com} and failed SQL logins as {@code
     * sql.strongroom.io}.
     */
    public void eventSource(String source) {
        this.eventSource = source;
    }

    /** The identity is a database user (a SQL login), not an AWS principal. */
    public void databaseUser(String userName) {
        this.databaseUser = userName;
    }

    public void readOnly(boolean readOnly) {
        this.readOnly = readOnly;
    }

    /** Records the request body, minus secrets, with member names in lowerCamelCase. */
    public void requestParameters(JsonNode request) {
        this.requestParameters = request.isObject() && request.isEmpty() ? null : echo(request, false);
    }

    /** Records a response's non-secret elements (mutating calls only; crypto calls record none). */
    public void responseElements(JsonNode response) {
        this.responseElements = echo(response, false);
    }

    public void key(String keyArn, String accountId) {
        this.keyArn = keyArn;
        this.keyAccount = accountId;
    }

    public void keyMaterialId(String materialId) {
        this.keyMaterialId = materialId;
    }

    public void error(String code, @Nullable String message) {
        this.errorCode = code;
        this.errorMessage = message == null ? "" : message;
    }

    private static JsonNode echo(JsonNode n, boolean keepNames) {
        if (n.isObject()) {
            ObjectNode out = NODES.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                if (!keepNames && SECRET_FIELDS.contains(name)) {
                    continue;
                }
                out.set(keepNames ? name : lowerCamel(name), echo(e.getValue(), CONTEXT_FIELDS.contains(name)));
            }
            return out;
        }
        if (n.isArray()) {
            var out = NODES.arrayNode();
            n.forEach(e -> out.add(echo(e, false)));
            return out;
        }
        return n;
    }

    private static String lowerCamel(String s) {
        if (s.isEmpty() || Character.isLowerCase(s.charAt(0))) {
            return s;
        }
        int upper = 0;
        while (upper < s.length() && Character.isUpperCase(s.charAt(upper))) {
            upper++;
        }
        // "KeyId" -> "keyId"; "AWSAccountId" -> "aWSAccountId" would be ugly: lower the whole leading acronym.
        int cut = upper > 1 && upper < s.length() ? upper - 1 : upper;
        return s.substring(0, cut).toLowerCase(Locale.ROOT) + s.substring(cut);
    }

    /** The CloudTrail record. */
    public ObjectNode toJson() {
        ObjectNode r = NODES.objectNode();
        r.put("eventVersion", "1.11");
        ObjectNode id = r.putObject("userIdentity");
        if (caller != null) {
            boolean root = caller.principalArn().endsWith(":root");
            id.put("type", root ? "Root" : caller.principalArn().contains(":role/") ? "AssumedRole" : "IAMUser");
            id.put("principalId", caller.accessKeyId());
            id.put("arn", caller.principalArn());
            id.put("accountId", caller.accountId());
            id.put("accessKeyId", caller.accessKeyId());
            int slash = caller.principalArn().lastIndexOf('/');
            if (slash > 0) {
                id.put("userName", caller.principalArn().substring(slash + 1));
            }
        } else if (databaseUser != null) {
            id.put("type", "DatabaseUser");
            id.put("userName", databaseUser);
        } else {
            id.put("type", "Unknown");
            if (accessKeyIdOnly != null) {
                id.put("accessKeyId", accessKeyIdOnly);
            }
        }
        r.put("eventTime", DateTimeFormatter.ISO_INSTANT.format(eventTime.truncatedTo(ChronoUnit.SECONDS)));
        r.put("eventSource", eventSource);
        r.put("eventName", eventName);
        r.put("awsRegion", region);
        r.put("sourceIPAddress", sourceAddress);
        r.put("userAgent", userAgent);
        if (errorCode != null) {
            r.put("errorCode", errorCode);
            r.put("errorMessage", errorMessage);
        }
        r.set("requestParameters", requestParameters == null ? NODES.nullNode() : requestParameters);
        r.set("responseElements", responseElements == null ? NODES.nullNode() : responseElements);
        if (keyMaterialId != null) {
            r.putObject("additionalEventData").put("keyMaterialId", keyMaterialId);
        }
        r.put("requestID", requestId);
        r.put("eventID", eventId);
        r.put("readOnly", readOnly);
        if (keyArn != null) {
            r.putArray("resources")
                    .addObject()
                    .put("accountId", keyAccount)
                    .put("type", "AWS::KMS::Key")
                    .put("ARN", keyArn);
        }
        r.put("eventType", "AwsApiCall");
        r.put("managementEvent", true);
        r.put("recipientAccountId", keyAccount != null ? keyAccount : caller != null ? caller.accountId() : "");
        r.put("eventCategory", "Management");
        return r;
    }

    @Override
    public String toString() {
        return "AuditEvent[" + eventName + " " + requestId + "]";
    }
}
