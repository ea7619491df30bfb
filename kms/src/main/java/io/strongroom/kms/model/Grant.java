package io.strongroom.kms.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.jspecify.annotations.Nullable;

/**
 * A grant on a key: lets {@code granteePrincipal} run {@code operations} on the key, optionally only with
 * an encryption context that contains ({@code contextSubset}) or equals ({@code contextEquals}) given pairs.
 *
 * <p>The grant token is a bearer secret-ish value in real KMS; here it is an opaque random string that only
 * identifies the grant (grants take effect at once, so tokens are never needed to use one). It is not written
 * to the audit trail. Immutable.
 *
 * @param grantId 64 hex characters
 * @param token opaque, returned by CreateGrant and accepted by RetireGrant
 * @param name optional idempotency name, "" when absent
 * @param keyArn the key the grant is on
 * @param granteePrincipal who may use the grant
 * @param retiringPrincipal who may retire it, or null
 * @param operations grant operation names, e.g. {@code GenerateDataKey}
 * @param contextSubset pairs the request's context must contain, or null
 * @param contextEquals the exact context the request must have, or null
 * @param issuingAccount the account that created the grant
 * @param creationDate when it was created
 */
public record Grant(
        String grantId,
        String token,
        String name,
        String keyArn,
        String granteePrincipal,
        @Nullable String retiringPrincipal,
        List<String> operations,
        @Nullable SortedMap<String, String> contextSubset,
        @Nullable SortedMap<String, String> contextEquals,
        String issuingAccount,
        Instant creationDate) {

    public static final List<String> OPERATIONS = List.of(
            "Decrypt",
            "Encrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "ReEncryptFrom",
            "ReEncryptTo",
            "Sign",
            "Verify",
            "GetPublicKey",
            "CreateGrant",
            "RetireGrant",
            "DescribeKey",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
            "GenerateMac",
            "VerifyMac",
            "DeriveSharedSecret");

    public Grant {
        operations = List.copyOf(operations);
    }

    /**
     * True when {@code caller} is this grant's grantee: its principal ARN, or a principal of the account when
     * the grantee is the account ({@code arn:aws:iam::<account>:root}; this KMS has no IAM layer below it).
     */
    public boolean isGrantee(Caller caller) {
        return granteePrincipal.equals(caller.principalArn()) || granteePrincipal.equals(caller.accountRootArn());
    }

    /** True when this grant lets {@code caller} run {@code operation} with {@code context}. */
    public boolean allows(Caller caller, String operation, Map<String, String> context) {
        if (!isGrantee(caller) || !operations.contains(operation)) {
            return false;
        }
        if (contextEquals != null && !contextEquals.equals(context)) {
            return false;
        }
        return contextSubset == null || context.entrySet().containsAll(contextSubset.entrySet());
    }

    /**
     * True when a grant with constraints {@code subset} and {@code equals} allows no encryption context this
     * grant does not: the child keeps this grant's {@code EncryptionContextEquals} exactly, and contains this
     * grant's {@code EncryptionContextSubset} pairs in its own subset or equals constraint. Conservative: a
     * child that would allow nothing at all may still be refused.
     */
    public boolean permitsChildConstraints(
            @Nullable SortedMap<String, String> subset, @Nullable SortedMap<String, String> equals) {
        if (contextEquals != null && !contextEquals.equals(equals)) {
            return false;
        }
        if (contextSubset != null) {
            boolean viaEquals = equals != null && equals.entrySet().containsAll(contextSubset.entrySet());
            boolean viaSubset = subset != null && subset.entrySet().containsAll(contextSubset.entrySet());
            return viaEquals || viaSubset;
        }
        return true;
    }

    /** Compares {@code candidate} with this grant's token in time independent of where they differ. */
    public boolean tokenMatches(String candidate) {
        return MessageDigest.isEqual(
                token.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Grant[" + grantId + " on " + keyArn + " to " + granteePrincipal + " " + operations + "]";
    }
}
