package io.strongroom.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.BlockValues;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Decoded blocks kept in memory, shared by every store open in this process and bounded in bytes: the buffer
 * pool of the read path. A hit skips reading, decrypting, decompressing and decoding a block file.
 *
 * <p>Blocks are immutable and a block id is never reused within a store, so an entry never goes stale; entries
 * are keyed by the open store (not its store id, which a restored copy shares) and dropped when that store
 * closes. What is cached is plaintext in the heap, as every query's working set is; it never reaches a file.
 * Only whole blocks are cached, never the files or keys: decoded, or (bit-packed integers and dictionary strings)
 * decrypted and decompressed but still encoded, several times smaller ({@link BlockValues}).
 *
 * <p>Size: set once by the process before first use ({@link #configure}; {@code strongroom} reads
 * {@code STRONGROOM_BLOCK_CACHE_MB}, 0 turns the cache off); the default is a quarter of the heap. Storage reads no
 * configuration itself.
 * Eviction is Caffeine's (W-TinyLFU), so one large scan does not flush the blocks that queries keep using.
 */
public final class BlockCache {
    private static final AtomicLong NEXT_OWNER = new AtomicLong(1);
    private static volatile @Nullable BlockCache shared;

    private record Key(long owner, long tableId, long blockId) {}

    private final long maxBytes;
    private final Cache<Key, BlockValues> cache;

    BlockCache(long maxBytes) {
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(Math.max(0, maxBytes))
                .weigher((Key k, BlockValues v) -> (int) Math.min(Integer.MAX_VALUE, v.retainedBytes()))
                .executor(Runnable::run)
                .recordStats()
                .build();
    }

    /** The process-wide cache, made on first use with the configured size (a quarter of the heap if none). */
    public static BlockCache shared() {
        BlockCache c = shared;
        if (c == null) {
            synchronized (BlockCache.class) {
                c = shared;
                if (c == null) {
                    c = new BlockCache(Runtime.getRuntime().maxMemory() / 4);
                    shared = c;
                }
            }
        }
        return c;
    }

    /**
     * Sizes the process-wide cache: {@code maxBytes} of blocks, 0 for none. Called once, before any store
     * is read; a second call with another size, or a call after first use with another size, is refused.
     */
    public static void configure(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("block cache size must not be negative");
        }
        synchronized (BlockCache.class) {
            BlockCache c = shared;
            if (c != null && c.maxBytes != maxBytes) {
                throw new IllegalStateException("the block cache is already in use with " + c.maxBytes + " bytes");
            }
            if (c == null) {
                shared = new BlockCache(maxBytes);
            }
        }
    }

    /**
     * Bytes from a size in MiB as a setting spells it ({@code setting} names it in the error): a whole, non-negative
     * number.
     */
    public static long megabytes(String value, String setting) {
        try {
            long n = Long.parseLong(value.trim());
            if (n < 0 || n > Long.MAX_VALUE >> 20) {
                throw new NumberFormatException();
            }
            return n << 20;
        } catch (NumberFormatException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    String.format(
                            Locale.ROOT,
                            "%s must be a whole number of MiB (0 turns the block cache off), not '%s'",
                            setting,
                            value));
        }
    }

    /** A new owner id: one per open store, so that entries of two open copies of a store never mix. */
    static long newOwner() {
        return NEXT_OWNER.getAndIncrement();
    }

    /** The bound, in bytes (0 when off). */
    public long maxBytes() {
        return maxBytes;
    }

    public boolean enabled() {
        return maxBytes > 0;
    }

    /** The block, from the cache or from {@code load} (which then fills the cache). */
    BlockValues get(long owner, long tableId, long blockId, Supplier<BlockValues> load) {
        if (!enabled()) {
            return load.get();
        }
        Key key = new Key(owner, tableId, blockId);
        BlockValues v = cache.getIfPresent(key);
        if (v != null) {
            return v;
        }
        // Loaded outside the cache's lock: two threads that miss together both decode, and one copy stays.
        v = load.get();
        BlockValues raced = cache.asMap().putIfAbsent(key, v);
        return raced != null ? raced : v;
    }

    /** Drops every block of one open store (it is closing). */
    void dropOwner(long owner) {
        if (enabled()) {
            cache.asMap().keySet().removeIf(k -> k.owner() == owner);
        }
    }

    /** Bytes held now (after pending evictions run). */
    public long heldBytes() {
        cache.cleanUp();
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    /** Lookups that found their block, and those that loaded it, since the cache was made. */
    public record Counts(long hits, long misses) {}

    public Counts counts() {
        var s = cache.stats();
        return new Counts(s.hitCount(), s.missCount());
    }

    /** Empties the cache. */
    void clear() {
        cache.invalidateAll();
        cache.cleanUp();
    }
}
