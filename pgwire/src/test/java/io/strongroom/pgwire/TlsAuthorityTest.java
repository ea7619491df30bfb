package io.strongroom.pgwire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsAuthorityTest {
    @TempDir
    Path dir;

    private static X509Certificate leaf(Path file) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(file)) {
            ks.load(in, new char[0]);
        }
        return (X509Certificate) ks.getCertificateChain("server")[0];
    }

    @Test
    void clusterCertificates_areSignedByTheCa_keptAcrossLoads_andIssuedAgainWhenTheyNoLongerFit() throws Exception {
        TlsAuthority ca = TlsAuthority.loadOrCreate(dir);
        assertThat(ca.caPem()).startsWith("-----BEGIN CERTIFICATE-----");
        ca.serverContext("c-1", "dw1", List.of("localhost", "127.0.0.1"));
        X509Certificate first = leaf(dir.resolve("c-1.p12"));
        X509Certificate caCert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(ca.caPem().getBytes()));
        first.verify(caCert.getPublicKey());
        assertThat(first.getSubjectAlternativeNames()).hasSize(2);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.p12"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("c-1.p12"))))
                .isEqualTo("rw-------");

        // The same authority and certificate after a restart.
        TlsAuthority again = TlsAuthority.loadOrCreate(dir);
        assertThat(again.caPem()).isEqualTo(ca.caPem());
        again.serverContext("c-1", "dw1", List.of("localhost", "127.0.0.1"));
        assertThat(leaf(dir.resolve("c-1.p12"))).isEqualTo(first);

        // Another host name: issued again.
        again.serverContext("c-1", "dw1", List.of("localhost", "127.0.0.1", "10.0.0.5"));
        assertThat(leaf(dir.resolve("c-1.p12"))).isNotEqualTo(first);

        // A certificate from before the CA (self-signed): replaced by one the CA signed.
        TlsAuthority.writeKeyStore(
                SelfSignedTls.generate("dw2", List.of("localhost")).keyStore(), dir.resolve("c-2.p12"));
        again.serverContext("c-2", "dw2", List.of("localhost"));
        leaf(dir.resolve("c-2.p12")).verify(caCert.getPublicKey());
    }
}
