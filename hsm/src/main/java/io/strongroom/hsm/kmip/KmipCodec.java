package io.strongroom.hsm.kmip;

import io.strongroom.hsm.ttlv.StructReader;
import io.strongroom.hsm.ttlv.Tags;
import io.strongroom.hsm.ttlv.Ttlv;
import io.strongroom.hsm.ttlv.TtlvCodec;
import io.strongroom.hsm.ttlv.TtlvException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * KMIP messages to and from wire bytes (hsm-kmip.md §2.2). Headers and batch items are always read strictly: an
 * unknown or misplaced field is a {@link TtlvException} naming it. Request payloads are read strictly too (the
 * server's side); response payloads leniently (the client tolerates fields added by newer servers).
 *
 * <p>Request header fields, in order: Protocol Version; Maximum Response Size?; Client and Server Correlation
 * Value? (1.4); Asynchronous Indicator?; Attestation Capable Indicator?; Attestation Type*; Authentication?; Batch
 * Error Continuation Option?; Batch Order Option?; Time Stamp?; Batch Count. Strongroom writes Protocol Version,
 * Authentication, Batch Error Continuation Option and Batch Count; it reads and ignores the rest.
 *
 * <p>Stateless and thread-safe.
 */
public final class KmipCodec {
    private KmipCodec() {}

    public static byte[] encodeRequest(RequestMessage m) {
        List<Ttlv> header = new ArrayList<>();
        header.add(version(m.version()));
        Credential c = m.credential();
        if (c != null) {
            List<Ttlv> value = new ArrayList<>();
            value.add(new Ttlv.Text(Tags.USERNAME, c.username()));
            if (c.password() != null) {
                value.add(new Ttlv.Text(Tags.PASSWORD, c.password()));
            }
            header.add(Ttlv.Struct.of(
                    Tags.AUTHENTICATION,
                    Ttlv.Struct.of(
                            Tags.CREDENTIAL,
                            new Ttlv.Enumeration(Tags.CREDENTIAL_TYPE, KmipConstants.CREDENTIAL_USERNAME_PASSWORD),
                            new Ttlv.Struct(Tags.CREDENTIAL_VALUE, value))));
        }
        if (m.batchErrorContinuation() != null) {
            header.add(new Ttlv.Enumeration(Tags.BATCH_ERROR_CONTINUATION_OPTION, m.batchErrorContinuation()));
        }
        header.add(new Ttlv.Int(Tags.BATCH_COUNT, m.items().size()));
        List<Ttlv> message = new ArrayList<>();
        message.add(new Ttlv.Struct(Tags.REQUEST_HEADER, header));
        for (RequestMessage.Item item : m.items()) {
            List<Ttlv> f = new ArrayList<>();
            f.add(new Ttlv.Enumeration(Tags.OPERATION, item.operationCode()));
            if (item.batchItemId() != null) {
                f.add(new Ttlv.Bytes(Tags.UNIQUE_BATCH_ITEM_ID, item.batchItemId()));
            }
            f.add(PayloadCodec.encodeRequest(item.payload(), m.version()));
            message.add(new Ttlv.Struct(Tags.BATCH_ITEM, f));
        }
        return TtlvCodec.encode(new Ttlv.Struct(Tags.REQUEST_MESSAGE, message));
    }

    /** Reads a request strictly; see the class comment. */
    public static RequestMessage decodeRequest(byte[] bytes) {
        StructReader m = StructReader.strict(TtlvCodec.decode(bytes), Tags.REQUEST_MESSAGE);
        StructReader h = m.requiredStruct(Tags.REQUEST_HEADER);
        ProtocolVersion v = readVersion(h.requiredStruct(Tags.PROTOCOL_VERSION));
        h.optionalInt(Tags.MAXIMUM_RESPONSE_SIZE);
        if (v.atLeast(ProtocolVersion.V1_4)) {
            h.optionalText(Tags.CLIENT_CORRELATION_VALUE);
            h.optionalText(Tags.SERVER_CORRELATION_VALUE);
        }
        h.optionalBool(Tags.ASYNCHRONOUS_INDICATOR);
        h.optionalBool(Tags.ATTESTATION_CAPABLE_INDICATOR);
        h.repeated(Tags.ATTESTATION_TYPE);
        Credential credential = null;
        StructReader auth = h.optionalStruct(Tags.AUTHENTICATION);
        if (auth != null) {
            credential = readCredential(auth.requiredStruct(Tags.CREDENTIAL));
            auth.end();
        }
        Integer continuation = h.optionalEnum(Tags.BATCH_ERROR_CONTINUATION_OPTION);
        h.optionalBool(Tags.BATCH_ORDER_OPTION);
        h.optionalDateTime(Tags.TIME_STAMP);
        int count = h.requiredInt(Tags.BATCH_COUNT);
        h.end();
        List<Ttlv> rawItems = m.repeated(Tags.BATCH_ITEM);
        m.end();
        if (count != rawItems.size() || count < 1) {
            throw new TtlvException(
                    Tags.BATCH_COUNT, "says " + count + " but the message holds " + rawItems.size() + " batch items");
        }
        List<RequestMessage.Item> items = new ArrayList<>();
        for (Ttlv raw : rawItems) {
            StructReader b = StructReader.strict(raw, Tags.BATCH_ITEM);
            int op = codeValue(Tags.OPERATION, b.requiredEnum(Tags.OPERATION));
            if (v.usesAttributesStructure()) {
                b.optionalBool(Tags.EPHEMERAL);
            }
            byte[] id = b.optionalBytes(Tags.UNIQUE_BATCH_ITEM_ID);
            if (id == null && count > 1) {
                throw new TtlvException(Tags.UNIQUE_BATCH_ITEM_ID, "required when the Batch Count is above 1");
            }
            RequestPayload payload = PayloadCodec.decodeRequest(op, b.required(Tags.REQUEST_PAYLOAD), v);
            b.optional(Tags.MESSAGE_EXTENSION);
            b.end();
            items.add(new RequestMessage.Item(op, id, payload));
        }
        return new RequestMessage(v, credential, continuation, items);
    }

    private static Credential readCredential(StructReader c) {
        int type = c.requiredEnum(Tags.CREDENTIAL_TYPE);
        if (type != KmipConstants.CREDENTIAL_USERNAME_PASSWORD) {
            throw new TtlvException(
                    Tags.CREDENTIAL_TYPE, "only Username and Password credentials (1) are served, not " + type);
        }
        StructReader value = c.requiredStruct(Tags.CREDENTIAL_VALUE);
        String user = value.requiredText(Tags.USERNAME);
        String password = value.optionalText(Tags.PASSWORD);
        value.end();
        c.end();
        return new Credential(user, password);
    }

    /**
     * The protocol version a request's header names, read as far as the bytes allow, or null. For answering a
     * message that does not decode in the version it asked for.
     */
    public static @Nullable ProtocolVersion peekVersion(byte[] bytes) {
        try {
            Ttlv top = TtlvCodec.decode(bytes);
            if (top instanceof Ttlv.Struct s
                    && !s.items().isEmpty()
                    && s.items().getFirst() instanceof Ttlv.Struct h
                    && !h.items().isEmpty()) {
                return readVersion(StructReader.lenient(h.items().getFirst(), Tags.PROTOCOL_VERSION));
            }
        } catch (TtlvException e) {
            // A message whose framing is broken names no version we can trust.
        }
        return null;
    }

    public static byte[] encodeResponse(ResponseMessage m) {
        List<Ttlv> message = new ArrayList<>();
        message.add(Ttlv.Struct.of(
                Tags.RESPONSE_HEADER,
                version(m.version()),
                new Ttlv.DateTime(Tags.TIME_STAMP, m.timeStamp()),
                new Ttlv.Int(Tags.BATCH_COUNT, m.items().size())));
        for (ResponseMessage.Item item : m.items()) {
            List<Ttlv> f = new ArrayList<>();
            if (item.operationCode() >= 0) {
                f.add(new Ttlv.Enumeration(Tags.OPERATION, item.operationCode()));
            }
            if (item.batchItemId() != null) {
                f.add(new Ttlv.Bytes(Tags.UNIQUE_BATCH_ITEM_ID, item.batchItemId()));
            }
            f.add(new Ttlv.Enumeration(Tags.RESULT_STATUS, item.status().code()));
            if (item.resultReason() >= 0) {
                f.add(new Ttlv.Enumeration(Tags.RESULT_REASON, item.resultReason()));
            }
            if (item.resultMessage() != null) {
                f.add(new Ttlv.Text(Tags.RESULT_MESSAGE, item.resultMessage()));
            }
            if (item.payload() != null) {
                f.add(PayloadCodec.encodeResponse(item.payload(), m.version()));
            }
            message.add(new Ttlv.Struct(Tags.BATCH_ITEM, f));
        }
        return TtlvCodec.encode(new Ttlv.Struct(Tags.RESPONSE_MESSAGE, message));
    }

    /** Reads a response: header and batch items strictly, payloads leniently. */
    public static ResponseMessage decodeResponse(byte[] bytes) {
        StructReader m = StructReader.strict(TtlvCodec.decode(bytes), Tags.RESPONSE_MESSAGE);
        StructReader h = m.requiredStruct(Tags.RESPONSE_HEADER);
        ProtocolVersion v = readVersion(h.requiredStruct(Tags.PROTOCOL_VERSION));
        if (v.major() < 1) {
            throw new TtlvException(Tags.PROTOCOL_VERSION, "answer in KMIP " + v + ", which does not exist");
        }
        long time = h.requiredDateTime(Tags.TIME_STAMP);
        h.optional(Tags.NONCE);
        h.repeated(Tags.ATTESTATION_TYPE);
        h.optionalText(Tags.CLIENT_CORRELATION_VALUE);
        h.optionalText(Tags.SERVER_CORRELATION_VALUE);
        int count = h.requiredInt(Tags.BATCH_COUNT);
        h.end();
        List<Ttlv> rawItems = m.repeated(Tags.BATCH_ITEM);
        m.end();
        if (count != rawItems.size()) {
            throw new TtlvException(
                    Tags.BATCH_COUNT, "says " + count + " but the message holds " + rawItems.size() + " batch items");
        }
        List<ResponseMessage.Item> items = new ArrayList<>();
        for (Ttlv raw : rawItems) {
            StructReader b = StructReader.strict(raw, Tags.BATCH_ITEM);
            Integer op = codeValue(Tags.OPERATION, b.optionalEnum(Tags.OPERATION));
            byte[] id = b.optionalBytes(Tags.UNIQUE_BATCH_ITEM_ID);
            int statusCode = b.requiredEnum(Tags.RESULT_STATUS);
            ResultStatus status = ResultStatus.ofCode(statusCode);
            if (status == null) {
                throw new TtlvException(Tags.RESULT_STATUS, "unknown status " + statusCode);
            }
            Integer reason = codeValue(Tags.RESULT_REASON, b.optionalEnum(Tags.RESULT_REASON));
            String message = b.optionalText(Tags.RESULT_MESSAGE);
            b.optionalBytes(Tags.ASYNCHRONOUS_CORRELATION_VALUE);
            Ttlv payloadItem = b.optional(Tags.RESPONSE_PAYLOAD);
            b.optional(Tags.MESSAGE_EXTENSION);
            b.end();
            ResponsePayload payload = null;
            if (payloadItem != null && status == ResultStatus.SUCCESS && op != null) {
                payload = PayloadCodec.decodeResponse(op, payloadItem, v);
            }
            items.add(new ResponseMessage.Item(
                    op == null ? -1 : op, id, status, reason == null ? -1 : reason, message, payload));
        }
        return new ResponseMessage(v, time, items);
    }

    /**
     * {@code value}, refused when it is at or above 2^31: no KMIP Operation or Result Reason is, and the message
     * records keep -1 for "absent", so such a value would silently vanish when the message is encoded again (found
     * by the fuzz target hsm.kmip-response).
     */
    private static int codeValue(int tag, int value) {
        if (value < 0) {
            throw new TtlvException(
                    tag, String.format(Locale.ROOT, "value 0x%08X is not a KMIP code (they are below 2^31)", value));
        }
        return value;
    }

    private static @Nullable Integer codeValue(int tag, @Nullable Integer value) {
        return value == null ? null : codeValue(tag, value.intValue());
    }

    static Ttlv.Struct version(ProtocolVersion v) {
        return Ttlv.Struct.of(
                Tags.PROTOCOL_VERSION,
                new Ttlv.Int(Tags.PROTOCOL_VERSION_MAJOR, v.major()),
                new Ttlv.Int(Tags.PROTOCOL_VERSION_MINOR, v.minor()));
    }

    static ProtocolVersion readVersion(StructReader r) {
        ProtocolVersion v = new ProtocolVersion(
                r.requiredInt(Tags.PROTOCOL_VERSION_MAJOR), r.requiredInt(Tags.PROTOCOL_VERSION_MINOR));
        r.end();
        return v;
    }
}
