package io.strongroom.crypto;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.zip.CRC32C;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The byte layout of every ciphertext Strongroom writes (wrapped keys, blocks, metadata), and its unencrypted
 * twin that carries a checksum instead of a tag.
 *
 * <pre>
 * offset size field
 *  0      1   format version (1)
 *  1      1   algorithm: 0 = none (CRC32C trailer), 1 = AES-256-GCM (128-bit tag trailer)
 *  2      2   reserved, zero
 *  4      4   key version (big-endian); 0 for unencrypted
 *  8     16   key commitment: HMAC-SHA256(key, "strongroom key commitment v1")[0..16]; zero if unencrypted
 * 24      8   associated-data digest: SHA-256(associated data encoding)[0..8]
 * 32     12   nonce, random per encryption; zero if unencrypted
 * 44      n   ciphertext (or plaintext when unencrypted)
 * 44+n   16   GCM tag over header(0..44) || associated data || plaintext   (algorithm 1)
 * 44+n    4   CRC32C over header(0..44) || associated data || plaintext    (algorithm 0)
 * </pre>
 *
 * <p>Why the two digests: GCM alone fails the same way for a wrong key, a ciphertext moved to another place
 * and a flipped bit. The key commitment (a PRF of the key, which also makes the ciphertext key-committing)
 * tells "wrong key"; the associated-data digest tells "belongs elsewhere"; a tag failure after both match is
 * corruption. The header is authenticated with the rest, so flipping a header byte is caught too.
 *
 * <p>Invariants: the header is exactly 44 bytes; reserved bytes are zero; a GCM nonce is never reused under
 * one key (random 96-bit nonces; block keys are used for one block only). Stateless and thread-safe.
 */
public final class Envelope {
    public static final int FORMAT_VERSION = 1;
    public static final int HEADER_BYTES = 44;
    public static final int GCM_TAG_BYTES = 16;
    public static final int CRC_BYTES = 4;

    static final int ALG_NONE = 0;
    static final int ALG_AES_256_GCM = 1;

    private static final int NONCE_OFFSET = 32;

    private Envelope() {}

    /** Bytes an encrypted envelope adds to its plaintext. */
    public static int encryptedOverhead() {
        return HEADER_BYTES + GCM_TAG_BYTES;
    }

    /** Bytes an unencrypted envelope adds to its plaintext. */
    public static int checksummedOverhead() {
        return HEADER_BYTES + CRC_BYTES;
    }

    static byte[] seal(AeadKey key, int keyVersion, AssociatedData ad, byte[] src, int off, int len) {
        byte[] out = new byte[HEADER_BYTES + len + GCM_TAG_BYTES];
        sealInto(key, keyVersion, ad, src, off, len, out, 0);
        return out;
    }

