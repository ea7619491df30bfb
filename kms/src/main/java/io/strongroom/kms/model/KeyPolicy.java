package io.strongroom.kms.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A parsed key policy: the subset of the IAM policy language a key policy needs here.
 *
 * <p>How it decides: a request is allowed when some {@code Allow} statement matches its principal and action
 * and no {@code Deny} statement does (an explicit deny wins). {@code Principal} may be {@code "*"}, {@code
 * {"AWS": ...}} with principal ARNs, account ARNs {@code arn:aws:iam::<account>:root} or bare 12-digit
 * account ids; an account entry stands for every principal of that account (this KMS has no separate IAM
 * layer, so an account's own identity policies are taken to allow everything). {@code Action} and {@code
 * NotAction} take {@code kms:} names with {@code *} and {@code ?} wildcards, matched case-insensitively.
 * {@code Resource} is ignored: a key policy only ever speaks about its own key. {@code Condition} supports
 * {@code StringEquals} and {@code StringLike} on {@code kms:CallerAccount} and {@code
 * kms:EncryptionContext:<key>}; any other condition is refused when the policy is put, so no statement is
 * silently read more broadly than written.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeyPolicy {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");

    private final String document;
    private final List<Statement> statements;

    private record Statement(
            boolean allow,
            List<String> principals,
            List<Pattern> actions,
            boolean notAction,
            List<Condition> conditions) {}

    private record Condition(boolean like, String key, List<String> values) {}

    private KeyPolicy(String document, List<Statement> statements) {
        this.document = document;
        this.statements = statements;
    }

    /** The policy every new customer key gets: the owning account has full control. */
    public static String defaultPolicy(String accountId) {
        return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n"
                + "    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n"
                + "    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::" + accountId + ":root\"\n    },\n"
                + "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";
    }

    /**
     * The policy of an AWS-managed key ({@code aws/redshift}): the account may use it and read it, but not
     * disable, delete, rotate or re-policy it.
     */
    public static String managedPolicy(String accountId) {
        String root = "arn:aws:iam::" + accountId + ":root";
        return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"auto-redshift-1\",\n  \"Statement\" : [ {\n"
                + "    \"Sid\" : \"Allow access through Redshift for all principals in the account\",\n"
                + "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"" + root + "\"\n    },\n"
                + "    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", \"kms:GenerateDataKey*\","
                + " \"kms:CreateGrant\", \"kms:ListGrants\", \"kms:DescribeKey\" ],\n    \"Resource\" : \"*\"\n  }, {\n"
                + "    \"Sid\" : \"Allow direct access to key metadata to the account\",\n    \"Effect\" : \"Allow\",\n"
                + "    \"Principal\" : {\n      \"AWS\" : \"" + root + "\"\n    },\n"
                + "    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\", \"kms:RevokeGrant\" ],\n"
                + "    \"Resource\" : \"*\"\n  } ]\n}";
    }

    /** Parses a policy document; a document this class cannot read exactly is MalformedPolicyDocumentException. */
    public static KeyPolicy parse(String document) {
        if (document.isEmpty() || document.length() > 131_072) {
            throw malformed("the policy must have 1 to 131072 characters");
        }
        JsonNode root;
        try {
            root = JSON.readTree(document);
        } catch (JsonProcessingException e) {
            throw malformed("the policy is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw malformed("the policy must be a JSON object");
        }
        JsonNode st = root.get("Statement");
        if (st == null || !(st.isArray() || st.isObject())) {
            throw malformed("the policy has no Statement");
        }
        List<Statement> out = new ArrayList<>();
        for (JsonNode s : st.isArray() ? st : List.of(st)) {
            out.add(statement(s));
        }
        return new KeyPolicy(document, List.copyOf(out));
    }

    private static Statement statement(JsonNode s) {
        String effect = s.path("Effect").asText("");
        if (!effect.equals("Allow") && !effect.equals("Deny")) {
            throw malformed("every statement needs Effect Allow or Deny");
        }
        JsonNode p = s.get("Principal");
        List<String> principals = new ArrayList<>();
        if (p == null) {
            throw malformed("every statement needs a Principal (NotPrincipal is not supported)");
        } else if (p.isTextual() && p.asText().equals("*")) {
            principals.add("*");
        } else if (p.isObject() && p.has("AWS")) {
            principals.addAll(strings(p.get("AWS"), "Principal.AWS"));
        } else {
            throw malformed("Principal must be \"*\" or {\"AWS\": ...}");
        }
        boolean notAction = s.has("NotAction");
        JsonNode a = notAction ? s.get("NotAction") : s.get("Action");
        if (a == null) {
            throw malformed("every statement needs an Action");
        }
        List<Pattern> actions = new ArrayList<>();
        for (String action : strings(a, "Action")) {
            actions.add(glob(action, true));
        }
        List<Condition> conditions = new ArrayList<>();
        JsonNode c = s.get("Condition");
        if (c != null) {
            for (Map.Entry<String, JsonNode> op : c.properties()) {
                boolean like;
                if (op.getKey().equals("StringEquals")) {
                    like = false;
                } else if (op.getKey().equals("StringLike")) {
                    like = true;
                } else {
                    throw malformed("condition operator " + op.getKey() + " is not supported (use StringEquals or"
                            + " StringLike)");
                }
                for (Map.Entry<String, JsonNode> kv : op.getValue().properties()) {
                    String key = kv.getKey();
                    if (!key.equals("kms:CallerAccount") && !key.startsWith("kms:EncryptionContext:")) {
                        throw malformed("condition key " + key + " is not supported (use kms:CallerAccount or"
                                + " kms:EncryptionContext:<key>)");
                    }
                    conditions.add(new Condition(like, key, strings(kv.getValue(), key)));
                }
            }
        }
        return new Statement(
                effect.equals("Allow"), List.copyOf(principals), List.copyOf(actions), notAction, conditions);
    }

    private static List<String> strings(JsonNode n, String what) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw malformed(what + " must hold strings");
                }
                out.add(e.asText());
            }
        } else {
            throw malformed(what + " must be a string or a list of strings");
        }
        return out;
    }

    private static Pattern glob(String s, boolean ignoreCase) {
        StringBuilder re = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (ch == '*') {
                re.append(".*");
            } else if (ch == '?') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(re.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
    }

    private static KmsApiException malformed(String why) {
        return KmsApiException.of("MalformedPolicyDocumentException", "The policy is malformed: " + why + ".");
    }

    public String document() {
        return document;
    }

    /** The outcome of evaluating a policy: an explicit deny, an allow, or nothing said (implicit deny). */
    public enum Decision {
        ALLOW,
        DENY,
        NONE
    }

    /**
     * Evaluates this policy for a principal and an action such as {@code kms:Decrypt}, given the request's
     * encryption context (empty where the operation has none).
     */
    public Decision evaluate(Caller caller, String action, Map<String, String> context) {
        boolean allowed = false;
        for (Statement s : statements) {
            if (!principalMatches(s, caller) || !actionMatches(s, action) || !conditionsHold(s, caller, context)) {
                continue;
            }
            if (!s.allow()) {
                return Decision.DENY;
            }
            allowed = true;
        }
        return allowed ? Decision.ALLOW : Decision.NONE;
    }

    private static boolean principalMatches(Statement s, Caller caller) {
        for (String p : s.principals()) {
            if (p.equals("*")
                    || p.equals(caller.principalArn())
                    || p.equals(caller.accountRootArn())
                    || (ACCOUNT.matcher(p).matches() && p.equals(caller.accountId()))) {
                return true;
            }
        }
        return false;
    }

    private static boolean actionMatches(Statement s, String action) {
        boolean any = false;
        for (Pattern p : s.actions()) {
            if (p.matcher(action).matches()) {
                any = true;
                break;
            }
        }
        return s.notAction() != any;
    }

    private static boolean conditionsHold(Statement s, Caller caller, Map<String, String> context) {
        for (Condition c : s.conditions()) {
            String actual = c.key().equals("kms:CallerAccount")
                    ? caller.accountId()
                    : context.get(c.key().substring("kms:EncryptionContext:".length()));
            if (actual == null) {
                return false;
            }
            boolean any = false;
            for (String v : c.values()) {
                if (c.like() ? glob(v, false).matcher(actual).matches() : v.equals(actual)) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "KeyPolicy[" + statements.size() + " statements]";
    }
}
