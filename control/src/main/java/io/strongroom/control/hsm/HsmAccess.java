package io.strongroom.control.hsm;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.client.HsmEndpoint;
import io.strongroom.hsm.client.KmipClient;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

/**
 * How the control plane reaches HSMs: makes HSM client certificates (an EC P-256 key pair and a self-signed
 * certificate with clientAuth; the private key sealed under the {@link InternalRootKey} before it is stored) and
 * HSM configurations (the partition password sealed the same way), and opens a KMIP connection for a cluster from
 * its certificate and configuration. Thread-safe.
 */
public final class HsmAccess {
    /** KMIP's registered port: used when an HSM address names none. */
    public static final int KMIP_PORT = 5696;

    private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(3650);

    private final HsmStore store;
    private final InternalRootKey root;
    private final Duration timeout;

    public HsmAccess(HsmStore store, InternalRootKey root, Duration timeout) {
        this.store = store;
        this.root = root;
        this.timeout = timeout;
    }

    public HsmStore store() {
        return store;
    }

    public InternalRootKey root() {
        return root;
    }

    /** A new client certificate (not stored): its PEM is what the user registers on the HSM partition. */
    public HsmStore.Certificate newCertificate(
            String accountId, String region, String identifier, Map<String, String> tags, Instant now) {
        ClientCertificates.Issued g = ClientCertificates.generate("strongroom-" + identifier, CERTIFICATE_VALIDITY);
        HsmStore.Certificate unsealed =
                new HsmStore.Certificate(identifier, accountId, region, "", new byte[0], tags, now);
        byte[] pkcs8 = ClientCertificates.encodePrivateKey(g.privateKey());
        try {
            byte[] sealed = root.seal(region, pkcs8, unsealed.keyContext());
            return new HsmStore.Certificate(
                    identifier, accountId, region, ClientCertificates.toPem(g.certificate()), sealed, tags, now);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /**
     * A new configuration (not stored). The server certificate must parse (it becomes the one certificate the
     * cluster trusts) and the address must be a host with an optional port.
     */
    public HsmStore.Configuration newConfiguration(
            String accountId,
            String region,
            String identifier,
            String description,
            String address,
            String partition,
            String password,
            String serverCertificatePem,
            Map<String, String> tags,
            Instant now) {
        parseAddress(address);
        ClientCertificates.parseCertificatePem(serverCertificatePem);
        HsmStore.Configuration unsealed = new HsmStore.Configuration(
                identifier, accountId, region, description, address, partition, new byte[0], "", tags, now);
        byte[] pw = password.getBytes(StandardCharsets.UTF_8);
        try {
            byte[] sealed = root.seal(region, pw, unsealed.passwordContext());
            return new HsmStore.Configuration(
                    identifier,
                    accountId,
                    region,
                    description,
                    address,
                    partition,
                    sealed,
                    serverCertificatePem,
                    tags,
                    now);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** Host and port of an HSM address ({@code host}, {@code host:port} or {@code [v6]:port}). */
    public static Map.Entry<String, Integer> parseAddress(String address) {
        String a = address.strip();
        String host = a;
        String port = null;
        if (a.startsWith("[") && a.indexOf(']') > 0) {
            host = a.substring(1, a.indexOf(']'));
            String rest = a.substring(a.indexOf(']') + 1);
            port = rest.isEmpty() ? null : rest.startsWith(":") ? rest.substring(1) : "?";
        } else if (a.indexOf(':') >= 0 && a.indexOf(':') == a.lastIndexOf(':')) {
            host = a.substring(0, a.indexOf(':'));
            port = a.substring(a.indexOf(':') + 1);
        }
        int p = KMIP_PORT;
        if (port != null) {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
        }
        if (host.isEmpty() || p < 1 || p > 65535 || !host.matches("[A-Za-z0-9.:\\-]+")) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "HsmIpAddress " + address + " is not a host or IP address with an optional :port (KMIP's port "
                            + KMIP_PORT + " when none is given)");
        }
        return Map.entry(host, p);
    }

    /**
     * The endpoint of a cluster's HSM: the configuration's address, pinned server certificate and partition, the
     * client certificate, and the two secrets opened from their seals. The result holds the secrets in memory as
     * long as it is referenced.
     */
    public HsmEndpoint endpoint(HsmStore.Certificate cert, HsmStore.Configuration config) {
        Map.Entry<String, Integer> hp = parseAddress(config.address());
        byte[] pkcs8 = root.open(cert.region(), cert.sealedKey(), cert.keyContext());
        byte[] pw = root.open(config.region(), config.sealedPassword(), config.passwordContext());
        try {
            PrivateKey key = ClientCertificates.decodePrivateKey(pkcs8);
            X509Certificate client = ClientCertificates.parseCertificatePem(cert.certificatePem());
            X509Certificate server = ClientCertificates.parseCertificatePem(config.serverCertificatePem());
            return new HsmEndpoint(
                    hp.getKey(),
                    hp.getValue(),
                    server,
                    key,
                    client,
                    config.partition(),
                    new String(pw, StandardCharsets.UTF_8));
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** Opens a KMIP connection to {@code endpoint} per call. */
    public Supplier<KmipClient> connector(HsmEndpoint endpoint) {
        return () -> KmipClient.connect(endpoint, timeout);
    }

    @Override
    public String toString() {
        return "HsmAccess[" + store + "]";
    }
}
