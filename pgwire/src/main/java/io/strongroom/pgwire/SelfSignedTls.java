package io.strongroom.pgwire;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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
import java.util.Objects;
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
 * ten years. The private key lives in the {@link SSLContext} and, with {@link #loadOrCreate}, in a 0600 PKCS#12
 * file so the certificate survives restarts; {@link #certificatePem()} is what clients pin ({@code sslrootcert}). BouncyCastle builds the certificate; JSSE does the TLS. Immutable.
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
            throw new java.security.KeyStoreException("no server certificate in the key store");
        }
        return new SelfSignedTls(context, cert, ks);
    }

    /**
     * The cluster's certificate kept in {@code file} (PKCS#12, mode 0600, like PostgreSQL's server.key), made by
     * {@link #generate} on first use, so that clients that pin it ({@code sslrootcert}) keep working across
     * reboots and restarts. Written atomically: temporary file, fsync, rename, fsync of the directory.
     */
    public static SelfSignedTls loadOrCreate(Path file, String commonName, List<String> hostNames) {
        try {
            if (Files.exists(file)) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                try (var in = Files.newInputStream(file)) {
                    ks.load(in, NO_PASSWORD);
                }
                return fromKeyStore(ks);
            }
            return generateKeyStore(commonName, hostNames, file);
        } catch (GeneralSecurityException | IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot load or create the TLS key store " + file + ": " + e.getMessage(), e);
        }
    }

    private static SelfSignedTls generateKeyStore(String commonName, List<String> hostNames, Path file)
            throws GeneralSecurityException, IOException {
        SelfSignedTls made = generate(commonName, hostNames);
        writeKeyStore(made.keyStore, file);
        return made;
    }

    /**
     * Writes {@code ks} (no password) to {@code file} with mode 0600, atomically: temporary file, fsync, rename,
     * fsync of the directory.
     */
    static void writeKeyStore(KeyStore ks, Path file) throws GeneralSecurityException, IOException {
        Path dir = Objects.requireNonNull(file.toAbsolutePath().getParent());
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (var out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ks.store(bytes, NO_PASSWORD);
            out.write(ByteBuffer.wrap(bytes.toByteArray()));
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (var d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
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
