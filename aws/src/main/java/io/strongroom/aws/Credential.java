package io.strongroom.aws;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An access key of a principal: what SigV4 requests are signed with. The secret never appears in {@code
 * toString}; the rest is safe to log.
 *
 * <p>Immutable and thread-safe.
 */
public final class Credential {
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");

    private final String accessKeyId;
    private final String secretAccessKey;
    private final String accountId;
    private final String principalArn;

    public Credential(String accessKeyId, String secretAccessKey, String accountId, String principalArn) {
        this.accessKeyId = Objects.requireNonNull(accessKeyId);
        this.secretAccessKey = Objects.requireNonNull(secretAccessKey);
        this.accountId = Objects.requireNonNull(accountId);
        this.principalArn = Objects.requireNonNull(principalArn);
        if (accessKeyId.isEmpty() || accessKeyId.length() > 128 || secretAccessKey.isEmpty()) {
            throw new IllegalArgumentException("an access key id and a secret are required");
        }
        if (!ACCOUNT.matcher(accountId).matches()) {
            throw new IllegalArgumentException("account ids have 12 digits: " + accountId);
        }
        if (!principalArn.startsWith("arn:aws:iam::" + accountId + ":")) {
            throw new IllegalArgumentException(
                    "principal " + principalArn + " must be an IAM ARN of account " + accountId);
        }
    }

    public String accessKeyId() {
        return accessKeyId;
    }

    /** The secret access key. Handle as a secret: never log it. */
    public String secretAccessKey() {
        return secretAccessKey;
    }

    public String accountId() {
        return accountId;
    }

    public String principalArn() {
        return principalArn;
    }

    @Override
    public String toString() {
        return "Credential[" + accessKeyId + " " + principalArn + ", secret redacted]";
    }
}
