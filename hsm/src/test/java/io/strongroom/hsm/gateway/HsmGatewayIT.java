package io.strongroom.hsm.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.client.CreatedKey;
import io.strongroom.hsm.client.HsmEndpoint;
import io.strongroom.hsm.client.KmipClient;
import io.strongroom.hsm.client.KmipException;
import io.strongroom.hsm.client.Sealed;
import io.strongroom.hsm.kmip.Attribute;
import io.strongroom.hsm.kmip.AttributeKind;
import io.strongroom.hsm.kmip.Credential;
import io.strongroom.hsm.kmip.CryptographicParameters;
import io.strongroom.hsm.kmip.KmipCodec;
import io.strongroom.hsm.kmip.KmipConstants;
import io.strongroom.hsm.kmip.ObjectType;
import io.strongroom.hsm.kmip.Operation;
import io.strongroom.hsm.kmip.ProtocolVersion;
import io.strongroom.hsm.kmip.RequestMessage;
import io.strongroom.hsm.kmip.RequestPayload;
import io.strongroom.hsm.kmip.ResponseMessage;
import io.strongroom.hsm.kmip.ResponsePayload;
import io.strongroom.hsm.kmip.ResultReason;
import io.strongroom.hsm.kmip.ResultStatus;
import io.strongroom.hsm.kmip.RevocationReasonCode;
import io.strongroom.hsm.kmip.State;
import io.strongroom.hsm.ttlv.Tags;
import io.strongroom.hsm.ttlv.Ttlv;
import io.strongroom.hsm.ttlv.TtlvCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway over SoftHSM2 through SunPKCS11, driven by Strongroom's KMIP client and by raw KMIP messages. */
class HsmGatewayIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String PIN = "pin-" + UUID.randomUUID().toString().substring(0, 8);
    private static final byte[] AAD = "cluster=dw-1/db=2/dek=1".getBytes(StandardCharsets.UTF_8);

    private Path dir;
    private Path library;
    private String label;
    private HsmGateway gateway;
    private ClientCertificates.Issued client;

    @BeforeEach
    void start() throws IOException {
        library = SoftHsmFixture.library();
        dir = SoftHsmFixture.newDir("gateway-");
        gateway = HsmGateway.start(dir, "127.0.0.1", 0, library);
        label = "p" + UUID.randomUUID().toString().substring(0, 8);
        gateway.createPartition(label, PIN);
        client = ClientCertificates.generate("strongroom-dw-1", Duration.ofDays(2));
        HsmGateway.registerClient(dir, "dw-1", client.certificate());
        HsmGateway.assignClient(dir, "dw-1", label);
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private HsmEndpoint endpoint(ClientCertificates.Issued who, String partition, String password) {
        return new HsmEndpoint(
                "127.0.0.1",
                gateway.port(),
                gateway.serverCertificate(),
                who.privateKey(),
                who.certificate(),
                partition,
                password);
    }

    private KmipClient connect() {
        return KmipClient.connect(endpoint(client, label, PIN), TIMEOUT);
    }

    @Test
    void cekLifecycle_roundTripsWithAad_survivesRestart_andKeyIsNeverExtractable() throws Exception {
        byte[] dek = new byte[32];
        new SecureRandom().nextBytes(dek);
        byte[] iv = new byte[12];
        new SecureRandom().nextBytes(iv);
        String uid;
        Sealed sealed;
        try (KmipClient c = connect()) {
            assertThat(c.discoverVersions()).containsExactly("2.0", "1.4", "1.3", "1.2");
            c.checkConnectivity();
            uid = c.createAesKey("strongroom/dw-1/cek/1");
            assertThat(c.state(uid)).isEqualTo(State.ACTIVE.code());
            assertThat(c.locate("strongroom/dw-1/cek/1")).containsExactly(uid);
            sealed = c.encrypt(uid, dek, iv, AAD);
            assertThat(sealed.ciphertext()).hasSize(32).isNotEqualTo(dek);
            assertThat(c.decrypt(uid, sealed.ciphertext(), iv, AAD, sealed.tag()))
                    .isEqualTo(dek);
            byte[] wrongAad = "cluster=dw-2/db=2/dek=1".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> c.decrypt(uid, sealed.ciphertext(), iv, wrongAad, sealed.tag()))
                    .isInstanceOfSatisfying(KmipException.class, e -> {
                        assertThat(e.kind()).isEqualTo(KmipException.Kind.CRYPTO_FAILURE);
                        assertThat(e.resultReason()).isEqualTo(ResultReason.CRYPTOGRAPHIC_FAILURE.code());
                    });
        }
        assertThat(gateway.tokenAliases(label)).containsExactly(uid);
        assertNeverExtractable(uid);

        gateway.close();
        gateway = HsmGateway.start(dir, "127.0.0.1", 0, library);
        try (KmipClient c = connect()) {
            assertThat(c.decrypt(uid, sealed.ciphertext(), iv, AAD, sealed.tag()))
                    .isEqualTo(dek);
            c.revokeAndDestroy(uid);
            assertThatThrownBy(() -> c.state(uid))
                    .isInstanceOfSatisfying(
                            KmipException.class, e -> assertThat(e.kind()).isEqualTo(KmipException.Kind.KEY_NOT_FOUND));
            assertThat(c.locate("strongroom/dw-1/cek/1")).isEmpty();
        }
        assertThat(gateway.tokenAliases(label)).isEmpty();
    }

    private void assertNeverExtractable(String uid) throws Exception {
        Path tool = Path.of("/usr/bin/pkcs11-tool");
        assumeTrue(Files.exists(tool), "pkcs11-tool (Debian package opensc) is not installed");
        Process p = new ProcessBuilder(
                        tool.toString(),
                        "--module",
                        library.toString(),
                        "--login",
                        "--pin",
                        PIN,
                        "--token-label",
                        label,
                        "--list-objects",
                        "--type",
                        "secrkey")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("label:      " + uid).contains("sensitive, always sensitive, never extractable");
    }

    @Test
    void get_isRefusedAsSensitive_andGcmBelow14IsRefused() throws Exception {
        String uid;
        try (KmipClient c = connect()) {
            uid = c.createAesKey("cek-get");
        }
        try (RawKmip raw = new RawKmip(gateway.port(), gateway.serverCertificate(), client)) {
            ResponseMessage.Item get = raw.exchange(
                            one(ProtocolVersion.V1_4, Operation.GET, new RequestPayload.Get(uid)))
                    .items()
                    .getFirst();
            assertThat(get.status()).isEqualTo(ResultStatus.OPERATION_FAILED);
            assertThat(get.resultReason()).isEqualTo(ResultReason.SENSITIVE.code());

            RequestPayload.Encrypt enc12 = new RequestPayload.Encrypt(
                    uid, CryptographicParameters.aesGcm(16), new byte[32], new byte[12], null);
            ResponseMessage r12 = raw.exchange(one(ProtocolVersion.V1_2, Operation.ENCRYPT, enc12));
            assertThat(r12.version()).isEqualTo(ProtocolVersion.V1_2);
            assertThat(r12.items().getFirst().resultReason()).isEqualTo(ResultReason.FEATURE_NOT_SUPPORTED.code());

            RequestPayload.Encrypt noIv =
                    new RequestPayload.Encrypt(uid, CryptographicParameters.aesGcm(16), new byte[32], null, AAD);
            assertThat(raw.exchange(one(ProtocolVersion.V1_4, Operation.ENCRYPT, noIv))
                            .items()
                            .getFirst()
                            .resultMessage())
                    .contains("12-byte IV");

            // Destroy while Active is refused, as a state problem (Illegal Operation), not an access one.
            ResponseMessage.Item destroy = raw.exchange(
                            one(ProtocolVersion.V1_4, Operation.DESTROY, new RequestPayload.Destroy(uid)))
                    .items()
                    .getFirst();
            assertThat(destroy.resultReason()).isEqualTo(ResultReason.ILLEGAL_OPERATION.code());
            ResponseMessage.Item destroy20 = raw.exchange(
                            one(ProtocolVersion.V2_0, Operation.DESTROY, new RequestPayload.Destroy(uid)))
                    .items()
                    .getFirst();
            assertThat(destroy20.resultReason()).isEqualTo(ResultReason.WRONG_KEY_LIFECYCLE_STATE.code());
        }
    }

    @Test
    void kmip20_createAndActivateBatch_withPlaceholder_andAttributesStructure() throws Exception {
        try (RawKmip raw = new RawKmip(gateway.port(), gateway.serverCertificate(), client)) {
            RequestMessage batch = new RequestMessage(
                    ProtocolVersion.V2_0,
                    new Credential(label, PIN),
                    null,
                    List.of(
                            new RequestMessage.Item(
                                    Operation.CREATE,
                                    new byte[] {1},
                                    new RequestPayload.Create(
                                            ObjectType.SYMMETRIC_KEY.code(),
                                            List.of(
                                                    Attribute.enumeration(
                                                            AttributeKind.CRYPTOGRAPHIC_ALGORITHM,
                                                            KmipConstants.ALGORITHM_AES),
                                                    Attribute.integer(AttributeKind.CRYPTOGRAPHIC_LENGTH, 256),
                                                    Attribute.integer(AttributeKind.CRYPTOGRAPHIC_USAGE_MASK, 12),
                                                    Attribute.name("cek-20")))),
                            new RequestMessage.Item(
                                    Operation.ACTIVATE, new byte[] {2}, new RequestPayload.Activate(null)),
                            new RequestMessage.Item(
                                    Operation.GET_ATTRIBUTES,
                                    new byte[] {3},
                                    new RequestPayload.GetAttributes(null, List.of("State", "Sensitive")))));
            ResponseMessage r = raw.exchange(batch);
            assertThat(r.version()).isEqualTo(ProtocolVersion.V2_0);
            assertThat(r.items()).extracting(ResponseMessage.Item::status).containsOnly(ResultStatus.SUCCESS);
            ResponsePayload.GetAttributes attrs =
                    (ResponsePayload.GetAttributes) r.items().get(2).payload();
            assertThat(Attribute.find(attrs.attributes(), AttributeKind.STATE).intValue())
                    .isEqualTo(State.ACTIVE.code());
            assertThat(attrs.attributes()).extracting(Attribute::name).containsExactly("State", "Sensitive");
        }
    }

    @Test
    void malformedMessage_isAnsweredInvalidMessage_namingTheTag() throws Exception {
        try (RawKmip raw = new RawKmip(gateway.port(), gateway.serverCertificate(), client)) {
            byte[] bad = discoverWithBadBoolean();
            ResponseMessage r = KmipCodec.decodeResponse(raw.exchange(bad));
            assertThat(r.items().getFirst().resultReason()).isEqualTo(ResultReason.INVALID_MESSAGE.code());
            assertThat(r.items().getFirst().operationCode()).isEqualTo(-1);
            assertThat(r.items().getFirst().resultMessage()).contains("420010");
            // The connection still serves after a refused message.
            assertThat(raw.exchange(one(
                                    ProtocolVersion.V1_4,
                                    Operation.DISCOVER_VERSIONS,
                                    new RequestPayload.DiscoverVersions(List.of())))
                            .items()
                            .getFirst()
                            .status())
                    .isEqualTo(ResultStatus.SUCCESS);
        }
    }

    /** A Discover Versions request whose header has Batch Order Option = 2 (a Boolean must be 0 or 1). */
    private static byte[] discoverWithBadBoolean() {
        Ttlv.Struct header = Ttlv.Struct.of(
                Tags.REQUEST_HEADER,
                Ttlv.Struct.of(
                        Tags.PROTOCOL_VERSION,
                        new Ttlv.Int(Tags.PROTOCOL_VERSION_MAJOR, 1),
                        new Ttlv.Int(Tags.PROTOCOL_VERSION_MINOR, 4)),
                new Ttlv.Bool(Tags.BATCH_ORDER_OPTION, true),
                new Ttlv.Int(Tags.BATCH_COUNT, 1));
        Ttlv.Struct item = Ttlv.Struct.of(
                Tags.BATCH_ITEM,
                new Ttlv.Enumeration(Tags.OPERATION, Operation.DISCOVER_VERSIONS.code()),
                Ttlv.Struct.of(Tags.REQUEST_PAYLOAD));
        byte[] wire = TtlvCodec.encode(Ttlv.Struct.of(Tags.REQUEST_MESSAGE, header, item));
        int at = TtlvCodec.hex(wire).indexOf("42001006") / 2;
        wire[at + 15] = 2;
        return wire;
    }

    @Test
    void wrongPassword_unassignedPartition_andUnregisteredClient_areRefused() throws IOException {
        try (KmipClient c = KmipClient.connect(endpoint(client, label, "wrong-pin"), TIMEOUT)) {
            assertThatThrownBy(c::checkConnectivity).isInstanceOfSatisfying(KmipException.class, e -> {
                assertThat(e.kind()).isEqualTo(KmipException.Kind.NOT_AUTHORISED);
                assertThat(e.resultReason()).isEqualTo(ResultReason.AUTHENTICATION_NOT_SUCCESSFUL.code());
                assertThat(e.getMessage()).doesNotContain("wrong-pin");
            });
        }
        try (KmipClient c = connect()) {
            c.checkConnectivity(); // the right password still works after a wrong one
        }
        String other = "q" + UUID.randomUUID().toString().substring(0, 8);
        gateway.createPartition(other, "other-pin");
        try (KmipClient c = KmipClient.connect(endpoint(client, other, "other-pin"), TIMEOUT)) {
            assertThatThrownBy(c::checkConnectivity).isInstanceOfSatisfying(KmipException.class, e -> {
                assertThat(e.kind()).isEqualTo(KmipException.Kind.NOT_AUTHORISED);
                assertThat(e.resultReason()).isEqualTo(ResultReason.PERMISSION_DENIED.code());
            });
        }
        ClientCertificates.Issued stranger = ClientCertificates.generate("strongroom-dw-1", Duration.ofDays(2));
        assertThatThrownBy(() -> {
                    try (KmipClient c = KmipClient.connect(endpoint(stranger, label, PIN), TIMEOUT)) {
                        c.discoverVersions();
                    }
                })
                .isInstanceOfSatisfying(
                        KmipException.class, e -> assertThat(e.kind()).isEqualTo(KmipException.Kind.UNREACHABLE));
        // Registration takes effect without a restart; so does revocation.
        HsmGateway.registerClient(dir, "dw-2", stranger.certificate());
        HsmGateway.assignClient(dir, "dw-2", label);
        try (KmipClient c = KmipClient.connect(endpoint(stranger, label, PIN), TIMEOUT)) {
            c.checkConnectivity();
            HsmGateway.revokeClient(dir, "dw-2", label);
            assertThatThrownBy(c::checkConnectivity)
                    .isInstanceOfSatisfying(
                            KmipException.class,
                            e -> assertThat(e.kind()).isEqualTo(KmipException.Kind.NOT_AUTHORISED));
        }
    }

    @Test
    void revokedKey_isKeyNotActiveForTheClient_notNotAuthorised_andStillDecrypts() throws Exception {
        byte[] dek = new byte[32];
        new SecureRandom().nextBytes(dek);
        byte[] iv = new byte[12];
        new SecureRandom().nextBytes(iv);
        try (KmipClient c = connect()) {
            CreatedKey key = c.createKey("cek-revoked");
            assertThat(key.sensitive()).isTrue();
            Sealed sealed = c.encrypt(key.uid(), dek, iv, AAD);
            try (RawKmip raw = new RawKmip(gateway.port(), gateway.serverCertificate(), client)) {
                RequestPayload.Revoke revoke = new RequestPayload.Revoke(
                        key.uid(), RevocationReasonCode.CESSATION_OF_OPERATION.code(), null, null);
                assertThat(raw.exchange(one(ProtocolVersion.V1_4, Operation.REVOKE, revoke))
                                .items()
                                .getFirst()
                                .status())
                        .isEqualTo(ResultStatus.SUCCESS);
            }
            assertThatThrownBy(() -> c.encrypt(key.uid(), dek, iv, AAD))
                    .isInstanceOfSatisfying(KmipException.class, e -> {
                        assertThat(e.kind()).isEqualTo(KmipException.Kind.KEY_NOT_ACTIVE);
                        assertThat(e.resultReason()).isEqualTo(ResultReason.ILLEGAL_OPERATION.code());
                        assertThat(e.getMessage()).contains("DEACTIVATED").contains("revoked");
                    });
            assertThat(c.decrypt(key.uid(), sealed.ciphertext(), iv, AAD, sealed.tag()))
                    .isEqualTo(dek);
        }
    }

    @Test
    void partitionThatCannotOpen_answersAReference_andKeepsServerPathsInTheLog() throws Exception {
        // A partition the registry names but no token has: the details name the PKCS#11 library.
        String ghost = "g" + UUID.randomUUID().toString().substring(0, 8);
        Registry.update(dir, reg -> reg.withPartition(ghost));
        HsmGateway.assignClient(dir, "dw-1", ghost);
        try (KmipClient c = KmipClient.connect(endpoint(client, ghost, PIN), TIMEOUT)) {
            assertThatThrownBy(c::checkConnectivity)
                    .isInstanceOfSatisfying(
                            KmipException.class,
                            e -> assertThat(e.getMessage())
                                    .containsPattern("reference [0-9a-f]{12}")
                                    .doesNotContain(library.toString())
                                    .doesNotContain("softhsm"));
        }
        // A partition served by another gateway on the directory: the details name its lock file.
        try (KmipClient c = connect()) {
            c.checkConnectivity();
        }
        try (HsmGateway second = HsmGateway.start(dir, "127.0.0.1", 0, library);
                KmipClient c = KmipClient.connect(
                        new HsmEndpoint(
                                "127.0.0.1",
                                second.port(),
                                second.serverCertificate(),
                                client.privateKey(),
                                client.certificate(),
                                label,
                                PIN),
                        TIMEOUT)) {
            assertThatThrownBy(c::checkConnectivity)
                    .isInstanceOfSatisfying(
                            KmipException.class,
                            e -> assertThat(e.getMessage())
                                    .containsPattern("reference [0-9a-f]{12}")
                                    .doesNotContain("partitions/")
                                    .doesNotContain("lock")
                                    .doesNotContain(dir.getFileName().toString()));
        }
    }

    @Test
    void partitionCreate_holdsTheRegistryLockAroundTokenInit_soARacingCreateMakesNoSecondToken() throws Exception {
        String contested = "r" + UUID.randomUUID().toString().substring(0, 8);
        AtomicReference<Throwable> loser = new AtomicReference<>();
        AtomicReference<Thread> racer = new AtomicReference<>();
        AtomicBoolean tokenMadeWhileLockHeld = new AtomicBoolean();
        // This update stands for another `partition create` of the same label, between its check and its record.
        Registry.update(dir, reg -> {
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    HsmGateway.createPartition(dir, library, contested, "racer-pin", false);
                } catch (Throwable e) {
                    loser.set(e);
                }
            });
            racer.set(t);
            // Wait until the racing create queues for the registry lock (the fix) or makes its token (the bug).
            long giveUp = System.nanoTime() + TIMEOUT.toNanos();
            while (!Registry.LOCK.hasQueuedThread(t) && t.isAlive() && System.nanoTime() < giveUp) {
                if (Pkcs11Slots.of(library).slotOf(contested) != null) {
                    break;
                }
                LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
            }
            tokenMadeWhileLockHeld.set(Pkcs11Slots.of(library).slotOf(contested) != null);
            return reg.withPartition(contested);
        });
        racer.get().join(TIMEOUT);
        assertThat(tokenMadeWhileLockHeld).isFalse();
        assertThat(loser.get())
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
        assertThat(Pkcs11Slots.of(library).slotOf(contested)).isNull();
    }

    private RequestMessage one(ProtocolVersion v, Operation op, RequestPayload p) {
        return new RequestMessage(v, new Credential(label, PIN), null, List.of(new RequestMessage.Item(op, null, p)));
    }
}
