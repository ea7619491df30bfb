package io.strongroom.hsm.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/**
 * The one way the gateway changes a file: write a temporary file (mode 0600), fsync it, rename it over the target,
 * fsync the directory. A crash before the rename leaves the old file and a stray {@code .tmp} (ignored and
 * overwritten next time); after the rename, the new file. Never a torn file.
 */
final class DurableFiles {
    private DurableFiles() {}

    static void write(Path file, byte[] content) throws IOException {
        Path parent = Objects.requireNonNull(file.toAbsolutePath().getParent());
        Files.createDirectories(parent);
        Path tmp = parent.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                out.write(b);
            }
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(parent, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
