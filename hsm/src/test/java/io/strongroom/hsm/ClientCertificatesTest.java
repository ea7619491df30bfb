package io.strongroom.hsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientCertificatesTest {
    @Test
    void generate_makesSelfSignedEcClientCertificate_withClientAuth() throws Exception {
        ClientCertificates.Issued i = ClientCertificates.generate("strongroom-dw-1", Duration.ofDays(365));
        X509Certificate c = i.certificate();
        c.verify(c.getPublicKey());
        assertThat(c.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=strongroom-dw-1");
        assertThat(c.getBasicConstraints()).isEqualTo(-1);
        assertThat(i.toString())
                .contains("key withheld")
                .doesNotContain(i.privateKey().toString());
    }

    @Test
    void serverCertificate_namesHostsAndServerAuth() throws Exception {
        X509Certificate c = ClientCertificates.generateServer(
                        "gw", Duration.ofDays(1), List.of("localhost", "127.0.0.1"))
                .certificate();
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(c.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))))
                .containsExactly("localhost", "127.0.0.1");
    }

    @Test
    void pemAndPkcs8_roundTrip() {
        ClientCertificates.Issued i = ClientCertificates.generate("x", Duration.ofDays(1));
        String pem = ClientCertificates.toPem(i.certificate());
        assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
        assertThat(ClientCertificates.parseCertificatePem(pem)).isEqualTo(i.certificate());
        byte[] der = ClientCertificates.encodePrivateKey(i.privateKey());
        assertThat(ClientCertificates.decodePrivateKey(der)).isEqualTo(i.privateKey());
        assertThat(ClientCertificates.parsePrivateKeyPem(ClientCertificates.privateKeyToPem(i.privateKey())))
                .isEqualTo(i.privateKey());
    }

    @Test
    void garbage_isRefusedWithClearMessages() {
        assertThatThrownBy(() -> ClientCertificates.parseCertificatePem("hello"))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("BEGIN CERTIFICATE");
        assertThatThrownBy(() -> ClientCertificates.parseCertificatePem(
                        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
                .hasMessageContaining("does not parse");
        String two = ClientCertificates.toPem(
                        ClientCertificates.generate("a", Duration.ofDays(1)).certificate())
                + ClientCertificates.toPem(
                        ClientCertificates.generate("b", Duration.ofDays(1)).certificate());
        assertThatThrownBy(() -> ClientCertificates.parseCertificatePem(two)).hasMessageContaining("exactly one");
        assertThatThrownBy(() -> ClientCertificates.decodePrivateKey(new byte[] {1, 2, 3}))
                .hasMessageContaining("not a PKCS#8");
    }
}
