package io.strongroom.hsm.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.kmip.State;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Strongroom's KMIP client against PyKMIP's server, an independent implementation (hsm-kmip.md §3). */
class PyKmipServerIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static ClientCertificates.Issued client;
    private static ClientCertificates.Issued stranger;
    private static PyKmipServer server;

    @BeforeAll
    static void start() throws Exception {
        client = ClientCertificates.generate("strongroom-cluster-1", Duration.ofDays(2));
        stranger = ClientCertificates.generate("strongroom-cluster-1", Duration.ofDays(2));
        server = PyKmipServer.start(List.of(client.certificate()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static HsmEndpoint endpoint(ClientCertificates.Issued who) {
        return new HsmEndpoint(
                "127.0.0.1",
                server.port,
                server.serverCertificate,
                who.privateKey(),
                who.certificate(),
                "partition-a",
                "partition-password");
    }

    @Test
    void fullCekLifecycle_worksAgainstPyKmip() {
        try (KmipClient c = KmipClient.connect(endpoint(client), TIMEOUT)) {
            assertThat(c.tlsDescription()).startsWith("TLSv1.2");
            assertThat(c.discoverVersions()).contains("1.4", "2.0");
            c.checkConnectivity();

            String name = "strongroom/dw-1/cek/1";
            String uid = c.createAesKey(name);
            assertThat(c.state(uid)).isEqualTo(State.ACTIVE.code());
            assertThat(c.locate(name)).containsExactly(uid);

            byte[] dek = new byte[32];
            new SecureRandom().nextBytes(dek);
            byte[] iv = new byte[12];
            new SecureRandom().nextBytes(iv);
            byte[] aad = "cluster=dw-1/dek=1".getBytes(StandardCharsets.UTF_8);
            Sealed sealed = c.encrypt(uid, dek, iv, aad);
            assertThat(sealed.ciphertext()).hasSize(32).isNotEqualTo(dek);
            assertThat(sealed.tag()).hasSize(16);
            assertThat(c.decrypt(uid, sealed.ciphertext(), iv, aad, sealed.tag()))
                    .isEqualTo(dek);

            byte[] otherAad = "cluster=dw-2/dek=1".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> c.decrypt(uid, sealed.ciphertext(), iv, otherAad, sealed.tag()))
                    .isInstanceOfSatisfying(
                            KmipException.class,
                            e -> assertThat(e.kind()).isEqualTo(KmipException.Kind.CRYPTO_FAILURE));

            c.revokeAndDestroy(uid);
            assertThat(c.locate(name)).isEmpty();
            assertThatThrownBy(() -> c.state(uid))
                    .isInstanceOfSatisfying(
                            KmipException.class, e -> assertThat(e.kind()).isEqualTo(KmipException.Kind.KEY_NOT_FOUND));
        }
    }

    @Test
    void encryptBeforeActivate_isNotAuthorised_andDestroyWhileActiveRefused() {
        try (KmipClient c = KmipClient.connect(endpoint(client), TIMEOUT)) {
            String uid = c.createAesKey("strongroom/dw-1/cek/2");
            assertThatThrownBy(() -> c.revokeAndDestroy("no-such-key"))
                    .isInstanceOfSatisfying(
                            KmipException.class,
                            e -> assertThat(e.kind())
                                    .isIn(KmipException.Kind.KEY_NOT_FOUND, KmipException.Kind.NOT_AUTHORISED));
            c.revokeAndDestroy(uid);
        }
    }

    @Test
    void unregisteredClientCertificate_isUnreachable() {
        assertThatThrownBy(() -> {
                    try (KmipClient c = KmipClient.connect(endpoint(stranger), TIMEOUT)) {
                        c.discoverVersions();
                    }
                })
                .isInstanceOfSatisfying(
                        KmipException.class, e -> assertThat(e.kind()).isEqualTo(KmipException.Kind.UNREACHABLE));
    }

    @Test
    void serverCertificateOtherThanPinned_isRefused() {
        ClientCertificates.Issued impostor =
                ClientCertificates.generateServer("localhost", Duration.ofDays(1), List.of("127.0.0.1"));
        HsmEndpoint e = new HsmEndpoint(
                "127.0.0.1",
                server.port,
                impostor.certificate(),
                client.privateKey(),
                client.certificate(),
                "partition-a",
                "pw");
        assertThatThrownBy(() -> KmipClient.connect(e, TIMEOUT)).isInstanceOfSatisfying(KmipException.class, ex -> {
            assertThat(ex.kind()).isEqualTo(KmipException.Kind.UNREACHABLE);
            assertThat(ex.getMessage()).doesNotContain("pw\"").contains("127.0.0.1:" + server.port);
        });
    }
}
