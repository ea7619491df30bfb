package io.strongroom.control.keyvault;

import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.StrongroomException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The durable-replace sequence every control-plane file uses: write {@code <name>.tmp} (mode 0600), fsync it,
 * rename it over {@code <name>} atomically, fsync the directory.
 *
 * <p>What a crash leaves at each step: before the rename, the old file (or none) and possibly a stray {@code
 * .tmp} that readers ignore and {@link #deleteStrays} removes; after the rename, the new file whole. The file is
 * never seen half-written. Stateless and thread-safe as long as two writers do not replace the same file at once.
 */
public final class AtomicFile {
    public static final String TMP_SUFFIX = ".tmp";

    private AtomicFile() {}

    /** Replaces {@code target} with {@code content} durably. */
    public static void write(Path target, byte[] content) {
        Path tmp = target.resolveSibling(target.getFileName() + TMP_SUFFIX);
        Path dir = parentOf(target);
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot write " + target + ": " + e, e);
        }
    }

    /** Deletes {@code target} and fsyncs its directory; a missing file is not an error. */
    public static void delete(Path target) {
        try {
            if (Files.deleteIfExists(target)) {
                fsyncDirectory(parentOf(target));
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot delete " + target + ": " + e, e);
        }
    }

    /** Removes {@code *.tmp} files a crash left in {@code dir}. */
    public static void deleteStrays(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (p.getFileName().toString().endsWith(TMP_SUFFIX)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot clean " + dir + ": " + e, e);
        }
    }

    private static Path parentOf(Path target) {
        Path p = target.toAbsolutePath().getParent();
        if (p == null) {
            throw new IllegalArgumentException("no directory above " + target);
        }
        return p;
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (AccessDeniedException e) {
            // Some file systems refuse to open directories for fsync; the rename is as durable as they allow.
        }
    }
}
