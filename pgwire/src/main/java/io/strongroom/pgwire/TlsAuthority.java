package io.strongroom.pgwire;

import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
import org.jspecify.annotations.Nullable;

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
 * <p>Sealing. A key store given a {@link KeyStoreSeal} has a random 256-bit password, kept sealed in {@code <name>.seal}
 * beside it, so the TLS directory alone opens no private key. A cluster's store is sealed under the cluster's own
 * database key: when the seal no longer opens (the key was rotated since), the certificate is issued again with a new
 * key and password; a store from before sealing (no password) is sealed in place, keeping its key and certificate.
 * Without a seal (an unencrypted cluster, or an authority with no passphrase) the file has no password and file mode
 * protects it. The seal file is written after its key store: a crash between the two leaves a seal that does not
 * open the store, which issues the certificate again.
 *
 * <p>Renewal without a restart: {@link #renewalDue} says when a cluster's certificate has less than {@link
 * #RENEW_BEFORE} left; the process then calls {@link #serverContext} again, which issues a new one, and swaps it
 * into the running endpoint ({@code PgServer.replaceTls}).
 *
 * <p>Thread-safe: issuing is synchronized.
 */
public final class TlsAuthority {
    /** A cluster certificate with less than this left is issued again. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private static final Duration LEAF_LIFETIME = Duration.ofDays(397);
    private static final String ALIAS = "server";
    private static final String CA_ALIAS = "ca";
    /** The CA certificate, public, beside its key store: what {@code strongroom ca} prints. */
    private static final String CA_PEM = "ca.pem";

    private static final char[] NO_PASSWORD = new char[0];
    private static final System.Logger LOG = System.getLogger(TlsAuthority.class.getName());

    private final Path dir;
    private final PrivateKey caKey;
    private final X509Certificate caCert;
    private final SecureRandom random = new SecureRandom();
    /** When each cluster certificate this authority loaded or issued expires (renewal reads it). */
    private final Map<String, Instant> notAfter = new ConcurrentHashMap<>();

    private volatile InstantSource clock = InstantSource.system();

    private TlsAuthority(Path dir, PrivateKey caKey, X509Certificate caCert) {
        this.dir = dir;
        this.caKey = caKey;
        this.caCert = caCert;
    }

    /** The clock certificates are checked and issued against (tests move it to make certificates due). */
    public void clock(InstantSource clock) {
        this.clock = clock;
    }

    /**
     * Whether cluster {@code clusterId}'s certificate, as last loaded or issued by {@link #serverContext}, has less
     * than {@link #RENEW_BEFORE} left: then the next {@link #serverContext} issues a new one.
     */
    public boolean renewalDue(String clusterId) {
        Instant end = notAfter.get(clusterId);
        return end != null && end.isBefore(clock.instant().plus(RENEW_BEFORE));
    }

    /** The authority kept in {@code dir}/ca.p12 with no password, made on first use. */
    public static TlsAuthority loadOrCreate(Path dir) {
        return loadOrCreate(dir, null);
    }

    /**
     * The authority kept in {@code dir}/ca.p12, made on first use; with {@code seal}, its key store's password is
     * sealed by it (a store from before is sealed in place).
     */
    public static TlsAuthority loadOrCreate(Path dir, @Nullable KeyStoreSeal seal) {
        Path file = dir.resolve("ca.p12");
        try {
            if (Files.exists(file)) {
                Opened o = open(file, seal);
                if (o == null) {
                    throw new StrongroomException(
                            ErrorCode.WRONG_KEY,
                            "the certificate authority " + file + " does not open under " + describe(seal)
                                    + "; start with the passphrase it was sealed by");
                }
                KeyStore ks = o.keyStore();
                PrivateKey key = (PrivateKey) ks.getKey(CA_ALIAS, o.password());
                X509Certificate cert = (X509Certificate) ks.getCertificate(CA_ALIAS);
                if (key == null || cert == null) {
                    throw new StrongroomException(
                            ErrorCode.INTEGRITY_FAILURE,
                            file + " holds no certificate authority; move it away to"
                                    + " make a new one (every cluster certificate is then issued again)");
                }
                if (o.unsealed() && seal != null) {
                    char[] password = newPassword(new SecureRandom());
                    ks = rekey(ks, password);
                    writeSealed(ks, password, file, seal);
                }
                TlsAuthority a = new TlsAuthority(dir, key, cert);
                if (!Files.exists(dir.resolve(CA_PEM))) {
                    DurableFile.replace(dir.resolve(CA_PEM), a.caPem().getBytes(StandardCharsets.US_ASCII));
                }
                return a;
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
            char[] password = seal == null ? NO_PASSWORD : newPassword(random);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(CA_ALIAS, kp.getPrivate(), password, new Certificate[] {cert});
            writeSealed(ks, password, file, seal);
            TlsAuthority a = new TlsAuthority(dir, kp.getPrivate(), cert);
            DurableFile.replace(dir.resolve(CA_PEM), a.caPem().getBytes(StandardCharsets.US_ASCII));
            return a;
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot load or create the certificate authority " + file + ": " + e, e);
        }
    }

    /**
     * The CA certificate of the authority in {@code dir} as PEM, read from {@code ca.pem} (public; no key store is
     * opened, so no passphrase is needed), or null when there is none yet.
     */
    public static @Nullable String readCaPem(Path dir) {
        Path pem = dir.resolve(CA_PEM);
        try {
            return Files.exists(pem) ? Files.readString(pem, StandardCharsets.US_ASCII) : null;
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + pem + ": " + e, e);
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
    public SSLContext serverContext(String clusterId, String commonName, List<String> hostNames) {
        return serverContext(clusterId, commonName, hostNames, null);
    }

    /**
     * As above, the key store's password sealed by {@code seal} (the cluster's database key); a certificate whose
     * seal no longer opens is issued again.
     */
    public synchronized SSLContext serverContext(
            String clusterId, String commonName, List<String> hostNames, @Nullable KeyStoreSeal seal) {
        Path file = dir.resolve(clusterId + ".p12");
        try {
            Opened o = Files.exists(file) ? open(file, seal) : null;
            KeyStore ks;
            char[] password;
            if (o == null || !current(o.keyStore(), hostNames)) {
                password = seal == null ? NO_PASSWORD : newPassword(random);
                ks = issue(commonName, hostNames, password);
                writeSealed(ks, password, file, seal);
            } else {
                ks = o.keyStore();
                password = o.password();
                if (o.unsealed() && seal != null) {
                    password = newPassword(random);
                    ks = rekey(ks, password);
                    writeSealed(ks, password, file, seal);
                }
            }
            if (ks.getCertificateChain(ALIAS) != null
                    && ks.getCertificateChain(ALIAS)[0] instanceof X509Certificate leaf) {
                notAfter.put(clusterId, leaf.getNotAfter().toInstant());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
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
        if (leaf.getNotAfter().toInstant().isBefore(clock.instant().plus(RENEW_BEFORE))) {
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

    private KeyStore issue(String commonName, List<String> hostNames, char[] password)
            throws GeneralSecurityException, IOException, OperatorCreationException {
        KeyPair kp = ecKeyPair(random);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, commonName)
                .build();
        Instant now = clock.instant();
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
        ks.setKeyEntry(ALIAS, kp.getPrivate(), password, new Certificate[] {leaf, caCert});
        return ks;
    }

    /** A key store read, with the password that opened it; {@code unsealed}: it had none (from before sealing). */
    private record Opened(KeyStore keyStore, char[] password, boolean unsealed) {}

    /**
     * Opens {@code file}: with its seal when there is one, else with no password. Null when it does not open (the
     * seal is missing or stale, the file damaged): the caller issues again, or refuses.
     */
    private static @Nullable Opened open(Path file, @Nullable KeyStoreSeal seal) {
        Path sealFile = sealFile(file);
        if (seal != null && Files.exists(sealFile)) {
            byte[] raw = null;
            try {
                raw = seal.open(Files.readAllBytes(sealFile));
                char[] password = new String(raw, StandardCharsets.US_ASCII).toCharArray();
                return new Opened(load(file, password), password, false);
            } catch (StrongroomException | GeneralSecurityException | IOException e) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "TLS key store " + file + " does not open under " + seal.describe() + " (" + e.getMessage()
                                + "); issuing it again");
                return null;
            } finally {
                if (raw != null) {
                    Arrays.fill(raw, (byte) 0);
                }
            }
        }
        try {
            return new Opened(load(file, NO_PASSWORD), NO_PASSWORD, true);
        } catch (GeneralSecurityException | IOException e) {
            return null;
        }
    }

    /** The same entries under {@code password}. */
    private static KeyStore rekey(KeyStore from, char[] password) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        for (String alias : Collections.list(from.aliases())) {
            ks.setKeyEntry(alias, from.getKey(alias, NO_PASSWORD), password, from.getCertificateChain(alias));
        }
        return ks;
    }

    /** Writes {@code ks} under {@code password}, then its seal (or removes a stale seal when there is none). */
    private static void writeSealed(KeyStore ks, char[] password, Path file, @Nullable KeyStoreSeal seal)
            throws GeneralSecurityException, IOException {
        writeKeyStore(ks, file, password);
        Path sealFile = sealFile(file);
        if (seal == null) {
            Files.deleteIfExists(sealFile);
            return;
        }
        byte[] raw = new String(password).getBytes(StandardCharsets.US_ASCII);
        try {
            DurableFile.replace(sealFile, seal.seal(raw));
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    private static Path sealFile(Path keyStore) {
        return keyStore.resolveSibling(keyStore.getFileName() + ".seal");
    }

    /** A random password of 256 bits (43 characters of URL-safe Base64). */
    private static char[] newPassword(SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        char[] c = Base64.getUrlEncoder().withoutPadding().encodeToString(b).toCharArray();
        Arrays.fill(b, (byte) 0);
        return c;
    }

    private static String describe(@Nullable KeyStoreSeal seal) {
        return seal == null ? "no password" : seal.describe();
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
        writeKeyStore(ks, file, NO_PASSWORD);
    }

    static void writeKeyStore(KeyStore ks, Path file, char[] password) throws GeneralSecurityException, IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ks.store(bytes, password);
        DurableFile.replace(file, bytes.toByteArray());
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

    private static KeyStore load(Path file, char[] password) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(file)) {
            ks.load(in, password);
        }
        return ks;
    }

    @Override
    public String toString() {
        return "TlsAuthority[" + caCert.getSubjectX500Principal().getName() + "]";
    }
}
