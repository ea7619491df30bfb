package io.strongroom.control.keyvault;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.WrappedKey;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * One cluster's entry in the key vault: the CEK wrapped by the KMS root key (with the root key's ARN, the
 * encryption context it was made with and the id of the grant the cluster holds), and the DEK wrapped by the
 * CEK. Nothing here is secret: both keys are stored only wrapped. Immutable.
 *
 * <p>Byte layout, version 1 (docs/format/keyvault.md has the invariants; big-endian; {@code str} is a u16
 * length then that many UTF-8 bytes, at most {@value #MAX_STRING_BYTES}; {@code blob} is a u32 length then
 * that many bytes, 1 to {@value #MAX_BLOB_BYTES}):
 *
 * <pre>
 *  0  4  magic "SRKV"
 *  4  2  format version (1)
 *  6  1  protection (1 = KMS: the CEK is a KMS data key; 2 = HSM: the CEK is inside an HSM)
 *  7  1  reserved, 0
 *  8  4  reserved, 0
 * 12     str clusterId, str rootKeyArn, str grantId
 *        u16 context pair count (at most 16), then per pair: str key, str value (sorted by key)
 *        u32 CEK version, blob wrapped CEK (KMS: the KMS ciphertext blob; HSM: the CEK's KMIP unique identifier,
 *                                          UTF-8, as the CEK itself never leaves the HSM)
 *        u32 DEK version, blob wrapped DEK (KMS: an envelope under the CEK, bound to cluster, CEK and DEK versions;
 *                                          HSM: the HSM's AES-GCM result, IV, ciphertext and tag, sealed again
 *                                          under the internal root key, see HsmClusterKey)
 *        i64 createdAt, epoch milliseconds
 *  end-4 4  CRC32C of every byte before it
 * </pre>
 *
 * @param clusterId the cluster's internal id (stable across renames; the DEK's associated data names it)
 * @param rootKeyArn the KMS key the CEK is wrapped under
 * @param grantId the KMS grant that lets the control plane's service principal use the root key
 * @param context the encryption context the CEK was made with, frozen at creation
 * @param cekVersion the CEK version
 * @param wrappedCek the CEK as KMS returned it
 * @param dekVersion the DEK version
 * @param wrappedDek the DEK wrapped by the CEK
 * @param createdAt when the entry was made
 * @param protection {@link #PROTECTION_KMS}, or {@link #PROTECTION_HSM}: then {@code rootKeyArn} is the control
 *     plane's internal root key, {@code grantId} is empty and {@code wrappedCek} only names the CEK in the HSM
 */
public record VaultEntry(
        String clusterId,
        String rootKeyArn,
        String grantId,
        EncryptionContext context,
        int cekVersion,
        WrappedKey wrappedCek,
        int dekVersion,
        WrappedKey wrappedDek,
        Instant createdAt,
        int protection) {
    public static final int FORMAT_VERSION = 1;
    public static final int PROTECTION_KMS = 1;
    public static final int PROTECTION_HSM = 2;
    public static final int MAX_STRING_BYTES = 2048;
    public static final int MAX_BLOB_BYTES = 64 * 1024;
    public static final int MAX_CONTEXT_PAIRS = 16;
    public static final int MAX_FILE_BYTES = 1024 * 1024;
    private static final byte[] MAGIC = {'S', 'R', 'K', 'V'};

    public VaultEntry {
        Objects.requireNonNull(clusterId);
        Objects.requireNonNull(rootKeyArn);
        Objects.requireNonNull(grantId);
        Objects.requireNonNull(context);
        Objects.requireNonNull(createdAt);
        if (context.pairs().size() > MAX_CONTEXT_PAIRS) {
            throw new IllegalArgumentException("at most " + MAX_CONTEXT_PAIRS + " encryption context pairs");
        }
        if (protection != PROTECTION_KMS && protection != PROTECTION_HSM) {
            throw new IllegalArgumentException("unknown protection " + protection);
        }
    }

    /** A KMS-protected entry. */
    public VaultEntry(
            String clusterId,
            String rootKeyArn,
            String grantId,
            EncryptionContext context,
            int cekVersion,
            WrappedKey wrappedCek,
            int dekVersion,
            WrappedKey wrappedDek,
            Instant createdAt) {
        this(
                clusterId,
                rootKeyArn,
                grantId,
                context,
                cekVersion,
                wrappedCek,
                dekVersion,
                wrappedDek,
                createdAt,
                PROTECTION_KMS);
    }

    /**
     * An HSM-protected entry: the CEK is the HSM key {@code cekUid}; {@code wrappedDek} is sealed under {@code
     * internalRootArn}.
     */
    public static VaultEntry hsm(
            String clusterId,
            String internalRootArn,
            EncryptionContext context,
            int cekVersion,
            String cekUid,
            int dekVersion,
            WrappedKey wrappedDek,
            Instant createdAt) {
        return new VaultEntry(
                clusterId,
                internalRootArn,
                "",
                context,
                cekVersion,
                hsmCekReference(internalRootArn, cekUid.getBytes(StandardCharsets.UTF_8)),
                dekVersion,
                wrappedDek,
                createdAt,
                PROTECTION_HSM);
    }

    private static WrappedKey hsmCekReference(String internalRootArn, byte[] uid) {
        return new WrappedKey(new KeyInfo(KeyTier.ROOT, internalRootArn, 0), uid);
    }

    /** Whether the CEK is inside an HSM. */
    public boolean hsmProtected() {
        return protection == PROTECTION_HSM;
    }

    /** The CEK's KMIP unique identifier in its HSM partition; only for an HSM-protected entry. */
    public String hsmCekUid() {
        if (!hsmProtected()) {
            throw new IllegalStateException("not an HSM-protected entry");
        }
        return new String(wrappedCek.ciphertext(), StandardCharsets.UTF_8);
    }

    /** The CEK's identity: tier CLUSTER, id {@code <clusterId>/cek}. */
    public static KeyInfo cekInfo(String clusterId, int version) {
        return new KeyInfo(KeyTier.CLUSTER, clusterId + "/cek", version);
    }

    /** The DEK's identity: tier DATABASE, id {@code <clusterId>/dek}. */
    public static KeyInfo dekInfo(String clusterId, int version) {
        return new KeyInfo(KeyTier.DATABASE, clusterId + "/dek", version);
    }

    /** The root key as a {@link KeyInfo} (version 0: the KMS versions its material inside each ciphertext). */
    public KeyInfo rootInfo() {
        return new KeyInfo(KeyTier.ROOT, rootKeyArn, 0);
    }

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeShort(FORMAT_VERSION);
            out.writeByte(protection);
            out.writeByte(0);
            out.writeInt(0);
            str(out, clusterId);
            str(out, rootKeyArn);
            str(out, grantId);
            out.writeShort(context.pairs().size());
            for (Map.Entry<String, String> e : context.pairs().entrySet()) {
                str(out, e.getKey());
                str(out, e.getValue());
            }
            out.writeInt(cekVersion);
            blob(out, wrappedCek.ciphertext());
            out.writeInt(dekVersion);
            blob(out, wrappedDek.ciphertext());
            out.writeLong(createdAt.toEpochMilli());
            out.flush();
            CRC32C crc = new CRC32C();
            byte[] body = bytes.toByteArray();
            crc.update(body);
            out.writeInt((int) crc.getValue());
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("in-memory write failed", e);
        }
    }

    /**
     * Decodes an entry read from {@code place} (a file name, for messages). Damage is INTEGRITY_FAILURE naming the
     * place; a newer format version or protection is UNSUPPORTED_FORMAT.
     */
    public static VaultEntry decode(byte[] data, String place) {
        if (data.length > MAX_FILE_BYTES) {
            throw damaged(place, "larger than " + MAX_FILE_BYTES + " bytes");
        }
        if (data.length < 16 || !Arrays.equals(data, 0, 4, MAGIC, 0, 4)) {
            throw damaged(place, "not a key vault entry (no SRKV magic)");
        }
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        ByteBuffer b = ByteBuffer.wrap(data);
        if (b.getInt(data.length - 4) != (int) crc.getValue()) {
            throw damaged(place, "checksum mismatch");
        }
        b.limit(data.length - 4).position(4);
        try {
            int version = Short.toUnsignedInt(b.getShort());
            if (version != FORMAT_VERSION) {
                throw new StrongroomException(
                        ErrorCode.UNSUPPORTED_FORMAT,
                        "key vault entry " + place + " has format version " + version + "; this build reads "
                                + FORMAT_VERSION + ". Run a newer Strongroom");
            }
            int protection = Byte.toUnsignedInt(b.get());
            if (protection != PROTECTION_KMS && protection != PROTECTION_HSM) {
                throw new StrongroomException(
                        ErrorCode.UNSUPPORTED_FORMAT,
                        "key vault entry " + place + " uses protection " + protection
                                + ", which this build does not read");
            }
            if (b.get() != 0 || b.getInt() != 0) {
                throw damaged(place, "reserved bytes are not zero");
            }
            String clusterId = str(b, place);
            String rootKeyArn = str(b, place);
            String grantId = str(b, place);
            int pairs = Short.toUnsignedInt(b.getShort());
            if (pairs > MAX_CONTEXT_PAIRS) {
                throw damaged(place, "context has " + pairs + " pairs (at most " + MAX_CONTEXT_PAIRS + ")");
            }
            TreeMap<String, String> ctx = new TreeMap<>();
            for (int i = 0; i < pairs; i++) {
                ctx.put(str(b, place), str(b, place));
            }
            if (ctx.size() != pairs) {
                throw damaged(place, "context repeats a key");
            }
            int cekVersion = b.getInt();
            byte[] cek = blob(b, place);
            int dekVersion = b.getInt();
            byte[] dek = blob(b, place);
            Instant createdAt = Instant.ofEpochMilli(b.getLong());
            if (b.hasRemaining()) {
                throw damaged(place, b.remaining() + " unexpected trailing bytes");
            }
            if (cekVersion < 0 || dekVersion < 0 || clusterId.isEmpty() || rootKeyArn.isEmpty()) {
                throw damaged(place, "empty identifiers or negative key versions");
            }
            if (protection == PROTECTION_HSM && !grantId.isEmpty()) {
                throw damaged(place, "an HSM-protected entry names a KMS grant");
            }
            return new VaultEntry(
                    clusterId,
                    rootKeyArn,
                    grantId,
                    new EncryptionContext(ctx),
                    cekVersion,
                    protection == PROTECTION_HSM
                            ? hsmCekReference(rootKeyArn, cek)
                            : new WrappedKey(new KeyInfo(KeyTier.ROOT, rootKeyArn, 0), cek),
                    dekVersion,
                    new WrappedKey(cekInfo(clusterId, cekVersion), dek),
                    createdAt,
                    protection);
        } catch (BufferUnderflowException e) {
            throw damaged(place, "truncated");
        }
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        if (u.length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string longer than " + MAX_STRING_BYTES + " bytes");
        }
        out.writeShort(u.length);
        out.write(u);
    }

    private static void blob(DataOutputStream out, byte[] v) throws IOException {
        if (v.length == 0 || v.length > MAX_BLOB_BYTES) {
            throw new IllegalArgumentException("wrapped key length out of range: " + v.length);
        }
        out.writeInt(v.length);
        out.write(v);
    }

    private static String str(ByteBuffer b, String place) {
        int n = Short.toUnsignedInt(b.getShort());
        if (n > MAX_STRING_BYTES || n > b.remaining()) {
            throw damaged(place, "string length " + n + " out of range");
        }
        byte[] u = new byte[n];
        b.get(u);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(u))
                    .toString();
        } catch (CharacterCodingException e) {
            throw damaged(place, "string is not UTF-8");
        }
    }

    private static byte[] blob(ByteBuffer b, String place) {
        int n = b.getInt();
        if (n <= 0 || n > MAX_BLOB_BYTES || n > b.remaining()) {
            throw damaged(place, "wrapped key length " + n + " out of range");
        }
        byte[] v = new byte[n];
        b.get(v);
        return v;
    }

    private static StrongroomException damaged(String place, String why) {
        return new StrongroomException(
                ErrorCode.INTEGRITY_FAILURE,
                "key vault entry " + place + " is damaged: " + why
                        + ". The cluster cannot load its keys; restore the file from a backup of the key vault");
    }

    @Override
    public String toString() {
        return "VaultEntry[" + clusterId
                + (hsmProtected() ? ", HSM key " + hsmCekUid() + ", internal root " : ", root ") + rootKeyArn
                + ", grant " + grantId + ", context " + context.pairs() + "]";
    }
}
