package io.strongroom.control.cluster;

import io.strongroom.crypto.DataKey;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.RootKey;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.StrongroomException;
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
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * A cluster's root key as the control plane's service principal uses it: GenerateDataKey (AES_256) and Decrypt,
 * both naming the key ARN and the cluster's encryption context, allowed by the cluster's grant.
 *
 * <p>Why not {@code KmsRootKey}: it opens with DescribeKey, and the cluster's grant carries an
 * EncryptionContextSubset constraint (so that revoking one cluster's grant stops that cluster even when others
 * share the key), which a context-free DescribeKey cannot satisfy. The key's state is still checked: the KMS
 * refuses a disabled or pending-deletion key on every call. Errors map as {@code KmsRootKey} maps them:
 * refusals are ACCESS_DENIED, a wrong ciphertext WRONG_KEY, an unreachable or failing KMS KEY_UNAVAILABLE.
 * Thread-safe.
 */
final class ServiceRootKey implements RootKey {
    private static final Set<String> ACCESS =
            Set.of("DisabledException", "KMSInvalidStateException", "AccessDeniedException", "NotFoundException");
    private static final Set<String> WRONG_KEY = Set.of("InvalidCiphertextException", "IncorrectKeyException");

    private final KmsClient kms;
    private final String keyArn;
    private final KeyInfo info;

    ServiceRootKey(KmsClient kms, String keyArn) {
        this.kms = kms;
        this.keyArn = keyArn;
        this.info = new KeyInfo(KeyTier.ROOT, keyArn, 0);
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
                        ErrorCode.INTERNAL, "KMS returned a " + plain.length + "-byte data key from " + keyArn);
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

    static StrongroomException map(SdkException e, String what) {
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
                    ErrorCode.KEY_UNAVAILABLE, what + " failed: the KMS cannot be reached; retry when it is back", e);
        }
        return new StrongroomException(ErrorCode.KEY_UNAVAILABLE, what + " failed: " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return "ServiceRootKey[" + keyArn + "]";
    }
}
