package io.strongroom.hsm.client;

import io.strongroom.crypto.SingleKeyManager;
import io.strongroom.hsm.OneSidedTrust;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The client's TLS context: it presents exactly one key and certificate, and trusts exactly one server certificate
 * (byte-for-byte equal; no CA, no hostname check, as Redshift's HsmServerPublicCertificate is used). TLS 1.3 and 1.2
 * are enabled, with the ECDHE CBC-SHA256 suites kept for PyKMIP's fixed TLS 1.2 list (hsm-kmip.md §3.2).
 */
final class PinnedTls {
    private static final String ALIAS = "strongroom-hsm-client";
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    private static final List<String> KMIP_SUITES = List.of(
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384");

    private PinnedTls() {}

    static SSLContext context(HsmEndpoint e) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(
                new X509ExtendedKeyManager[] {new SingleKeyManager(ALIAS, e.clientKey(), e.clientCertificate())},
                new X509ExtendedTrustManager[] {new Pinned(e.serverCertificate())},
                new SecureRandom());
        return context;
    }

    /** Enables TLS 1.3 and 1.2 and adds the CBC-SHA256 suites PyKMIP needs to the defaults. */
    static void configure(SSLSocket socket) {
        socket.setEnabledProtocols(PROTOCOLS);
        Set<String> suites = new LinkedHashSet<>(Arrays.asList(socket.getEnabledCipherSuites()));
        Set<String> supported = Set.of(socket.getSupportedCipherSuites());
        for (String s : KMIP_SUITES) {
            if (supported.contains(s)) {
                suites.add(s);
            }
        }
        socket.setEnabledCipherSuites(suites.toArray(new String[0]));
    }

    /** Trusts one server certificate, compared exactly. Never trusts a client. */
    static final class Pinned extends OneSidedTrust {
        private final X509Certificate pinned;

        Pinned(X509Certificate pinned) {
            super(true);
            this.pinned = pinned;
        }

        @Override
        protected void check(X509Certificate[] chain) throws CertificateException {
            if (chain.length == 0 || !chain[0].equals(pinned)) {
                throw new CertificateException("the HSM presented a certificate ("
                        + (chain.length == 0
                                ? "none"
                                : chain[0].getSubjectX500Principal().getName())
                        + ") that is not the configured HSM server certificate");
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {pinned};
        }
    }

    static List<String> describe(SSLSocket s) {
        List<String> out = new ArrayList<>();
        out.add(s.getSession().getProtocol());
        out.add(s.getSession().getCipherSuite());
        return out;
    }
}
