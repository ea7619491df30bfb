package io.strongroom.hsm.client;

import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.kmip.KmipCodec;
import io.strongroom.hsm.kmip.RequestMessage;
import io.strongroom.hsm.kmip.ResponseMessage;
import io.strongroom.hsm.ttlv.TtlvCodec;
import io.strongroom.hsm.ttlv.TtlvReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A KMIP server for client tests that answers each request message with what a script says, over TLS on
 * 127.0.0.1, and keeps every request it read. It accepts any client certificate: the tests here are about the
 * client's handling of answers, not about authentication.
 */
final class ScriptedKmipServer implements AutoCloseable {
    final List<RequestMessage> requests = new CopyOnWriteArrayList<>();
    final X509Certificate certificate;
    private final SSLServerSocket listener;
    private final Thread thread;

    ScriptedKmipServer(Function<RequestMessage, List<ResponseMessage.Item>> script) throws Exception {
        ClientCertificates.Issued server =
                ClientCertificates.generateServer("localhost", Duration.ofDays(1), List.of("127.0.0.1"));
        certificate = server.certificate();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("s", server.privateKey(), new char[0], new Certificate[] {server.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), new X509ExtendedTrustManager[] {new AnyClient()}, new SecureRandom());
        listener = (SSLServerSocket)
                ctx.getServerSocketFactory().createServerSocket(0, 8, InetAddress.getByName("127.0.0.1"));
        listener.setNeedClientAuth(true);
        thread = Thread.ofPlatform().daemon().name("scripted-kmip").start(() -> serve(script));
    }

    int port() {
        return listener.getLocalPort();
    }

    private void serve(Function<RequestMessage, List<ResponseMessage.Item>> script) {
        while (!listener.isClosed()) {
            try (Socket s = listener.accept()) {
                TtlvReader reader = new TtlvReader(s.getInputStream(), TtlvCodec.MAX_MESSAGE_BYTES);
                for (byte[] bytes = reader.next(); bytes != null; bytes = reader.next()) {
                    RequestMessage m = KmipCodec.decodeRequest(bytes);
                    requests.add(m);
                    TtlvReader.write(
                            s.getOutputStream(),
                            KmipCodec.encodeResponse(
                                    new ResponseMessage(m.version(), 1_700_000_000L, script.apply(m))));
                }
            } catch (IOException e) {
                // the client hung up, or the server is closing
            }
        }
    }

    @Override
    public void close() throws Exception {
        listener.close();
        thread.join(Duration.ofSeconds(10));
    }

    private static final class AnyClient extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
