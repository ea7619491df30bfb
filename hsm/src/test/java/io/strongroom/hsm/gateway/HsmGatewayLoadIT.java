package io.strongroom.hsm.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.client.HsmEndpoint;
import io.strongroom.hsm.client.KmipClient;
import io.strongroom.hsm.client.KmipException;
import io.strongroom.hsm.client.Sealed;
import io.strongroom.hsm.kmip.Credential;
import io.strongroom.hsm.kmip.CryptographicParameters;
import io.strongroom.hsm.kmip.KmipConstants;
import io.strongroom.hsm.kmip.Operation;
import io.strongroom.hsm.kmip.ProtocolVersion;
import io.strongroom.hsm.kmip.RequestMessage;
import io.strongroom.hsm.kmip.RequestPayload;
import io.strongroom.hsm.kmip.ResponseMessage;
import io.strongroom.hsm.kmip.ResultReason;
import io.strongroom.hsm.kmip.ResultStatus;
import io.strongroom.hsm.kmip.RevocationReasonCode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway under several clients at once over SoftHSM2: one client's wrong password, a Revoke racing a batch,
 * and peers that hold connections without authenticating must not disturb a registered client.
 */
class HsmGatewayLoadIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String PIN = "pin-" + UUID.randomUUID().toString().substring(0, 8);
    private static final byte[] AAD = "cluster=dw-1/db=2/dek=1".getBytes(StandardCharsets.UTF_8);

    private Path dir;
    private Path library;
    private String label;
    private HsmGateway gateway;
    private ClientCertificates.Issued client;
    private ClientCertificates.Issued intruder;

    @BeforeEach
    void start() throws IOException {
        library = SoftHsmFixture.library();
        dir = SoftHsmFixture.newDir("gateway-load-");
        gateway = HsmGateway.start(dir, "127.0.0.1", 0, library);
        label = "l" + UUID.randomUUID().toString().substring(0, 8);
        gateway.createPartition(label, PIN);
        client = ClientCertificates.generate("strongroom-dw-1", Duration.ofDays(2));
        intruder = ClientCertificates.generate("strongroom-dw-2", Duration.ofDays(2));
        HsmGateway.registerClient(dir, "dw-1", client.certificate());
        HsmGateway.assignClient(dir, "dw-1", label);
        HsmGateway.registerClient(dir, "dw-2", intruder.certificate());
        HsmGateway.assignClient(dir, "dw-2", label);
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private KmipClient connect(ClientCertificates.Issued who, String password) {
        return KmipClient.connect(
                new HsmEndpoint(
                        "127.0.0.1",
                        gateway.port(),
                        gateway.serverCertificate(),
                        who.privateKey(),
                        who.certificate(),
                        label,
                        password),
                TIMEOUT);
    }

    @Test
    void wrongPasswordFromOneClient_neverFailsAnotherClientsRequests_andNeverReachesTheToken() throws Exception {
        String uid;
        try (KmipClient c = connect(client, PIN)) {
            uid = c.createAesKey("cek-shared");
        }
        int loginsAfterFirstUse = gateway.tokenLogins(label);
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger refusals = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        CountDownLatch refusedOnce = new CountDownLatch(1);
        Thread wrong = Thread.ofPlatform().start(() -> {
            try (KmipClient c = connect(intruder, "wrong-password")) {
                while (!done.get()) {
                    try {
                        c.locate("cek-shared");
                        unexpected.add(new AssertionError("a wrong password was accepted"));
                    } catch (KmipException e) {
                        if (e.resultReason() != ResultReason.AUTHENTICATION_NOT_SUCCESSFUL.code()) {
                            unexpected.add(e);
                        }
                        refusals.incrementAndGet();
                        refusedOnce.countDown();
                    }
                }
            } catch (RuntimeException e) {
                unexpected.add(e);
                refusedOnce.countDown();
            }
        });
        byte[] dek = new byte[32];
        byte[] iv = new byte[12];
        SecureRandom random = new SecureRandom();
        try (KmipClient c = connect(client, PIN)) {
            assertThat(refusedOnce.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 300; i++) {
                random.nextBytes(dek);
                random.nextBytes(iv);
                Sealed sealed = c.encrypt(uid, dek, iv, AAD);
                assertThat(c.decrypt(uid, sealed.ciphertext(), iv, AAD, sealed.tag()))
                        .isEqualTo(dek);
            }
        } finally {
            done.set(true);
            wrong.join(TIMEOUT);
        }
        assertThat(unexpected).isEmpty();
        assertThat(refusals.get()).isPositive();
        // The token was logged in by the first use; no wrong password since has reached C_Login.
        assertThat(gateway.tokenLogins(label)).isEqualTo(loginsAfterFirstUse);
    }

    @Test
    void wrongPasswordBeforeAnyLogin_reachesTheTokenOnce_thenIsRefusedByTheGateway() {
        for (int i = 0; i < 5; i++) {
            try (KmipClient c = connect(intruder, "wrong-password")) {
                KmipException e = catchKmip(c::checkConnectivity);
                assertThat(e.resultReason()).isEqualTo(ResultReason.AUTHENTICATION_NOT_SUCCESSFUL.code());
            }
        }
        assertThat(gateway.tokenLogins(label)).isEqualTo(1);
        try (KmipClient c = connect(client, PIN)) {
            c.checkConnectivity();
        }
        assertThat(gateway.tokenLogins(label)).isEqualTo(2);
    }

    private static KmipException catchKmip(Runnable r) {
        try {
            r.run();
        } catch (KmipException e) {
            return e;
        }
        throw new AssertionError("no KmipException");
    }

    /**
     * A batch of Encrypt items runs whole while holding the partition: a Revoke sent meanwhile lands before or after
     * it, never between two of its items, so the items all succeed or all fail. Before the fix the Active check of
     * each item and a concurrent Revoke interleaved.
     */
    @Test
    void revokeRacingABatch_landsBeforeOrAfterIt_neverInside() throws Exception {
        int rounds = 10;
        int batch = 300;
        for (int round = 0; round < rounds; round++) {
            String uid;
            try (KmipClient c = connect(client, PIN)) {
                uid = c.createAesKey("cek-race-" + round);
            }
            List<RequestMessage.Item> items = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                items.add(new RequestMessage.Item(
                        Operation.ENCRYPT,
                        new byte[] {(byte) (i >>> 8), (byte) i},
                        new RequestPayload.Encrypt(
                                uid, CryptographicParameters.aesGcm(16), new byte[32], new byte[12], AAD)));
            }
            RequestMessage encrypts = new RequestMessage(
                    ProtocolVersion.V1_4, new Credential(label, PIN), KmipConstants.BATCH_CONTINUE, items);
            RequestMessage revoke = new RequestMessage(
                    ProtocolVersion.V1_4,
                    new Credential(label, PIN),
                    null,
                    List.of(new RequestMessage.Item(
                            Operation.REVOKE,
                            null,
                            new RequestPayload.Revoke(
                                    uid, RevocationReasonCode.CESSATION_OF_OPERATION.code(), null, null))));
            try (RawKmip a = new RawKmip(gateway.port(), gateway.serverCertificate(), client);
                    RawKmip b = new RawKmip(gateway.port(), gateway.serverCertificate(), intruder)) {
                CompletableFuture<ResponseMessage> batchAnswer = CompletableFuture.supplyAsync(() -> {
                    try {
                        return a.exchange(encrypts);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(b.exchange(revoke).items().getFirst().status()).isEqualTo(ResultStatus.SUCCESS);
                ResponseMessage r = batchAnswer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertThat(r.items()).hasSize(batch);
                assertThat(r.items().stream().map(ResponseMessage.Item::status).distinct())
                        .as("round %d: every item of the batch saw the same key state", round)
                        .hasSize(1);
            }
        }
    }

    // ---------------------------------------------------------------- connection limits

    @Test
    void onePeersConnections_areCappedPerAddress_soAnotherAddressStillConnects() throws Exception {
        InetAddress other = InetAddress.getByName("127.0.0.2");
        assumeTrue(canBind(other), "127.0.0.2 is not usable as a loopback source address here");
        restart(new HsmGateway.Limits(4, 2, Duration.ofMinutes(1), Duration.ofMinutes(5)));
        InetAddress local = InetAddress.getByName("127.0.0.1");
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                held.add(rawSocket(local));
            }
            await(() -> gateway.connectionsFrom(local) == 2);
            // The third from the same address is closed at once, whatever it would send.
            try (Socket third = rawSocket(local)) {
                assertClosedByGateway(third);
            }
            assertThat(gateway.connectionsFrom(local)).isEqualTo(2);
            // A registered client from another address is served.
            try (RawKmip raw = new RawKmip(gateway.port(), gateway.serverCertificate(), client, other)) {
                ResponseMessage r = raw.exchange(new RequestMessage(
                        ProtocolVersion.V1_4,
                        new Credential(label, PIN),
                        null,
                        List.of(new RequestMessage.Item(
                                Operation.DISCOVER_VERSIONS, null, new RequestPayload.DiscoverVersions(List.of())))));
                assertThat(r.items().getFirst().status()).isEqualTo(ResultStatus.SUCCESS);
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * Peers that start a TLS handshake and never finish it, trickling a byte at a time so that a read timeout alone
     * would never fire, are closed at the handshake deadline; their slots then serve a registered client.
     */
    @Test
    void stalledHandshakes_areClosedAtTheDeadline_evenWhenTrickling_andTheSlotsServeAgain() throws Exception {
        Duration deadline = Duration.ofSeconds(2);
        restart(new HsmGateway.Limits(3, 3, deadline, Duration.ofMinutes(5)));
        InetAddress local = InetAddress.getByName("127.0.0.1");
        List<Socket> stalled = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            stalled.add(rawSocket(local));
        }
        // The start of a TLS record carrying a ClientHello, one byte every 200 ms, well inside the read timeout.
        byte[] hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xFC, 0x03, 0x03};
        AtomicInteger sent = new AtomicInteger();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try {
            trickle.scheduleAtFixedRate(
                    () -> {
                        int at = sent.getAndIncrement();
                        for (Socket s : stalled) {
                            try {
                                s.getOutputStream().write(hello[Math.min(at, hello.length - 1)]);
                            } catch (IOException e) {
                                // closed by the gateway: what the test waits for
                            }
                        }
                    },
                    0,
                    200,
                    TimeUnit.MILLISECONDS);
            await(() -> gateway.connectionsFrom(local) == 3);
            for (Socket s : stalled) {
                assertClosedByGateway(s);
            }
            assertThat(sent.get())
                    .as("bytes kept arriving more often than the read timeout")
                    .isGreaterThan((int) (deadline.toMillis() / 200) - 1);
        } finally {
            trickle.shutdownNow();
            for (Socket s : stalled) {
                s.close();
            }
        }
        await(() -> gateway.connectionsFrom(local) == 0);
        try (KmipClient c = connect(client, PIN)) {
            c.checkConnectivity();
        }
    }

    private void restart(HsmGateway.Limits limits) {
        gateway.close();
        gateway = HsmGateway.start(dir, "127.0.0.1", 0, library, limits);
    }

    private Socket rawSocket(InetAddress from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), gateway.port()), 5_000);
        s.setSoTimeout((int) TIMEOUT.toMillis());
        return s;
    }

    /** Reads until the gateway closes {@code s}: end of stream or a reset, within the read timeout. */
    private static void assertClosedByGateway(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // a TLS alert before the close is fine
            }
        } catch (SocketException e) {
            assertThat(e.getMessage()).containsIgnoringCase("reset");
        }
    }

    private static boolean canBind(InetAddress a) {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(a, 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void await(BooleanSupplier condition) {
        long giveUp = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within %s", TIMEOUT).isLessThan(giveUp);
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }
}
