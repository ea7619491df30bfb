package io.strongroom.kms.service;

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

    /** True when this grant lets {@code principalArn} run {@code operation} with {@code context}. */
    public boolean allows(String principalArn, String operation, Map<String, String> context) {
        if (!granteePrincipal.equals(principalArn) || !operations.contains(operation)) {
            return false;
        }
        if (contextEquals != null && !contextEquals.equals(context)) {
            return false;
        }
        if (contextSubset != null) {
            for (Map.Entry<String, String> e : contextSubset.entrySet()) {
                if (!e.getValue().equals(context.get(e.getKey()))) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "Grant[" + grantId + " on " + keyArn + " to " + granteePrincipal + " " + operations + "]";
    }
}
