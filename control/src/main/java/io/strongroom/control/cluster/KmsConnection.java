package io.strongroom.control.cluster;

import io.strongroom.aws.Credential;
import io.strongroom.kms.KmsServer;
import java.net.URI;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * How the control plane reaches its KMS: the endpoint, the control plane's own service credentials and the
 * principal ARN they sign as (the grantee of every cluster grant), and whether the KMS shares the control plane's
 * accounts.
 *
 * <ul>
 *   <li>{@link #embedded}: a Strongroom KMS in this process, called in process; otherwise as {@link #sharedAccounts}.
 *   <li>{@link #sharedAccounts}: a Strongroom KMS whose credential store the control plane shares (embedded, or in
 *       another process with {@code STRONGROOM_KMS_HOME}). Requests a user makes through the Redshift API
 *       (DescribeKey and CreateGrant of CreateCluster, copy grants) are signed as that user, as AWS's forward
 *       access sessions do, so the user's own rights on the key decide.
 *   <li>{@link #external}: any KMS reached only by endpoint, with credentials from the standard AWS chain
 *       (environment, profile, web identity) that belong to the control plane alone. Every KMS call is the
 *       service principal's, so the key policy decides which keys the control plane may use
 *       (kms:DescribeKey and kms:CreateGrant to the service principal); the grants it makes itself still
 *       confine each cluster's use to its own encryption context.
 * </ul>
 *
 * <p>Immutable; {@link #toString} names the endpoint, the mode and the principal, never a secret.
 */
public final class KmsConnection {
    private final URI endpoint;
    private final AwsCredentialsProvider serviceCredentials;
    private final String servicePrincipalArn;
    private final boolean sharedAccounts;
    private final @Nullable Supplier<KmsServer> embedded;

    private KmsConnection(
            URI endpoint,
            AwsCredentialsProvider serviceCredentials,
            String servicePrincipalArn,
            boolean shared,
            @Nullable Supplier<KmsServer> embedded) {
        this.endpoint = Objects.requireNonNull(endpoint);
        this.serviceCredentials = Objects.requireNonNull(serviceCredentials);
        this.servicePrincipalArn = Objects.requireNonNull(servicePrincipalArn);
        this.sharedAccounts = shared;
        this.embedded = embedded;
    }

    /**
     * A KMS embedded in this process, sharing the control plane's credential store: called in process ({@link
     * KmsServer#call}), with no HTTP hop. {@code kms} gives the running server at each call (a test may restart it);
     * {@code service} is the control plane's service principal.
     */
    public static KmsConnection embedded(Supplier<KmsServer> kms, Credential service) {
        return new KmsConnection(kms.get().endpoint(), provider(service), service.principalArn(), true, kms);
    }

    /** A Strongroom KMS sharing the control plane's credential store; {@code service} is its service principal. */
    public static KmsConnection sharedAccounts(URI endpoint, Credential service) {
        return new KmsConnection(endpoint, provider(service), service.principalArn(), true, null);
    }

    private static AwsCredentialsProvider provider(Credential c) {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey()));
    }

    /**
     * Any KMS at {@code endpoint}, signed with {@code serviceCredentials} (for example the SDK's default chain or
     * a named profile) as {@code servicePrincipalArn}, which must be the ARN those credentials authenticate as.
     */
    public static KmsConnection external(
            URI endpoint, AwsCredentialsProvider serviceCredentials, String servicePrincipalArn) {
        if (!servicePrincipalArn.startsWith("arn:")) {
            throw new IllegalArgumentException("the service principal must be an ARN, such as"
                    + " arn:aws:iam::111122223333:role/strongroom; got '" + servicePrincipalArn + "'");
        }
        return new KmsConnection(endpoint, serviceCredentials, servicePrincipalArn, false, null);
    }

    public URI endpoint() {
        return endpoint;
    }

    AwsCredentialsProvider serviceCredentials() {
        return serviceCredentials;
    }

    public String servicePrincipalArn() {
        return servicePrincipalArn;
    }

    /** The embedded KMS, called in process; null when the KMS is reached over HTTP. */
    public @Nullable Supplier<KmsServer> embedded() {
        return embedded;
    }

    /** True when user requests can be signed as the user (the KMS shares the control plane's accounts). */
    public boolean sharedAccounts() {
        return sharedAccounts;
    }

    @Override
    public String toString() {
        return "KMS at " + endpoint + " ("
                + (embedded != null ? "embedded, " : "")
                + (sharedAccounts ? "shared accounts" : "external, service credentials only")
                + "), service principal " + servicePrincipalArn;
    }
}
