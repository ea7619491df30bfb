package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A snapshot image moved between two snapshot stores that share no disk (two installations): the sending side
 * {@link #export}s an image (its block list, pool block files and image files), the receiving side spools what
 * arrives into a directory of its own ({@link Incoming}) and {@link Incoming#commit}s it into its store. Blocks and
 * image files are moved byte for byte: nothing is decrypted. Format of what crosses: docs/format/snapshot.md
 * "Cross-region transfer".
 *
 * <p>How the receiving side stays crash safe: nothing is written into the store until the commit, which, under the
 * store's lock, moves the spooled blocks into the pool, copies the image files, and writes the marker last. A crash
 * before the marker leaves an unmarked image, which {@link SnapshotStore#recover} deletes with the blocks no marked
 * image lists; the spool directory is the caller's to delete. A spooled block is written to a temporary name and
 * renamed once its size and fingerprint match the list, so a block file in the spool is always whole: a second
 * attempt of the same transfer needs only the blocks that are missing ({@link Incoming#missing}).
 *
 * <p>Thread-safety: {@link #export} and {@link Incoming#commit} take the store's lock; one {@link Incoming} is used by
 * one thread at a time.
 */
public final class SnapshotTransfer {
    /** The longest image file this accepts (a catalog or manifest); larger is refused as damaged. */
    static final long MAX_IMAGE_FILE = 1L << 30;

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private SnapshotTransfer() {}

    /**
     * What a sender sends of one image: its block list ({@code BLOCKS}, no secret: ids, fingerprints and sizes), the
     * pool file of each block in list order, and its files but the marker and the list, by path relative to the image.
     */
    public record Export(byte[] blockList, List<Path> blockFiles, List<Long> blockSizes, Map<String, Path> imageFiles) {
        public Export {
            blockFiles = List.copyOf(blockFiles);
            blockSizes = List.copyOf(blockSizes);
            imageFiles = Map.copyOf(imageFiles);
        }

        public long totalBytes() {
            return blockSizes.stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Image {@code imageId} of {@code store}, for sending. The files stay where they are: the caller sends them while
     * the snapshot's record exists (a snapshot is not deleted while a job reads it).
     */
    public static Export export(SnapshotStore store, String imageId) {
        SnapshotStore.checkName(imageId, "image id");
        synchronized (store.lock) {
            SnapshotStore.Refs refs = store.readRefs(imageId);
            List<Path> files = new ArrayList<>();
            List<Long> sizes = new ArrayList<>();
            for (SnapshotStore.Ref r : refs.refs()) {
                files.add(store.poolFile(refs.storeId(), r));
                sizes.add(r.size());
            }
            Path dir = store.images.resolve(imageId);
            Map<String, Path> imageFiles = new LinkedHashMap<>();
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    String rel = dir.relativize(p).toString().replace('\\', '/');
                    if (!rel.equals(SnapshotStore.COMPLETE) && !rel.equals(SnapshotStore.BLOCKS)) {
                        imageFiles.put(rel, p);
                    }
                }
            } catch (IOException e) {
                throw new StrongroomException(
                        ErrorCode.IO_ERROR, "cannot list snapshot image " + imageId + ": " + e.getMessage(), e);
            }
            return new Export(SnapshotStore.encodeRefs(refs), files, sizes, imageFiles);
        }
    }

    /**
     * Begins (or, when {@code spool} holds an earlier attempt of the same transfer, resumes) receiving an image whose
     * block list is {@code blockList} into {@code store}, spooling in {@code spool}. The list is checked (checksum,
     * magic, version, counts) before anything is written; a list that differs from an earlier attempt's in the same
     * spool starts the spool over.
     */
    public static Incoming receive(SnapshotStore store, byte[] blockList, Path spool) {
        SnapshotStore.Refs refs = SnapshotStore.decodeRefs(blockList, "received block list");
        SnapshotStore.checkName(refs.storeId(), "store id");
        try {
            Path saved = spool.resolve(SnapshotStore.BLOCKS);
            if (Files.exists(saved) && !Arrays.equals(Files.readAllBytes(saved), blockList)) {
                DurableFiles.deleteTree(spool);
            }
            Files.createDirectories(spool.resolve("blocks"));
            Files.createDirectories(spool.resolve("image"));
            if (!Files.exists(saved)) {
                DurableFiles.writeNew(saved, blockList);
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create spool " + spool + ": " + e, e);
        }
        return new Incoming(store, refs, blockList, spool);
    }

    /** An image being received: what is still missing, the parts as they arrive, and the commit. */
    public static final class Incoming {
        private final SnapshotStore store;
        private final SnapshotStore.Refs refs;
        private final byte[] blockList;
        private final Path spool;

        private Incoming(SnapshotStore store, SnapshotStore.Refs refs, byte[] blockList, Path spool) {
            this.store = store;
            this.refs = refs;
            this.blockList = blockList;
            this.spool = spool;
        }

        public int blockCount() {
            return refs.refs().size();
        }

        /** The size block {@code index} must have. */
        public long blockSize(int index) {
            return refs.refs().get(index).size();
        }

        public Path spool() {
            return spool;
        }

        private Path spooled(int index) {
            return spool.resolve("blocks").resolve(Integer.toString(index));
        }

        /** Indexes of the blocks neither the store's pool nor the spool holds yet, in list order. */
        public List<Integer> missing() {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < refs.refs().size(); i++) {
                if (!Files.exists(store.poolFile(refs.storeId(), refs.refs().get(i))) && !Files.exists(spooled(i))) {
                    out.add(i);
                }
            }
            return out;
        }

        /**
         * Block {@code index}: exactly {@link #blockSize} bytes read from {@code in}, kept only if the fingerprint of
         * what arrived is the one the list names (otherwise INTEGRITY_FAILURE; nothing is kept).
         */
        public void acceptBlock(int index, InputStream in) {
            Objects.checkIndex(index, refs.refs().size());
            SnapshotStore.Ref r = refs.refs().get(index);
            Path tmp = spool.resolve("blocks").resolve(index + ".tmp");
            copyExactly(in, tmp, r.size());
            try {
                if (SnapshotStore.fingerprint(tmp, r.size()) != r.fingerprint()) {
                    Files.deleteIfExists(tmp);
                    throw new StrongroomException(
                            ErrorCode.INTEGRITY_FAILURE,
                            "received block " + r.blockId() + " of table " + r.tableId()
                                    + " does not match the fingerprint its list names; send it again");
                }
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot check received block: " + e, e);
            }
            DurableFiles.rename(tmp, spooled(index));
        }

        /** Image file {@code relativePath} (checked: relative, plain names only): {@code length} bytes of {@code in}. */
        public void acceptFile(String relativePath, long length, InputStream in) {
            if (length < 0 || length > MAX_IMAGE_FILE) {
                throw new StrongroomException(
                        ErrorCode.INTEGRITY_FAILURE, "received image file length " + length + " out of range");
            }
            String[] parts = relativePath.split("/", -1);
            if (parts.length > 8) {
                throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "received image file path too deep");
            }
            for (String p : parts) {
                if (!SEGMENT.matcher(p).matches() || p.equals("..") || p.equals(".")) {
                    throw new StrongroomException(
                            ErrorCode.INTEGRITY_FAILURE, "received image file path is not a plain relative path");
                }
            }
            if (relativePath.equals(SnapshotStore.COMPLETE) || relativePath.equals(SnapshotStore.BLOCKS)) {
                throw new StrongroomException(
                        ErrorCode.INTEGRITY_FAILURE, "a marker or block list is not sent as an image file");
            }
            Path target = spool.resolve("image").resolve(relativePath);
            try {
                Files.createDirectories(Objects.requireNonNull(target.getParent()));
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + target.getParent(), e);
            }
            copyExactly(in, target, length);
        }

        /**
         * Moves the spooled image into the store as image {@code imageId}, under the store's lock: every listed block
         * that the pool lacks from the spool (a block missing from both is INTEGRITY_FAILURE and nothing is marked),
         * the image files and the block list, then the marker, last. The spool is left for the caller to delete.
         */
        public void commit(String imageId) {
            SnapshotStore.checkName(imageId, "image id");
            synchronized (store.lock) {
                Path dst = store.images.resolve(imageId);
                if (Files.exists(dst.resolve(SnapshotStore.COMPLETE))) {
                    throw new StrongroomException(ErrorCode.ALREADY_EXISTS, "snapshot image " + imageId + " exists");
                }
                DurableFiles.deleteTree(dst);
                try {
                    for (int i = 0; i < refs.refs().size(); i++) {
                        SnapshotStore.Ref r = refs.refs().get(i);
                        Path out = store.poolFile(refs.storeId(), r);
                        if (Files.exists(out)) {
                            continue;
                        }
                        Path in = spooled(i);
                        if (!Files.exists(in)) {
                            throw new StrongroomException(
                                    ErrorCode.INTEGRITY_FAILURE,
                                    "block " + r.blockId() + " of table " + r.tableId() + " was not received");
                        }
                        Files.createDirectories(Objects.requireNonNull(out.getParent()));
                        DurableFiles.fsyncFile(in);
                        DurableFiles.rename(in, out);
                    }
                    Files.createDirectories(dst);
                } catch (IOException e) {
                    throw new StrongroomException(
                            ErrorCode.IO_ERROR, "cannot import snapshot image " + imageId + ": " + e.getMessage(), e);
                }
                SnapshotStore.copyImageFiles(spool.resolve("image"), dst, imageId);
                DurableFiles.writeNew(dst.resolve(SnapshotStore.BLOCKS), blockList);
                DurableFiles.fsyncTree(store.pool);
                DurableFiles.fsyncTree(dst);
                DurableFiles.fsyncDirectory(store.images);
                store.faults.reached(SnapshotStep.IMAGE_FILES_WRITTEN, dst);
                store.mark(dst, blockList);
            }
        }
    }

    private static void copyExactly(InputStream in, Path target, long length) {
        byte[] buf = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(
                target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new StrongroomException(
                            ErrorCode.IO_ERROR, "the transfer ended early (" + left + " bytes of a part missing)");
                }
                out.write(buf, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot write " + target.getFileName() + ": " + e, e);
        }
    }
}
