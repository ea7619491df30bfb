package io.strongroom.crypto;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A KMS encryption context: string pairs bound to a root-key operation. Its associated-data encoding sorts
 * the pairs by key and length-prefixes every string, so {@code {"ab":"c"}} and {@code {"a":"bc"}} differ. The
 * context is not secret: it is logged in the audit trail.
 *
 * @param pairs the context, sorted by key
 */
public record EncryptionContext(SortedMap<String, String> pairs) {
    public static final String PURPOSE = "strongroom/kms-context/v1";

    public EncryptionContext {
        pairs = Collections.unmodifiableSortedMap(new TreeMap<>(pairs));
    }

    public static EncryptionContext of(Map<String, String> pairs) {
        return new EncryptionContext(new TreeMap<>(pairs));
    }

    public static EncryptionContext empty() {
        return new EncryptionContext(new TreeMap<>());
    }

    /** The associated data that binds a ciphertext to this context, prefixed by what the ciphertext is. */
    public AssociatedData toAssociatedData(String keyId) {
        AssociatedData.Builder b = AssociatedData.of(PURPOSE).with("key", keyId);
        pairs.forEach(b::with);
        return b.build();
    }
}
