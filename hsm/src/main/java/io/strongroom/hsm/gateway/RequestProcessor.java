package io.strongroom.hsm.gateway;

import io.strongroom.hsm.kmip.Attribute;
import io.strongroom.hsm.kmip.AttributeKind;
import io.strongroom.hsm.kmip.BlockCipherMode;
import io.strongroom.hsm.kmip.Credential;
import io.strongroom.hsm.kmip.CryptographicParameters;
import io.strongroom.hsm.kmip.KmipConstants;
import io.strongroom.hsm.kmip.ObjectType;
import io.strongroom.hsm.kmip.Operation;
import io.strongroom.hsm.kmip.ProtocolVersion;
import io.strongroom.hsm.kmip.QueryFunction;
import io.strongroom.hsm.kmip.RequestMessage;
import io.strongroom.hsm.kmip.RequestPayload;
import io.strongroom.hsm.kmip.ResponseMessage;
import io.strongroom.hsm.kmip.ResponsePayload;
import io.strongroom.hsm.kmip.ResultReason;
import io.strongroom.hsm.kmip.RevocationReasonCode;
import io.strongroom.hsm.kmip.State;
import io.strongroom.hsm.ttlv.Ttlv;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Answers one decoded request message for one authenticated TLS client: checks the version and the partition
 * credential, then runs the batch items in order with the ID placeholder and the Batch Error Continuation Option
 * (Continue runs every item; Stop, the default, and Undo, which is not served, stop after the first failure).
 * Answers are in the request's protocol version, with only the fields that version defines (the codec enforces
 * it).
 *
 * <p>A message that needs a partition runs whole while holding it ({@link Partition#exclusively}): the password
 * check and every batch item, with no other message's in between. Holding the partition only per call let a wrong
 * password from one client log the token out between another client's login and its Decrypt, and let a Revoke race
 * a Destroy (read, then write in another step) and bring back the metadata of a destroyed key.
 *
 * <p>Stateless apart from its collaborators; thread-safe.
 */
final class RequestProcessor {
    private static final int TAG_BYTES = 16;
    private static final int IV_BYTES = 12;

    private final Function<String, Partition> partitions;
    private final InstantSource clock;

    /** {@code partitions} opens (or returns the open) partition of a label, or throws {@link KmipFailure}. */
    RequestProcessor(Function<String, Partition> partitions, InstantSource clock) {
        this.partitions = partitions;
        this.clock = clock;
    }

    /**
     * The answer to {@code m} from the registered client {@code client}; {@code assigned} says whether that client
     * may use a partition.
     */
    ResponseMessage process(RequestMessage m, String client, Function<String, Boolean> assigned) {
        ProtocolVersion v = m.version();
        long now = clock.instant().getEpochSecond();
        if (!ProtocolVersion.SERVED.contains(v)) {
            ProtocolVersion answer = answerVersion(v);
            ResultReason reason =
                    v.major() >= 2 ? ResultReason.UNSUPPORTED_PROTOCOL_VERSION : ResultReason.INVALID_MESSAGE;
            List<ResponseMessage.Item> items = new ArrayList<>();
            for (RequestMessage.Item item : m.items()) {
                items.add(ResponseMessage.Item.failure(
                        item.operationCode(),
                        item.batchItemId(),
                        reason,
                        "KMIP " + v + " is not served; use 1.2, 1.3, 1.4 or 2.0 (GCM needs 1.4 or later)"));
            }
            return new ResponseMessage(answer, now, items);
        }
        boolean needsPartition = m.items().stream()
                .anyMatch(i -> i.operation() != Operation.DISCOVER_VERSIONS && i.operation() != Operation.QUERY);
        if (!needsPartition) {
            return new ResponseMessage(v, now, items(m, null, null, now));
        }
        Login login;
        try {
            login = partitionOf(m.credential(), client, assigned);
        } catch (KmipFailure f) {
            return new ResponseMessage(v, now, items(m, null, f, now));
        }
        // The partition is held from the password check to the last batch item, so no other message on it runs in
        // between: another client's wrong password cannot act between this login and these items, and the state a
        // Revoke, Destroy or Encrypt reads is the state it changes or relies on.
        Partition p = login.partition();
        return p.exclusively(() -> {
            try {
                p.login(login.password());
            } catch (KmipFailure f) {
                return new ResponseMessage(v, now, items(m, null, f, now));
            }
            return new ResponseMessage(v, now, items(m, p, null, now));
        });
    }

    /**
     * The version of an answer to a request in {@code v}, which the gateway may not serve: the request's own when it
     * is a KMIP version (1.0 to 1.4, 2.0), 2.0 for any later major version, and 1.0 (what any client reads, and
     * what PyKMIP answers a message it cannot parse with) for a version KMIP never had, such as 1.258 or 0.3 (the
     * fuzz target hsm.gateway-request found 1.258 echoed back).
     */
    static ProtocolVersion answerVersion(@Nullable ProtocolVersion v) {
        if (v == null || v.major() < 1) {
            return ProtocolVersion.V1_0;
        }
        if (v.major() >= 2) {
            return ProtocolVersion.V2_0;
        }
        return v.minor() >= 0 && v.minor() <= 4 ? v : ProtocolVersion.V1_0;
    }

    /**
     * The answers to {@code m}'s items, in order, stopping after the first failure unless the message asks to
     * continue. Items that need a partition fail with {@code authFailure} when it is set; otherwise they run on
     * {@code partition}, which the caller holds.
     */
    private List<ResponseMessage.Item> items(
            RequestMessage m, @Nullable Partition partition, @Nullable KmipFailure authFailure, long now) {
        ProtocolVersion v = m.version();
        boolean continueOnError =
                m.batchErrorContinuation() != null && m.batchErrorContinuation() == KmipConstants.BATCH_CONTINUE;
        List<ResponseMessage.Item> out = new ArrayList<>();
        String[] placeholder = {null};
        for (RequestMessage.Item item : m.items()) {
            ResponseMessage.Item answer;
            try {
                Operation op = item.operation();
                if (op == null || item.payload() instanceof RequestPayload.Unsupported) {
                    throw new KmipFailure(
                            ResultReason.OPERATION_NOT_SUPPORTED,
                            "operation " + item.operationCode() + " is not served by the Strongroom HSM gateway");
                }
                ResponsePayload payload;
                if (op == Operation.DISCOVER_VERSIONS || op == Operation.QUERY) {
                    payload = unauthenticated(item.payload());
                } else {
                    if (authFailure != null) {
                        throw authFailure;
                    }
                    payload = run(item.payload(), v, required(partition), placeholder, now);
                }
                answer = ResponseMessage.Item.success(item, payload);
            } catch (KmipFailure f) {
                answer = ResponseMessage.Item.failure(
                        item.operationCode(), item.batchItemId(), f.reason(), f.resultMessage());
            }
            out.add(answer);
            if (answer.resultReason() >= 0 && !continueOnError) {
                break;
            }
        }
        return out;
    }

    /** A partition the client may use and the password it offered, not yet checked. */
    private record Login(Partition partition, String password) {
        @Override
        public String toString() {
            return "Login[" + partition + ", password withheld]";
        }
    }

    private static Partition required(@Nullable Partition p) {
        if (p == null) {
            throw new KmipFailure(ResultReason.GENERAL_FAILURE, "no partition");
        }
        return p;
    }

    /** The partition {@code c} names, once the client is known to be assigned to it; the password is not checked. */
    private Login partitionOf(@Nullable Credential c, String client, Function<String, Boolean> assigned) {
        if (c == null || c.password() == null) {
            throw new KmipFailure(
                    ResultReason.AUTHENTICATION_NOT_SUCCESSFUL,
                    "send a Username/Password credential: the username names the partition, the password is its"
                            + " password");
        }
        if (!assigned.apply(c.username())) {
            throw new KmipFailure(
                    ResultReason.PERMISSION_DENIED,
                    "client " + client + " is not assigned to partition " + c.username()
                            + "; assign it with `strongroom hsm client assign`");
        }
        return new Login(partitions.apply(c.username()), c.password());
    }

    private static ResponsePayload unauthenticated(RequestPayload p) {
        return switch (p) {
            case RequestPayload.DiscoverVersions d -> {
                List<ProtocolVersion> offered = new ArrayList<>();
                for (ProtocolVersion s : ProtocolVersion.SERVED) {
                    if (d.versions().isEmpty() || d.versions().contains(s)) {
                        offered.add(s);
                    }
                }
                yield new ResponsePayload.DiscoverVersions(offered);
            }
            case RequestPayload.Query q -> {
                List<Integer> ops = new ArrayList<>();
                List<Integer> types = new ArrayList<>();
                String vendor = null;
                if (q.functions().contains(QueryFunction.QUERY_OPERATIONS.code())) {
                    for (Operation op : Operation.values()) {
                        if (op != Operation.REGISTER && op != Operation.GET_ATTRIBUTE_LIST) {
                            ops.add(op.code());
                        }
                    }
                }
                if (q.functions().contains(QueryFunction.QUERY_OBJECTS.code())) {
                    types.add(ObjectType.SYMMETRIC_KEY.code());
                }
                if (q.functions().contains(QueryFunction.QUERY_SERVER_INFORMATION.code())) {
                    vendor = "Strongroom HSM gateway";
                }
                yield new ResponsePayload.Query(ops, types, vendor);
            }
            default -> throw new KmipFailure(ResultReason.GENERAL_FAILURE, "not an unauthenticated operation");
        };
    }

    private ResponsePayload run(RequestPayload p, ProtocolVersion v, Partition part, String[] placeholder, long now) {
        return switch (p) {
            case RequestPayload.Create c -> {
                ManagedKey k = create(c, part, now);
                placeholder[0] = k.uid();
                yield new ResponsePayload.Create(ObjectType.SYMMETRIC_KEY.code(), k.uid(), List.of());
            }
            case RequestPayload.Activate a -> {
                ManagedKey k = key(part, a.uniqueIdentifier(), placeholder);
                if (k.state() != State.PRE_ACTIVE) {
                    throw wrongState(v, k, "only a Pre-Active key can be activated");
                }
                part.update(k.withState(State.ACTIVE, now));
                yield new ResponsePayload.UniqueIdentifier(k.uid());
            }
            case RequestPayload.GetAttributes g -> {
                ManagedKey k = key(part, g.uniqueIdentifier(), placeholder);
                yield new ResponsePayload.GetAttributes(k.uid(), attributes(k, g.attributeNames(), v));
            }
            case RequestPayload.Locate l -> {
                ResponsePayload.Locate r = locate(l, part, v);
                if (!r.uniqueIdentifiers().isEmpty()) {
                    placeholder[0] = r.uniqueIdentifiers().getFirst();
                }
                yield r;
            }
            case RequestPayload.Encrypt e -> {
                ManagedKey k = key(part, e.uniqueIdentifier(), placeholder);
                byte[] iv = checkGcm(v, e.parameters(), e.iv());
                if (k.state() != State.ACTIVE) {
                    throw wrongState(v, k, "only an Active key encrypts");
                }
                requireUsage(k, KmipConstants.USAGE_ENCRYPT, "Encrypt");
                byte[] out = part.gcm(k.uid(), true, e.data(), iv, e.additionalData());
                byte[] ct = Arrays.copyOf(out, out.length - TAG_BYTES);
                byte[] tag = Arrays.copyOfRange(out, out.length - TAG_BYTES, out.length);
                yield new ResponsePayload.Encrypt(k.uid(), ct, null, tag);
            }
            case RequestPayload.Decrypt d -> {
                ManagedKey k = key(part, d.uniqueIdentifier(), placeholder);
                byte[] iv = checkGcm(v, d.parameters(), d.iv());
                if (d.tag() == null || d.tag().length != TAG_BYTES) {
                    throw new KmipFailure(
                            ResultReason.INVALID_FIELD,
                            "GCM Decrypt needs the 16-byte tag in Authenticated Encryption Tag (4200FF)");
                }
                if (k.state() != State.ACTIVE && k.state() != State.DEACTIVATED && k.state() != State.COMPROMISED) {
                    throw wrongState(v, k, "a Pre-Active key does not decrypt");
                }
                requireUsage(k, KmipConstants.USAGE_DECRYPT, "Decrypt");
                byte[] in = Arrays.copyOf(d.data(), d.data().length + TAG_BYTES);
                System.arraycopy(d.tag(), 0, in, d.data().length, TAG_BYTES);
                yield new ResponsePayload.Decrypt(k.uid(), part.gcm(k.uid(), false, in, iv, d.additionalData()));
            }
            case RequestPayload.Revoke r -> {
                ManagedKey k = key(part, r.uniqueIdentifier(), placeholder);
                State next = r.reasonCode() == RevocationReasonCode.KEY_COMPROMISE.code()
                        ? State.COMPROMISED
                        : k.state() == State.COMPROMISED ? State.COMPROMISED : State.DEACTIVATED;
                part.update(k.withState(next, now));
                yield new ResponsePayload.UniqueIdentifier(k.uid());
            }
            case RequestPayload.Destroy d -> {
                ManagedKey k = key(part, d.uniqueIdentifier(), placeholder);
                if (k.state() == State.ACTIVE) {
                    throw wrongState(v, k, "an Active key cannot be destroyed; revoke it first");
                }
                part.destroy(k.uid());
                yield new ResponsePayload.UniqueIdentifier(k.uid());
            }
            case RequestPayload.Get g -> {
                ManagedKey k = key(part, g.uniqueIdentifier(), placeholder);
                throw new KmipFailure(
                        v.atLeast(ProtocolVersion.V1_4) ? ResultReason.SENSITIVE : ResultReason.PERMISSION_DENIED,
                        "key " + k.uid() + " is sensitive: its material never leaves the HSM");
            }
            default ->
                throw new KmipFailure(
                        ResultReason.OPERATION_NOT_SUPPORTED,
                        "operation not served: " + p.getClass().getSimpleName());
        };
    }

    private static ManagedKey create(RequestPayload.Create c, Partition part, long now) {
        if (c.objectType() != ObjectType.SYMMETRIC_KEY.code()) {
            throw new KmipFailure(ResultReason.INVALID_FIELD, "only Symmetric Keys (Object Type 2) are served");
        }
        Integer algorithm = null;
        int length = -1;
        int mask = KmipConstants.USAGE_ENCRYPT | KmipConstants.USAGE_DECRYPT;
        String name = null;
        String group = null;
        for (Attribute a : c.attributes()) {
            AttributeKind kind = a.kind();
            if (kind == null) {
                throw new KmipFailure(
                        ResultReason.INVALID_FIELD, "attribute '" + a.name() + "' is not served at Create");
            }
            switch (kind) {
                case CRYPTOGRAPHIC_ALGORITHM -> algorithm = a.intValue();
                case CRYPTOGRAPHIC_LENGTH -> length = a.intValue() == null ? -1 : a.intValue();
                case CRYPTOGRAPHIC_USAGE_MASK -> mask = a.intValue() == null ? mask : a.intValue();
                case NAME -> {
                    if (name != null) {
                        throw new KmipFailure(ResultReason.INVALID_FIELD, "one Name per key");
                    }
                    name = a.nameValue();
                }
                case OBJECT_GROUP -> group = ((Ttlv.Text) a.value()).value();
                case SENSITIVE, OPERATION_POLICY_NAME -> {
                    // Every key is sensitive on the token, whatever was asked; policy names have no meaning here.
                }
                case EXTRACTABLE -> {
                    if (a.value() instanceof Ttlv.Bool b && b.value()) {
                        throw new KmipFailure(ResultReason.INVALID_FIELD, "keys are never extractable here");
                    }
                }
                default ->
                    throw new KmipFailure(
                            ResultReason.INVALID_FIELD, "attribute '" + a.name() + "' is set by the server");
            }
        }
        if (algorithm == null || algorithm != KmipConstants.ALGORITHM_AES) {
            throw new KmipFailure(ResultReason.INVALID_FIELD, "Cryptographic Algorithm must be AES (3)");
        }
        if (length != 128 && length != 192 && length != 256) {
            throw new KmipFailure(ResultReason.INVALID_FIELD, "Cryptographic Length must be 128, 192 or 256");
        }
        return part.create(length, mask, name, group, now);
    }

    private static ManagedKey key(Partition part, @Nullable String uid, String[] placeholder) {
        String id = uid != null ? uid : placeholder[0];
        if (id == null) {
            throw new KmipFailure(
                    ResultReason.INVALID_FIELD, "no Unique Identifier, and no earlier batch item to take it from");
        }
        ManagedKey k = part.get(id);
        if (k == null) {
            throw new KmipFailure(ResultReason.ITEM_NOT_FOUND, "no object " + id + " in partition " + part.label());
        }
        placeholder[0] = id;
        return k;
    }

    /**
     * A key whose lifecycle state forbids the operation. KMIP 2.0 has Wrong Key Lifecycle State; 1.x has none, and
     * answers Illegal Operation rather than Permission Denied, which clients read as a credential or assignment
     * problem ("check the password") when the fix is a key in another state.
     */
    private static KmipFailure wrongState(ProtocolVersion v, ManagedKey k, String why) {
        return new KmipFailure(
                v.usesAttributesStructure() ? ResultReason.WRONG_KEY_LIFECYCLE_STATE : ResultReason.ILLEGAL_OPERATION,
                "key " + k.uid() + " is " + k.state() + ": " + why);
    }

    private static void requireUsage(ManagedKey k, int bit, String op) {
        if ((k.usageMask() & bit) == 0) {
            throw new KmipFailure(
                    ResultReason.PERMISSION_DENIED, "key " + k.uid() + "'s usage mask does not allow " + op);
        }
    }

    /** GCM only, KMIP 1.4 or later, a client IV of 12 bytes, a 16-byte tag. */
    private static byte[] checkGcm(ProtocolVersion v, @Nullable CryptographicParameters p, byte @Nullable [] iv) {
        if (p == null || p.blockCipherMode() == null || p.blockCipherMode() != BlockCipherMode.GCM.code()) {
            throw new KmipFailure(
                    ResultReason.INVALID_FIELD,
                    "send Cryptographic Parameters with Block Cipher Mode GCM (9): the only mode served");
        }
        if (!v.atLeast(ProtocolVersion.V1_4)) {
            throw new KmipFailure(
                    ResultReason.FEATURE_NOT_SUPPORTED,
                    "GCM needs KMIP 1.4 or later, which carries the associated data and the tag in their own fields;"
                            + " KMIP " + v + " cannot");
        }
        if (p.cryptographicAlgorithm() != null && p.cryptographicAlgorithm() != KmipConstants.ALGORITHM_AES) {
            throw new KmipFailure(ResultReason.INVALID_FIELD, "Cryptographic Algorithm must be AES (3)");
        }
        if (p.tagLengthBytes() != null && p.tagLengthBytes() != TAG_BYTES) {
            throw new KmipFailure(ResultReason.INVALID_FIELD, "Tag Length must be 16 (bytes)");
        }
        if (p.paddingMethod() != null && p.paddingMethod() != 1) {
            throw new KmipFailure(ResultReason.INVALID_FIELD, "GCM takes no padding (Padding Method None, 1)");
        }
        if (Boolean.TRUE.equals(p.randomIv()) || iv == null || iv.length != IV_BYTES) {
            throw new KmipFailure(
                    ResultReason.INVALID_FIELD,
                    "send an explicit 12-byte IV/Counter/Nonce; the server does not pick IVs");
        }
        if (p.ivLengthBits() != null && p.ivLengthBits() != IV_BYTES * 8) {
            throw new KmipFailure(ResultReason.INVALID_FIELD, "IV Length must be 96 (bits)");
        }
        return iv;
    }

    private static ResponsePayload.Locate locate(RequestPayload.Locate l, Partition part, ProtocolVersion v) {
        List<String> found = new ArrayList<>();
        for (ManagedKey k : part.all()) {
            boolean match = true;
            for (Attribute a : l.attributes()) {
                AttributeKind kind = a.kind();
                Integer value = a.intValue();
                match &= switch (kind) {
                    case NAME -> a.nameValue() != null && a.nameValue().equals(k.name());
                    case OBJECT_TYPE -> value != null && value == ObjectType.SYMMETRIC_KEY.code();
                    case STATE -> value != null && value == k.state().code();
                    case CRYPTOGRAPHIC_ALGORITHM -> value != null && value == KmipConstants.ALGORITHM_AES;
                    case CRYPTOGRAPHIC_LENGTH -> value != null && value == k.lengthBits();
                    case OBJECT_GROUP ->
                        a.value() instanceof Ttlv.Text t && t.value().equals(k.objectGroup());
                    case null, default ->
                        throw new KmipFailure(ResultReason.INVALID_FIELD, "Locate by '" + a.name() + "' is not served");
                };
            }
            if (match) {
                found.add(k.uid());
            }
        }
        int total = found.size();
        int offset = l.offsetItems() == null ? 0 : Math.max(0, l.offsetItems());
        int max = l.maximumItems() == null || l.maximumItems() <= 0 ? Integer.MAX_VALUE : l.maximumItems();
        List<String> page =
                found.subList(Math.min(offset, total), Math.min(total, (int) Math.min((long) offset + max, total)));
        return new ResponsePayload.Locate(
                v.atLeast(ProtocolVersion.V1_3) && (l.offsetItems() != null || l.maximumItems() != null) ? total : null,
                page);
    }

    /** The attributes of {@code k} named by {@code names} (all when empty) that exist in version {@code v}. */
    static List<Attribute> attributes(ManagedKey k, List<String> names, ProtocolVersion v) {
        List<Attribute> all = new ArrayList<>();
        all.add(Attribute.text(AttributeKind.UNIQUE_IDENTIFIER, k.uid()));
        if (k.name() != null) {
            all.add(Attribute.name(k.name()));
        }
        all.add(Attribute.enumeration(AttributeKind.OBJECT_TYPE, ObjectType.SYMMETRIC_KEY.code()));
        all.add(Attribute.enumeration(AttributeKind.CRYPTOGRAPHIC_ALGORITHM, KmipConstants.ALGORITHM_AES));
        all.add(Attribute.integer(AttributeKind.CRYPTOGRAPHIC_LENGTH, k.lengthBits()));
        all.add(Attribute.integer(AttributeKind.CRYPTOGRAPHIC_USAGE_MASK, k.usageMask()));
        all.add(Attribute.enumeration(AttributeKind.STATE, k.state().code()));
        all.add(Attribute.dateTime(AttributeKind.INITIAL_DATE, k.initialDate()));
        if (k.activationDate() >= 0) {
            all.add(Attribute.dateTime(AttributeKind.ACTIVATION_DATE, k.activationDate()));
        }
        if (k.deactivationDate() >= 0) {
            all.add(Attribute.dateTime(AttributeKind.DEACTIVATION_DATE, k.deactivationDate()));
        }
        if (k.compromiseDate() >= 0) {
            all.add(Attribute.dateTime(AttributeKind.COMPROMISE_DATE, k.compromiseDate()));
        }
        if (k.objectGroup() != null) {
            all.add(Attribute.text(AttributeKind.OBJECT_GROUP, k.objectGroup()));
        }
        all.add(Attribute.dateTime(AttributeKind.LAST_CHANGE_DATE, k.lastChangeDate()));
        all.add(Attribute.bool(AttributeKind.SENSITIVE, true));
        all.add(Attribute.bool(AttributeKind.ALWAYS_SENSITIVE, true));
        all.add(Attribute.bool(AttributeKind.EXTRACTABLE, false));
        all.add(Attribute.bool(AttributeKind.NEVER_EXTRACTABLE, true));
        List<Attribute> out = new ArrayList<>();
        for (Attribute a : all) {
            AttributeKind kind = a.kind();
            if (kind != null && v.atLeast(kind.since()) && (names.isEmpty() || names.contains(a.name()))) {
                out.add(a);
            }
        }
        return out;
    }
}
