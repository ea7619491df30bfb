package io.strongroom.hsm.gateway;

import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.kmip.KmipCodec;
import io.strongroom.hsm.kmip.RequestMessage;
import io.strongroom.hsm.kmip.ResponseMessage;
import io.strongroom.hsm.ttlv.TtlvCodec;
import io.strongroom.hsm.ttlv.TtlvReader;
import java.net.InetAddress;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** A bare KMIP connection for tests: sends any bytes, in any protocol version, and returns the raw answer. */
final class RawKmip implements AutoCloseable {
    private final SSLSocket socket;
    private final TtlvReader reader;

    RawKmip(int port, X509Certificate server, ClientCertificates.Issued client) throws Exception {
        this(port, server, client, InetAddress.getByName("127.0.0.1"));
    }

    /** A connection from local address {@code from} (any 127.x.y.z address on Linux loopback). */
    RawKmip(int port, X509Certificate server, ClientCertificates.Issued client, InetAddress from) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("c", client.privateKey(), new char[0], new Certificate[] {client.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("s", server);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
        socket = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getByName("127.0.0.1"), port, from, 0);
        socket.setSoTimeout(20_000);
        socket.startHandshake();
        reader = new TtlvReader(socket.getInputStream(), TtlvCodec.MAX_MESSAGE_BYTES);
    }

    byte[] exchange(byte[] request) throws Exception {
        TtlvReader.write(socket.getOutputStream(), request);
        byte[] answer = reader.next();
        if (answer == null) {
            throw new IllegalStateException("the gateway closed the connection");
        }
        return answer;
    }

    ResponseMessage exchange(RequestMessage m) throws Exception {
        return KmipCodec.decodeResponse(exchange(KmipCodec.encodeRequest(m)));
    }

    @Override
    public void close() throws Exception {
        socket.close();
    }
}
