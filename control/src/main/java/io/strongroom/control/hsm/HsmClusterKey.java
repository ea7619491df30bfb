package io.strongroom.control.hsm;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.RawKeyAccess;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.WrappedKey;
import io.strongroom.hsm.client.KmipClient;
import io.strongroom.hsm.client.KmipException;
import io.strongroom.hsm.client.Sealed;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A cluster key (CEK) that lives inside an HSM partition and never leaves it (the seed's HSM key flow). Wrapping a
 * DEK: the HSM encrypts it under the CEK (KMIP Encrypt, AES-256-GCM, a fresh 12-byte IV chosen here, associated data
 * binding cluster, CEK and DEK versions, {@link ClusterKey#databaseKeyBinding}); that result, IV, ciphertext and
 * tag, is then sealed again under the {@link InternalRootKey} with the cluster's encryption context, and that is
 * what the key vault stores. Unwrapping reverses both, through the KMS and then the HSM.
 *
 * <p>Holds no secret: only the CEK's KMIP unique identifier and the way to reach the HSM. Each wrap or unwrap opens
 * its own connection ({@code connect}). Thread-safe.
 */
public final class HsmClusterKey implements ClusterKey {
    static final int IV_BYTES = 12;
    static final int TAG_BYTES = 16;
    static final int DEK_BYTES = 32;
    /** The context entry that names which DEK a sealed HSM result holds. */
    static final String DEK_CONTEXT = "strongroom:hsm-wrapped-dek";

    private final KeyInfo info;
    private final String cekUid;
    private final Supplier<KmipClient> connect;
    private final InternalRootKey root;
    private final String region;
    private final Map<String, String> context;
    private final SecureRandom random;

    /**
     * @param info the CEK's identity ({@code <clusterId>/cek}, version)
     * @param cekUid the CEK's KMIP unique identifier in the partition
     * @param connect opens a connection to the HSM partition (the caller's configuration)
     * @param context the cluster's encryption context, frozen at creation
     */
    public HsmClusterKey(
            KeyInfo info,
            String cekUid,
            Supplier<KmipClient> connect,
            InternalRootKey root,
            String region,
            Map<String, String> context,
            SecureRandom random) {
        if (info.tier() != KeyTier.CLUSTER) {
            throw new IllegalArgumentException("not a cluster key: " + info);
        }
        this.info = info;
        this.cekUid = cekUid;
        this.connect = connect;
        this.root = root;
        this.region = region;
        this.context = Map.copyOf(context);
        this.random = random;
    }

    /** The CEK's KMIP unique identifier. */
    public String cekUid() {
        return cekUid;
    }

    @Override
    public KeyInfo info() {
        return info;
    }

    @Override
    public WrappedKey wrap(DatabaseKey dek, String clusterId) {
        byte[] m = dek.copyRawMaterial(RawKeyAccess.insecure()); // the HSM wraps the bytes it is sent
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        byte[] aad = ClusterKey.databaseKeyBinding(clusterId, info, dek.info()).encoded();
        try {
            Sealed s;
            try (KmipClient c = connect.get()) {
                s = c.encrypt(cekUid, m, iv, aad);
            } catch (KmipException e) {
                throw mapped(e, "encrypting the database key under the HSM's cluster key");
            }
            if (s.ciphertext().length != DEK_BYTES || s.tag().length != TAG_BYTES) {
                throw new StrongroomException(
                        ErrorCode.INTEGRITY_FAILURE,
                        "the HSM returned a " + s.ciphertext().length + "-byte ciphertext and a " + s.tag().length
                                + "-byte tag for a 32-byte key under AES-GCM; it does not follow KMIP 1.4");
            }
            byte[] payload = ByteBuffer.allocate(IV_BYTES + DEK_BYTES + TAG_BYTES)
                    .put(iv)
                    .put(s.ciphertext())
                    .put(s.tag())
                    .array();
            return new WrappedKey(info, root.seal(region, payload, sealContext(dek.info())));
        } finally {
            Arrays.fill(m, (byte) 0);
        }
    }

    @Override
    public DatabaseKey unwrapDatabaseKey(WrappedKey wrapped, KeyInfo dekInfo, String clusterId) {
        byte[] payload = root.open(region, wrapped.ciphertext(), sealContext(dekInfo));
        if (payload.length != IV_BYTES + DEK_BYTES + TAG_BYTES) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "a wrapped database key of cluster " + clusterId + " has " + payload.length + " bytes inside"
                            + " its internal-root seal, not " + (IV_BYTES + DEK_BYTES + TAG_BYTES));
        }
        byte[] iv = Arrays.copyOfRange(payload, 0, IV_BYTES);
        byte[] ct = Arrays.copyOfRange(payload, IV_BYTES, IV_BYTES + DEK_BYTES);
        byte[] tag = Arrays.copyOfRange(payload, IV_BYTES + DEK_BYTES, payload.length);
        byte[] aad = ClusterKey.databaseKeyBinding(clusterId, info, dekInfo).encoded();
        byte[] m;
        try (KmipClient c = connect.get()) {
            m = c.decrypt(cekUid, ct, iv, aad, tag);
        } catch (KmipException e) {
            throw mapped(e, "decrypting the database key with the HSM's cluster key");
        }
        if (m.length != DEK_BYTES) {
            Arrays.fill(m, (byte) 0);
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "the HSM returned a database key of the wrong length");
        }
        try {
            return DatabaseKey.ofMaterial(dekInfo, SecretBytes.copyOf(m));
        } finally {
            Arrays.fill(m, (byte) 0);
        }
    }

    private Map<String, String> sealContext(KeyInfo dekInfo) {
        Map<String, String> c = new TreeMap<>(context);
        c.put(DEK_CONTEXT, info.keyId() + "/" + info.version() + "/" + dekInfo.keyId() + "/" + dekInfo.version());
        return c;
    }

    /**
     * The error for a KMIP failure: an HSM that cannot be reached is KEY_UNAVAILABLE, a refused login or a CEK the
     * partition does not have is ACCESS_DENIED, a failed decryption is WRONG_KEY. The KMIP exception stays the cause
     * (the control plane writes event 1504 for an unreachable HSM).
     */
    public static StrongroomException mapped(KmipException e, String what) {
        ErrorCode code = switch (e.kind()) {
            case UNREACHABLE -> ErrorCode.KEY_UNAVAILABLE;
            case NOT_AUTHORISED, KEY_NOT_FOUND -> ErrorCode.ACCESS_DENIED;
            case CRYPTO_FAILURE -> ErrorCode.WRONG_KEY;
            case KEY_NOT_ACTIVE -> ErrorCode.ACCESS_DENIED;
            default -> ErrorCode.KEY_UNAVAILABLE;
        };
        String hint = switch (e.kind()) {
            case UNREACHABLE -> "; check that the HSM is up and reachable, then retry";
            case NOT_AUTHORISED ->
                "; check that the client certificate is registered and assigned to the partition and that the"
                        + " partition password is right";
            case KEY_NOT_FOUND -> "; the partition does not hold the cluster key (was it replicated to it?)";
            case KEY_NOT_ACTIVE ->
                "; the cluster key was revoked or deactivated in the HSM: the cluster cannot load it until it is"
                        + " active again";
            default -> "";
        };
        return new StrongroomException(code, what + " failed: " + e.getMessage() + hint, e);
    }

    @Override
    public void close() {
        // Nothing to zero: the key is in the HSM.
    }

    @Override
    public String toString() {
        return "HsmClusterKey[" + info + ", HSM key " + cekUid + "]";
    }
}
