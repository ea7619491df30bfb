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
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * One certificate authority per installation, which signs every cluster's TLS certificate, so that a client
 * verifies any cluster against one published root ({@code strongroom ca}; {@code sslrootcert=ca.pem
 * sslmode=verify-full} for psql, JDBC and psycopg, {@code SSL_CERT_FILE} for Python drivers).
 *
 * <p>How this works. The CA (EC P-256, 10 years, basicConstraints CA:true pathLen 0, keyCertSign) lives in {@code
 * ca.p12} in the TLS directory; each cluster's certificate (EC P-256, 397 days, serverAuth, subjectAltName = the
 * endpoint's names and addresses) in {@code <cluster id>.p12}, with the CA in its chain. A cluster certificate is
 * issued again when it is missing, not signed by this CA (a certificate from before the CA existed), names other
 * hosts, or has less than {@link #RENEW_BEFORE} left; that is checked each time a cluster's endpoint starts (at
 * every start and reboot). Files are written 0600, atomically.
 *
 * <p>Not done: the private keys are protected by file mode only (the PKCS#12 files have no password), and a cluster
 * that runs for longer than its certificate's remaining 30 days without a reboot serves an expired one.
 *
 * <p>Thread-safe: issuing is synchronized.
 */
public final class TlsAuthority {
    /** A cluster certificate with less than this left is issued again. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private static final Duration LEAF_LIFETIME = Duration.ofDays(397);
    private static final String ALIAS = "server";
    private static final String CA_ALIAS = "ca";
    private static final char[] NO_PASSWORD = new char[0];

    private final Path dir;
    private final PrivateKey caKey;
    private final X509Certificate caCert;
    private final SecureRandom random = new SecureRandom();

    private TlsAuthority(Path dir, PrivateKey caKey, X509Certificate caCert) {
        this.dir = dir;
        this.caKey = caKey;
        this.caCert = caCert;
    }

    /** The authority kept in {@code dir}/ca.p12, made on first use. */
    public static TlsAuthority loadOrCreate(Path dir) {
        Path file = dir.resolve("ca.p12");
        try {
            if (Files.exists(file)) {
                KeyStore ks = load(file);
                PrivateKey key = (PrivateKey) ks.getKey(CA_ALIAS, NO_PASSWORD);
                X509Certificate cert = (X509Certificate) ks.getCertificate(CA_ALIAS);
                if (key == null || cert == null) {
                    throw new StrongroomException(
                            ErrorCode.INTEGRITY_FAILURE,
                            file + " holds no certificate authority; move it away to"
                                    + " make a new one (every cluster certificate is then issued again)");
                }
                return new TlsAuthority(dir, key, cert);
            }
            SecureRandom random = new SecureRandom();
            KeyPair kp = ecKeyPair(random);
            X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.O, "Strongroom")
                    .addRDN(BCStyle.CN, "Strongroom cluster CA " + Long.toHexString(random.nextLong()))
                    .build();
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    name,
                    new BigInteger(63, random).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(3650))),
                    name,
                    kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate cert = sign(b, kp.getPrivate());
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(CA_ALIAS, kp.getPrivate(), NO_PASSWORD, new Certificate[] {cert});
            writeKeyStore(ks, file);
            return new TlsAuthority(dir, kp.getPrivate(), cert);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot load or create the certificate authority " + file + ": " + e, e);
        }
    }

    /** The CA certificate in PEM: what clients trust ({@code sslrootcert}). */
    public String caPem() {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(caCert);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot encode the CA certificate", e);
        }
        return sw.toString();
    }

    /**
     * The TLS context of cluster {@code clusterId}: its certificate from {@code <clusterId>.p12}, issued (again) by
     * this authority when needed (see the class comment).
     */
    public synchronized SSLContext serverContext(String clusterId, String commonName, List<String> hostNames) {
        Path file = dir.resolve(clusterId + ".p12");
        try {
            KeyStore ks = Files.exists(file) ? load(file) : null;
            if (ks == null || !current(ks, hostNames)) {
                ks = issue(commonName, hostNames);
                writeKeyStore(ks, file);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, NO_PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot load or issue the TLS certificate " + file + ": " + e, e);
        }
    }

    /** Whether the certificate in {@code ks} was signed by this CA, names {@code hostNames} and is not due. */
    private boolean current(KeyStore ks, List<String> hostNames) throws GeneralSecurityException {
        Certificate[] chain = ks.getCertificateChain(ALIAS);
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return false;
        }
        try {
            leaf.verify(caCert.getPublicKey());
        } catch (GeneralSecurityException notOurs) {
            return false;
        }
        if (leaf.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) {
            return false;
        }
        Set<String> named = new HashSet<>();
        Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
        if (sans != null) {
            for (List<?> san : sans) {
                named.add(String.valueOf(san.get(1)));
            }
        }
        return named.equals(new HashSet<>(hostNames));
    }

    private KeyStore issue(String commonName, List<String> hostNames)
            throws GeneralSecurityException, IOException, OperatorCreationException {
        KeyPair kp = ecKeyPair(random);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, commonName)
                .build();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                caCert,
                new BigInteger(63, random).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(LEAF_LIFETIME)),
                subject,
                kp.getPublic());
        serverExtensions(b, hostNames);
        X509Certificate leaf = sign(b, caKey);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(ALIAS, kp.getPrivate(), NO_PASSWORD, new Certificate[] {leaf, caCert});
        return ks;
    }

    /** The extensions of a TLS server certificate: subjectAltName of {@code hostNames}, not a CA, serverAuth. */
    static void serverExtensions(X509v3CertificateBuilder b, List<String> hostNames) throws IOException {
        List<GeneralName> names = new ArrayList<>();
        for (String host : hostNames) {
            boolean ip = host.matches("[0-9.]+") || host.contains(":");
            names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
        }
        if (!names.isEmpty()) {
            b.addExtension(
                    Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
        }
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    }

    /**
     * Writes {@code ks} (no password) to {@code file} with mode 0600, atomically: temporary file, fsync, rename,
     * fsync of the directory.
     */
    static void writeKeyStore(KeyStore ks, Path file) throws GeneralSecurityException, IOException {
        Path parent = Objects.requireNonNull(file.toAbsolutePath().getParent());
        Files.createDirectories(parent);
        Path tmp = parent.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ks.store(bytes, NO_PASSWORD);
            out.write(ByteBuffer.wrap(bytes.toByteArray()));
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(parent, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    static KeyPair ecKeyPair(SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec("secp256r1"), random);
        return kpg.generateKeyPair();
    }

    static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
            throws GeneralSecurityException, OperatorCreationException {
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private static KeyStore load(Path file) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(file)) {
            ks.load(in, NO_PASSWORD);
        }
        return ks;
    }

    @Override
    public String toString() {
        return "TlsAuthority[" + caCert.getSubjectX500Principal().getName() + "]";
    }
}
