package io.strongroom.pgwire;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed TLS server certificate made at startup for a cluster that has none configured: EC P-256,
 * SHA256withECDSA, subject CN = the cluster name, subjectAltName = the given DNS names and IP addresses, valid for
 * ten years. The private key lives only inside the {@link SSLContext}; {@link #certificatePem()} is what clients
 * pin ({@code sslrootcert}) if they verify. BouncyCastle builds the certificate; JSSE does the TLS. Immutable.
 */
public final class SelfSignedTls {
    private final SSLContext sslContext;
    private final X509Certificate certificate;

    private SelfSignedTls(SSLContext sslContext, X509Certificate certificate) {
        this.sslContext = sslContext;
        this.certificate = certificate;
    }

    /**
     * @param commonName the subject CN, e.g. the cluster identifier
     * @param hostNames DNS names and IP literals (e.g. {@code localhost}, {@code 127.0.0.1}) for subjectAltName
     */
    public static SelfSignedTls generate(String commonName, List<String> hostNames) {
        try {
            SecureRandom random = new SecureRandom();
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair keyPair = kpg.generateKeyPair();
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
            List<GeneralName> sans = new ArrayList<>();
            for (String host : hostNames) {
                boolean ip = host.matches("[0-9.]+") || host.contains(":");
                sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
            }
            if (!sans.isEmpty()) {
                builder.addExtension(
                        Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
            }
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(
                    Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));

            char[] storePassword = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", keyPair.getPrivate(), storePassword, new Certificate[] {cert});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, storePassword);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, random);
            return new SelfSignedTls(context, cert);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new StrongroomException(
                    ErrorCode.INTERNAL, "cannot generate the TLS certificate for " + commonName, e);
        }
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
