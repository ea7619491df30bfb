package io.strongroom.control.peer;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.keyvault.AtomicFile;
import io.strongroom.hsm.ClientCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * This installation's identity on peer links: an EC P-256 key and a self-signed certificate, made on first use in
 * {@code peering/} of the control plane's data directory: {@code identity.pem} (the certificate, public: what a peer
 * pins in its {@code peers.json}) and {@code identity.key} (PKCS#8 PEM, mode 0600, written before the certificate so
 * a crash between the two makes a new pair on the next start). The same certificate serves both sides of mutual TLS:
 * the receiving endpoint presents it, a sender presents it as its client certificate. To change it, delete both files
 * and give the new {@code identity.pem} to every peer. {@code toString} names the certificate, never the key.
 * Immutable and thread-safe.
 */
public final class PeerIdentity {
    static final String DIR = "peering";
    static final String CERTIFICATE = "identity.pem";
    static final String KEY = "identity.key";
    private static final Duration VALIDITY = Duration.ofDays(3650);

    private final PrivateKey privateKey;
    private final X509Certificate certificate;

    private PeerIdentity(PrivateKey privateKey, X509Certificate certificate) {
        this.privateKey = privateKey;
        this.certificate = certificate;
    }

    /** The identity kept under {@code dataDir/peering}, made when it is missing. Synchronized across callers. */
    public static synchronized PeerIdentity loadOrCreate(Path dataDir) {
        Path dir = dataDir.resolve(DIR);
        Path cert = dir.resolve(CERTIFICATE);
        Path key = dir.resolve(KEY);
        try {
            if (Files.exists(cert) && Files.exists(key)) {
                return new PeerIdentity(
                        ClientCertificates.parsePrivateKeyPem(Files.readString(key, StandardCharsets.US_ASCII)),
                        ClientCertificates.parseCertificatePem(Files.readString(cert, StandardCharsets.US_ASCII)));
            }
            ClientCertificates.Issued issued =
                    ClientCertificates.generateServer("strongroom-peer-" + dataDir.getFileName(), VALIDITY, List.of());
            Files.deleteIfExists(cert);
            AtomicFile.write(
                    key, ClientCertificates.privateKeyToPem(issued.privateKey()).getBytes(StandardCharsets.US_ASCII));
            AtomicFile.write(
                    cert, ClientCertificates.toPem(issued.certificate()).getBytes(StandardCharsets.US_ASCII));
            return new PeerIdentity(issued.privateKey(), issued.certificate());
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read or write the peer identity in " + dir, e);
        }
    }

    /** The certificate file a peer pins: {@code dataDir/peering/identity.pem}. */
    public static Path certificateFile(Path dataDir) {
        return dataDir.resolve(DIR).resolve(CERTIFICATE);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The certificate as PEM, for a peer's {@code peers.json}. */
    public String certificatePem() {
        return ClientCertificates.toPem(certificate);
    }

    /** SHA-256 fingerprint of the certificate, for the startup report and for comparing by eye. */
    public String fingerprint() {
        return ClientCertificates.fingerprint(certificate);
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    @Override
    public String toString() {
        return "PeerIdentity[" + certificate.getSubjectX500Principal().getName() + ", key withheld]";
    }
}
