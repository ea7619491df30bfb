package io.strongroom.pgwire;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * A self-signed TLS server certificate made at startup for a cluster that has none configured: EC P-256,
 * SHA256withECDSA, subject CN = the cluster name, subjectAltName = the given DNS names and IP addresses, valid for
 * ten years, held only in memory: for a server started without a certificate (tests, a KMS alone). Clusters get
 * certificates their installation's {@link TlsAuthority} signs. {@link #certificatePem()} is what clients pin
 * ({@code sslrootcert}). BouncyCastle builds the certificate; JSSE does the TLS. Immutable.
 */
public final class SelfSignedTls {
    private final SSLContext sslContext;
    private final X509Certificate certificate;
    private final KeyStore keyStore;

    private SelfSignedTls(SSLContext sslContext, X509Certificate certificate, KeyStore keyStore) {
        this.sslContext = sslContext;
        this.certificate = certificate;
        this.keyStore = keyStore;
    }

    /**
     * @param commonName the subject CN, e.g. the cluster identifier
     * @param hostNames DNS names and IP literals (e.g. {@code localhost}, {@code 127.0.0.1}) for subjectAltName
     */
    public static SelfSignedTls generate(String commonName, List<String> hostNames) {
        try {
            SecureRandom random = new SecureRandom();
            KeyPair keyPair = TlsAuthority.ecKeyPair(random);
            X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.CN, commonName)
                    .build();
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name,
                    new BigInteger(63, random).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(3650))),
                    name,
                    keyPair.getPublic());
            TlsAuthority.serverExtensions(builder, hostNames);
            X509Certificate cert = TlsAuthority.sign(builder, keyPair.getPrivate());
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, keyPair.getPrivate(), NO_PASSWORD, new Certificate[] {cert});
            return fromKeyStore(ks);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new StrongroomException(
                    ErrorCode.INTERNAL, "cannot generate the TLS certificate for " + commonName, e);
        }
    }

    private static final String ALIAS = "server";
    private static final char[] NO_PASSWORD = new char[0];

    private static SelfSignedTls fromKeyStore(KeyStore ks) throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, NO_PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, new SecureRandom());
        X509Certificate cert = (X509Certificate) ks.getCertificate(ALIAS);
        if (cert == null) {
            throw new KeyStoreException("no server certificate in the key store");
        }
        return new SelfSignedTls(context, cert, ks);
    }

    /** The key store holding the key and certificate (tests write it where an older build kept one). */
    KeyStore keyStore() {
        return keyStore;
    }

    public SSLContext sslContext() {
        return sslContext;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The certificate (public part only) in PEM. */
    public String certificatePem() {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(certificate);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot encode the TLS certificate", e);
        }
        return sw.toString();
    }
}
