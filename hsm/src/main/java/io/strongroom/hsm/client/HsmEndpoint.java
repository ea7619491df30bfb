package io.strongroom.hsm.client;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Where and how a cluster reaches its HSM: Redshift's HSM configuration (address, partition, partition password,
 * the HSM's server certificate) plus the cluster's HSM client certificate and its private key. {@code
 * serverCertificate} is the only certificate trusted for the TLS connection (pinned, exact match). {@code toString}
 * withholds the password and the private key.
 */
public record HsmEndpoint(
        String host,
        int port,
        X509Certificate serverCertificate,
        PrivateKey clientKey,
        X509Certificate clientCertificate,
        String partition,
        String password) {
    public HsmEndpoint {
        Objects.requireNonNull(host);
        Objects.requireNonNull(serverCertificate);
        Objects.requireNonNull(clientKey);
        Objects.requireNonNull(clientCertificate);
        Objects.requireNonNull(partition);
        Objects.requireNonNull(password);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("HSM port must be 1 to 65535, not " + port);
        }
    }

    @Override
    public String toString() {
        return "HsmEndpoint[" + host + ":" + port + ", partition=" + partition + ", server="
                + serverCertificate.getSubjectX500Principal().getName() + ", client="
                + clientCertificate.getSubjectX500Principal().getName() + ", password and key withheld]";
    }
}
