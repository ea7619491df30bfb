package io.strongroom.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
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

    /** A seal for tests: AES-GCM under a key of its own, which a "rotation" replaces. */
    private static final class TestSeal implements KeyStoreSeal {
        private final SecretKey key;

        TestSeal() throws Exception {
            KeyGenerator g = KeyGenerator.getInstance("AES");
            g.init(256);
            key = g.generateKey();
        }

        @Override
        public byte[] seal(byte[] password) {
            try {
                byte[] iv = new byte[12];
                new SecureRandom().nextBytes(iv);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
                byte[] ct = c.doFinal(password);
                byte[] out = new byte[12 + ct.length];
                System.arraycopy(iv, 0, out, 0, 12);
                System.arraycopy(ct, 0, out, 12, ct.length);
                return out;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public byte[] open(byte[] sealed) {
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, 0, 12));
                return c.doFinal(sealed, 12, sealed.length - 12);
            } catch (GeneralSecurityException e) {
                throw new StrongroomException(ErrorCode.WRONG_KEY, "does not open: " + e.getMessage(), e);
            }
        }

        @Override
        public String describe() {
            return "a test key";
        }
    }

    private static boolean opensWithoutPassword(Path file) {
        try {
            leaf(file);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void sealedKeyStores_openOnlyUnderTheirSeal_areSealedInPlace_andIssuedAgainWhenTheSealNoLongerOpens()
            throws Exception {
        TestSeal caSeal = new TestSeal();
        TestSeal clusterSeal = new TestSeal();
        TlsAuthority ca = TlsAuthority.loadOrCreate(dir, caSeal);
        ca.serverContext("c-1", "dw1", List.of("localhost"), clusterSeal);
        // Neither key store opens without its sealed password; the seals sit beside them.
        assertThat(opensWithoutPassword(dir.resolve("ca.p12"))).isFalse();
        assertThat(opensWithoutPassword(dir.resolve("c-1.p12"))).isFalse();
        assertThat(dir.resolve("ca.p12.seal")).exists();
        assertThat(dir.resolve("c-1.p12.seal")).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("c-1.p12.seal"))))
                .isEqualTo("rw-------");
        byte[] firstStore = Files.readAllBytes(dir.resolve("c-1.p12"));

        // Under the same seals after a restart: the same authority, and the cluster's store is kept as it is.
        TlsAuthority again = TlsAuthority.loadOrCreate(dir, caSeal);
        assertThat(again.caPem()).isEqualTo(ca.caPem());
        again.serverContext("c-1", "dw1", List.of("localhost"), clusterSeal);
        assertThat(Files.readAllBytes(dir.resolve("c-1.p12"))).isEqualTo(firstStore);

        // The authority does not open without its seal (or under another): a clear refusal, nothing replaced.
        assertThatThrownBy(() -> TlsAuthority.loadOrCreate(dir))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("does not open");
        assertThatThrownBy(() -> TlsAuthority.loadOrCreate(dir, new TestSeal()))
                .hasMessageContaining("does not open under a test key");

        // The cluster's key rotated away: its seal no longer opens, so a new key and certificate are issued.
        TestSeal rotated = new TestSeal();
        again.serverContext("c-1", "dw1", List.of("localhost"), rotated);
        assertThat(Files.readAllBytes(dir.resolve("c-1.p12"))).isNotEqualTo(firstStore);
        assertThat(opensWithoutPassword(dir.resolve("c-1.p12"))).isFalse();

        // A store from before sealing (no password) is sealed in place: the same certificate, now sealed.
        TlsAuthority plain = TlsAuthority.loadOrCreate(dir.resolve("old"));
        plain.serverContext("c-2", "dw2", List.of("localhost"));
        X509Certificate before = leaf(dir.resolve("old").resolve("c-2.p12"));
        TlsAuthority sealedNow = TlsAuthority.loadOrCreate(dir.resolve("old"), caSeal);
        assertThat(opensWithoutPassword(dir.resolve("old").resolve("ca.p12"))).isFalse();
        sealedNow.serverContext("c-2", "dw2", List.of("localhost"), clusterSeal);
        assertThat(opensWithoutPassword(dir.resolve("old").resolve("c-2.p12"))).isFalse();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        char[] password = new String(
                        clusterSeal.open(Files.readAllBytes(dir.resolve("old").resolve("c-2.p12.seal"))),
                        StandardCharsets.US_ASCII)
                .toCharArray();
        try (var in = Files.newInputStream(dir.resolve("old").resolve("c-2.p12"))) {
            ks.load(in, password);
        }
        assertThat(ks.getCertificateChain("server")[0]).isEqualTo(before);
        // A cluster decrypted since: its store goes back to no password, and the stale seal goes away.
        sealedNow.serverContext("c-2", "dw2", List.of("localhost"), null);
        assertThat(opensWithoutPassword(dir.resolve("old").resolve("c-2.p12"))).isTrue();
        assertThat(dir.resolve("old").resolve("c-2.p12.seal")).doesNotExist();
    }
}
