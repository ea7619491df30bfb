package io.strongroom.storage.format;

import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The store's durable writes: write a new file and fsync it; switch a name atomically; fsync a directory. A file
 * is never overwritten in place. The steps themselves are {@link DurableFile}'s (module base, shared by every module);
 * this adds the store's error model (a full disk is {@link ErrorCode#DISK_FULL}, with no path in the message).
 * Stateless and thread-safe.
 */
public final class DurableFiles {
    private DurableFiles() {}

    /**
     * Slices {@link #writeNewInSlices} syncs. An fsync waits for the journal, which waits for every file's unsynced
     * new data: one 100 MB manifest synced at once held other commits' fsyncs for hundreds of milliseconds; synced
     * by slices, another commit waits for one slice at most.
     */
    static final int SYNC_SLICE_BYTES = 2 << 20;

    /**
     * Writes {@code data} to a file that must not exist yet and fsyncs it. A crash during the write leaves a
     * partial file under this name that nothing references; the store deletes such files when it opens.
     */
    public static void writeNew(Path file, byte[] data) {
        writeNew(file, data, data.length);
    }

    /**
     * {@link #writeNew(Path, byte[])} announcing its {@link DurableFile.Step}s to {@code hook} (a commit's writes,
     * so a crash test can fail them and a recording test pin them).
     */
    public static void writeNew(Path file, byte[] data, FaultHook hook) {
        write(file, data, data.length, data.length, hook);
    }

    /** {@link #writeNew(Path, byte[])} of the first {@code length} bytes of {@code data}. */
    public static void writeNew(Path file, byte[] data, int length) {
        write(file, data, length, length, FaultHook.NONE);
    }

    /**
     * {@link #writeNew(Path, byte[])} for a big file written beside other work that syncs (a key rotation's
     * manifests, written while commits go on): its data is synced every {@value #SYNC_SLICE_BYTES} bytes, so the
     * disk cache never holds much of it unsynced. More fsyncs in all, so not for writes that others wait for.
     */
    public static void writeNewInSlices(Path file, byte[] data) {
        write(file, data, data.length, SYNC_SLICE_BYTES, FaultHook.NONE);
    }

    private static void write(Path file, byte[] data, int length, int sliceBytes, FaultHook hook) {
        try {
            // On failure the partial file is removed, so a full disk gets its space back.
            DurableFile.writeNew(file, data, length, sliceBytes, hook);
        } catch (IOException e) {
            throw writeFailure(file, e);
        }
    }

    /**
     * The error for a failed write of {@code file}: {@link ErrorCode#DISK_FULL} when the device is full (ENOSPC or
     * EDQUOT), with a message that names no path (it may reach a SQL client) and the path in the cause; else
     * IO_ERROR.
     */
    public static StrongroomException writeFailure(Path file, IOException e) {
        if (isDiskFull(e)) {
            return new StrongroomException(
                    ErrorCode.DISK_FULL,
                    "could not write: the disk holding this cluster's data is full. Nothing was written; free space"
                            + " on that volume (or grow it) and retry",
                    new IOException("cannot write " + file + ": " + e.getMessage(), e));
        }
        return new StrongroomException(ErrorCode.IO_ERROR, "cannot write " + file + ": " + e.getMessage(), e);
    }

    /** Whether {@code e} says the device or the user's quota is full. */
    public static boolean isDiskFull(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Replaces {@code target} by {@code data}: writes {@code target}.tmp, fsyncs it, renames it over {@code
     * target} atomically, and fsyncs the directory. A crash before the rename leaves the old {@code target};
     * after it, the new one. Readers never see a mix.
     */
    public static void replaceAtomically(Path target, byte[] data) {
        try {
            DurableFile.replace(target, data);
        } catch (IOException e) {
            throw writeFailure(target, e);
        }
    }

    /**
     * Gives the file {@code existing} a second name, {@code link}, which must not exist yet: a hard link, so nothing
     * is created or written but a directory entry. The commit pointer is made this way (a link to the new catalog,
     * then renamed over {@code CURRENT}), which spares a commit a file of its own. A file system without hard links
     * is refused with a message saying so; a full one is {@link ErrorCode#DISK_FULL}.
     */
    public static void link(Path link, Path existing) {
        try {
            Files.createLink(link, existing);
        } catch (UnsupportedOperationException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR,
                    "cannot link " + link + " to " + existing + ": the file system has no hard links; keep the store"
                            + " on a local POSIX file system",
                    e);
        } catch (IOException e) {
            throw writeFailure(link, e);
        }
    }

    public static void rename(Path from, Path to) {
        rename(from, to, FaultHook.NONE);
    }

    /** {@link #rename(Path, Path)} announcing {@link DurableFile.Step#RENAME} to {@code hook}. */
    public static void rename(Path from, Path to, FaultHook hook) {
        try {
            DurableFile.rename(from, to, hook);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot rename " + from + ": " + e.getMessage(), e);
        }
    }

    public static void fsyncDirectory(Path dir) {
        fsyncDirectory(dir, FaultHook.NONE);
    }

    /** {@link #fsyncDirectory(Path)} announcing {@link DurableFile.Step#SYNC_DIRECTORY} to {@code hook}. */
    public static void fsyncDirectory(Path dir, FaultHook hook) {
        try {
            DurableFile.syncDirectory(dir, hook);
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot fsync directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads {@code file} into {@code buffer} when it fits, else into a new array; returns the array and (through
     * {@code length[0]}) how many bytes were read. For loops over many files, which would otherwise allocate one
     * array per file.
     */
    public static byte[] readInto(Path file, byte[] buffer, int[] length, String place) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 8) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + file + ": too large");
            }
            byte[] into = size <= buffer.length ? buffer : new byte[(int) size];
            ByteBuffer bb = ByteBuffer.wrap(into, 0, (int) size);
            while (bb.hasRemaining() && ch.read(bb) >= 0) {
                // read until the end
            }
            length[0] = bb.position();
            return into;
        } catch (NoSuchFileException e) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "integrity failure: " + place + " is missing (" + file + ")", e);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static byte[] read(Path file, String place) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "integrity failure: " + place + " is missing (" + file + ")", e);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Fsyncs one written file. */
    public static void fsyncFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Fsyncs every file and directory under {@code dir}, deepest first. */
    public static void fsyncTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p)) {
                    fsyncDirectory(p);
                } else {
                    fsyncFile(p);
                }
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot fsync " + dir + ": " + e, e);
        }
    }

    /** Deletes {@code dir} and everything under it, if it exists. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot delete " + dir + ": " + e, e);
        }
    }
}