    /**
     * Seals {@code src[off..off+len)} into {@code dst} at {@code dstOff}, which must have room for {@code len +
     * encryptedOverhead()} bytes; returns the bytes written. The source and destination must not overlap.
     */
    static int sealInto(
            AeadKey key, int keyVersion, AssociatedData ad, byte[] src, int off, int len, byte[] dst, int dstOff) {
        writeHeader(dst, dstOff, ALG_AES_256_GCM, keyVersion, key.commitment(), ad);
        ThreadRandom.nonce(dst, dstOff + NONCE_OFFSET);
        Cipher c = CryptoProvider.get().gcm();
        try {
            c.init(Cipher.ENCRYPT_MODE, key.spec(), new GCMParameterSpec(128, dst, dstOff + NONCE_OFFSET, 12));
            c.updateAAD(dst, dstOff, HEADER_BYTES);
            c.updateAAD(ad.encodedView());
            int n = c.doFinal(src, off, len, dst, dstOff + HEADER_BYTES);
            if (n != len + GCM_TAG_BYTES) {
                throw new IllegalStateException("GCM produced " + n + " bytes for " + len);
            }
            return HEADER_BYTES + n;
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "AES-GCM encryption failed for " + ad, e);
        }
    }

    static byte[] open(AeadKey key, int keyVersion, AssociatedData ad, byte[] env, int off, int len) {
        byte[] out = new byte[Math.max(0, len - HEADER_BYTES - GCM_TAG_BYTES)];
        openInto(key, keyVersion, ad, env, off, len, out, 0);
        return out;
    }

    /** Opens an envelope into {@code dst} at {@code dstOff}; returns the plaintext length. */
    static int openInto(
            AeadKey key, int keyVersion, AssociatedData ad, byte[] env, int off, int len, byte[] dst, int dstOff) {
        // The associated data's digest in the header is compared only when something fails, to tell a misplaced
        // ciphertext from a damaged one: when the tag verifies, the header (digest included) and the associated
        // data are both authenticated, so the digest matches. That leaves a SHA-256 off every open.
        checkHeader(env, off, len, ad, false);
        int alg = env[off + 1] & 0xff;
        if (alg != ALG_AES_256_GCM) {
            checkPlace(env, off, ad);
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "expected an encrypted envelope but found algorithm " + alg + " (" + ad + ")");
        }
        if (len < HEADER_BYTES + GCM_TAG_BYTES) {
            checkPlace(env, off, ad);
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "envelope truncated to " + len + " bytes (" + ad + ")");
        }
        int storedVersion = readInt(env, off + 4);
        if (storedVersion != keyVersion
                || !MessageDigest.isEqual(key.commitment(), Arrays.copyOfRange(env, off + 8, off + 24))) {
            checkPlace(env, off, ad);
            throw new StrongroomException(
                    ErrorCode.WRONG_KEY,
                    "ciphertext was made under key version " + storedVersion + ", not the offered key version "
                            + keyVersion + (storedVersion == keyVersion ? " (same version, different key)" : "") + " ("
                            + ad + ")");
        }
        Cipher c = CryptoProvider.get().gcm();
        try {
            c.init(Cipher.DECRYPT_MODE, key.spec(), new GCMParameterSpec(128, env, off + NONCE_OFFSET, 12));
            c.updateAAD(env, off, HEADER_BYTES);
            c.updateAAD(ad.encodedView());
            return c.doFinal(env, off + HEADER_BYTES, len - HEADER_BYTES, dst, dstOff);
        } catch (AEADBadTagException e) {
            checkPlace(env, off, ad);
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "authentication tag mismatch (" + ad + ")", e);
        } catch (GeneralSecurityException e) {
            checkPlace(env, off, ad);
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "AES-GCM decryption failed (" + ad + ")", e);
        }
    }

    /** Wraps {@code src[off..off+len)} in an unencrypted envelope with a CRC32C over header, ad and payload. */
    public static byte[] sealUnencrypted(AssociatedData ad, byte[] src, int off, int len) {
        byte[] out = new byte[HEADER_BYTES + len + CRC_BYTES];
        writeHeader(out, 0, ALG_NONE, 0, new byte[16], ad);
        System.arraycopy(src, off, out, HEADER_BYTES, len);
        writeInt(out, HEADER_BYTES + len, crc(out, 0, HEADER_BYTES + len, ad));
        return out;
    }

    /** Checks and unwraps an unencrypted envelope; an encrypted one is refused. */
    public static byte[] openUnencrypted(AssociatedData ad, byte[] env, int off, int len) {
        checkHeader(env, off, len, ad, true);
        int alg = env[off + 1] & 0xff;
        if (alg != ALG_NONE) {
            throw new StrongroomException(
                    ErrorCode.WRONG_KEY, "envelope is encrypted but no key was offered (" + ad + ")");
        }
        if (len < HEADER_BYTES + CRC_BYTES) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "envelope truncated to " + len + " bytes (" + ad + ")");
        }
        int n = len - HEADER_BYTES - CRC_BYTES;
        int expected = readInt(env, off + HEADER_BYTES + n);
        byte[] tmp = new byte[HEADER_BYTES + n];
        System.arraycopy(env, off, tmp, 0, tmp.length);
        if (crc(tmp, 0, tmp.length, ad) != expected) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "checksum mismatch (" + ad + ")");
        }
        // The layout says these are zero when unencrypted; a checksum alone would let any value through.
        if (readInt(env, off + 4) != 0 || !allZero(env, off + 8, 16) || !allZero(env, off + NONCE_OFFSET, 12)) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "unencrypted envelope has a non-zero key version, key commitment or nonce (" + ad + ")");
        }
        return Arrays.copyOfRange(tmp, HEADER_BYTES, tmp.length);
    }

    /** The key version recorded in an envelope header, read without authenticating it. */
    public static int keyVersionOf(byte[] env, int off, int len) {
        if (len < HEADER_BYTES) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "envelope truncated to " + len + " bytes");
        }
        return readInt(env, off + 4);
    }

    /** True when the envelope header says AES-256-GCM. */
    public static boolean isEncrypted(byte[] env, int off, int len) {
        return len >= HEADER_BYTES && (env[off + 1] & 0xff) == ALG_AES_256_GCM;
    }

    /** Checks the fixed fields of the header, and with {@code place} the associated data's digest. */
    private static void checkHeader(byte[] env, int off, int len, AssociatedData ad, boolean place) {
        if (len < HEADER_BYTES) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "envelope truncated to " + len + " bytes (" + ad + ")");
        }
        int version = env[off] & 0xff;
        if (version != FORMAT_VERSION) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT,
                    "envelope format version " + version + " is not readable by this build, which reads version "
                            + FORMAT_VERSION + " (" + ad + ")");
        }
        int alg = env[off + 1] & 0xff;
        if (alg != ALG_NONE && alg != ALG_AES_256_GCM) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT, "unknown envelope algorithm " + alg + " (" + ad + ")");
        }
        if (env[off + 2] != 0 || env[off + 3] != 0) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "envelope reserved bytes are not zero (" + ad + ")");
        }
        if (place) {
            checkPlace(env, off, ad);
        }
    }

    /** Fails with {@link ErrorCode#MISPLACED_CIPHERTEXT} if the header's digest is not that of {@code ad}. */
    private static void checkPlace(byte[] env, int off, AssociatedData ad) {
        if (!MessageDigest.isEqual(ad.digest8(), Arrays.copyOfRange(env, off + 24, off + 32))) {
            throw new StrongroomException(
                    ErrorCode.MISPLACED_CIPHERTEXT,
                    "ciphertext belongs to another place than " + ad + " (associated data differs)");
        }
    }

    private static void writeHeader(byte[] out, int at, int alg, int keyVersion, byte[] commitment, AssociatedData ad) {
        out[at] = (byte) FORMAT_VERSION;
        out[at + 1] = (byte) alg;
        out[at + 2] = 0;
        out[at + 3] = 0;
        writeInt(out, at + 4, keyVersion);
        System.arraycopy(commitment, 0, out, at + 8, 16);
        System.arraycopy(ad.digest8(), 0, out, at + 24, 8);
    }

    private static boolean allZero(byte[] b, int off, int len) {
        int or = 0;
        for (int i = off; i < off + len; i++) {
            or |= b[i];
        }
        return or == 0;
    }

    private static int crc(byte[] b, int off, int len, AssociatedData ad) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, HEADER_BYTES);
        crc.update(ad.encodedView());
        crc.update(b, off + HEADER_BYTES, len - HEADER_BYTES);
        return (int) crc.getValue();
    }

    static int readInt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    static void writeInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    /** Used by {@link AeadKey}: a fresh SecretKeySpec over material. */
    static SecretKeySpec aesSpec(byte[] material) {
        return new SecretKeySpec(material, "AES");
    }
}
