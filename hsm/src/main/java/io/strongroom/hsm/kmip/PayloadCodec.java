package io.strongroom.hsm.kmip;

import io.strongroom.hsm.ttlv.StructReader;
import io.strongroom.hsm.ttlv.Tags;
import io.strongroom.hsm.ttlv.Ttlv;
import io.strongroom.hsm.ttlv.TtlvException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Request and response payloads to and from TTLV, by operation and protocol version (hsm-kmip.md §2.5 and §2.6).
 * Field order is the spec's; fields a version does not define are never written (an encoder asked to write one
 * throws {@link IllegalArgumentException}) and, on strict reads, refused as unexpected. Stateless.
 */
final class PayloadCodec {
    private PayloadCodec() {}

    // ---------------------------------------------------------------- requests

    static Ttlv.Struct encodeRequest(RequestPayload payload, ProtocolVersion v) {
        List<Ttlv> f = new ArrayList<>();
        switch (payload) {
            case RequestPayload.Create c -> {
                f.add(new Ttlv.Enumeration(Tags.OBJECT_TYPE, c.objectType()));
                f.add(attributesContainer(c.attributes(), v, Tags.TEMPLATE_ATTRIBUTE));
            }
            case RequestPayload.Activate a -> uid(f, a.uniqueIdentifier());
            case RequestPayload.GetAttributes g -> {
                uid(f, g.uniqueIdentifier());
                for (String name : g.attributeNames()) {
                    if (v.usesAttributesStructure()) {
                        AttributeKind kind = AttributeKind.byName(name);
                        if (kind == null) {
                            throw new IllegalArgumentException("attribute '" + name + "' has no KMIP 2.0 tag here");
                        }
                        f.add(new Ttlv.Enumeration(Tags.ATTRIBUTE_REFERENCE, kind.tag()));
                    } else {
                        f.add(new Ttlv.Text(Tags.ATTRIBUTE_NAME, name));
                    }
                }
            }
            case RequestPayload.Locate l -> {
                optInt(f, Tags.MAXIMUM_ITEMS, l.maximumItems());
                if (l.offsetItems() != null) {
                    requireVersion(v, ProtocolVersion.V1_3, "Offset Items");
                    f.add(new Ttlv.Int(Tags.OFFSET_ITEMS, l.offsetItems()));
                }
                optInt(f, Tags.STORAGE_STATUS_MASK, l.storageStatusMask());
                if (l.objectGroupMember() != null) {
                    f.add(new Ttlv.Enumeration(Tags.OBJECT_GROUP_MEMBER, l.objectGroupMember()));
                }
                if (v.usesAttributesStructure()) {
                    f.add(attributesContainer(l.attributes(), v, Tags.ATTRIBUTES));
                } else {
                    for (Attribute a : l.attributes()) {
                        f.add(attribute1x(a));
                    }
                }
            }
            case RequestPayload.Encrypt e -> {
                uid(f, e.uniqueIdentifier());
                params(f, e.parameters());
                f.add(new Ttlv.Bytes(Tags.DATA, e.data()));
                optBytes(f, Tags.IV_COUNTER_NONCE, e.iv());
                aead(f, v, e.additionalData(), null);
            }
            case RequestPayload.Decrypt d -> {
                uid(f, d.uniqueIdentifier());
                params(f, d.parameters());
                f.add(new Ttlv.Bytes(Tags.DATA, d.data()));
                optBytes(f, Tags.IV_COUNTER_NONCE, d.iv());
                aead(f, v, d.additionalData(), d.tag());
            }
            case RequestPayload.Revoke r -> {
                uid(f, r.uniqueIdentifier());
                List<Ttlv> reason = new ArrayList<>();
                reason.add(new Ttlv.Enumeration(Tags.REVOCATION_REASON_CODE, r.reasonCode()));
                if (r.message() != null) {
                    reason.add(new Ttlv.Text(Tags.REVOCATION_MESSAGE, r.message()));
                }
                f.add(new Ttlv.Struct(Tags.REVOCATION_REASON, reason));
                if (r.compromiseOccurrenceDate() != null) {
                    f.add(new Ttlv.DateTime(Tags.COMPROMISE_OCCURRENCE_DATE, r.compromiseOccurrenceDate()));
                }
            }
            case RequestPayload.Destroy d -> uid(f, d.uniqueIdentifier());
            case RequestPayload.DiscoverVersions d -> {
                for (ProtocolVersion pv : d.versions()) {
                    f.add(KmipCodec.version(pv));
                }
            }
            case RequestPayload.Get g -> uid(f, g.uniqueIdentifier());
            case RequestPayload.Query q -> {
                for (int fn : q.functions()) {
                    f.add(new Ttlv.Enumeration(Tags.QUERY_FUNCTION, fn));
                }
            }
            case RequestPayload.Unsupported u -> throw new IllegalArgumentException("cannot encode operation " + u);
        }
        return new Ttlv.Struct(Tags.REQUEST_PAYLOAD, f);
    }

