package io.strongroom.hsm.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.kmip.Attribute;
import io.strongroom.hsm.kmip.AttributeKind;
import io.strongroom.hsm.kmip.ObjectType;
import io.strongroom.hsm.kmip.Operation;
import io.strongroom.hsm.kmip.RequestMessage;
import io.strongroom.hsm.kmip.RequestPayload;
import io.strongroom.hsm.kmip.ResponseMessage;
import io.strongroom.hsm.kmip.ResponsePayload;
import io.strongroom.hsm.kmip.ResultReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client's handling of answers a real server rarely gives, against a scripted KMIP server. */
class KmipClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final ClientCertificates.Issued CLIENT =
            ClientCertificates.generate("strongroom-dw-1", Duration.ofDays(1));

    private ScriptedKmipServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private KmipClient connect(Function<RequestMessage, List<ResponseMessage.Item>> script) throws Exception {
        server = new ScriptedKmipServer(script);
        return KmipClient.connect(endpoint("127.0.0.1", "partition-password"), TIMEOUT);
    }

    private HsmEndpoint endpoint(String host, String password) {
        return new HsmEndpoint(
                host,
                server == null ? 5696 : server.port(),
                server == null ? CLIENT.certificate() : server.certificate,
                CLIENT.privateKey(),
                CLIENT.certificate(),
                "partition-a",
                password);
    }

    private static boolean sensitive(RequestMessage.Item create) {
        return Attribute.find(((RequestPayload.Create) create.payload()).attributes(), AttributeKind.SENSITIVE) != null;
    }

    private static ResponseMessage.Item created(RequestMessage.Item request, String uid) {
        return ResponseMessage.Item.success(
                request, new ResponsePayload.Create(ObjectType.SYMMETRIC_KEY.code(), uid, List.of()));
    }

    private static ResponseMessage.Item uid(RequestMessage.Item request, String uid) {
        return ResponseMessage.Item.success(request, new ResponsePayload.UniqueIdentifier(uid));
    }

    private static ResponseMessage.Item refused(RequestMessage.Item request, ResultReason reason, String message) {
        return ResponseMessage.Item.failure(request.operationCode(), request.batchItemId(), reason, message);
    }

    @Test
    void createKey_activateRefused_destroysTheCreatedKey_andDoesNotCreateAgain() throws Exception {
        try (KmipClient c = connect(m -> {
            RequestMessage.Item first = m.items().getFirst();
            return switch (first.operation()) {
                case CREATE ->
                    List.of(
                            created(first, "k-1"),
                            refused(m.items().get(1), ResultReason.INVALID_FIELD, "Activate refused"));
                case DESTROY -> List.of(uid(first, "k-1"));
                case null, default -> List.of(refused(first, ResultReason.GENERAL_FAILURE, "unexpected"));
            };
        })) {
            assertThatThrownBy(() -> c.createKey("strongroom/dw-1/cek/1"))
                    .isInstanceOfSatisfying(KmipException.class, e -> {
                        assertThat(e.resultReason()).isEqualTo(ResultReason.INVALID_FIELD.code());
                        assertThat(e.getMessage())
                                .contains("key k-1 (strongroom/dw-1/cek/1) was created but not activated")
                                .contains("the key was destroyed, so nothing is left behind");
                    });
        }
        assertThat(server.requests).hasSize(2);
        assertThat(server.requests.getFirst().items())
                .extracting(RequestMessage.Item::operation)
                .containsExactly(Operation.CREATE, Operation.ACTIVATE);
        assertThat(sensitive(server.requests.getFirst().items().getFirst())).isTrue();
        assertThat(server.requests.get(1).items().getFirst().payload()).isEqualTo(new RequestPayload.Destroy("k-1"));
    }

    @Test
    void createKey_cleanupRefusedToo_saysWhichKeyIsLeftBehind() throws Exception {
        try (KmipClient c = connect(m -> {
            RequestMessage.Item first = m.items().getFirst();
            return first.operation() == Operation.CREATE
                    ? List.of(
                            created(first, "k-3"),
                            refused(m.items().get(1), ResultReason.GENERAL_FAILURE, "Activate failed"))
                    : List.of(refused(first, ResultReason.PERMISSION_DENIED, "not allowed"));
        })) {
            assertThatThrownBy(() -> c.createKey("cek"))
                    .isInstanceOfSatisfying(
                            KmipException.class,
                            e -> assertThat(e.getMessage())
                                    .contains("was created but not activated")
                                    .contains("destroying it failed too")
                                    .contains("revoke and destroy key k-3 on the HSM"));
        }
        assertThat(server.requests)
                .extracting(m -> m.items().getFirst().operation())
                .containsExactly(Operation.CREATE, Operation.DESTROY, Operation.REVOKE);
    }

    @Test
    void createKey_createRefusesSensitive_retriesWithoutIt_andSaysTheKeyIsNotSensitive() throws Exception {
        try (KmipClient c = connect(m -> {
            RequestMessage.Item first = m.items().getFirst();
            if (sensitive(first)) {
                // A server that stops at the first failure answers the Create item only.
                return List.of(refused(first, ResultReason.INVALID_FIELD, "unknown attribute Sensitive"));
            }
            return List.of(created(first, "k-2"), uid(m.items().get(1), "k-2"));
        })) {
            assertThat(c.createKey("cek")).isEqualTo(new CreatedKey("k-2", false));
        }
        assertThat(server.requests).hasSize(2);
        assertThat(sensitive(server.requests.get(1).items().getFirst())).isFalse();
    }

    @Test
    void createKey_sensitiveAccepted_saysSensitive_andCreateAesKeyReturnsTheUid() throws Exception {
        try (KmipClient c = connect(
                m -> List.of(created(m.items().getFirst(), "k-4"), uid(m.items().get(1), "k-4")))) {
            assertThat(c.createKey("cek")).isEqualTo(new CreatedKey("k-4", true));
            assertThat(c.createAesKey("cek")).isEqualTo("k-4");
        }
    }

    @Test
    void wrongKeyState_isKeyNotActive_whileAccessFailuresStayNotAuthorised() throws Exception {
        List<ResultReason> reasons = new ArrayList<>(List.of(
                ResultReason.ILLEGAL_OPERATION,
                ResultReason.WRONG_KEY_LIFECYCLE_STATE,
                ResultReason.PERMISSION_DENIED,
                ResultReason.PERMISSION_DENIED,
                ResultReason.AUTHENTICATION_NOT_SUCCESSFUL));
        List<String> messages = new ArrayList<>(List.of(
                "key k is DEACTIVATED: only an Active key encrypts",
                "key k is DEACTIVATED",
                "The encryption key must be in the Active state to be used for encryption.", // PyKMIP 0.10
                "client dw-1 is not assigned to partition partition-a",
                "partition partition-a refused the password"));
        try (KmipClient c =
                connect(m -> List.of(refused(m.items().getFirst(), reasons.removeFirst(), messages.removeFirst())))) {
            byte[] aad = "cluster=dw-1".getBytes(StandardCharsets.UTF_8);
            for (KmipException.Kind expected : List.of(
                    KmipException.Kind.KEY_NOT_ACTIVE,
                    KmipException.Kind.KEY_NOT_ACTIVE,
                    KmipException.Kind.KEY_NOT_ACTIVE,
                    KmipException.Kind.NOT_AUTHORISED,
                    KmipException.Kind.NOT_AUTHORISED)) {
                assertThatThrownBy(() -> c.encrypt("k", new byte[32], new byte[12], aad))
                        .isInstanceOfSatisfying(KmipException.class, e -> {
                            assertThat(e.kind()).isEqualTo(expected);
                            if (expected == KmipException.Kind.KEY_NOT_ACTIVE) {
                                assertThat(e.getMessage()).contains("revoked").doesNotContain("password");
                            }
                        });
            }
        }
    }

    @Test
    void endpoint_equalityIsIdentity_andToStringWithholdsTheSecrets() {
        HsmEndpoint a = endpoint("127.0.0.1", "s3cret-password");
        HsmEndpoint b = endpoint("127.0.0.1", "s3cret-password");
        assertThat(a).isNotEqualTo(b).isEqualTo(a);
        assertThat(a.toString())
                .doesNotContain("s3cret-password")
                .contains("partition-a")
                .contains("withheld");
        assertThat(a.password()).isEqualTo("s3cret-password");
        assertThat(a.clientKey()).isSameAs(CLIENT.privateKey());
    }
}
