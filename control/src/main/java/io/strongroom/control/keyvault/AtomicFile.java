package io.strongroom.control.keyvault;

import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The durable replace every control-plane file uses ({@link DurableFile#replace}: write {@code <name>.tmp} (mode
 * 0600), fsync it, rename it over {@code <name>} atomically, fsync the directory), with the control plane's error.
 *
 * <p>What a crash leaves at each step: before the rename, the old file (or none) and possibly a stray {@code
 * .tmp} that readers ignore and {@link #deleteStrays} removes; after the rename, the new file whole. The file is
 * never seen half-written. Stateless and thread-safe as long as two writers do not replace the same file at once.
 */
public final class AtomicFile {
    public static final String TMP_SUFFIX = DurableFile.TMP_SUFFIX;

    private AtomicFile() {}

    /** Replaces {@code target} with {@code content} durably. */
    public static void write(Path target, byte[] content) {
        write(target, content, FaultHook.NONE);
    }

    /** {@link #write(Path, byte[])} announcing each {@link DurableFile.Step} to {@code hook} (tests). */
    public static void write(Path target, byte[] content, FaultHook hook) {
        try {
            DurableFile.replace(target, content, hook);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot write " + target + ": " + e, e);
        }
    }

    /** Deletes {@code target} and fsyncs its directory; a missing file is not an error. */
    public static void delete(Path target) {
        delete(target, FaultHook.NONE);
    }

    /** {@link #delete(Path)} announcing each {@link DurableFile.Step} to {@code hook} (tests). */
    public static void delete(Path target, FaultHook hook) {
        try {
            DurableFile.delete(target, hook);
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
}