    static RequestPayload decodeRequest(int operationCode, Ttlv item, ProtocolVersion v) {
        Operation op = Operation.ofCode(operationCode);
        if (op == null) {
            return new RequestPayload.Unsupported(operationCode);
        }
        StructReader r = StructReader.strict(item, Tags.REQUEST_PAYLOAD);
        RequestPayload p = switch (op) {
            case CREATE -> {
                int type = r.requiredEnum(Tags.OBJECT_TYPE);
                List<Attribute> attrs = v.usesAttributesStructure()
                        ? readAttributes2(r.requiredStruct(Tags.ATTRIBUTES))
                        : readTemplateAttribute(r.requiredStruct(Tags.TEMPLATE_ATTRIBUTE));
                if (v.usesAttributesStructure()) {
                    r.optional(Tags.PROTECTION_STORAGE_MASKS);
                }
                yield new RequestPayload.Create(type, attrs);
            }
            case ACTIVATE -> new RequestPayload.Activate(r.optionalText(Tags.UNIQUE_IDENTIFIER));
            case DESTROY -> new RequestPayload.Destroy(r.optionalText(Tags.UNIQUE_IDENTIFIER));
            case GET_ATTRIBUTES -> {
                String uid = r.optionalText(Tags.UNIQUE_IDENTIFIER);
                List<String> names = new ArrayList<>();
                if (v.usesAttributesStructure()) {
                    for (Ttlv t : r.repeated(Tags.ATTRIBUTE_REFERENCE)) {
                        int tag = StructReader.as(t, Ttlv.Enumeration.class).value();
                        AttributeKind kind = AttributeKind.byTag(tag);
                        names.add(kind != null ? kind.kmipName() : "tag " + Tags.describe(tag));
                    }
                } else {
                    for (Ttlv t : r.repeated(Tags.ATTRIBUTE_NAME)) {
                        names.add(StructReader.as(t, Ttlv.Text.class).value());
                    }
                }
                yield new RequestPayload.GetAttributes(uid, names);
            }
            case LOCATE -> {
                Integer max = r.optionalInt(Tags.MAXIMUM_ITEMS);
                Integer offset = v.atLeast(ProtocolVersion.V1_3) ? r.optionalInt(Tags.OFFSET_ITEMS) : null;
                Integer storage = r.optionalInt(Tags.STORAGE_STATUS_MASK);
                Integer group = r.optionalEnum(Tags.OBJECT_GROUP_MEMBER);
                List<Attribute> attrs = new ArrayList<>();
                if (v.usesAttributesStructure()) {
                    StructReader a = r.optionalStruct(Tags.ATTRIBUTES);
                    if (a != null) {
                        attrs.addAll(readAttributes2(a));
                    }
                } else {
                    for (Ttlv t : r.repeated(Tags.ATTRIBUTE)) {
                        attrs.add(readAttribute1x(StructReader.strict(t, Tags.ATTRIBUTE)));
                    }
                }
                yield new RequestPayload.Locate(max, offset, storage, group, attrs);
            }
            case ENCRYPT, DECRYPT -> {
                String uid = r.optionalText(Tags.UNIQUE_IDENTIFIER);
                StructReader cp = r.optionalStruct(Tags.CRYPTOGRAPHIC_PARAMETERS);
                CryptographicParameters params = cp == null ? null : readParams(cp);
                byte[] data = r.requiredBytes(Tags.DATA);
                byte[] iv = r.optionalBytes(Tags.IV_COUNTER_NONCE);
                if (v.atLeast(ProtocolVersion.V1_3)) {
                    r.optional(Tags.CORRELATION_VALUE);
                    r.optionalBool(Tags.INIT_INDICATOR);
                    r.optionalBool(Tags.FINAL_INDICATOR);
                }
                byte[] aad = null;
                byte[] tag = null;
                if (v.atLeast(ProtocolVersion.V1_4)) {
                    aad = r.optionalBytes(Tags.AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA);
                    if (op == Operation.DECRYPT) {
                        tag = r.optionalBytes(Tags.AUTHENTICATED_ENCRYPTION_TAG);
                    }
                }
                yield op == Operation.ENCRYPT
                        ? new RequestPayload.Encrypt(uid, params, data, iv, aad)
                        : new RequestPayload.Decrypt(uid, params, data, iv, aad, tag);
            }
            case REVOKE -> {
                String uid = r.optionalText(Tags.UNIQUE_IDENTIFIER);
                StructReader reason = r.requiredStruct(Tags.REVOCATION_REASON);
                int code = reason.requiredEnum(Tags.REVOCATION_REASON_CODE);
                String message = reason.optionalText(Tags.REVOCATION_MESSAGE);
                reason.end();
                Long date = r.optionalDateTime(Tags.COMPROMISE_OCCURRENCE_DATE);
                yield new RequestPayload.Revoke(uid, code, message, date);
            }
            case DISCOVER_VERSIONS -> {
                List<ProtocolVersion> versions = new ArrayList<>();
                for (Ttlv t : r.repeated(Tags.PROTOCOL_VERSION)) {
                    versions.add(KmipCodec.readVersion(StructReader.strict(t, Tags.PROTOCOL_VERSION)));
                }
                yield new RequestPayload.DiscoverVersions(versions);
            }
            case GET -> {
                String uid = r.optionalText(Tags.UNIQUE_IDENTIFIER);
                r.optionalEnum(Tags.KEY_FORMAT_TYPE);
                if (v.atLeast(ProtocolVersion.V1_4)) {
                    r.optionalEnum(Tags.KEY_WRAP_TYPE);
                }
                r.optionalEnum(Tags.KEY_COMPRESSION_TYPE);
                r.optional(Tags.KEY_WRAPPING_SPECIFICATION);
                yield new RequestPayload.Get(uid);
            }
            case QUERY -> {
                List<Integer> fns = new ArrayList<>();
                for (Ttlv t : r.repeated(Tags.QUERY_FUNCTION)) {
                    fns.add(StructReader.as(t, Ttlv.Enumeration.class).value());
                }
                yield new RequestPayload.Query(fns);
            }
            default -> new RequestPayload.Unsupported(operationCode);
        };
        if (!(p instanceof RequestPayload.Unsupported)) {
            r.end();
        }
        return p;
    }

