package io.strongroom.crypto.archfixture;

import io.strongroom.storage.Store;

/** A deliberate violation for {@code ArchitectureTest}: crypto is below storage and must not use it. */
public final class CryptoReachingIntoStorage {
    private CryptoReachingIntoStorage() {}

    public static String storeClass() {
        return Store.class.getSimpleName();
    }
}
