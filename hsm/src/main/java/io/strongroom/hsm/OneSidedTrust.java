package io.strongroom.hsm;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * A trust manager for one side of a KMIP connection, deciding by {@link #check} alone (no PKIX path, no host
 * name): the cluster's client trusts exactly the configured HSM certificate, the gateway exactly its registered
 * client certificates. Peers of the other side are always refused. Immutable subclasses are thread-safe.
 */
public abstract class OneSidedTrust extends X509ExtendedTrustManager {
    private final boolean trustsServers;

    /** @param trustsServers true for a client's trust manager (it checks servers), false for a server's */
    protected OneSidedTrust(boolean trustsServers) {
        this.trustsServers = trustsServers;
    }

    /** Accepts {@code chain} (its leaf, {@code chain[0]}) or throws saying why not. */
    protected abstract void check(X509Certificate[] chain) throws CertificateException;

    private void checkSide(X509Certificate[] chain, boolean server) throws CertificateException {
        if (server != trustsServers) {
            throw new CertificateException(
                    trustsServers ? "a KMIP client trusts no clients" : "a KMIP server trusts" + " no servers");
        }
        check(chain);
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkSide(chain, true);
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType, @Nullable Socket socket)
            throws CertificateException {
        checkSide(chain, true);
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType, @Nullable SSLEngine engine)
            throws CertificateException {
        checkSide(chain, true);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkSide(chain, false);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, @Nullable Socket socket)
            throws CertificateException {
        checkSide(chain, false);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, @Nullable SSLEngine engine)
            throws CertificateException {
        checkSide(chain, false);
    }
}
