package io.strongroom.hsm.client;

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
import io.strongroom.hsm.ttlv.TtlvCodec;
import io.strongroom.hsm.ttlv.TtlvException;
import io.strongroom.hsm.ttlv.TtlvReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * A KMIP 1.4 client over mutual TLS: what a cluster uses to keep its cluster encryption key (CEK) in an HSM
 * partition and to wrap and unwrap data keys with it (hsm-kmip.md §1).
 *
 * <p>How this works. {@link #connect} opens one TLS connection that trusts only the endpoint's server certificate
 * (exact match) and presents the cluster's client certificate. Each call sends one request message with a KMIP 1.4
 * header carrying the partition name and password as the Username/Password credential, and reads one response,
 * framed and bounded at 1 MiB. GCM always goes with a client-chosen 12-byte IV and a 16-byte tag in its own field:
 * KMIP below 1.4 cannot carry associated data or the tag, and servers pick 16-byte IVs when left to choose.
 *
 * <p>Rejected: negotiating the version per server (1.4 is the floor, and the newest 1.x most servers serve);
 * reconnecting on demand (callers connect per group of operations, so a broken connection surfaces as
 * UNREACHABLE and the next group connects again).
 *
 * <p>Thread-safe: one request at a time per connection (calls are synchronized).
 */
public final class KmipClient implements AutoCloseable {
    /** The protocol version every request is sent in. */
    public static final ProtocolVersion VERSION = ProtocolVersion.V1_4;

    private static final int TAG_BYTES = 16;
    private static final int IV_BYTES = 12;
    private static final String CONNECTIVITY_NAME = "strongroom/connectivity-check";
    private static final byte[] CREATE_ID = {1};
    private static final byte[] ACTIVATE_ID = {2};
    private static final Pattern STATE_WORDING = Pattern.compile("(?i)\\b(active|inactive|state)\\b");

    private final HsmEndpoint endpoint;
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final TtlvReader reader;
    private final Credential credential;
    private boolean broken;

    private KmipClient(HsmEndpoint endpoint, SSLSocket socket) throws IOException {
        this.endpoint = endpoint;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.reader = new TtlvReader(in, TtlvCodec.MAX_MESSAGE_BYTES);
        this.credential = new Credential(endpoint.partition(), endpoint.password());
    }

    /**
     * Connects and completes the TLS handshake within {@code timeout}; every later read waits at most {@code timeout}
     * too.
     *
     * @throws KmipException UNREACHABLE when the address, the handshake or the pinned certificate check fails
     */
    public static KmipClient connect(HsmEndpoint e, Duration timeout) {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        SSLSocket s = null;
        try {
            s = (SSLSocket) PinnedTls.context(e).getSocketFactory().createSocket();
            PinnedTls.configure(s);
            s.connect(new InetSocketAddress(e.host(), e.port()), millis);
            s.setSoTimeout(millis);
            s.setTcpNoDelay(true);
            s.startHandshake();
            return new KmipClient(e, s);
        } catch (GeneralSecurityException | IOException ex) {
            closeQuietly(s);
            throw new KmipException(
                    KmipException.Kind.UNREACHABLE,
                    -1,
                    "cannot connect to the HSM at " + e.host() + ":" + e.port() + " (" + ex.getMessage()
                            + "); check the address and port, that the HSM server runs, that its certificate is"
                            + " the configured HSM server certificate and that this cluster's client certificate is"
                            + " registered there",
                    ex);
        }
    }

    /** The TLS protocol and cipher suite negotiated, for logs and tests. */
    public String tlsDescription() {
        return String.join(" ", PinnedTls.describe(socket));
    }

    /** The versions the server offers, best first, for example ["2.0", "1.4", "1.3"]. */
    public List<String> discoverVersions() {
        ResponsePayload.DiscoverVersions r = expect(
                call(Operation.DISCOVER_VERSIONS, new RequestPayload.DiscoverVersions(List.of()), null),
                ResponsePayload.DiscoverVersions.class);
        List<String> out = new ArrayList<>();
        for (ProtocolVersion v : r.versions()) {
            out.add(v.toString());
        }
        return out;
    }

    /**
     * The connectivity check of create and partition switch: Discover Versions must offer 1.4 or later, then an
     * authenticated Locate by a name that does not exist proves the credential and the certificate assignment.
     *
     * @throws KmipException UNSUPPORTED_VERSION when no offered version is 1.4 or later
     */
    public void checkConnectivity() {
        ResponsePayload.DiscoverVersions r = expect(
                call(Operation.DISCOVER_VERSIONS, new RequestPayload.DiscoverVersions(List.of()), null),
                ResponsePayload.DiscoverVersions.class);
        boolean ok = r.versions().stream().anyMatch(v -> v.major() == 1 ? v.atLeast(VERSION) : v.major() == 2);
        if (!ok) {
            throw new KmipException(
                    KmipException.Kind.UNSUPPORTED_VERSION,
                    "the HSM at " + endpoint.host() + ":" + endpoint.port() + " offers KMIP " + r.versions()
                            + "; Strongroom needs KMIP 1.4 or later (GCM associated data and tag); upgrade the HSM"
                            + " or pick another");
        }
        locate(CONNECTIVITY_NAME);
    }

    /**
     * {@link #createKey}, for callers that need only the Unique Identifier. Prefer {@link #createKey}: it also says
     * whether the HSM took the Sensitive attribute.
     *
     * @return the key's Unique Identifier
     */
    public String createAesKey(String name) {
        return createKey(name).uid();
    }

    /**
     * Creates an AES-256 key named {@code name} (usage Encrypt|Decrypt, Sensitive) and activates it, in one batched
     * message (Activate uses the ID placeholder).
     *
     * <p>Only a refusal of the Create item itself with Invalid Field or Unsupported Attribute is taken as the server
     * refusing Sensitive (hsm-kmip.md §1): Create is then sent once more without it, and the answer says {@code
     * sensitive} false. When Create succeeds and Activate fails, nothing is retried: the created key is destroyed,
     * best effort (Destroy, which a Pre-Active key allows; failing that, Revoke then Destroy), and the exception says
     * whether that worked, naming the key to remove by hand when it did not. A server that cannot parse the
     * placeholder (PyKMIP 0.10 answers Invalid Message for the whole batch, having done nothing) gets Create and
     * Activate one by one.
     *
     * @throws KmipException when the key could not be created and activated; no key is left behind unless the
     *     message says so
     */
    public synchronized CreatedKey createKey(String name) {
        boolean sensitive = true;
        Created c = create(name, true);
        if (refusedAttribute(c.create())) {
            sensitive = false;
            c = create(name, false);
        }
        String uid = expect(check(c.create(), Operation.CREATE, name), ResponsePayload.Create.class)
                .uniqueIdentifier();
        try {
            ResponseMessage.Item activate = c.batch() == null
                    ? send(List.of(new RequestMessage.Item(Operation.ACTIVATE, null, new RequestPayload.Activate(uid))))
                            .getFirst()
                    : item(c.batch(), ACTIVATE_ID, Operation.ACTIVATE);
            ResponsePayload.UniqueIdentifier activated =
                    expect(check(activate, Operation.ACTIVATE, uid), ResponsePayload.UniqueIdentifier.class);
            if (!activated.uniqueIdentifier().equals(uid)) {
                throw protocol("Activate answered for " + activated.uniqueIdentifier() + ", not the created " + uid);
            }
        } catch (KmipException e) {
            throw new KmipException(
                    e.kind(),
                    e.resultReason(),
                    "key " + uid + " (" + name + ") was created but not activated: " + e.getMessage() + "; "
                            + destroyCreated(uid),
                    e);
        }
        return new CreatedKey(uid, sensitive);
    }

    /**
     * The Create answer, and the whole batch's answers when the server ran the batched Create and Activate (null when
     * it could not parse the placeholder and Create went alone).
     */
    private record Created(
            ResponseMessage.Item create, @Nullable List<ResponseMessage.Item> batch) {}

    private Created create(String name, boolean sensitive) {
        List<Attribute> attrs = new ArrayList<>(List.of(
                Attribute.enumeration(AttributeKind.CRYPTOGRAPHIC_ALGORITHM, KmipConstants.ALGORITHM_AES),
                Attribute.integer(AttributeKind.CRYPTOGRAPHIC_LENGTH, 256),
                Attribute.integer(
                        AttributeKind.CRYPTOGRAPHIC_USAGE_MASK,
                        KmipConstants.USAGE_ENCRYPT | KmipConstants.USAGE_DECRYPT),
                Attribute.name(name)));
        if (sensitive) {
            attrs.add(Attribute.bool(AttributeKind.SENSITIVE, true));
        }
        RequestPayload.Create create = new RequestPayload.Create(ObjectType.SYMMETRIC_KEY.code(), attrs);
        List<ResponseMessage.Item> answers = send(List.of(
                new RequestMessage.Item(Operation.CREATE, CREATE_ID, create),
                new RequestMessage.Item(Operation.ACTIVATE, ACTIVATE_ID, new RequestPayload.Activate(null))));
        ResponseMessage.Item first = item(answers, CREATE_ID, Operation.CREATE);
        if (first.operationCode() < 0 && first.resultReason() == ResultReason.INVALID_MESSAGE.code()) {
            // PyKMIP 0.10's decoder requires the Unique Identifier in Activate, so it cannot parse the ID
            // placeholder and refuses the whole message before doing anything. Two round trips then.
            return new Created(
                    send(List.of(new RequestMessage.Item(Operation.CREATE, null, create)))
                            .getFirst(),
                    null);
        }
        return new Created(first, answers);
    }

    /**
     * Whether {@code answer} is the Create item's own refusal of an attribute (Invalid Field in 1.x, Unsupported
     * Attribute in 2.0), not a failure of the whole message or of another item.
     */
    private static boolean refusedAttribute(ResponseMessage.Item answer) {
        boolean own = answer.operationCode() == Operation.CREATE.code()
                || (answer.batchItemId() != null && Arrays.equals(answer.batchItemId(), CREATE_ID));
        return own
                && answer.status() != ResultStatus.SUCCESS
                && (answer.resultReason() == ResultReason.INVALID_FIELD.code()
                        || answer.resultReason() == ResultReason.UNSUPPORTED_ATTRIBUTE.code());
    }

    /**
     * Best effort to remove key {@code uid}, made by a Create whose Activate failed: Destroy (KMIP lets a Pre-Active
     * key be destroyed), and when that is refused, Revoke then Destroy. Returns what happened, for the message.
     */
    private String destroyCreated(String uid) {
        if (broken) {
            return "it could not be destroyed because the connection failed: revoke and destroy key " + uid
                    + " on the HSM, then create again";
        }
        try {
            expect(
                    call(Operation.DESTROY, new RequestPayload.Destroy(uid), uid),
                    ResponsePayload.UniqueIdentifier.class);
            return "the key was destroyed, so nothing is left behind; create again";
        } catch (KmipException first) {
            try {
                revokeAndDestroy(uid);
                return "the key was revoked and destroyed, so nothing is left behind; create again";
            } catch (KmipException second) {
                return "destroying it failed too (" + second.getMessage() + "): revoke and destroy key " + uid
                        + " on the HSM, then create again";
            }
        }
    }

    /**
     * AES-GCM encryption of {@code plaintext} under key {@code uid} with the caller's 12-byte IV and non-empty
     * associated data; the tag is 16 bytes.
     */
    public Sealed encrypt(String uid, byte[] plaintext, byte[] iv12, byte[] aad) {
        checkGcmInputs(iv12, aad);
        ResponsePayload.Encrypt r = expect(
                call(
                        Operation.ENCRYPT,
                        new RequestPayload.Encrypt(
                                uid, CryptographicParameters.aesGcm(TAG_BYTES), plaintext, iv12, aad),
                        uid),
                ResponsePayload.Encrypt.class);
        byte[] tag = r.tag();
        if (tag == null || tag.length != TAG_BYTES) {
            throw protocol("Encrypt of key " + uid + " returned " + (tag == null ? "no" : tag.length + "-byte")
                    + " tag; expected " + TAG_BYTES + " bytes in the Authenticated Encryption Tag field");
        }
        if (r.data().length != plaintext.length) {
            throw protocol("Encrypt of key " + uid + " returned " + r.data().length + " bytes of ciphertext for "
                    + plaintext.length + " bytes of plaintext");
        }
        if (r.iv() != null && !Arrays.equals(r.iv(), iv12)) {
            throw protocol("Encrypt of key " + uid + " used another IV than the one sent");
        }
        return new Sealed(r.data(), tag);
    }

    /**
     * AES-GCM decryption under key {@code uid}.
     *
     * @throws KmipException CRYPTO_FAILURE when the tag does not verify (wrong key, associated data or bytes)
     */
    public byte[] decrypt(String uid, byte[] ciphertext, byte[] iv12, byte[] aad, byte[] tag) {
        checkGcmInputs(iv12, aad);
        if (tag.length != TAG_BYTES) {
            throw new IllegalArgumentException("the GCM tag must be " + TAG_BYTES + " bytes, not " + tag.length);
        }
        ResponsePayload.Decrypt r = expect(
                call(
                        Operation.DECRYPT,
                        new RequestPayload.Decrypt(
                                uid, CryptographicParameters.aesGcm(TAG_BYTES), ciphertext, iv12, aad, tag),
                        uid),
                ResponsePayload.Decrypt.class);
        if (r.data().length != ciphertext.length) {
            throw protocol("Decrypt of key " + uid + " returned " + r.data().length + " bytes for " + ciphertext.length
                    + " bytes of ciphertext");
        }
        return r.data();
    }

    private static void checkGcmInputs(byte[] iv12, byte[] aad) {
        if (iv12.length != IV_BYTES) {
            throw new IllegalArgumentException("the GCM IV must be " + IV_BYTES + " bytes, not " + iv12.length);
        }
        if (aad.length == 0) {
            throw new IllegalArgumentException("associated data must name what the key belongs to; it is empty");
        }
    }

    /** The key's KMIP State (Pre-Active 1, Active 2, Deactivated 3, Compromised 4, ...). */
    public int state(String uid) {
        ResponsePayload.GetAttributes r = expect(
                call(Operation.GET_ATTRIBUTES, new RequestPayload.GetAttributes(uid, List.of("State")), uid),
                ResponsePayload.GetAttributes.class);
        Attribute state = Attribute.find(r.attributes(), AttributeKind.STATE);
        Integer value = state == null ? null : state.intValue();
        if (value == null) {
            throw protocol("Get Attributes of key " + uid + " returned no State");
        }
        return value;
    }

    /** The Unique Identifiers of the objects named {@code name} (Names are not unique in KMIP 1.x). */
    public List<String> locate(String name) {
        ResponsePayload.Locate r = expect(
                call(
                        Operation.LOCATE,
                        new RequestPayload.Locate(null, null, null, null, List.of(Attribute.name(name))),
                        null),
                ResponsePayload.Locate.class);
        return r.uniqueIdentifiers();
    }

    /** Revokes key {@code uid} (Cessation of Operation), then destroys it. */
    public void revokeAndDestroy(String uid) {
        revoke(uid);
        destroy(uid);
    }

    /** Revokes key {@code uid} (Cessation of Operation): it is Deactivated, and no longer encrypts. */
    public void revoke(String uid) {
        expect(
                call(
                        Operation.REVOKE,
                        new RequestPayload.Revoke(uid, RevocationReasonCode.CESSATION_OF_OPERATION.code(), null, null),
                        uid),
                ResponsePayload.UniqueIdentifier.class);
    }

    /** Destroys key {@code uid}, which must not be Active (revoke it first). */
    public void destroy(String uid) {
        expect(call(Operation.DESTROY, new RequestPayload.Destroy(uid), uid), ResponsePayload.UniqueIdentifier.class);
    }

    @Override
    public synchronized void close() {
        broken = true;
        closeQuietly(socket);
    }

    // ---------------------------------------------------------------- one request, one response

    private synchronized ResponsePayload call(Operation op, RequestPayload payload, @Nullable String uid) {
        List<ResponseMessage.Item> answers = send(List.of(new RequestMessage.Item(op, null, payload)));
        return check(answers.getFirst(), op, uid);
    }

    private synchronized List<ResponseMessage.Item> send(List<RequestMessage.Item> items) {
        if (broken) {
            throw new KmipException(
                    KmipException.Kind.UNREACHABLE,
                    "the connection to the HSM at " + endpoint.host() + ":" + endpoint.port()
                            + " was closed after an earlier failure; connect again");
        }
        // The request carries the partition password, and an Encrypt request the plaintext; a Decrypt answer
        // carries the plaintext. Both buffers are zeroed once used (the decoded payload holds its own copy).
        byte[] request = KmipCodec.encodeRequest(new RequestMessage(VERSION, credential, null, items));
        byte[] response;
        try {
            TtlvReader.write(out, request);
            response = reader.next();
        } catch (SocketTimeoutException e) {
            broken = true;
            throw unreachable("no answer within the timeout", e);
        } catch (SSLException e) {
            broken = true;
            throw unreachable("TLS failed (" + e.getMessage() + ")", e);
        } catch (TtlvException e) {
            broken = true;
            throw new KmipException(
                    KmipException.Kind.PROTOCOL, -1, "the HSM's answer is malformed: " + e.getMessage(), e);
        } catch (IOException e) {
            broken = true;
            throw unreachable("the connection failed (" + e.getMessage() + ")", e);
        } finally {
            Arrays.fill(request, (byte) 0);
        }
        if (response == null) {
            broken = true;
            throw unreachable("the HSM closed the connection without answering", null);
        }
        ResponseMessage m;
        try {
            m = KmipCodec.decodeResponse(response);
        } catch (TtlvException e) {
            throw new KmipException(
                    KmipException.Kind.PROTOCOL, -1, "the HSM's answer is malformed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(response, (byte) 0);
        }
        if (m.items().size() != items.size()) {
            // A server that cannot parse the request answers one failure item (PyKMIP: version 1.0, no Operation).
            if (m.items().size() == 1 && m.items().getFirst().status() != ResultStatus.SUCCESS) {
                return List.of(m.items().getFirst(), m.items().getFirst());
            }
            throw protocol(
                    "sent " + items.size() + " batch items, got " + m.items().size() + " answers");
        }
        return m.items();
    }

    /** The answer whose Unique Batch Item ID is {@code id}, or the failure item a server sends for the whole batch. */
    private ResponseMessage.Item item(List<ResponseMessage.Item> answers, byte[] id, Operation op) {
        for (ResponseMessage.Item i : answers) {
            if (i.batchItemId() != null && Arrays.equals(i.batchItemId(), id)) {
                return i;
            }
        }
        for (ResponseMessage.Item i : answers) {
            if (i.status() != ResultStatus.SUCCESS) {
                return i;
            }
        }
        throw protocol("no answer for the " + op + " batch item");
    }

    private ResponsePayload check(ResponseMessage.Item item, Operation op, @Nullable String subject) {
        if (item.status() == ResultStatus.SUCCESS) {
            if (item.operationCode() != op.code()) {
                throw protocol("asked for " + op + ", got an answer for operation " + item.operationCode());
            }
            ResponsePayload p = item.payload();
            if (p == null) {
                throw protocol(op + " succeeded without a response payload");
            }
            return p;
        }
        throw failure(item, op, subject);
    }

    private KmipException failure(ResponseMessage.Item item, Operation op, @Nullable String subject) {
        int reason = item.resultReason();
        KmipException.Kind kind = switch (ResultReason.ofCode(reason)) {
            case ITEM_NOT_FOUND -> KmipException.Kind.KEY_NOT_FOUND;
            case ILLEGAL_OPERATION, WRONG_KEY_LIFECYCLE_STATE -> KmipException.Kind.KEY_NOT_ACTIVE;
            // PyKMIP answers a key in the wrong state with Permission Denied ("... must be in the Active state",
            // "Object is active and cannot be destroyed"); its message is the only way to tell that apart.
            case PERMISSION_DENIED ->
                item.resultMessage() != null
                                && STATE_WORDING.matcher(item.resultMessage()).find()
                        ? KmipException.Kind.KEY_NOT_ACTIVE
                        : KmipException.Kind.NOT_AUTHORISED;
            case AUTHENTICATION_NOT_SUCCESSFUL -> KmipException.Kind.NOT_AUTHORISED;
            case CRYPTOGRAPHIC_FAILURE -> KmipException.Kind.CRYPTO_FAILURE;
            case GENERAL_FAILURE ->
                op == Operation.DECRYPT ? KmipException.Kind.CRYPTO_FAILURE : KmipException.Kind.FAILED;
            case INVALID_MESSAGE -> KmipException.Kind.PROTOCOL;
            case null, default -> KmipException.Kind.FAILED;
        };
        String what = op + (subject == null ? "" : " of " + subject) + " in partition " + endpoint.partition() + " at "
                + endpoint.host() + ":" + endpoint.port();
        String said = (reason < 0 ? "no reason" : ResultReason.describe(reason))
                + (item.resultMessage() == null ? "" : ": " + item.resultMessage());
        String todo = switch (kind) {
            case KEY_NOT_FOUND ->
                "the key is not in this partition (destroyed, or made in another partition); check the HSM"
                        + " configuration";
            case NOT_AUTHORISED ->
                "check that this cluster's client certificate is registered and assigned to the partition"
                        + " on the HSM, and that the partition password is right (some HSMs also answer so for a"
                        + " key that is not Active)";
            case KEY_NOT_ACTIVE ->
                op == Operation.DESTROY
                        ? "the key is Active; revoke it before destroying it"
                        : "the key's state does not allow " + op + ": it is revoked (Deactivated or Compromised)"
                                + " or not yet activated; check its State on the HSM";
            case CRYPTO_FAILURE ->
                "the key, the associated data or the wrapped key bytes do not match: wrong key or"
                        + " corrupted wrapped key";
            case PROTOCOL -> "the HSM could not read the request; check that it serves KMIP 1.4";
            default -> "see the HSM's logs";
        };
        return new KmipException(kind, reason, what + " failed (" + said + "); " + todo, null);
    }

    private static <T extends ResponsePayload> T expect(ResponsePayload p, Class<T> type) {
        if (!type.isInstance(p)) {
            throw new KmipException(
                    KmipException.Kind.PROTOCOL, "expected a " + type.getSimpleName() + " payload, got " + p);
        }
        return type.cast(p);
    }

    private KmipException protocol(String message) {
        return new KmipException(
                KmipException.Kind.PROTOCOL,
                "the HSM at " + endpoint.host() + ":" + endpoint.port() + " answered wrongly: " + message);
    }

    private KmipException unreachable(String what, @Nullable Throwable cause) {
        return new KmipException(
                KmipException.Kind.UNREACHABLE,
                -1,
                "the HSM at " + endpoint.host() + ":" + endpoint.port() + ": " + what
                        + "; check that it runs and is reachable, then retry",
                cause);
    }

    private static void closeQuietly(@Nullable SSLSocket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a broken connection; nothing to do
            }
        }
    }

    @Override
    public String toString() {
        return "KmipClient[" + endpoint + "]";
    }
}
