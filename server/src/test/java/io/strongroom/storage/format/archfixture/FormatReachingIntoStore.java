package io.strongroom.storage.format.archfixture;

import io.strongroom.storage.Store;

/** A deliberate violation for {@code ArchitectureTest}: the storage codecs must not use the store. */
public final class FormatReachingIntoStore {
    private FormatReachingIntoStore() {}

    public static String storeClass() {
        return Store.class.getSimpleName();
    }
}
