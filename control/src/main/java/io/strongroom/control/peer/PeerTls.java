package io.strongroom.control.peer;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.SingleKeyManager;
import io.strongroom.hsm.OneSidedTrust;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS contexts of a peer link: each side presents its {@link PeerIdentity}; a sender trusts exactly the one
 * certificate its configuration pins for the receiver, a receiver exactly the certificates of its configured peers
 * (byte-for-byte equality, no CA and no host name: a pinned certificate says more than a name; the receiver compares
 * per request, {@link #server}). TLS 1.3 only.
 * Stateless.
 */
final class PeerTls {
    static final String[] PROTOCOLS = {"TLSv1.3"};
    private static final String ALIAS = "strongroom-peer";

    private PeerTls() {}

    /** The sending side's context for {@code peer}. */
    static SSLContext client(PeerIdentity me, X509Certificate pinned) {
        return context(me, new OneSidedTrust(true) {
            @Override
            protected void check(X509Certificate[] chain) throws CertificateException {
                if (chain.length == 0 || !chain[0].equals(pinned)) {
                    throw new CertificateException(
                            "the peer presented a certificate that is not the one" + " peers.json pins for it");
                }
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[] {pinned};
            }
        });
    }

    /**
     * The receiving endpoint's context: a client must present a certificate and prove it holds its key (the
     * handshake's CertificateVerify); the certificate must be within its validity. Whether it is a peer's is decided
     * per request by exact comparison with peers.json ({@link PeerServer}), so that an unknown sender gets an answer
     * that says so (a TLS 1.3 client sees a handshake refusal only as a reset connection, like a network fault).
     */
    static SSLContext server(PeerIdentity me) {
        return context(me, new OneSidedTrust(false) {
            @Override
            protected void check(X509Certificate[] chain) throws CertificateException {
                if (chain.length == 0) {
                    throw new CertificateException("a sender must present its identity certificate");
                }
                chain[0].checkValidity();
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        });
    }

    private static SSLContext context(PeerIdentity me, X509ExtendedTrustManager trust) {
        try {
            SSLContext c = SSLContext.getInstance("TLSv1.3");
            c.init(
                    new X509ExtendedKeyManager[] {new SingleKeyManager(ALIAS, me.privateKey(), me.certificate())},
                    new X509ExtendedTrustManager[] {trust},
                    new SecureRandom());
            return c;
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "TLS 1.3 is not available in this JDK: " + e, e);
        }
    }
}
