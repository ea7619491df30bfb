package io.strongroom.hsm.kmip;

import org.jspecify.annotations.Nullable;

/**
 * Cryptographic Parameters (42002B) of Encrypt and Decrypt, fields in spec order. Strongroom sends Block Cipher Mode
 * GCM, Cryptographic Algorithm AES and Tag Length 16 (bytes). Unset fields are null. Immutable.
 */
public record CryptographicParameters(
        @Nullable Integer blockCipherMode,
        @Nullable Integer paddingMethod,
        @Nullable Integer hashingAlgorithm,
        @Nullable Integer keyRoleType,
        @Nullable Integer digitalSignatureAlgorithm,
        @Nullable Integer cryptographicAlgorithm,
        @Nullable Boolean randomIv,
        @Nullable Integer ivLengthBits,
        @Nullable Integer tagLengthBytes,
        @Nullable Integer fixedFieldLength,
        @Nullable Integer invocationFieldLength,
        @Nullable Integer counterLength,
        @Nullable Integer initialCounterValue) {

    /** AES-GCM with a {@code tagLengthBytes} tag: what Strongroom's client sends. */
    public static CryptographicParameters aesGcm(int tagLengthBytes) {
        return new CryptographicParameters(
                BlockCipherMode.GCM.code(),
                null,
                null,
                null,
                null,
                KmipConstants.ALGORITHM_AES,
                null,
                null,
                tagLengthBytes,
                null,
                null,
                null,
                null);
    }
}
