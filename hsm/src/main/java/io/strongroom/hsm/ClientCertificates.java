package io.strongroom.hsm;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
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
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Self-signed certificates for HSM mode, and their PEM and PKCS#8 forms. A cluster's client certificate
 * (Redshift's {@code CreateHsmClientCertificate}) is EC P-256, self-signed, with EKU clientAuth; its PEM is what the
 * user registers on the HSM partition. The gateway's server certificate is made the same way with EKU serverAuth
 * and subjectAltNames.
 *
 * <p>The certificates carry basicConstraints CA:false and no keyUsage extension: OpenSSL (PyKMIP, Python clients)
 * accepts such a self-signed certificate as its own trust anchor, while a keyUsage without keyCertSign makes it
 * refuse the self-signature. Stateless and thread-safe.
 */
public final class ClientCertificates {
    private ClientCertificates() {}

    /**
     * A private key and its self-signed certificate. {@code toString} names the certificate's subject, never the
     * key.
     */
    public record Issued(PrivateKey privateKey, X509Certificate certificate) {
        @Override
        public String toString() {
            return "Issued[" + certificate.getSubjectX500Principal().getName() + ", key withheld]";
        }
    }

    /** A new EC P-256 key pair and a self-signed client certificate (EKU clientAuth) for {@code commonName}. */
    public static Issued generate(String commonName, Duration validity) {
        return selfSigned(commonName, validity, List.of(), KeyPurposeId.id_kp_clientAuth);
    }

    /**
     * A new EC P-256 key pair and a self-signed server certificate (EKU serverAuth) naming {@code hostNames} (DNS
     * names or IP addresses) as subjectAltNames.
     */
    public static Issued generateServer(String commonName, Duration validity, List<String> hostNames) {
        return selfSigned(commonName, validity, hostNames, KeyPurposeId.id_kp_serverAuth);
    }

    private static Issued selfSigned(String commonName, Duration validity, List<String> hostNames, KeyPurposeId eku) {
        if (commonName.isBlank() || validity.isNegative() || validity.isZero()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "a certificate needs a common name and a positive validity");
        }
        try {
            SecureRandom random = new SecureRandom();
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair kp = kpg.generateKeyPair();
            X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.CN, commonName)
                    .build();
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    name,
                    new BigInteger(63, random).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(validity)),
                    name,
                    kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
            List<GeneralName> names = new ArrayList<>();
            for (String host : hostNames) {
                boolean ip = host.matches("[0-9.]+") || host.contains(":");
                names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
            }
            if (!names.isEmpty()) {
                b.addExtension(
                        Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
            }
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
            return new Issued(kp.getPrivate(), cert);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot make a self-signed certificate: " + e, e);
        }
    }

    /** {@code certificate} as PEM ({@code -----BEGIN CERTIFICATE-----}), lines of 64 characters. */
    public static String toPem(X509Certificate certificate) {
        try {
            return pem("CERTIFICATE", certificate.getEncoded());
        } catch (CertificateException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot encode a certificate", e);
        }
    }

    /**
     * The one X.509 certificate in {@code pem}.
     *
     * @throws StrongroomException INVALID_ARGUMENT when the text holds no certificate, several, or a broken one
     */
    public static X509Certificate parseCertificatePem(String pem) {
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "not a PEM certificate: expected a block starting with -----BEGIN CERTIFICATE-----");
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Collection<? extends Certificate> all =
                    cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            if (all.size() != 1 || !(all.iterator().next() instanceof X509Certificate cert)) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT,
                        "expected exactly one X.509 certificate in the PEM text, found " + all.size());
            }
            return cert;
        } catch (CertificateException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "the PEM certificate does not parse (" + e.getMessage() + "); paste the whole block, BEGIN and"
                            + " END lines included",
                    e);
        }
    }

    /** The PKCS#8 (DER) encoding of {@code key}. */
    public static byte[] encodePrivateKey(PrivateKey key) {
        byte[] der = key.getEncoded();
        if (der == null || !"PKCS#8".equals(key.getFormat())) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "the private key has no PKCS#8 encoding");
        }
        return der;
    }

    /** The EC or RSA private key in PKCS#8 DER {@code pkcs8}. */
    public static PrivateKey decodePrivateKey(byte[] pkcs8) {
        for (String algorithm : List.of("EC", "RSA")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (InvalidKeySpecException wrongAlgorithm) {
                // try the next algorithm
            } catch (GeneralSecurityException e) {
                throw new StrongroomException(ErrorCode.INTERNAL, "no " + algorithm + " key factory", e);
            }
        }
        throw new StrongroomException(
                ErrorCode.INVALID_ARGUMENT, "not a PKCS#8 EC or RSA private key (" + pkcs8.length + " bytes)");
    }

    /** {@code key} as PEM ({@code -----BEGIN PRIVATE KEY-----}, PKCS#8). */
    public static String privateKeyToPem(PrivateKey key) {
        return pem("PRIVATE KEY", encodePrivateKey(key));
    }

    /** The private key in a PKCS#8 PEM block ({@code -----BEGIN PRIVATE KEY-----}). */
    public static PrivateKey parsePrivateKeyPem(String pem) {
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "not a PKCS#8 PEM private key: expected " + begin + " ... " + end);
        }
        try {
            return decodePrivateKey(Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e)));
        } catch (IllegalArgumentException badBase64) {
            throw new StrongroomException(ErrorCode.INVALID_ARGUMENT, "the PEM private key is not valid base64");
        }
    }

    /** SHA-256 of the certificate's DER, lower-case hex: how logs and listings name a certificate. */
    public static String fingerprint(X509Certificate certificate) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            StringBuilder sb = new StringBuilder();
            for (byte x : d) {
                sb.append(String.format(Locale.ROOT, "%02x", x));
            }
            return sb.toString();
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot fingerprint a certificate", e);
        }
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }
}
