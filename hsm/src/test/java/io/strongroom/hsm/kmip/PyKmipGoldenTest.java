package io.strongroom.hsm.kmip;

import static io.strongroom.hsm.ttlv.TtlvCodec.hex;
import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.hsm.ttlv.TtlvCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Every request Strongroom's client sends or its gateway parses, and every response the gateway answers or the
 * client parses, pinned to the bytes PyKMIP 0.10's own encoder writes for the same message ({@code
 * src/test/resources/pykmip/golden.py}, which wrote {@code src/test/resources/golden/*.hex}; re-run it with {@code
 * /usr/bin/python3 src/test/resources/pykmip/golden.py src/test/resources/golden} from {@code hsm/}). For each: our
 * encoder writes exactly those bytes, and our decoder reads them to a message that encodes back to them. The four
 * messages captured from a live PyKMIP server are pinned by {@link KmipGoldenTest}.
 */
class PyKmipGoldenTest {
    static final String UID = "8";
    static final byte[] AAD = "cluster=dw-1/dek=1".getBytes(StandardCharsets.UTF_8);
    static final byte[] IV = TtlvCodec.unhex("000102030405060708090a0b");
    static final byte[] DATA = new byte[32];
    static final byte[] TAG = TtlvCodec.unhex("000102030405060708090a0b0c0d0e0f");
    static final Credential PARTITION = new Credential("partition-a", "part-a-pin-1");
    static final long NOW = 1_700_000_000L;

    private static RequestMessage request(
            ProtocolVersion v, @Nullable Credential c, Operation op, RequestPayload payload) {
        return new RequestMessage(v, c, null, List.of(new RequestMessage.Item(op, null, payload)));
    }

    private static ResponseMessage response(ProtocolVersion v, Operation op, ResponsePayload payload) {
        return new ResponseMessage(
                v, NOW, List.of(new ResponseMessage.Item(op.code(), null, ResultStatus.SUCCESS, -1, null, payload)));
    }

    /** Our form of each golden request, by file name (without .hex). */
    static Map<String, RequestMessage> requests() {
        ProtocolVersion v14 = ProtocolVersion.V1_4;
        Map<String, RequestMessage> m = new LinkedHashMap<>();
        m.put("activate-1.4-request", request(v14, PARTITION, Operation.ACTIVATE, new RequestPayload.Activate(UID)));
        List<String> names = List.of("State", "Cryptographic Usage Mask");
        m.put(
                "get-attributes-1.4-request",
                request(v14, PARTITION, Operation.GET_ATTRIBUTES, new RequestPayload.GetAttributes(UID, names)));
        m.put(
                "get-attributes-2.0-request",
                request(
                        ProtocolVersion.V2_0,
                        null,
                        Operation.GET_ATTRIBUTES,
                        new RequestPayload.GetAttributes(UID, names)));
        m.put(
                "locate-1.4-request",
                request(
                        v14,
                        PARTITION,
                        Operation.LOCATE,
                        new RequestPayload.Locate(null, null, null, null, List.of(Attribute.name("cek-golden")))));
        m.put(
                "encrypt-1.4-credential-request",
                request(
                        v14,
                        PARTITION,
                        Operation.ENCRYPT,
                        new RequestPayload.Encrypt(UID, CryptographicParameters.aesGcm(16), DATA, IV, AAD)));
        m.put(
                "decrypt-1.4-request",
                request(
                        v14,
                        PARTITION,
                        Operation.DECRYPT,
                        new RequestPayload.Decrypt(UID, CryptographicParameters.aesGcm(16), DATA, IV, AAD, TAG)));
        m.put(
                "revoke-1.4-request",
                request(
                        v14,
                        PARTITION,
                        Operation.REVOKE,
                        new RequestPayload.Revoke(
                                UID, RevocationReasonCode.CESSATION_OF_OPERATION.code(), null, null)));
        m.put("destroy-1.4-request", request(v14, PARTITION, Operation.DESTROY, new RequestPayload.Destroy(UID)));
        m.put(
                "discover-versions-1.4-request",
                request(v14, null, Operation.DISCOVER_VERSIONS, new RequestPayload.DiscoverVersions(List.of())));
        m.put(
                "discover-versions-list-1.4-request",
                request(
                        v14,
                        null,
                        Operation.DISCOVER_VERSIONS,
                        new RequestPayload.DiscoverVersions(List.of(ProtocolVersion.V1_4, ProtocolVersion.V1_2))));
        m.put("get-1.4-request", request(v14, PARTITION, Operation.GET, new RequestPayload.Get(UID)));
        m.put(
                "query-1.4-request",
                request(
                        v14,
                        null,
                        Operation.QUERY,
                        new RequestPayload.Query(
                                List.of(QueryFunction.QUERY_OPERATIONS.code(), QueryFunction.QUERY_OBJECTS.code()))));
        return m;
    }

    /** Our form of each golden response, by file name (without .hex). */
    static Map<String, ResponseMessage> responses() {
        ProtocolVersion v14 = ProtocolVersion.V1_4;
        List<Attribute> attributes = List.of(
                Attribute.enumeration(AttributeKind.STATE, State.ACTIVE.code()),
                Attribute.integer(AttributeKind.CRYPTOGRAPHIC_USAGE_MASK, 12));
        Map<String, ResponseMessage> m = new LinkedHashMap<>();
        m.put("activate-1.4-response", response(v14, Operation.ACTIVATE, new ResponsePayload.UniqueIdentifier(UID)));
        m.put(
                "get-attributes-1.4-response",
                response(v14, Operation.GET_ATTRIBUTES, new ResponsePayload.GetAttributes(UID, attributes)));
        m.put(
                "get-attributes-2.0-response",
                response(
                        ProtocolVersion.V2_0,
                        Operation.GET_ATTRIBUTES,
                        new ResponsePayload.GetAttributes(UID, attributes)));
        m.put(
                "locate-1.4-response",
                response(v14, Operation.LOCATE, new ResponsePayload.Locate(null, List.of("8", "9"))));
        m.put(
                "encrypt-1.4-response",
                response(v14, Operation.ENCRYPT, new ResponsePayload.Encrypt(UID, DATA, null, TAG)));
        m.put("decrypt-1.4-response", response(v14, Operation.DECRYPT, new ResponsePayload.Decrypt(UID, DATA)));
        m.put("revoke-1.4-response", response(v14, Operation.REVOKE, new ResponsePayload.UniqueIdentifier(UID)));
        m.put("destroy-1.4-response", response(v14, Operation.DESTROY, new ResponsePayload.UniqueIdentifier(UID)));
        m.put(
                "discover-versions-1.4-response",
                response(
                        v14,
                        Operation.DISCOVER_VERSIONS,
                        new ResponsePayload.DiscoverVersions(List.of(
                                ProtocolVersion.V2_0,
                                ProtocolVersion.V1_4,
                                ProtocolVersion.V1_3,
                                ProtocolVersion.V1_2))));
        m.put(
                "query-1.4-response",
                response(
                        v14,
                        Operation.QUERY,
                        new ResponsePayload.Query(
                                List.of(Operation.CREATE.code(), Operation.ACTIVATE.code()),
                                List.of(ObjectType.SYMMETRIC_KEY.code()),
                                "Strongroom")));
        m.put(
                "get-sensitive-1.4-response",
                new ResponseMessage(
                        v14,
                        NOW,
                        List.of(ResponseMessage.Item.failure(
                                Operation.GET.code(),
                                null,
                                ResultReason.SENSITIVE,
                                "key 8 is sensitive: its material never leaves the HSM"))));
        m.put(
                "invalid-message-1.4-response",
                new ResponseMessage(
                        v14,
                        NOW,
                        List.of(ResponseMessage.Item.failure(
                                -1, null, ResultReason.INVALID_MESSAGE, "Error parsing request message."))));
        return m;
    }

    @Test
    void everyRequest_isPyKmipsBytes_andDecodesBackToThem() {
        requests().forEach((name, ours) -> {
            byte[] golden = KmipGoldenTest.golden(name + ".hex");
            assertThat(hex(KmipCodec.encodeRequest(ours))).as(name).isEqualTo(hex(golden));
            RequestMessage back = KmipCodec.decodeRequest(golden);
            assertThat(back.credential()).as(name).isEqualTo(ours.credential());
            assertThat(back.items().getFirst().operation())
                    .as(name)
                    .isEqualTo(ours.items().getFirst().operation());
            assertThat(hex(KmipCodec.encodeRequest(back))).as(name).isEqualTo(hex(golden));
        });
    }

    @Test
    void everyResponse_isPyKmipsBytes_andDecodesBackToThem() {
        responses().forEach((name, ours) -> {
            byte[] golden = KmipGoldenTest.golden(name + ".hex");
            assertThat(hex(KmipCodec.encodeResponse(ours))).as(name).isEqualTo(hex(golden));
            ResponseMessage back = KmipCodec.decodeResponse(golden);
            ResponseMessage.Item item = back.items().getFirst();
            ResponseMessage.Item expected = ours.items().getFirst();
            assertThat(item.operationCode()).as(name).isEqualTo(expected.operationCode());
            assertThat(item.status()).as(name).isEqualTo(expected.status());
            assertThat(item.resultReason()).as(name).isEqualTo(expected.resultReason());
            assertThat(item.resultMessage()).as(name).isEqualTo(expected.resultMessage());
            assertThat(hex(KmipCodec.encodeResponse(back))).as(name).isEqualTo(hex(golden));
        });
    }

    @Test
    void everyGoldenFile_isPinnedByOneTest() throws IOException {
        TreeSet<String> pinned = new TreeSet<>(requests().keySet());
        pinned.addAll(responses().keySet());
        pinned.addAll(
                List.of("create-1.4-request", "create-1.4-response", "create-2.0-request", "encrypt-1.4-request"));
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.list(Path.of("src", "test", "resources", "golden"))) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".hex"))
                    .forEach(n -> files.add(n.substring(0, n.length() - ".hex".length())));
        }
        assertThat(files).isEqualTo(pinned);
    }
}
