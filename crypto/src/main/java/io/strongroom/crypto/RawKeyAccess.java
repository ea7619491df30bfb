package io.strongroom.crypto;

/**
 * The token that code outside this package must pass to get raw key bytes (Tink's {@code InsecureSecretKeyAccess}):
 * {@link SecretBytes#copyBytes(RawKeyAccess)}, {@link DatabaseKey#copyRawMaterial(RawKeyAccess)}. Nothing else hands
 * key bytes out. Every {@code RawKeyAccess.insecure()} in the code base is a place that holds plaintext key bytes in
 * an array it must zero, and is reviewed as such: today writing a new KMS master key file, sending a DEK to an HSM
 * to be wrapped, and tests.
 */
public final class RawKeyAccess {
    private static final RawKeyAccess INSTANCE = new RawKeyAccess();

    private RawKeyAccess() {}

    /** The token; the name is the warning. */
    public static RawKeyAccess insecure() {
        return INSTANCE;
    }

    @Override
    public String toString() {
        return "RawKeyAccess";
    }
}
