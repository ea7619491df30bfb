package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.DatabaseKey;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The database keys a store may use: none (an unencrypted store, whose files carry checksums), or one or more
 * versions of the cluster's {@link DatabaseKey}, the highest being current. New blocks and metadata are written
 * under the current version; older versions read what was written before a rotation. The store does not own
 * the keys: whoever unwrapped them closes them.
 */
public final class StoreKeys {
    private final TreeMap<Integer, DatabaseKey> byVersion;

    private StoreKeys(TreeMap<Integer, DatabaseKey> byVersion) {
        this.byVersion = byVersion;
    }

    public static StoreKeys unencrypted() {
        return new StoreKeys(new TreeMap<>());
    }

    public static StoreKeys of(List<DatabaseKey> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("an encrypted store needs at least one database key");
        }
        TreeMap<Integer, DatabaseKey> m = new TreeMap<>();
        String id = keys.get(0).info().keyId();
        for (DatabaseKey k : keys) {
            if (!k.info().keyId().equals(id)) {
                throw new IllegalArgumentException("database keys of one store must share an id");
            }
            m.put(k.version(), k);
        }
        return new StoreKeys(m);
    }

    public static StoreKeys of(DatabaseKey key) {
        return of(List.of(key));
    }

    public boolean encrypted() {
        return !byVersion.isEmpty();
    }

    /** The key new data is written under. */
    public DatabaseKey current() {
        Map.Entry<Integer, DatabaseKey> e = byVersion.lastEntry();
        if (e == null) {
            throw new IllegalStateException("unencrypted store has no database key");
        }
        return e.getValue();
    }

    /** The id all versions share, or null when unencrypted. */
    public @Nullable String keyId() {
        return byVersion.isEmpty() ? null : current().info().keyId();
    }

    /** This ring without the versions above {@code version} (no keys at all if it has none at or below it). */
    public StoreKeys upTo(int version) {
        return new StoreKeys(new TreeMap<>(byVersion.headMap(version, true)));
    }

    /** The key of {@code version}, or null when this ring lacks it. */
    public @Nullable DatabaseKey find(int version) {
        return byVersion.get(version);
    }

    /** The key of {@code version}, or WRONG_KEY naming what is missing. */
    public DatabaseKey version(int version, String place) {
        DatabaseKey k = byVersion.get(version);
        if (k == null) {
            throw new KeyVersionNotProvided(place + " is encrypted under database key version " + version
                    + ", which was not provided (have " + byVersion.keySet() + ")");
        }
        return k;
    }

    @Override
    public String toString() {
        return encrypted()
                ? "StoreKeys[" + keyId() + " versions " + byVersion.keySet() + "]"
                : "StoreKeys[unencrypted]";
    }

    /**
     * Data under a database key version the caller did not provide: the key is missing, nothing is damaged (so it is
     * never reported as an integrity failure). {@link ErrorCode#WRONG_KEY}.
     */
    public static final class KeyVersionNotProvided extends StrongroomException {
        private static final long serialVersionUID = 1L;

        public KeyVersionNotProvided(String message) {
            super(ErrorCode.WRONG_KEY, message);
        }
    }
}