    // ---------------------------------------------------------------- responses

    static Ttlv.Struct encodeResponse(ResponsePayload payload, ProtocolVersion v) {
        List<Ttlv> f = new ArrayList<>();
        switch (payload) {
            case ResponsePayload.Create c -> {
                f.add(new Ttlv.Enumeration(Tags.OBJECT_TYPE, c.objectType()));
                f.add(new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, c.uniqueIdentifier()));
                if (!c.attributes().isEmpty() && !v.usesAttributesStructure()) {
                    f.add(attributesContainer(c.attributes(), v, Tags.TEMPLATE_ATTRIBUTE));
                }
            }
            case ResponsePayload.UniqueIdentifier u ->
                f.add(new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, u.uniqueIdentifier()));
            case ResponsePayload.GetAttributes g -> {
                f.add(new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, g.uniqueIdentifier()));
                if (v.usesAttributesStructure()) {
                    f.add(attributesContainer(g.attributes(), v, Tags.ATTRIBUTES));
                } else {
                    for (Attribute a : g.attributes()) {
                        f.add(attribute1x(a));
                    }
                }
            }
            case ResponsePayload.Locate l -> {
                if (l.locatedItems() != null && v.atLeast(ProtocolVersion.V1_3)) {
                    f.add(new Ttlv.Int(Tags.LOCATED_ITEMS, l.locatedItems()));
                }
                for (String uid : l.uniqueIdentifiers()) {
                    f.add(new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, uid));
                }
            }
            case ResponsePayload.Encrypt e -> {
                f.add(new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, e.uniqueIdentifier()));
                f.add(new Ttlv.Bytes(Tags.DATA, e.data()));
                optBytes(f, Tags.IV_COUNTER_NONCE, e.iv());
                if (e.tag() != null) {
                    requireVersion(v, ProtocolVersion.V1_4, "Authenticated Encryption Tag");
                    f.add(new Ttlv.Bytes(Tags.AUTHENTICATED_ENCRYPTION_TAG, e.tag()));
                }
            }
            case ResponsePayload.Decrypt d -> {
                f.add(new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, d.uniqueIdentifier()));
                f.add(new Ttlv.Bytes(Tags.DATA, d.data()));
            }
            case ResponsePayload.DiscoverVersions d -> {
                for (ProtocolVersion pv : d.versions()) {
                    f.add(KmipCodec.version(pv));
                }
            }
            case ResponsePayload.Query q -> {
                for (int op : q.operations()) {
                    f.add(new Ttlv.Enumeration(Tags.OPERATION, op));
                }
                for (int t : q.objectTypes()) {
                    f.add(new Ttlv.Enumeration(Tags.OBJECT_TYPE, t));
                }
                if (q.vendorIdentification() != null) {
                    f.add(new Ttlv.Text(Tags.VENDOR_IDENTIFICATION, q.vendorIdentification()));
                }
            }
            case ResponsePayload.Raw raw -> f.addAll(raw.payload().items());
        }
        return new Ttlv.Struct(Tags.RESPONSE_PAYLOAD, f);
    }

    /** Lenient: unknown fields between and after the ones read are skipped. */
    static ResponsePayload decodeResponse(int operationCode, Ttlv item, ProtocolVersion v) {
        StructReader r = StructReader.lenient(item, Tags.RESPONSE_PAYLOAD);
        Operation op = Operation.ofCode(operationCode);
        if (op == null) {
            return new ResponsePayload.Raw((Ttlv.Struct) item);
        }
        ResponsePayload p = switch (op) {
            case CREATE -> {
                int type = r.requiredEnum(Tags.OBJECT_TYPE);
                String uid = r.requiredText(Tags.UNIQUE_IDENTIFIER);
                StructReader ta = r.optionalStruct(Tags.TEMPLATE_ATTRIBUTE);
                yield new ResponsePayload.Create(
                        type, uid, ta == null ? List.of() : definedIn(v, readTemplateAttribute(ta)));
            }
            case ACTIVATE, REVOKE, DESTROY ->
                new ResponsePayload.UniqueIdentifier(r.requiredText(Tags.UNIQUE_IDENTIFIER));
            case GET_ATTRIBUTES -> {
                String uid = r.requiredText(Tags.UNIQUE_IDENTIFIER);
                List<Attribute> attrs = new ArrayList<>();
                // Only the form of the answer's version: an attribute in the other form could not be written back in
                // this one (a 1.x Attribute whose name has no 2.0 tag; found by the fuzz target hsm.kmip-response).
                // The other form, if a server sends it, is a trailing field the lenient reader skips.
                if (v.usesAttributesStructure()) {
                    StructReader a = r.optionalStruct(Tags.ATTRIBUTES);
                    if (a != null) {
                        attrs.addAll(readAttributes2(a));
                    }
                } else {
                    for (Ttlv t : r.repeated(Tags.ATTRIBUTE)) {
                        attrs.add(readAttribute1x(StructReader.lenient(t, Tags.ATTRIBUTE)));
                    }
                }
                yield new ResponsePayload.GetAttributes(uid, definedIn(v, attrs));
            }
            case LOCATE -> {
                Integer located = r.optionalInt(Tags.LOCATED_ITEMS);
                List<String> uids = new ArrayList<>();
                for (Ttlv t : r.repeated(Tags.UNIQUE_IDENTIFIER)) {
                    uids.add(StructReader.as(t, Ttlv.Text.class).value());
                }
                yield new ResponsePayload.Locate(located, uids);
            }
            case ENCRYPT -> {
                String uid = r.requiredText(Tags.UNIQUE_IDENTIFIER);
                byte[] data = r.requiredBytes(Tags.DATA);
                byte[] iv = r.optionalBytes(Tags.IV_COUNTER_NONCE);
                // The tag field exists from 1.4; before, it is an unknown trailing field, skipped (and the client
                // refuses GCM below 1.4 anyway).
                byte[] tag =
                        v.atLeast(ProtocolVersion.V1_4) ? r.optionalBytes(Tags.AUTHENTICATED_ENCRYPTION_TAG) : null;
                yield new ResponsePayload.Encrypt(uid, data, iv, tag);
            }
            case DECRYPT ->
                new ResponsePayload.Decrypt(r.requiredText(Tags.UNIQUE_IDENTIFIER), r.requiredBytes(Tags.DATA));
            case DISCOVER_VERSIONS -> {
                List<ProtocolVersion> versions = new ArrayList<>();
                for (Ttlv t : r.repeated(Tags.PROTOCOL_VERSION)) {
                    versions.add(KmipCodec.readVersion(StructReader.strict(t, Tags.PROTOCOL_VERSION)));
                }
                yield new ResponsePayload.DiscoverVersions(versions);
            }
            case QUERY -> {
                List<Integer> ops = new ArrayList<>();
                for (Ttlv t : r.repeated(Tags.OPERATION)) {
                    ops.add(StructReader.as(t, Ttlv.Enumeration.class).value());
                }
                List<Integer> types = new ArrayList<>();
                for (Ttlv t : r.repeated(Tags.OBJECT_TYPE)) {
                    types.add(StructReader.as(t, Ttlv.Enumeration.class).value());
                }
                yield new ResponsePayload.Query(ops, types, r.optionalText(Tags.VENDOR_IDENTIFICATION));
            }
            default -> new ResponsePayload.Raw((Ttlv.Struct) item);
        };
        r.end();
        return p;
    }

    // ---------------------------------------------------------------- attributes

    /** 1.x: Template-Attribute (or the given 1.x container) of Attribute structs; 2.0: Attributes. */
    private static Ttlv.Struct attributesContainer(List<Attribute> attrs, ProtocolVersion v, int tag1x) {
        List<Ttlv> items = new ArrayList<>();
        for (Attribute a : attrs) {
            AttributeKind kind = a.kind();
            if (kind != null && !v.atLeast(kind.since())) {
                throw new IllegalArgumentException(
                        "attribute '" + a.name() + "' does not exist in KMIP " + v + " (since " + kind.since() + ")");
            }
            if (v.usesAttributesStructure()) {
                if (kind == null && a.value().tag() == Tags.ATTRIBUTE_VALUE) {
                    throw new IllegalArgumentException("attribute '" + a.name() + "' has no KMIP 2.0 tag here");
                }
                items.add(a.value());
            } else {
                items.add(attribute1x(a));
            }
        }
        return new Ttlv.Struct(v.usesAttributesStructure() ? Tags.ATTRIBUTES : tag1x, items);
    }

    private static Ttlv.Struct attribute1x(Attribute a) {
        return Ttlv.Struct.of(
                Tags.ATTRIBUTE,
                new Ttlv.Text(Tags.ATTRIBUTE_NAME, a.name()),
                Attribute.retag(a.value(), Tags.ATTRIBUTE_VALUE));
    }

    private static List<Attribute> readTemplateAttribute(StructReader r) {
        r.repeated(Tags.NAME); // template names (deprecated); Strongroom uses none
        List<Attribute> out = new ArrayList<>();
        for (Ttlv t : r.repeated(Tags.ATTRIBUTE)) {
            out.add(readAttribute1x(StructReader.strict(t, Tags.ATTRIBUTE)));
        }
        r.end();
        return out;
    }

    private static Attribute readAttribute1x(StructReader r) {
        String name = r.requiredText(Tags.ATTRIBUTE_NAME);
        r.optionalInt(Tags.ATTRIBUTE_INDEX);
        Ttlv value = r.required(Tags.ATTRIBUTE_VALUE);
        r.end();
        AttributeKind kind = AttributeKind.byName(name);
        if (kind == null) {
            return new Attribute(name, value);
        }
        if (value.type() != kind.type()) {
            throw new TtlvException(
                    Tags.ATTRIBUTE_VALUE,
                    "attribute '" + name + "' must be a " + kind.type() + ", not " + value.type());
        }
        return new Attribute(name, Attribute.retag(value, kind.tag()));
    }

    /**
     * The attributes of an answer in {@code v} that {@code v} defines: one from a later version (Sensitive in a 1.2
     * answer) is skipped like any unknown trailing field, since it could not be written back in {@code v} (found by
     * the fuzz target hsm.kmip-response).
     */
    private static List<Attribute> definedIn(ProtocolVersion v, List<Attribute> attributes) {
        List<Attribute> out = new ArrayList<>();
        for (Attribute a : attributes) {
            AttributeKind kind = AttributeKind.byName(a.name());
            if (kind == null || v.atLeast(kind.since())) {
                out.add(a);
            }
        }
        return out;
    }

    private static List<Attribute> readAttributes2(StructReader r) {
        List<Attribute> out = new ArrayList<>();
        while (r.hasMore()) {
            int tag = r.peekTag();
            Ttlv value = r.required(tag);
            AttributeKind kind = AttributeKind.byTag(tag);
            if (kind != null && value.type() != kind.type()) {
                throw new TtlvException(tag, "must be a " + kind.type() + ", not " + value.type());
            }
            String known = Tags.name(tag);
            out.add(new Attribute(
                    kind != null ? kind.kmipName() : known != null ? known : "tag " + Tags.describe(tag), value));
        }
        return out;
    }

    // ---------------------------------------------------------------- cryptographic parameters

    private static void params(List<Ttlv> f, @Nullable CryptographicParameters p) {
        if (p == null) {
            return;
        }
        List<Ttlv> c = new ArrayList<>();
        optEnum(c, Tags.BLOCK_CIPHER_MODE, p.blockCipherMode());
        optEnum(c, Tags.PADDING_METHOD, p.paddingMethod());
        optEnum(c, Tags.HASHING_ALGORITHM, p.hashingAlgorithm());
        optEnum(c, Tags.KEY_ROLE_TYPE, p.keyRoleType());
        optEnum(c, Tags.DIGITAL_SIGNATURE_ALGORITHM, p.digitalSignatureAlgorithm());
        optEnum(c, Tags.CRYPTOGRAPHIC_ALGORITHM, p.cryptographicAlgorithm());
        if (p.randomIv() != null) {
            c.add(new Ttlv.Bool(Tags.RANDOM_IV, p.randomIv()));
        }
        optInt(c, Tags.IV_LENGTH, p.ivLengthBits());
        optInt(c, Tags.TAG_LENGTH, p.tagLengthBytes());
        optInt(c, Tags.FIXED_FIELD_LENGTH, p.fixedFieldLength());
        optInt(c, Tags.INVOCATION_FIELD_LENGTH, p.invocationFieldLength());
        optInt(c, Tags.COUNTER_LENGTH, p.counterLength());
        optInt(c, Tags.INITIAL_COUNTER_VALUE, p.initialCounterValue());
        f.add(new Ttlv.Struct(Tags.CRYPTOGRAPHIC_PARAMETERS, c));
    }

    private static CryptographicParameters readParams(StructReader r) {
        CryptographicParameters p = new CryptographicParameters(
                r.optionalEnum(Tags.BLOCK_CIPHER_MODE),
                r.optionalEnum(Tags.PADDING_METHOD),
                r.optionalEnum(Tags.HASHING_ALGORITHM),
                r.optionalEnum(Tags.KEY_ROLE_TYPE),
                r.optionalEnum(Tags.DIGITAL_SIGNATURE_ALGORITHM),
                r.optionalEnum(Tags.CRYPTOGRAPHIC_ALGORITHM),
                r.optionalBool(Tags.RANDOM_IV),
                r.optionalInt(Tags.IV_LENGTH),
                r.optionalInt(Tags.TAG_LENGTH),
                r.optionalInt(Tags.FIXED_FIELD_LENGTH),
                r.optionalInt(Tags.INVOCATION_FIELD_LENGTH),
                r.optionalInt(Tags.COUNTER_LENGTH),
                r.optionalInt(Tags.INITIAL_COUNTER_VALUE));
        r.end();
        return p;
    }

    // ---------------------------------------------------------------- small helpers

    private static void aead(List<Ttlv> f, ProtocolVersion v, byte @Nullable [] additionalData, byte @Nullable [] tag) {
        if (additionalData != null) {
            requireVersion(v, ProtocolVersion.V1_4, "Authenticated Encryption Additional Data");
            f.add(new Ttlv.Bytes(Tags.AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, additionalData));
        }
        if (tag != null) {
            requireVersion(v, ProtocolVersion.V1_4, "Authenticated Encryption Tag");
            f.add(new Ttlv.Bytes(Tags.AUTHENTICATED_ENCRYPTION_TAG, tag));
        }
    }

    private static void requireVersion(ProtocolVersion v, ProtocolVersion since, String field) {
        if (!v.atLeast(since)) {
            throw new IllegalArgumentException(field + " does not exist in KMIP " + v + " (since " + since + ")");
        }
    }

    private static void uid(List<Ttlv> f, @Nullable String uid) {
        if (uid != null) {
            f.add(new Ttlv.Text(Tags.UNIQUE_IDENTIFIER, uid));
        }
    }

    private static void optInt(List<Ttlv> f, int tag, @Nullable Integer value) {
        if (value != null) {
            f.add(new Ttlv.Int(tag, value));
        }
    }

    private static void optEnum(List<Ttlv> f, int tag, @Nullable Integer value) {
        if (value != null) {
            f.add(new Ttlv.Enumeration(tag, value));
        }
    }

    private static void optBytes(List<Ttlv> f, int tag, byte @Nullable [] value) {
        if (value != null) {
            f.add(new Ttlv.Bytes(tag, value));
        }
    }
}
