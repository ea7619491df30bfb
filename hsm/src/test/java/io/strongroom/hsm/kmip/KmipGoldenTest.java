package io.strongroom.hsm.kmip;

import static io.strongroom.hsm.ttlv.TtlvCodec.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.hsm.ttlv.Tags;
import io.strongroom.hsm.ttlv.Ttlv;
import io.strongroom.hsm.ttlv.TtlvCodec;
import io.strongroom.hsm.ttlv.TtlvException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden bytes captured from PyKMIP 0.10.0 (hsm-kmip.md §2.7, files under {@code src/test/resources/golden}) and
 * round trips of every message the client sends and the gateway answers, in every served version.
 */
public class KmipGoldenTest {
    static final byte[] AAD = "cluster=dw-1/dek=1".getBytes(StandardCharsets.UTF_8);
    static final byte[] IV = TtlvCodec.unhex("000102030405060708090a0b");

    public static byte[] golden(String name) {
        try (InputStream in = KmipGoldenTest.class.getResourceAsStream("/golden/" + name)) {
            return TtlvCodec.unhex(
                    new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Attribute> goldenAttributes(String name) {
        return List.of(
                Attribute.enumeration(AttributeKind.CRYPTOGRAPHIC_ALGORITHM, KmipConstants.ALGORITHM_AES),
                Attribute.integer(AttributeKind.CRYPTOGRAPHIC_LENGTH, 256),
                Attribute.integer(AttributeKind.CRYPTOGRAPHIC_USAGE_MASK, 60),
                Attribute.name(name));
    }

    public static RequestMessage request(ProtocolVersion v, RequestPayload p) {
        Operation op = switch (p) {
            case RequestPayload.Create c -> Operation.CREATE;
            case RequestPayload.Activate a -> Operation.ACTIVATE;
            case RequestPayload.GetAttributes g -> Operation.GET_ATTRIBUTES;
            case RequestPayload.Locate l -> Operation.LOCATE;
            case RequestPayload.Encrypt e -> Operation.ENCRYPT;
            case RequestPayload.Decrypt d -> Operation.DECRYPT;
            case RequestPayload.Revoke r -> Operation.REVOKE;
            case RequestPayload.Destroy d -> Operation.DESTROY;
            case RequestPayload.DiscoverVersions d -> Operation.DISCOVER_VERSIONS;
            case RequestPayload.Get g -> Operation.GET;
            case RequestPayload.Query q -> Operation.QUERY;
            case RequestPayload.Unsupported u -> throw new IllegalArgumentException();
        };
        return new RequestMessage(v, null, null, List.of(new RequestMessage.Item(op, null, p)));
    }

    public static ResponseMessage response(ProtocolVersion v, ResponsePayload p) {
        Operation op = switch (p) {
            case ResponsePayload.Create c -> Operation.CREATE;
            case ResponsePayload.UniqueIdentifier u -> Operation.ACTIVATE;
            case ResponsePayload.GetAttributes g -> Operation.GET_ATTRIBUTES;
            case ResponsePayload.Locate l -> Operation.LOCATE;
            case ResponsePayload.Encrypt e -> Operation.ENCRYPT;
            case ResponsePayload.Decrypt d -> Operation.DECRYPT;
            case ResponsePayload.DiscoverVersions d -> Operation.DISCOVER_VERSIONS;
            case ResponsePayload.Query q -> Operation.QUERY;
            case ResponsePayload.Raw r -> Operation.GET;
        };
        return new ResponseMessage(
                v,
                1_700_000_000L,
                List.of(new ResponseMessage.Item(op.code(), null, ResultStatus.SUCCESS, -1, null, p)));
    }

    /** Every request payload the client sends or the gateway reads, in a form valid for {@code v}. */
    public static List<RequestPayload> requests(ProtocolVersion v) {
        boolean aead = v.atLeast(ProtocolVersion.V1_4);
        List<Attribute> create = new ArrayList<>(goldenAttributes("cek-1"));
        if (aead) {
            create.add(Attribute.bool(AttributeKind.SENSITIVE, true));
        }
        return List.of(
                new RequestPayload.Create(ObjectType.SYMMETRIC_KEY.code(), create),
                new RequestPayload.Activate(null),
                new RequestPayload.Activate("uid-1"),
                new RequestPayload.GetAttributes("uid-1", List.of("State", "Cryptographic Usage Mask")),
                new RequestPayload.GetAttributes("uid-1", List.of()),
                new RequestPayload.Locate(
                        10,
                        v.atLeast(ProtocolVersion.V1_3) ? 0 : null,
                        null,
                        null,
                        List.of(
                                Attribute.name("cek-1"),
                                Attribute.enumeration(AttributeKind.OBJECT_TYPE, ObjectType.SYMMETRIC_KEY.code()),
                                Attribute.enumeration(AttributeKind.STATE, State.ACTIVE.code()))),
                new RequestPayload.Encrypt(
                        "uid-1", CryptographicParameters.aesGcm(16), new byte[32], IV, aead ? AAD : null),
                new RequestPayload.Decrypt(
                        "uid-1",
                        CryptographicParameters.aesGcm(16),
                        new byte[32],
                        IV,
                        aead ? AAD : null,
                        aead ? new byte[16] : null),
                new RequestPayload.Revoke("uid-1", RevocationReasonCode.CESSATION_OF_OPERATION.code(), "done", null),
                new RequestPayload.Destroy("uid-1"),
                new RequestPayload.DiscoverVersions(List.of()),
                new RequestPayload.DiscoverVersions(List.of(ProtocolVersion.V1_4, ProtocolVersion.V1_2)),
                new RequestPayload.Get("uid-1"),
                new RequestPayload.Query(List.of(QueryFunction.QUERY_OPERATIONS.code())));
    }

    /** Every response payload the gateway answers or the client reads. */
    public static List<ResponsePayload> responses() {
        return List.of(
                new ResponsePayload.Create(ObjectType.SYMMETRIC_KEY.code(), "uid-1", List.of()),
                new ResponsePayload.UniqueIdentifier("uid-1"),
                new ResponsePayload.GetAttributes(
                        "uid-1",
                        List.of(
                                Attribute.enumeration(AttributeKind.STATE, State.ACTIVE.code()),
                                Attribute.integer(AttributeKind.CRYPTOGRAPHIC_USAGE_MASK, 12),
                                Attribute.name("cek-1"),
                                Attribute.dateTime(AttributeKind.INITIAL_DATE, 1_700_000_000L))),
                new ResponsePayload.Locate(null, List.of("uid-1", "uid-2")),
                new ResponsePayload.Locate(null, List.of()),
                new ResponsePayload.Decrypt("uid-1", new byte[32]),
                new ResponsePayload.DiscoverVersions(ProtocolVersion.SERVED),
                new ResponsePayload.Query(
                        List.of(Operation.CREATE.code()), List.of(ObjectType.SYMMETRIC_KEY.code()), "Strongroom"));
    }

    @Test
    void create14Request_isPyKmipsBytes() {
        byte[] golden = golden("create-1.4-request.hex");
        RequestMessage m = request(
                ProtocolVersion.V1_4,
                new RequestPayload.Create(ObjectType.SYMMETRIC_KEY.code(), goldenAttributes("cek-golden")));
        assertThat(hex(KmipCodec.encodeRequest(m))).isEqualTo(hex(golden));
        assertThat(hex(KmipCodec.encodeRequest(KmipCodec.decodeRequest(golden))))
                .isEqualTo(hex(golden));
    }

    @Test
    void encrypt14Request_isPyKmipsBytes() {
        byte[] golden = golden("encrypt-1.4-request.hex");
        RequestMessage m = request(
                ProtocolVersion.V1_4,
                new RequestPayload.Encrypt("8", CryptographicParameters.aesGcm(16), new byte[32], IV, AAD));
        assertThat(hex(KmipCodec.encodeRequest(m))).isEqualTo(hex(golden));
        RequestPayload.Encrypt back = (RequestPayload.Encrypt)
                KmipCodec.decodeRequest(golden).items().getFirst().payload();
        assertThat(back.additionalData()).isEqualTo(AAD);
        assertThat(back.iv()).isEqualTo(IV);
    }

    @Test
    void create20Request_isPyKmipsBytes_withAttributesStructure() {
        byte[] golden = golden("create-2.0-request.hex");
        RequestMessage m = request(
                ProtocolVersion.V2_0,
                new RequestPayload.Create(ObjectType.SYMMETRIC_KEY.code(), goldenAttributes("cek-golden-20")));
        assertThat(hex(KmipCodec.encodeRequest(m))).isEqualTo(hex(golden));
        RequestPayload.Create back = (RequestPayload.Create)
                KmipCodec.decodeRequest(golden).items().getFirst().payload();
        assertThat(back.attributes()).isEqualTo(goldenAttributes("cek-golden-20"));
    }

    @Test
    void create14Response_decodesPyKmipsBytes_andEncodesThemBack() {
        byte[] golden = golden("create-1.4-response.hex");
        ResponseMessage r = KmipCodec.decodeResponse(golden);
        assertThat(r.version()).isEqualTo(ProtocolVersion.V1_4);
        assertThat(r.timeStamp()).isEqualTo(0x6b14ebf1L);
        ResponseMessage.Item item = r.items().getFirst();
        assertThat(item.operation()).isEqualTo(Operation.CREATE);
        assertThat(item.status()).isEqualTo(ResultStatus.SUCCESS);
        assertThat(item.payload()).isEqualTo(new ResponsePayload.Create(2, "8", List.of()));
        // Our server's answer to the same Create, at PyKMIP's time stamp, is byte for byte PyKMIP's.
        assertThat(hex(KmipCodec.encodeResponse(r))).isEqualTo(hex(golden));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2", "1.3", "1.4", "2.0"})
    void everyRequestAndResponse_roundTrips(String version) {
        ProtocolVersion v = parse(version);
        for (RequestPayload p : requests(v)) {
            byte[] wire = KmipCodec.encodeRequest(request(v, p));
            RequestMessage back = KmipCodec.decodeRequest(wire);
            assertThat(back.version()).isEqualTo(v);
            assertThat(hex(KmipCodec.encodeRequest(back))).as(p.toString()).isEqualTo(hex(wire));
        }
        List<ResponsePayload> responses = new ArrayList<>(responses());
        if (v.atLeast(ProtocolVersion.V1_4)) {
            responses.add(new ResponsePayload.Encrypt("uid-1", new byte[32], null, new byte[16]));
        }
        for (ResponsePayload p : responses) {
            byte[] wire = KmipCodec.encodeResponse(response(v, p));
            ResponseMessage back = KmipCodec.decodeResponse(wire);
            assertThat(hex(KmipCodec.encodeResponse(back))).as(p.toString()).isEqualTo(hex(wire));
        }
    }

    @Test
    void getAttributes_usesNamesIn14_andAttributeReferencesIn20() {
        RequestPayload p = new RequestPayload.GetAttributes("8", List.of("State", "Cryptographic Usage Mask"));
        String v14 = hex(KmipCodec.encodeRequest(request(ProtocolVersion.V1_4, p)));
        String v20 = hex(KmipCodec.encodeRequest(request(ProtocolVersion.V2_0, p)));
        assertThat(v14).contains("42000a0700000005" + hex("State".getBytes(StandardCharsets.US_ASCII)));
        assertThat(v20).contains("42013b05000000040042008d00000000").contains("42013b05000000040042002c00000000");
        ResponsePayload.GetAttributes answer = new ResponsePayload.GetAttributes(
                "8",
                List.of(
                        Attribute.enumeration(AttributeKind.STATE, 2),
                        Attribute.integer(AttributeKind.CRYPTOGRAPHIC_USAGE_MASK, 60)));
        String r20 = hex(KmipCodec.encodeResponse(response(ProtocolVersion.V2_0, answer)));
        assertThat(r20).contains("42012501000000204200").contains("42008d050000000400000002");
        assertThat(KmipCodec.decodeResponse(TtlvCodec.unhex(r20))
                        .items()
                        .getFirst()
                        .payload())
                .isEqualTo(answer);
    }

    @Test
    void aeadFields_existOnlyFrom14() {
        RequestPayload p = new RequestPayload.Encrypt("8", CryptographicParameters.aesGcm(16), new byte[32], IV, AAD);
        assertThatThrownBy(() -> KmipCodec.encodeRequest(request(ProtocolVersion.V1_2, p)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("since 1.4");
        // A 1.4 Encrypt relabelled as 1.2: the associated data is an unexpected field there.
        byte[] wire = golden("encrypt-1.4-request.hex");
        wire[51] = 2; // Protocol Version Minor (low byte)
        assertThatThrownBy(() -> KmipCodec.decodeRequest(wire))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("4200FE");
        assertThatThrownBy(() -> KmipCodec.encodeRequest(request(
                        ProtocolVersion.V1_3,
                        new RequestPayload.Create(2, List.of(Attribute.bool(AttributeKind.SENSITIVE, true))))))
                .hasMessageContaining("Sensitive");
    }

    @Test
    void failureWithoutOperation_decodes() {
        // PyKMIP's answer to a message it cannot parse: version 1.0, no Operation, Invalid Message.
        ResponseMessage m = new ResponseMessage(
                ProtocolVersion.V1_0,
                1L,
                List.of(ResponseMessage.Item.failure(-1, null, ResultReason.INVALID_MESSAGE, "Error parsing request")));
        ResponseMessage back = KmipCodec.decodeResponse(KmipCodec.encodeResponse(m));
        ResponseMessage.Item item = back.items().getFirst();
        assertThat(item.operationCode()).isEqualTo(-1);
        assertThat(item.resultReason()).isEqualTo(ResultReason.INVALID_MESSAGE.code());
        assertThat(item.resultMessage()).isEqualTo("Error parsing request");
    }

    @Test
    void responsePayload_toleratesUnknownTrailingFields_butHeaderDoesNot() {
        Ttlv.Struct payload = Ttlv.Struct.of(
                Tags.RESPONSE_PAYLOAD,
                new Ttlv.Enumeration(Tags.OBJECT_TYPE, 2),
                new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, "8"),
                new Ttlv.Text(0x540001, "vendor extra"));
        Ttlv.Struct header = Ttlv.Struct.of(
                Tags.RESPONSE_HEADER,
                KmipCodec.version(ProtocolVersion.V1_4),
                new Ttlv.DateTime(Tags.TIME_STAMP, 1),
                new Ttlv.Int(Tags.BATCH_COUNT, 1));
        Ttlv.Struct item = Ttlv.Struct.of(
                Tags.BATCH_ITEM,
                new Ttlv.Enumeration(Tags.OPERATION, 1),
                new Ttlv.Enumeration(Tags.RESULT_STATUS, 0),
                payload);
        byte[] ok = TtlvCodec.encode(Ttlv.Struct.of(Tags.RESPONSE_MESSAGE, header, item));
        assertThat(KmipCodec.decodeResponse(ok).items().getFirst().payload())
                .isEqualTo(new ResponsePayload.Create(2, "8", List.of()));

        Ttlv.Struct badHeader = Ttlv.Struct.of(
                Tags.RESPONSE_HEADER,
                KmipCodec.version(ProtocolVersion.V1_4),
                new Ttlv.DateTime(Tags.TIME_STAMP, 1),
                new Ttlv.Int(Tags.BATCH_COUNT, 1),
                new Ttlv.Text(0x540001, "vendor extra"));
        byte[] bad = TtlvCodec.encode(Ttlv.Struct.of(Tags.RESPONSE_MESSAGE, badHeader, item));
        assertThatThrownBy(() -> KmipCodec.decodeResponse(bad))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("540001")
                .hasMessageContaining("Response Header");
    }

    @Test
    void requestDecoding_isStrict() {
        // An unknown field in a request payload is refused, naming it.
        Ttlv.Struct header = Ttlv.Struct.of(
                Tags.REQUEST_HEADER, KmipCodec.version(ProtocolVersion.V1_4), new Ttlv.Int(Tags.BATCH_COUNT, 1));
        Ttlv.Struct item = Ttlv.Struct.of(
                Tags.BATCH_ITEM,
                new Ttlv.Enumeration(Tags.OPERATION, Operation.DESTROY.code()),
                Ttlv.Struct.of(
                        Tags.REQUEST_PAYLOAD,
                        new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, "8"),
                        new Ttlv.Int(Tags.MAXIMUM_ITEMS, 1)));
        byte[] wire = TtlvCodec.encode(Ttlv.Struct.of(Tags.REQUEST_MESSAGE, header, item));
        assertThatThrownBy(() -> KmipCodec.decodeRequest(wire))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("42004F (Maximum Items)");
        // A wrong Batch Count.
        Ttlv.Struct header2 = Ttlv.Struct.of(
                Tags.REQUEST_HEADER, KmipCodec.version(ProtocolVersion.V1_4), new Ttlv.Int(Tags.BATCH_COUNT, 2));
        byte[] wire2 = TtlvCodec.encode(Ttlv.Struct.of(Tags.REQUEST_MESSAGE, header2, item));
        assertThatThrownBy(() -> KmipCodec.decodeRequest(wire2)).hasMessageContaining("Batch Count");
        // Credentials are read; the password never shows in toString.
        RequestMessage withCredential = new RequestMessage(
                ProtocolVersion.V1_4,
                new Credential("partition-a", "s3cret-pin"),
                null,
                List.of(new RequestMessage.Item(
                        Operation.DISCOVER_VERSIONS, null, new RequestPayload.DiscoverVersions(List.of()))));
        RequestMessage back = KmipCodec.decodeRequest(KmipCodec.encodeRequest(withCredential));
        assertThat(back.credential()).isEqualTo(new Credential("partition-a", "s3cret-pin"));
        assertThat(back.toString()).doesNotContain("s3cret-pin");
    }

    static ProtocolVersion parse(String v) {
        int dot = v.indexOf('.');
        return new ProtocolVersion(Integer.parseInt(v.substring(0, dot)), Integer.parseInt(v.substring(dot + 1)));
    }
}
