package io.strongroom.hsm.client;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Where and how a cluster reaches its HSM: Redshift's HSM configuration (address, partition, partition password,
 * the HSM's server certificate) plus the cluster's HSM client certificate and its private key. {@code
 * serverCertificate} is the only certificate trusted for the TLS connection (pinned, exact match).
 *
 * <p>A class, not a record: it holds two secrets (the partition password and the client's private key), so
 * {@code equals} and {@code hashCode} are identity's and never read them, and {@code toString} withholds them.
 * Immutable and thread-safe.
 */
public final class HsmEndpoint {
    private final String host;
    private final int port;
    private final X509Certificate serverCertificate;
    private final PrivateKey clientKey;
    private final X509Certificate clientCertificate;
    private final String partition;
    private final String password;

    public HsmEndpoint(
            String host,
            int port,
            X509Certificate serverCertificate,
            PrivateKey clientKey,
            X509Certificate clientCertificate,
            String partition,
            String password) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("HSM port must be 1 to 65535, not " + port);
        }
        this.host = Objects.requireNonNull(host);
        this.port = port;
        this.serverCertificate = Objects.requireNonNull(serverCertificate);
        this.clientKey = Objects.requireNonNull(clientKey);
        this.clientCertificate = Objects.requireNonNull(clientCertificate);
        this.partition = Objects.requireNonNull(partition);
        this.password = Objects.requireNonNull(password);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** The HSM's server certificate, the only one the TLS connection trusts. */
    public X509Certificate serverCertificate() {
        return serverCertificate;
    }

    /** The private key of the cluster's HSM client certificate. Secret. */
    public PrivateKey clientKey() {
        return clientKey;
    }

    public X509Certificate clientCertificate() {
        return clientCertificate;
    }

    /** The partition name, sent as the KMIP Username. */
    public String partition() {
        return partition;
    }

    /** The partition password, sent as the KMIP Password. Secret. */
    public String password() {
        return password;
    }

    @Override
    public String toString() {
        return "HsmEndpoint[" + host + ":" + port + ", partition=" + partition + ", server="
                + serverCertificate.getSubjectX500Principal().getName() + ", client="
                + clientCertificate.getSubjectX500Principal().getName() + ", password and key withheld]";
    }
}
