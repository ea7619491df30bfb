package io.strongroom.kms.model;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * The asymmetric key specs this KMS supports and what they can do, mapped to JCA: RSA_2048/3072/4096 for
 * RSAES_OAEP_SHA_1/256 encryption or RSASSA_PSS/PKCS1_V1_5 signing, and ECC_NIST_P256/P384/P521 for ECDSA.
 * They exist so the warehouse's refusal of asymmetric root keys is tested against real ones.
 *
 * <p>Signing a precomputed digest ({@code MessageType=DIGEST}) is supported for ECDSA and PKCS#1 v1.5, not
 * for PSS (the JDK's PSS signer hashes its input itself). Stateless and thread-safe.
 */
public final class Asymmetric {
    static final List<String> RSA_SIGNING = List.of(
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512",
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512");
    public static final List<String> RSA_ENCRYPTION = List.of("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256");

    private Asymmetric() {}

    /** The asymmetric key specs {@link #generate} makes; CreateKey refuses any other as unsupported. */
    static final Set<String> KEY_SPECS =
            Set.of("RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521");

    public static boolean isSupported(String keySpec) {
        return KEY_SPECS.contains(keySpec);
    }

    public static String jcaAlgorithm(String keySpec) {
        return keySpec.startsWith("RSA_") ? "RSA" : "EC";
    }

    public static KeyPair generate(String keySpec, SecureRandom random) throws GeneralSecurityException {
        switch (keySpec) {
            case "RSA_2048", "RSA_3072", "RSA_4096" -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(Integer.parseInt(keySpec.substring(4)), random);
                return g.generateKeyPair();
            }
            case "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521" -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp" + keySpec.substring(10) + "r1"), random);
                return g.generateKeyPair();
            }
            default -> throw new IllegalArgumentException("unsupported key spec " + keySpec);
        }
    }

    public static List<String> signingAlgorithms(String keySpec) {
        return switch (keySpec) {
            case "ECC_NIST_P256" -> List.of("ECDSA_SHA_256");
            case "ECC_NIST_P384" -> List.of("ECDSA_SHA_384");
            case "ECC_NIST_P521" -> List.of("ECDSA_SHA_512");
            default -> keySpec.startsWith("RSA_") ? RSA_SIGNING : List.of();
        };
    }

    private static int digestBytes(String signingAlgorithm) {
        return Integer.parseInt(signingAlgorithm.substring(signingAlgorithm.length() - 3)) / 8;
    }

    private static String jdkHash(String signingAlgorithm) {
        return "SHA-" + signingAlgorithm.substring(signingAlgorithm.length() - 3);
    }

    /** DER DigestInfo prefixes (RFC 8017 §9.2 note 1) for PKCS#1 v1.5 over a precomputed digest. */
    private static byte[] digestInfoPrefix(int bits) {
        String hex = switch (bits) {
            case 256 -> "3031300d060960864801650304020105000420";
            case 384 -> "3041300d060960864801650304020205000430";
            default -> "3051300d060960864801650304020305000440";
        };
        return HexFormat.of().parseHex(hex);
    }

    private static Signature signer(String alg, boolean digest) throws GeneralSecurityException {
        String bits = alg.substring(alg.length() - 3);
        if (alg.startsWith("ECDSA_")) {
            return Signature.getInstance(digest ? "NONEwithECDSA" : "SHA" + bits + "withECDSA");
        }
        if (alg.startsWith("RSASSA_PKCS1_V1_5_")) {
            return Signature.getInstance(digest ? "NONEwithRSA" : "SHA" + bits + "withRSA");
        }
        if (digest) {
            throw KmsApiException.unsupported("MessageType DIGEST is not supported for " + alg + "; send RAW.");
        }
        Signature s = Signature.getInstance("RSASSA-PSS");
        String h = jdkHash(alg);
        s.setParameter(new PSSParameterSpec(h, "MGF1", new MGF1ParameterSpec(h), digestBytes(alg), 1));
        return s;
    }

    private static byte[] input(String alg, boolean digest, byte[] message) {
        if (!digest) {
            return message;
        }
        if (message.length != digestBytes(alg)) {
            throw KmsApiException.validation("Digest is invalid length for algorithm " + alg + ".");
        }
        if (alg.startsWith("RSASSA_PKCS1_V1_5_")) {
            byte[] prefix = digestInfoPrefix(digestBytes(alg) * 8);
            byte[] out = new byte[prefix.length + message.length];
            System.arraycopy(prefix, 0, out, 0, prefix.length);
            System.arraycopy(message, 0, out, prefix.length, message.length);
            return out;
        }
        return message;
    }

    public static byte[] sign(PrivateKey key, String alg, boolean digest, byte[] message)
            throws GeneralSecurityException {
        Signature s = signer(alg, digest);
        s.initSign(key);
        s.update(input(alg, digest, message));
        return s.sign();
    }

    public static boolean verify(PublicKey key, String alg, boolean digest, byte[] message, byte[] signature)
            throws GeneralSecurityException {
        Signature s = signer(alg, digest);
        s.initVerify(key);
        s.update(input(alg, digest, message));
        try {
            return s.verify(signature);
        } catch (SignatureException e) {
            return false; // a malformed signature is an invalid one
        }
    }

    public static Cipher oaep(String alg, int mode, Key key) throws GeneralSecurityException {
        String h = alg.equals("RSAES_OAEP_SHA_1") ? "SHA-1" : "SHA-256";
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
        c.init(mode, key, new OAEPParameterSpec(h, "MGF1", new MGF1ParameterSpec(h), PSource.PSpecified.DEFAULT));
        return c;
    }
}
