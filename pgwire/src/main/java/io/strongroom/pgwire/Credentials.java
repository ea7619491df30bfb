package io.strongroom.pgwire;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * What the server keeps to check a user's password, never the password itself: a SCRAM-SHA-256 verifier
 * (salt, iteration count, StoredKey, ServerKey; RFC 5802 §3) and, when made from the password or stored with them,
 * PostgreSQL's md5 hash ({@code md5(password || user)}, authentication code 5) and Redshift's SHA-256 digest verifier
 * (code 13). The SCRAM verifier is stored as PostgreSQL stores it in pg_authid: {@code
 * SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>} (base64); the others follow it ({@link #ofStored}).
 *
 * <p>StoredKey and ServerKey cannot give back the password, but they let whoever holds them impersonate the
 * server to clients (and the md5 hash and digest verifier let them log in), so {@link #toString()} shows none and callers should
 * keep the verifier with other secrets. Immutable and thread-safe.
 *
 * <p>Passwords are used as their UTF-8 bytes; SASLprep normalisation (RFC 4013) is not applied, which matches
 * PostgreSQL and the drivers for every password without non-ASCII compatibility characters.
 */
public final class Credentials {
    /** PostgreSQL's default scram_iterations. */
    public static final int DEFAULT_ITERATIONS = 4096;

    private static final String PREFIX = "SCRAM-SHA-256$";
    /** The stored form's second part: Redshift's SHA-256 digest verifier, {@code SHA256-DIGEST$<salt>$<hash>}. */
    private static final String DIGEST_PREFIX = "SHA256-DIGEST$";
    /** The stored form's third part: PostgreSQL's md5 hash, {@code MD5$<32 lower-case hex digits>}. */
    private static final String MD5_PREFIX = "MD5$";

    private static final Pattern MD5_HEX = Pattern.compile("[0-9a-f]{32}");

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] salt;
    private final int iterations;
    private final byte[] storedKey;
    private final byte[] serverKey;
    private final byte @Nullable [] md5Hash;
    /** Redshift's digest verifier: a salt and SHA-256(password || salt), or null. */
    private final byte @Nullable [] digestSalt;

    private final byte @Nullable [] digestHash;

    private Credentials(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey, byte @Nullable [] md5Hash) {
        this(salt, iterations, storedKey, serverKey, md5Hash, null, null);
    }

    private Credentials(
            byte[] salt,
            int iterations,
            byte[] storedKey,
            byte[] serverKey,
            byte @Nullable [] md5Hash,
            byte @Nullable [] digestSalt,
            byte @Nullable [] digestHash) {
        this.salt = salt;
        this.iterations = iterations;
        this.storedKey = storedKey;
        this.serverKey = serverKey;
        this.md5Hash = md5Hash;
        this.digestSalt = digestSalt;
        this.digestHash = digestHash;
    }

    /**
     * Reads the stored form: a SCRAM-SHA-256 verifier, optionally followed by {@code ;} and Redshift's digest
     * verifier {@code SHA256-DIGEST$<salt>$<SHA-256(password || salt)>} (base64), which Amazon's Redshift drivers
     * log in with (authentication code 13), and by {@code ;} and PostgreSQL's md5 hash {@code MD5$<hex md5(password
     * || user)>} (authentication code 5), each at most once. Stored forms from before either part was kept lack it,
     * and those credentials refuse that login.
     *
     * @throws IllegalArgumentException if the text is malformed (the message does not echo it)
     */
    public static Credentials ofStored(String stored) {
        String[] parts = stored.split(";", -1);
        Credentials scram = ofScramVerifier(parts[0]);
        byte[] dSalt = null;
        byte[] dHash = null;
        byte[] md5 = null;
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            if (part.startsWith(DIGEST_PREFIX) && dSalt == null) {
                try {
                    String[] f = part.substring(DIGEST_PREFIX.length()).split("\\$", -1);
                    if (f.length != 2) {
                        throw new IllegalArgumentException("malformed digest verifier");
                    }
                    dSalt = Base64.getDecoder().decode(f[0]);
                    dHash = Base64.getDecoder().decode(f[1]);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("malformed digest verifier", null);
                }
                if (dSalt.length < 8 || dHash.length != 32) {
                    throw new IllegalArgumentException("malformed digest verifier");
                }
            } else if (part.startsWith(MD5_PREFIX) && md5 == null) {
                String hex = part.substring(MD5_PREFIX.length());
                if (!MD5_HEX.matcher(hex).matches()) {
                    throw new IllegalArgumentException("malformed md5 hash");
                }
                md5 = hex.getBytes(StandardCharsets.US_ASCII);
            } else {
                throw new IllegalArgumentException("malformed stored credentials: an unknown or repeated part");
            }
        }
        return new Credentials(scram.salt, scram.iterations, scram.storedKey, scram.serverKey, md5, dSalt, dHash);
    }

    /** PostgreSQL's md5 hash of {@code password} for {@code user}, in the stored form's third part. */
    public static String md5Verifier(String user, char[] password) {
        return MD5_PREFIX + new String(md5Hash(user, password), StandardCharsets.US_ASCII);
    }

    /** Hex md5(password || user) as ASCII: what PostgreSQL keeps for md5 login. */
    private static byte[] md5Hash(String user, char[] password) {
        byte[] pw = utf8(password);
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update(pw);
            md.update(user.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).getBytes(StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 is not available in this JDK", e);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** Redshift's digest verifier for {@code password}, with a fresh salt, in the stored form's second part. */
    public static String digestVerifier(char[] password) {
        byte[] dSalt = new byte[16];
        RANDOM.nextBytes(dSalt);
        byte[] pw = utf8(password);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(pw);
            md.update(dSalt);
            Base64.Encoder b64 = Base64.getEncoder();
            return DIGEST_PREFIX + b64.encodeToString(dSalt) + "$" + b64.encodeToString(md.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** Whether Redshift's digest login (authentication code 13) is possible. */
    public boolean supportsDigest() {
        return digestSalt != null;
    }

    /** The digest salt sent in the code-13 challenge. */
    byte @Nullable [] digestSalt() {
        return digestSalt == null ? null : digestSalt.clone();
    }

    /**
     * Whether {@code digest} is SHA-256(SHA-256(password || salt) || serverNonce || clientNonce), compared in constant
     * time (as Amazon's Redshift drivers compute it).
     */
    boolean digestMatches(byte[] serverNonce, byte[] clientNonce, byte[] digest) {
        byte[] h = digestHash;
        if (h == null) {
            return false;
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(h);
            md.update(serverNonce);
            md.update(clientNonce);
            return MessageDigest.isEqual(md.digest(), digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }

    /** Derives both verifiers from a password, with a fresh random salt. The caller should then wipe it. */
    public static Credentials ofPassword(String user, char[] password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        byte[] salted = saltedPassword(password, salt, DEFAULT_ITERATIONS);
        try {
            return new Credentials(
                    salt,
                    DEFAULT_ITERATIONS,
                    sha256(hmac(salted, "Client Key")),
                    hmac(salted, "Server Key"),
                    md5Hash(user, password));
        } finally {
            Arrays.fill(salted, (byte) 0);
        }
    }

    /**
     * Reads a verifier in PostgreSQL's format; such credentials allow SCRAM only (md5 needs the password).
     *
     * @throws IllegalArgumentException if the text is not a SCRAM-SHA-256 verifier (the message does not echo it)
     */
    public static Credentials ofScramVerifier(String verifier) {
        try {
            if (!verifier.startsWith(PREFIX)) {
                throw new IllegalArgumentException("not a SCRAM-SHA-256 verifier");
            }
            String[] parts = verifier.substring(PREFIX.length()).split("\\$", -1);
            String[] iterSalt = parts[0].split(":", -1);
            String[] keys = parts[1].split(":", -1);
            if (parts.length != 2 || iterSalt.length != 2 || keys.length != 2) {
                throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier");
            }
            int iterations = Integer.parseInt(iterSalt[0]);
            byte[] stored = Base64.getDecoder().decode(keys[0]);
            byte[] server = Base64.getDecoder().decode(keys[1]);
            if (iterations < 1 || stored.length != 32 || server.length != 32) {
                throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier");
            }
            return new Credentials(Base64.getDecoder().decode(iterSalt[1]), iterations, stored, server, null);
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier", null);
        }
    }

    /**
     * Credentials no password matches, for unknown users. The salt depends only on the server's key and the user
     * name, so repeated attempts see the same salt, as they would for a real user.
     */
    static Credentials impossible(SecretKeySpec serverKey, String user) {
        byte[] salt = Arrays.copyOf(hmac(serverKey.getEncoded(), "unknown user " + user), 16);
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        byte[] dSalt = Arrays.copyOf(hmac(serverKey.getEncoded(), "unknown user digest " + user), 16);
        byte[] dHash = new byte[32];
        RANDOM.nextBytes(dHash);
        return new Credentials(
                salt, DEFAULT_ITERATIONS, sha256(random), hmac(random, "Server Key"), null, dSalt, dHash);
    }

    /** The verifier in PostgreSQL's pg_authid format (secret: see the class comment). */
    public String scramVerifier() {
        Base64.Encoder b64 = Base64.getEncoder();
        return PREFIX + iterations + ":" + b64.encodeToString(salt) + "$" + b64.encodeToString(storedKey) + ":"
                + b64.encodeToString(serverKey);
    }

    /** Checks a cleartext password against the SCRAM verifier, in constant time. */
    public boolean verifyPassword(char[] password) {
        byte[] salted = saltedPassword(password, salt, iterations);
        try {
            return MessageDigest.isEqual(sha256(hmac(salted, "Client Key")), storedKey);
        } finally {
            Arrays.fill(salted, (byte) 0);
        }
    }

    /** Whether md5 authentication is possible (the credentials were made from the password). */
    public boolean supportsMd5() {
        return md5Hash != null;
    }

    byte[] salt() {
        return salt.clone();
    }

    int iterations() {
        return iterations;
    }

    byte[] storedKey() {
        return storedKey.clone();
    }

    byte[] serverKey() {
        return serverKey.clone();
    }

    /** The md5 response expected for this salt: "md5" + md5hex(md5hex(password || user) || salt). */
    byte @Nullable [] md5Response(byte[] challengeSalt) {
        if (md5Hash == null) {
            return null;
        }
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update(md5Hash);
            md.update(challengeSalt);
            return ("md5" + HexFormat.of().formatHex(md.digest())).getBytes(StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 is not available in this JDK", e);
        }
    }

    @Override
    public String toString() {
        return "Credentials[scram-sha-256 iterations=" + iterations + (md5Hash != null ? ", md5" : "")
                + (digestSalt != null ? ", sha256-digest" : "") + "]";
    }

    static byte[] saltedPassword(char[] password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(spec)
                    .getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JDK", e);
        } finally {
            spec.clearPassword();
        }
    }

    static byte[] hmac(byte[] key, String message) {
        return hmac(key, message.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }

    private static byte[] utf8(char[] chars) {
        ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        if (bb.hasArray()) {
            Arrays.fill(bb.array(), (byte) 0);
        }
        return out;
    }
}
