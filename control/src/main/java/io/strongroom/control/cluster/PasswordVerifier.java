package io.strongroom.control.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The master password as PostgreSQL stores it for SCRAM-SHA-256 (RFC 5802/7677): {@code
 * SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>}, all base64, then {@code ;} and Redshift's digest
 * verifier {@code SHA256-DIGEST$<salt>$<SHA-256(password || salt)>} for Amazon's Redshift drivers (their login,
 * authentication code 13, needs it), then {@code ;} and PostgreSQL's md5 hash {@code MD5$<hex md5(password || user)>}
 * for clients offered MD5 (authentication code 5; the cluster parameter {@code auth_methods}). The digest verifier
 * and the md5 hash are each password-equivalent for their login, so the record is kept like other secrets. The
 * password itself is never kept. The stored form is read by {@code io.strongroom.pgwire.Credentials#ofStored}.
 * Stateless and thread-safe.
 */
public final class PasswordVerifier {
    static final int ITERATIONS = 4096;

    private PasswordVerifier() {}

    /**
     * The verifiers of {@code password} for database user {@code user} (the name clients log in with: the md5 hash
     * covers it, as PostgreSQL's does).
     */
    public static String create(String user, String password, SecureRandom random) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        char[] chars = password.toCharArray();
        byte[] salted = null;
        try {
            salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(chars, salt, ITERATIONS, 256))
                    .getEncoded();
            byte[] clientKey = hmac(salted, "Client Key");
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
            byte[] serverKey = hmac(salted, "Server Key");
            Arrays.fill(clientKey, (byte) 0);
            Base64.Encoder b64 = Base64.getEncoder();
            byte[] digestSalt = new byte[16];
            random.nextBytes(digestSalt);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] pw = password.getBytes(StandardCharsets.UTF_8);
            sha.update(pw);
            Arrays.fill(pw, (byte) 0);
            sha.update(digestSalt);
            byte[] digestHash = sha.digest();
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            byte[] pw2 = password.getBytes(StandardCharsets.UTF_8);
            md5.update(pw2);
            Arrays.fill(pw2, (byte) 0);
            md5.update(user.getBytes(StandardCharsets.UTF_8));
            return "SCRAM-SHA-256$" + ITERATIONS + ":" + b64.encodeToString(salt) + "$" + b64.encodeToString(storedKey)
                    + ":" + b64.encodeToString(serverKey) + ";SHA256-DIGEST$" + b64.encodeToString(digestSalt) + "$"
                    + b64.encodeToString(digestHash) + ";MD5$" + HexFormat.of().formatHex(md5.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256, SHA-256 or MD5 missing from this JDK", e);
        } finally {
            Arrays.fill(chars, '\0');
            if (salted != null) {
                Arrays.fill(salted, (byte) 0);
            }
        }
    }

    private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }
}
