package io.strongroom.storage.format;

import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.Envelope;
import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.storage.StoreKeys;

/**
 * Seals and opens the store's envelopes, encrypted under the database key or checksummed when the store is
 * unencrypted, and turns every failure into an error that names the place.
 *
 * <p>Error policy: by the time a file is read, the key that opens it has been authenticated upstream (the
 * DEK was unwrapped from the key vault, a block key from its manifest entry). So any authentication failure of
 * a file is an integrity failure of that file: a tampered, swapped, rolled-back or truncated file. The one
 * exception is a file that names a DEK version the caller did not provide: that is {@link
 * ErrorCode#WRONG_KEY}. A format this build does not read is {@link ErrorCode#UNSUPPORTED_FORMAT} only when the
 * file header, which has its own checksum, says so. Thread-safe.
 */
public final class Sealer {
    private final StoreKeys keys;
    private final int newestKeyVersion;

    /**
     * @param newestKeyVersion the newest database key version the store has ever used, from its superblock: an
     *     envelope naming a newer (or a non-positive) version is damaged, not made under a key we lack
     */
    public Sealer(StoreKeys keys, int newestKeyVersion) {
        this.keys = keys;
        this.newestKeyVersion = newestKeyVersion;
    }

    private DatabaseKey keyFor(byte[] env, int off, int len, String place) {
        int version = Envelope.keyVersionOf(env, off, len);
        if (version < 1 || version > newestKeyVersion) {
            throw integrity(
                    place,
                    "names database key version " + version + ", which this store never used (newest is "
                            + newestKeyVersion + ")",
                    null);
        }
        return keys.version(version, place);
    }

    public boolean encrypted() {
        return keys.encrypted();
    }

    public StoreKeys keys() {
        return keys;
    }

    /** Seals metadata: under the current DEK, or with a checksum. */
    public byte[] seal(AssociatedData ad, byte[] plain, int off, int len) {
        return keys.encrypted()
                ? keys.current().encrypt(ad, plain, off, len)
                : Envelope.sealUnencrypted(ad, plain, off, len);
    }

    /** Opens metadata sealed by {@link #seal}. */
    public byte[] open(AssociatedData ad, byte[] env, int off, int len, String place) {
        if (!keys.encrypted()) {
            return guard(() -> Envelope.openUnencrypted(ad, env, off, len), place);
        }
        if (len < Envelope.HEADER_BYTES) {
            throw integrity(place, "truncated envelope (" + len + " bytes)", null);
        }
        if (!Envelope.isEncrypted(env, off, len)) {
            throw integrity(place, "found an unencrypted envelope in an encrypted store", null);
        }
        DatabaseKey dek = keyFor(env, off, len, place);
        return guard(() -> dek.decrypt(ad, env, off, len), place);
    }

    /** Wraps a block key under the current DEK; empty for an unencrypted store. */
    public byte[] wrapBlockKey(BlockKey key, AssociatedData ad) {
        return keys.current().wrap(key, ad);
    }

    public BlockKey unwrapBlockKey(byte[] wrapped, int expectedVersion, AssociatedData ad, String place) {
        if (wrapped.length < Envelope.HEADER_BYTES) {
            throw integrity(place, "wrapped block key truncated", null);
        }
        if (Envelope.keyVersionOf(wrapped, 0, wrapped.length) != expectedVersion) {
            throw integrity(place, "wrapped block key names another key version than its manifest entry", null);
        }
        DatabaseKey dek = keyFor(wrapped, 0, wrapped.length, place);
        return guard(() -> dek.unwrapBlockKey(wrapped, ad), place);
    }

    /**
     * Rewraps a block key for a key rotation: opens {@code wrapped} (made under DEK {@code expectedVersion} with
     * {@code fromAd}) and seals the same 32 bytes under {@code to} with {@code toAd} ({@link
     * DatabaseKey#rewrapBlockKey}): what {@link #unwrapBlockKey} then {@link DatabaseKey#wrap} would give, without
     * the key material leaving the crypto module.
     */
    public byte[] rewrapBlockKey(
            byte[] wrapped,
            int expectedVersion,
            AssociatedData fromAd,
            DatabaseKey to,
            AssociatedData toAd,
            String place) {
        if (wrapped.length < Envelope.HEADER_BYTES) {
            throw integrity(place, "wrapped block key truncated", null);
        }
        if (Envelope.keyVersionOf(wrapped, 0, wrapped.length) != expectedVersion) {
            throw integrity(place, "wrapped block key names another key version than its manifest entry", null);
        }
        DatabaseKey dek = keyFor(wrapped, 0, wrapped.length, place);
        return guard(() -> to.rewrapBlockKey(dek, wrapped, fromAd, toAd), place);
    }

    /** Runs a crypto operation, mapping its failures to integrity failures that name {@code place}. */
    public static <T> T guard(java.util.function.Supplier<T> op, String place) {
        try {
            return op.get();
        } catch (StrongroomException e) {
            if (e.code() == ErrorCode.WRONG_KEY
                    && e.getMessage() != null
                    && e.getMessage().contains("was not provided")) {
                throw e;
            }
            if (e.code().isIntegrity() || e.code() == ErrorCode.WRONG_KEY || e.code() == ErrorCode.UNSUPPORTED_FORMAT) {
                throw integrity(place, String.valueOf(e.getMessage()), e);
            }
            throw e;
        }
    }

    public static StrongroomException integrity(
            String place, String what, @org.jspecify.annotations.Nullable Throwable cause) {
        return new StrongroomException(
                ErrorCode.INTEGRITY_FAILURE, "integrity failure in " + place + ": " + what, cause);
    }
}
