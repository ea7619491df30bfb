package io.strongroom.storage;

import io.strongroom.storage.format.FileHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Encryption coverage read from block files themselves: the algorithm in each file's envelope header (0 none, 1
 * AES-256-GCM; docs/format/envelope.md), for a store's tables ({@link TableReader#coverage}) and for a snapshot
 * image's pool blocks ({@link #ofImage}). No key is used: only the first bytes of each file are read. Stateless.
 */
public final class EncryptionCoverage {
    private EncryptionCoverage() {}

    /**
     * How one block is sealed, as its files say, reconciled with its manifest: the manifest's DEK version (0: in the
     * clear), the algorithm in the block file's envelope header (0 none, 1 AES-256-GCM; -1 when the file could not be
     * read) and the key version in the header of its wrapped block key. {@code problem} says what does not agree, or is
     * null. Read by {@link TableReader#coverage()}; nothing here is secret.
     *
     * @param table the table's qualified name
     * @param storedBytes the block file's size as the manifest records it
     */
    public record Block(
            String table,
            int slice,
            long blockId,
            int manifestKeyVersion,
            int fileAlgorithm,
            int wrappedKeyVersion,
            long storedBytes,
            @Nullable String problem) {
        /** {@code encrypted}, {@code unencrypted}, or {@code mismatch} when the files and the manifest disagree. */
        public String state() {
            return problem != null ? "mismatch" : manifestKeyVersion > 0 ? "encrypted" : "unencrypted";
        }
    }

    /**
     * The blocks of one snapshot image by what their files say: encrypted, in the clear, or unreadable (missing,
     * truncated, not an envelope). The image's manifests are sealed under its DEK and are not read here; which key
     * that is comes from its key envelope.
     */
    public record Image(
            long encryptedBlocks,
            long encryptedBytes,
            long clearBlocks,
            long clearBytes,
            long unreadableBlocks,
            List<String> problems) {}

    /** The coverage of image {@code imageId} of {@code store}. */
    public static Image ofImage(SnapshotStore store, String imageId) {
        long eb = 0;
        long ebytes = 0;
        long cb = 0;
        long cbytes = 0;
        long bad = 0;
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Path, Long> e : store.imageBlockFiles(imageId).entrySet()) {
            int algorithm = algorithm(e.getKey());
            if (algorithm == 1) {
                eb++;
                ebytes += e.getValue();
            } else if (algorithm == 0) {
                cb++;
                cbytes += e.getValue();
            } else {
                bad++;
                if (problems.size() < 10) {
                    problems.add("pool block " + e.getKey().getFileName() + " cannot be read as a block file");
                }
            }
        }
        return new Image(eb, ebytes, cb, cbytes, bad, List.copyOf(problems));
    }

    /** The envelope algorithm of block file {@code file}, or -1 when it cannot be read or is too short. */
    static int algorithm(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(FileHeader.BYTES + 8);
            while (head.hasRemaining() && ch.read(head) >= 0) {
                // the file header and the envelope's first bytes
            }
            return head.position() < head.capacity() ? -1 : Byte.toUnsignedInt(head.get(FileHeader.BYTES + 1));
        } catch (IOException e) {
            return -1;
        }
    }
}
