package io.strongroom.control.hsm;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.KmsRootKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AlreadyExistsException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/**
 * The internal root key of HSM mode: a KMS key of the control plane's own service account, one per region, named
 * {@value #ALIAS} and made on first use. What the seed calls "encrypted again by an internal root key" is sealed
 * here with KMS Encrypt, as the service principal, under an encryption context that names what is sealed: a
 * cluster's DEK after the HSM encrypted it, an HSM client certificate's private key, an HSM partition password.
 * Every use is therefore in the KMS audit trail under the service principal.
 *
 * <p>Thread-safe: the key ARN per region is cached once found or made.
 */
public final class InternalRootKey {
    public static final String ALIAS = "alias/strongroom/internal-root";

    private final Function<String, KmsClient> serviceKms;
    private final Map<String, String> arns = new ConcurrentHashMap<>();

    /** {@code serviceKms} gives the service principal's KMS client of a region. */
    public InternalRootKey(Function<String, KmsClient> serviceKms) {
        this.serviceKms = serviceKms;
    }

    /** The key's ARN in {@code region}, making the key and its alias when the region has none yet. */
    public String arn(String region) {
        String known = arns.get(region);
        if (known != null) {
            return known;
        }
        synchronized (this) {
            known = arns.get(region);
            if (known != null) {
                return known;
            }
            KmsClient kms = serviceKms.apply(region);
            String arn;
            try {
                arn = kms.describeKey(r -> r.keyId(ALIAS)).keyMetadata().arn();
            } catch (NotFoundException e) {
                arn = kms.createKey(r -> r.description("Strongroom internal root key: seals what HSM mode keeps"
                                + " outside the HSM (wrapped database keys, client keys, partition passwords)"))
                        .keyMetadata()
                        .arn();
                String made = arn;
                try {
                    kms.createAlias(r -> r.aliasName(ALIAS).targetKeyId(made));
                } catch (AlreadyExistsException raced) {
                    kms.scheduleKeyDeletion(r -> r.keyId(made).pendingWindowInDays(7));
                    arn = kms.describeKey(r -> r.keyId(ALIAS)).keyMetadata().arn();
                }
            } catch (SdkException e) {
                throw KmsRootKey.map(e, "finding the internal root key " + ALIAS + " in " + region);
            }
            arns.put(region, arn);
            return arn;
        }
    }

    /** {@code plaintext} sealed under the region's internal root key, bound to {@code context}. */
    public byte[] seal(String region, byte[] plaintext, Map<String, String> context) {
        String arn = arn(region);
        try {
            return serviceKms
                    .apply(region)
                    .encrypt(r -> r.keyId(arn)
                            .plaintext(SdkBytes.fromByteArray(plaintext))
                            .encryptionContext(context))
                    .ciphertextBlob()
                    .asByteArray();
        } catch (SdkException e) {
            throw KmsRootKey.map(e, "sealing under the internal root key");
        }
    }

    /** Opens what {@link #seal} made with the same {@code context}; the caller zeroes the result. */
    public byte[] open(String region, byte[] sealed, Map<String, String> context) {
        String arn = arn(region);
        try {
            return serviceKms
                    .apply(region)
                    .decrypt(r -> r.keyId(arn)
                            .ciphertextBlob(SdkBytes.fromByteArray(sealed))
                            .encryptionContext(context))
                    .plaintext()
                    .asByteArray();
        } catch (SdkException e) {
            StrongroomException mapped = KmsRootKey.map(e, "opening a value sealed under the internal root key");
            throw mapped.code() == ErrorCode.WRONG_KEY
                    ? new StrongroomException(
                            ErrorCode.INTEGRITY_FAILURE,
                            "a value sealed under the internal root key does not open with its context (damaged or"
                                    + " moved): " + mapped.getMessage(),
                            mapped)
                    : mapped;
        }
    }

    @Override
    public String toString() {
        return "InternalRootKey[" + ALIAS + ", regions " + arns.keySet() + "]";
    }
}
