package io.strongroom.kms.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The append-only audit trail: one CloudTrail JSON record per line (JSON Lines) in {@code
 * audit/kms-audit.jsonl}, created with mode 0600.
 *
 * <p>Each record is handed to the operating system with one {@code write} before the API call answers, so a
 * call the client saw answered is in the trail unless the machine itself crashes; {@link #sync} and {@link
 * #close} fsync. A process killed mid-write can leave a torn last line, which {@code AuditTrail} skips.
 * Thread-safe: appends are serialised by a lock so lines never interleave.
 */
public final class AuditLog implements AutoCloseable {
    public static final String DIR = "audit";
    public static final String FILE = "kms-audit.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final ReentrantLock lock = new ReentrantLock();

    private AuditLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    public static AuditLog open(Path dataDir) {
        return openFile(dataDir.resolve(DIR).resolve(FILE));
    }

    /** An audit trail in {@code file} (the control plane keeps its own beside the KMS's, in the same format). */
    public static AuditLog openFile(Path file) {
        try {
            Files.createDirectories(file.getParent());
            // Owner-only from the first byte: the trail names principals, keys and encryption contexts.
            return new AuditLog(
                    file,
                    FileChannel.open(
                            file,
                            Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot open audit trail " + file + ": " + e, e);
        }
    }

    public Path file() {
        return file;
    }

    public void append(AuditEvent event) {
        byte[] line;
        try {
            line = JSON.writeValueAsBytes(event.toJson());
        } catch (JsonProcessingException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot encode audit record " + event, e);
        }
        ByteBuffer b =
                ByteBuffer.allocate(line.length + 1).put(line).put((byte) '\n').flip();
        lock.lock();
        try {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot append to audit trail " + file + ": " + e, e);
        } finally {
            lock.unlock();
        }
    }

    public void sync() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot fsync audit trail " + file + ": " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            if (channel.isOpen()) {
                channel.force(false);
                channel.close();
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot close audit trail " + file + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "AuditLog[" + file + "]";
    }
}
