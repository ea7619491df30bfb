package io.strongroom.base;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * The one durable write every module uses. Two shapes:
 *
 * <ul>
 *   <li>{@link #replace}: a file that changes in place for its readers (a key vault entry, a credentials file, a
 *       key store, the KMS store, a commit pointer): write {@code <name>.tmp} (mode 0600), fsync it, rename it over
 *       {@code <name>} atomically, fsync the directory. A crash before the rename leaves the old file and perhaps a
 *       stray {@code .tmp} (the next {@code replace} overwrites it; owners may delete strays at start); after it,
 *       the new file whole. Never a torn file.
 *   <li>{@link #writeNew}: a file that must not exist yet (a block, a manifest): created with mode 0600, written,
 *       fsynced. A failure removes the partial file. Its directory is fsynced by the caller, once for many files.
 * </ul>
 *
 * <p>One answer to each question the copies before it answered differently: every file is created owner-only
 * (0600), whatever the umask; a short write is continued until every byte is written; a directory that cannot be
 * fsynced is a failure, never ignored (the rename is not durable until it is), reported after the rename as
 * {@link DirectorySyncFailed} so the caller knows the new content is in place but not yet durable; a file system
 * that cannot rename atomically is a failure saying so.
 *
 * <p>Each step first calls the caller's {@link FaultHook} with its {@link Step}, which tests use to inject a fault
 * (throw) or record the sequence (testkit's {@code DurableWriteRecorder}); production passes {@link
 * FaultHook#NONE}. Stateless and thread-safe; concurrent {@code replace}s of the same file must be serialised by the
 * caller (they share the temporary name).
 */
public final class DurableFile {
    /** The suffix of the temporary file {@link #replace} writes first. */
    public static final String TMP_SUFFIX = ".tmp";

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private DurableFile() {}

    /**
     * The steps of a durable write, in order, each announced to the {@link FaultHook} before it happens, with the
     * file or directory it concerns.
     */
    public enum Step implements FaultPoint {
        /** Creating and writing the file ({@code .tmp} for {@link #replace}). */
        WRITE,
        /** fsync of the written file. */
        SYNC_FILE,
        /** The atomic rename of {@code .tmp} over the target ({@link #replace} only). */
        RENAME,
        /** fsync of a directory ({@link #replace}, {@link #syncDirectory}, {@link #delete}). */
        SYNC_DIRECTORY,
        /** Removal of a file ({@link #delete}). */
        DELETE
    }

    /**
     * The new content is in place (the rename happened) but the directory fsync failed, so it may not survive a
     * crash. Callers that promised durability must not report success.
     */
    public static final class DirectorySyncFailed extends IOException {
        private static final long serialVersionUID = 1L;

        DirectorySyncFailed(Path dir, IOException cause) {
            super("cannot fsync directory " + dir + " after renaming into it: " + cause.getMessage(), cause);
        }
    }

    /** Replaces {@code target} by {@code content} durably (see the class comment). */
    public static void replace(Path target, byte[] content) throws IOException {
        replace(target, content, FaultHook.NONE);
    }

    /** {@link #replace(Path, byte[])} announcing each step to {@code hook}. */
    public static void replace(Path target, byte[] content, FaultHook hook) throws IOException {
        Path dir = directoryOf(target);
        Files.createDirectories(dir);
        Path tmp = dir.resolve(target.getFileName() + TMP_SUFFIX);
        Files.deleteIfExists(tmp);
        writeNew(tmp, content, content.length, content.length, hook);
        rename(tmp, target, hook);
        try {
            syncDirectory(dir, hook);
        } catch (IOException e) {
            throw new DirectorySyncFailed(dir, e);
        }
    }

    /** Writes {@code content} to {@code file}, which must not exist, and fsyncs it (see the class comment). */
    public static void writeNew(Path file, byte[] content) throws IOException {
        writeNew(file, content, content.length, content.length, FaultHook.NONE);
    }

    /**
     * Writes the first {@code length} bytes of {@code data} to {@code file}, which must not exist, syncing every
     * {@code syncEvery} bytes and at the end: a big file written beside others' work syncs in slices so the disk
     * cache never holds much of it unsynced (pass {@code length}, or 0, to sync once at the end). An empty file is
     * fine. On failure the partial file is
     * removed (best effort: nothing references it) and the failure thrown.
     */
    public static void writeNew(Path file, byte[] data, int length, int syncEvery, FaultHook hook) throws IOException {
        Objects.checkFromIndexSize(0, length, data.length);
        int slice = syncEvery > 0 ? syncEvery : Math.max(1, length);
        boolean created = false;
        try {
            hook.at(Step.WRITE, file);
            try (FileChannel ch = FileChannel.open(
                    file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY)) {
                created = true;
                for (int off = 0; off < length; ) {
                    int n = Math.min(slice, length - off);
                    ByteBuffer b = ByteBuffer.wrap(data, off, n);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                    off += n;
                    if (off < length) {
                        ch.force(false);
                    }
                }
                hook.at(Step.SYNC_FILE, file);
                ch.force(true);
            }
        } catch (IOException | RuntimeException e) {
            if (created) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * Renames {@code from} over {@code to} atomically (replacing it). A file system that cannot is refused with an
     * {@link IOException} saying so, never a copy.
     */
    public static void rename(Path from, Path to) throws IOException {
        rename(from, to, FaultHook.NONE);
    }

    /** {@link #rename(Path, Path)} announcing {@link Step#RENAME} (with {@code to}) to {@code hook}. */
    public static void rename(Path from, Path to, FaultHook hook) throws IOException {
        hook.at(Step.RENAME, to);
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(
                    "the file system of " + to + " cannot rename atomically; use a local POSIX file system", e);
        }
    }

    /** fsyncs directory {@code dir}, so that names created, renamed or removed in it survive a crash. */
    public static void syncDirectory(Path dir) throws IOException {
        syncDirectory(dir, FaultHook.NONE);
    }

    /** {@link #syncDirectory(Path)} announcing {@link Step#SYNC_DIRECTORY} to {@code hook}. */
    public static void syncDirectory(Path dir, FaultHook hook) throws IOException {
        hook.at(Step.SYNC_DIRECTORY, dir);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** Deletes {@code file} if it exists and fsyncs its directory; returns whether it existed. */
    public static boolean delete(Path file) throws IOException {
        return delete(file, FaultHook.NONE);
    }

    /**
     * {@link #delete(Path)} announcing {@link Step#DELETE} (with {@code file}) to {@code hook}, and {@link
     * Step#SYNC_DIRECTORY} when the file existed.
     */
    public static boolean delete(Path file, FaultHook hook) throws IOException {
        hook.at(Step.DELETE, file);
        boolean existed = Files.deleteIfExists(file);
        if (existed) {
            syncDirectory(directoryOf(file), hook);
        }
        return existed;
    }

    private static Path directoryOf(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null) {
            throw new IllegalArgumentException("no directory above " + file);
        }
        return dir;
    }
}
