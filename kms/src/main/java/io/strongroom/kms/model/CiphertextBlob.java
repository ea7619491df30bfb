package io.strongroom.kms.model;

import io.strongroom.crypto.Envelope;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.UUID;

/**
 * The {@code CiphertextBlob} of a symmetric KMS key: self-describing, so Decrypt needs no key id.
 *
 * <pre>
 * offset size field
 *  0      1   format version (1)
 *  1      1   blob type: 1 = symmetric, AES-256-GCM under one version of the key's material
 *  2      2   reserved, zero
 *  4     16   key id: the key's UUID, 128 bits big-endian
 * 20      4   key material version, big-endian, &gt;= 1
 * 24      n   a crypto {@link Envelope} (format 1): 44-byte header (its own version, algorithm, key material
 *             version again, key commitment, associated-data digest, 12-byte random nonce), the ciphertext,
 *             and the 16-byte GCM tag
 * </pre>
 *
 * <p>The envelope's associated data is {@code EncryptionContext.toAssociatedData(keyArn)}: the key ARN and
 * every context pair, sorted and length-prefixed. So every byte of the blob is either authenticated (the
 * envelope, and through the ARN in the associated data the key id) or checked (format version, type,
 * reserved bytes, and the outer material version, which must equal the authenticated inner one). A wrong
 * context, another key, a flipped bit or a truncation all fail as InvalidCiphertextException.
 *
 * <p>Invariants: total length is at most {@link #MAX_BYTES}; a decoded blob has passed every check above
 * except authentication, which needs the key. docs/format/kms-ciphertext.md explains the same layout. Immutable.
 *
 * @param keyId the key UUID
 * @param materialVersion the version of the key material that encrypted it
 * @param envelope the crypto envelope bytes (owned by this record; not copied)
 */
public record CiphertextBlob(UUID keyId, int materialVersion, byte[] envelope) {
    public static final int FORMAT_VERSION = 1;
    public static final int TYPE_SYMMETRIC = 1;
    public static final int HEADER_BYTES = 24;
    /** The KMS API's limit on a CiphertextBlob. */
    public static final int MAX_BYTES = 6144;

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + envelope.length);
        b.put((byte) FORMAT_VERSION).put((byte) TYPE_SYMMETRIC).putShort((short) 0);
        b.putLong(keyId.getMostSignificantBits()).putLong(keyId.getLeastSignificantBits());
        b.putInt(materialVersion);
        b.put(envelope);
        return b.array();
    }

    /** Parses and checks the header; anything that is not a blob of ours is InvalidCiphertextException. */
    public static CiphertextBlob decode(byte[] blob) {
        if (blob.length < HEADER_BYTES + Envelope.encryptedOverhead() || blob.length > MAX_BYTES) {
            throw KmsApiException.invalidCiphertext(
                    "The ciphertext is not a ciphertext of this KMS (length " + blob.length + ").");
        }
        ByteBuffer b = ByteBuffer.wrap(blob);
        int version = b.get() & 0xff;
        int type = b.get() & 0xff;
        short reserved = b.getShort();
        if (version != FORMAT_VERSION || type != TYPE_SYMMETRIC || reserved != 0) {
            throw KmsApiException.invalidCiphertext(
                    "The ciphertext has an unknown format (version " + version + ", type " + type + ").");
        }
        UUID keyId = new UUID(b.getLong(), b.getLong());
        int materialVersion = b.getInt();
        byte[] envelope = new byte[blob.length - HEADER_BYTES];
        b.get(envelope);
        if (materialVersion < 1
                || !Envelope.isEncrypted(envelope, 0, envelope.length)
                || Envelope.keyVersionOf(envelope, 0, envelope.length) != materialVersion) {
            throw KmsApiException.invalidCiphertext("The ciphertext header is inconsistent.");
        }
        return new CiphertextBlob(keyId, materialVersion, envelope);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CiphertextBlob c
                && keyId.equals(c.keyId)
                && materialVersion == c.materialVersion
                && Arrays.equals(envelope, c.envelope);
    }

    @Override
    public int hashCode() {
        return keyId.hashCode() * 31 + materialVersion;
    }

    @Override
    public String toString() {
        return "CiphertextBlob[key " + keyId + " v" + materialVersion + ", " + envelope.length + " bytes]";
    }
}
