package io.strongroom.kms;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DataKey;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.RootKey;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.WrappedKey;
import java.util.Arrays;
import java.util.Set;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * A {@link RootKey} that lives in a KMS reached through the AWS SDK: this KMS, or any KMS-API endpoint
 * including AWS KMS. {@link #generateDataKey} is {@code GenerateDataKey} (AES_256) and {@link #decrypt} is
 * {@code Decrypt}, both with the cluster's encryption context and the key id, so the KMS refuses a ciphertext
 * of another key ({@code IncorrectKeyException}).
 *
 * <p>{@link #open} describes the key first and refuses one that cannot be a root key: asymmetric, not
 * ENCRYPT_DECRYPT, or not enabled. KMS failures become {@link StrongroomException}s by what the caller does
 * next: {@code DisabledException}, {@code KMSInvalidStateException}, {@code AccessDeniedException} and {@code
 * NotFoundException} are ACCESS_DENIED (fix the key or grant); {@code InvalidCiphertextException} and {@code
 * IncorrectKeyException} are WRONG_KEY; a connection failure, a timeout or a KMS server fault is
 * KEY_UNAVAILABLE (retry later).
 *
 * <p>{@link #info()} carries version 0: the KMS rotates the key's material inside itself, under the same key
 * id, and every ciphertext names its own material version. Thread-safe (KmsClient is).
 */
public final class KmsRootKey implements RootKey {
    private static final Set<String> ACCESS =
            Set.of("DisabledException", "KMSInvalidStateException", "AccessDeniedException", "NotFoundException");
    private static final Set<String> WRONG_KEY = Set.of("InvalidCiphertextException", "IncorrectKeyException");

    private final KmsClient kms;
    private final String keyArn;
    private final KeyInfo info;

    private KmsRootKey(KmsClient kms, String keyArn) {
        this.kms = kms;
        this.keyArn = keyArn;
        this.info = new KeyInfo(KeyTier.ROOT, keyArn, 0);
    }

    /**
     * Resolves {@code keyId} (id, ARN, alias or alias ARN) with DescribeKey and checks it can be a root key.
     * The client is not closed by this class.
     */
    public static KmsRootKey open(KmsClient kms, String keyId) {
        KeyMetadata m;
        try {
            m = kms.describeKey(r -> r.keyId(keyId)).keyMetadata();
        } catch (SdkException e) {
            throw map(e, "DescribeKey " + keyId);
        }
        if (m.keySpec() != KeySpec.SYMMETRIC_DEFAULT || m.keyUsage() != KeyUsageType.ENCRYPT_DECRYPT) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "KMS key " + m.arn() + " is " + m.keySpecAsString() + "/" + m.keyUsageAsString()
                            + "; only symmetric ENCRYPT_DECRYPT keys (SYMMETRIC_DEFAULT) can be root keys."
                            + " Choose a symmetric key");
        }
        if (!Boolean.TRUE.equals(m.enabled())) {
            throw new StrongroomException(
                    ErrorCode.ACCESS_DENIED,
                    "KMS key " + m.arn() + " is " + m.keyStateAsString() + "; enable it to use it as a root key");
        }
        return new KmsRootKey(kms, m.arn());
    }

    /**
     * A root key for a known key ARN, without the DescribeKey {@link #open} makes. For a principal allowed only
     * through a grant whose encryption-context constraint a context-free DescribeKey cannot meet (the control
     * plane's service principal): the KMS still refuses a disabled or pending-deletion key on every call.
     */
    public static KmsRootKey ofArn(KmsClient kms, String keyArn) {
        return new KmsRootKey(kms, keyArn);
    }

    /** The key ARN this root key resolved to. */
    public String keyArn() {
        return keyArn;
    }

    @Override
    public KeyInfo info() {
        return info;
    }

    @Override
    public DataKey generateDataKey(EncryptionContext context) {
        GenerateDataKeyResponse r;
        try {
            r = kms.generateDataKey(
                    b -> b.keyId(keyArn).keySpec(DataKeySpec.AES_256).encryptionContext(context.pairs()));
        } catch (SdkException e) {
            throw map(e, "GenerateDataKey with " + keyArn);
        }
        byte[] plain = r.plaintext().asByteArray();
        try {
            if (plain.length != 32) {
                throw new StrongroomException(
                        ErrorCode.INTERNAL,
                        "KMS returned a " + plain.length + "-byte data key for AES_256 from " + keyArn);
            }
            return new DataKey(
                    SecretBytes.copyOf(plain),
                    new WrappedKey(info, r.ciphertextBlob().asByteArray()));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    @Override
    public SecretBytes decrypt(WrappedKey wrapped, EncryptionContext context) {
        DecryptResponse r;
        try {
            r = kms.decrypt(b -> b.keyId(keyArn)
                    .ciphertextBlob(SdkBytes.fromByteArray(wrapped.ciphertext()))
                    .encryptionContext(context.pairs()));
        } catch (SdkException e) {
            throw map(e, "Decrypt with " + keyArn);
        }
        byte[] plain = r.plaintext().asByteArray();
        try {
            return SecretBytes.copyOf(plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** Maps an SDK failure to the error code that says what the caller should do. */
    public static StrongroomException map(SdkException e, String what) {
        if (e instanceof KmsException k && k.awsErrorDetails() != null) {
            String code = k.awsErrorDetails().errorCode();
            String msg = what + " failed: " + code + ": " + k.awsErrorDetails().errorMessage();
            if (ACCESS.contains(code)) {
                return new StrongroomException(ErrorCode.ACCESS_DENIED, msg, e);
            }
            if (WRONG_KEY.contains(code)) {
                return new StrongroomException(ErrorCode.WRONG_KEY, msg, e);
            }
            if (k.statusCode() >= 500 || k.isThrottlingException()) {
                return new StrongroomException(ErrorCode.KEY_UNAVAILABLE, msg + "; retry later", e);
            }
            return new StrongroomException(ErrorCode.INVALID_ARGUMENT, msg, e);
        }
        if (e instanceof SdkClientException) {
            return new StrongroomException(
                    ErrorCode.KEY_UNAVAILABLE,
                    what + " failed: the KMS cannot be reached (" + e.getMessage() + "); retry when it is back",
                    e);
        }
        return new StrongroomException(ErrorCode.KEY_UNAVAILABLE, what + " failed: " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return "KmsRootKey[" + keyArn + "]";
    }
}
