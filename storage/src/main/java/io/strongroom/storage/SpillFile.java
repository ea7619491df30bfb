package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.Envelope;
import io.strongroom.storage.format.Bindings;
import io.strongroom.storage.format.FileHeader;
import io.strongroom.storage.format.Sealer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;

/**
 * A temporary file for data that does not fit in memory (sort runs, hash-join partitions): written as a
 * sequence of chunks, read back in order, deleted on close. Each chunk is sealed like every other store
 * artefact: in an encrypted store under a key that exists only in this object's memory (so a spill file is
 * unreadable once its process is gone, and nothing about it needs storing), in an unencrypted one with a
 * checksum. Chunks are bound to the store, the spill file and their position, so chunks cannot be reordered,
 * dropped or spliced in from another file.
 *
 * <pre>
 * file  = header ("SRSP", object id = spill id) | chunk*
 * chunk = u32 envelope length | envelope(AD = Bindings.spill(store, spill id, chunk index))
 * </pre>
 *
 * The store empties {@code tmp/} when it opens, so spill files of a crashed process never outlive it. Not
 * thread-safe while written (one writer); once {@link #finish finished}, any number of readers.
 */
public final class SpillFile implements AutoCloseable {
    private static final int MAX_CHUNK_BYTES = 256 * 1024 * 1024;

    private final Path file;
    private final String storeId;
    private final long spillId;
    private final @Nullable BlockKey key;
    private final OutputStream out;
    private long chunks;
    private boolean writing = true;
    private boolean closed;

    SpillFile(Path file, String storeId, long spillId, boolean encrypted, SecureRandom random) {
        this.file = file;
        this.storeId = storeId;
        this.spillId = spillId;
        this.key = encrypted ? BlockKey.generate(random) : null;
        try {
            this.out = new BufferedOutputStream(
                    Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 16);
            out.write(FileHeader.bytes(FileHeader.Kind.SPILL, spillId));
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot create spill file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Appends one chunk. */
    public void write(byte[] data, int off, int len) {
        if (!writing || closed) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE, "spill file " + spillId + " is no longer being written");
        }
        AssociatedData ad = Bindings.spill(storeId, spillId, chunks++);
        byte[] env = key != null ? key.encrypt(ad, data, off, len) : Envelope.sealUnencrypted(ad, data, off, len);
        try {
            out.write(new byte[] {
                (byte) (env.length >>> 24), (byte) (env.length >>> 16), (byte) (env.length >>> 8), (byte) env.length
            });
            out.write(env);
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot write spill file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Ends writing (idempotent); after it, {@link #read} may be called by several threads at once. */
    public synchronized void finish() {
        if (closed) {
            throw new StrongroomException(ErrorCode.INVALID_STATE, "spill file " + spillId + " is closed");
        }
        if (writing) {
            writing = false;
            try {
                out.close();
            } catch (IOException e) {
                throw new StrongroomException(
                        ErrorCode.IO_ERROR, "cannot finish spill file " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Ends writing and returns the chunks in the order they were written: each call reads the file again from its
     * start, on its own stream.
     */
    public Iterator<byte[]> read() {
        finish();
        String place = "spill file " + file;
        InputStream in;
        try {
            in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            FileHeader.check(in.readNBytes(FileHeader.BYTES), FileHeader.Kind.SPILL, spillId, place);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + place + ": " + e.getMessage(), e);
        }
        long total = chunks;
        return new Iterator<>() {
            private long index;

            @Override
            public boolean hasNext() {
                if (index < total) {
                    return true;
                }
                try {
                    if (in.read() != -1) {
                        throw Sealer.integrity(place, "data after the last chunk", null);
                    }
                    in.close();
                } catch (IOException e) {
                    throw new StrongroomException(
                            ErrorCode.IO_ERROR, "cannot read " + place + ": " + e.getMessage(), e);
                }
                return false;
            }

            @Override
            public byte[] next() {
                if (index >= total) {
                    throw new NoSuchElementException();
                }
                try {
                    byte[] len = in.readNBytes(4);
                    if (len.length != 4) {
                        throw Sealer.integrity(place, "truncated at chunk " + index, null);
                    }
                    int n = ((len[0] & 0xff) << 24)
                            | ((len[1] & 0xff) << 16)
                            | ((len[2] & 0xff) << 8)
                            | (len[3] & 0xff);
                    if (n < 0 || n > MAX_CHUNK_BYTES + Envelope.encryptedOverhead()) {
                        throw Sealer.integrity(place, "chunk " + index + " length out of range", null);
                    }
                    byte[] env = in.readNBytes(n);
                    if (env.length != n) {
                        throw Sealer.integrity(place, "truncated at chunk " + index, null);
                    }
                    AssociatedData ad = Bindings.spill(storeId, spillId, index++);
                    BlockKey k = key;
                    return Sealer.guard(
                            () -> k != null
                                    ? k.decrypt(ad, env, 0, env.length)
                                    : Envelope.openUnencrypted(ad, env, 0, env.length),
                            place);
                } catch (IOException e) {
                    throw new StrongroomException(
                            ErrorCode.IO_ERROR, "cannot read " + place + ": " + e.getMessage(), e);
                }
            }
        };
    }

    public Path path() {
        return file;
    }

    /** Deletes the file and forgets the key. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (writing) {
                out.close();
            }
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // The store empties tmp/ when it next opens.
        } finally {
            if (key != null) {
                key.close();
            }
        }
    }
}
