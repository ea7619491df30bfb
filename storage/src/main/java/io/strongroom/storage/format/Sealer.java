package io.strongroom.storage.format;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.Envelope;
import io.strongroom.storage.StoreKeys;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Seals and opens the store's envelopes, encrypted under the database key or checksummed when the store is
 * unencrypted, and turns every failure into an error that names the place.
 *
 * <p>Error policy: by the time a file is read, the key that opens it has been authenticated upstream (the
 * DEK was unwrapped from the key vault, a block key from its manifest entry). So any authentication failure of
 * a file is an integrity failure of that file: a tampered, swapped, rolled-back or truncated file. The one
 * exception is a file that names a DEK version the caller did not provide: that is {@link
 * ErrorCode#WRONG_KEY}. A format this build does not read is {@link ErrorCode#UNSUPPORTED_FORMAT} only when the
 * file header, which has its own checksum, says so.
 *
 * <p>Metadata and new blocks are normally sealed alike: both encrypted when the store has keys, both checksummed
 * when it has none. While a store's encryption changes ({@code EncryptionChange}) they may differ: a store being
 * decrypted keeps its metadata under the DEK but writes new blocks in the clear ({@link #decrypting}); once it is
 * decrypted, readers that began before still hold the keys for the encrypted blocks they read ({@link
 * #decrypted}). Thread-safe.
 */
public final class Sealer {
    private final StoreKeys keys;
    private final int newestKeyVersion;
    private final boolean sealMetadata;
    private final boolean sealBlocks;

    /**
     * @param newestKeyVersion the newest database key version the store has ever used, from its superblock: an
     *     envelope naming a newer (or a non-positive) version is damaged, not made under a key we lack
     */
    public Sealer(StoreKeys keys, int newestKeyVersion) {
        this(keys, newestKeyVersion, keys.encrypted(), keys.encrypted());
    }

    private Sealer(StoreKeys keys, int newestKeyVersion, boolean sealMetadata, boolean sealBlocks) {
        if ((sealMetadata || sealBlocks) && !keys.encrypted()) {
            throw new IllegalArgumentException("sealing needs a database key");
        }
        this.keys = keys;
        this.newestKeyVersion = newestKeyVersion;
        this.sealMetadata = sealMetadata;
        this.sealBlocks = sealBlocks;
    }

    /** A store being decrypted: metadata still under {@code keys}' current DEK, new blocks in the clear. */
    public static Sealer decrypting(StoreKeys keys, int newestKeyVersion) {
        return new Sealer(keys, newestKeyVersion, true, false);
    }

    /**
     * A decrypted store whose older readers may still open encrypted blocks: everything is written in the clear;
     * {@code keys} only open what was sealed before.
     */
    public static Sealer decrypted(StoreKeys keys, int newestKeyVersion) {
        return new Sealer(keys, newestKeyVersion, false, false);
    }

    /** Whether new blocks are encrypted (under a fresh block key wrapped by the current DEK). */
    public boolean sealsBlocks() {
        return sealBlocks;
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

    /** Whether the store's metadata (pointer, catalog, manifests) is encrypted. */
    public boolean encrypted() {
        return sealMetadata;
    }

    public StoreKeys keys() {
        return keys;
    }

    /** Seals metadata: under the current DEK, or with a checksum. */
    public byte[] seal(AssociatedData ad, byte[] plain, int off, int len) {
        return sealMetadata
                ? keys.current().encrypt(ad, plain, off, len)
                : Envelope.sealUnencrypted(ad, plain, off, len);
    }

    /** Opens metadata sealed by {@link #seal}. */
    public byte[] open(AssociatedData ad, byte[] env, int off, int len, String place) {
        if (!sealMetadata) {
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
    public static <T> T guard(Supplier<T> op, String place) {
        try {
            return op.get();
        } catch (StrongroomException e) {
            if (e instanceof StoreKeys.KeyVersionNotProvided) {
                throw e; // a missing key, not damage
            }
            if (e.code().isIntegrity() || e.code() == ErrorCode.WRONG_KEY || e.code() == ErrorCode.UNSUPPORTED_FORMAT) {
                throw integrity(place, String.valueOf(e.getMessage()), e);
            }
            throw e;
        }
    }

    public static StrongroomException integrity(String place, String what, @Nullable Throwable cause) {
        return new StrongroomException(
                ErrorCode.INTEGRITY_FAILURE, "integrity failure in " + place + ": " + what, cause);
    }
}
