package io.strongroom.kms.model;

/**
 * Who made a request, as established by its verified SigV4 signature, and where it came from. Safe to log:
 * it holds no secret.
 *
 * @param accessKeyId the access key that signed the request
 * @param accountId the 12-digit account the principal belongs to
 * @param principalArn the principal's ARN, e.g. {@code arn:aws:iam::111122223333:user/admin}
 * @param sourceAddress the client's IP address
 * @param userAgent the User-Agent header, or "" when absent
 */
public record Caller(
        String accessKeyId, String accountId, String principalArn, String sourceAddress, String userAgent) {
    /** The ARN that stands for "every principal of this account" in key policies. */
    public String accountRootArn() {
        return "arn:aws:iam::" + accountId + ":root";
    }
}
