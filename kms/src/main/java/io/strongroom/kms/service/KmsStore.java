package io.strongroom.kms.service;

import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.crypto.StrongroomException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The KMS's own durable state: a master key file and one sealed store file in the data directory.
 *
 * <p>How this works. {@code master.key} (mode 0600, created at first start) holds a 256-bit master key.
 * {@code kms-store.bin} holds the whole state (keys, aliases, grants, policies) as one JSON document sealed
 * with AES-256-GCM under the master key; inside it, each key material is sealed again on its own, bound to
 * its key ARN and version, so material never exists as a plaintext string even in memory-held JSON. Every
 * change rewrites the file: write {@code kms-store.bin.tmp}, fsync it, rename it over {@code kms-store.bin}
 * atomically, fsync the directory. Rewriting everything is simple and fine here: changes (CreateKey,
 * CreateGrant, rotation, ...) are rare next to the cryptographic calls, which never write. The
 * alternative, an append-only log of changes, would need compaction and replay rules for no gain at this size.
 *
 * <p>A crash before the rename leaves the old store (a stale {@code .tmp} is removed at the next start); a
 * crash after it leaves the new one. A store that fails authentication (edited, truncated, damaged, or
 * sealed under another master key) stops the KMS from starting with a message saying which. Rolling the
 * whole file back to an older, authentic version is not detected (the generation counter is inside the
 * sealed bytes, with nothing outside to compare it to).
 *
 * <p>Byte layouts: docs/format/kms-store.md. Thread-safety: {@link #save} is called under the service's
 * write lock; sealing and opening material are thread-safe.
 */
public final class KmsStore implements AutoCloseable {
    static final String MASTER_FILE = "master.key";
    static final String STORE_FILE = "kms-store.bin";
    private static final byte[] MASTER_MAGIC = "SRKMSMK1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STORE_MAGIC = "SRKMSSTO".getBytes(StandardCharsets.US_ASCII);
    static final int STORE_FORMAT_VERSION = 1;
    static final int STORE_HEADER_BYTES = 24;
    private static final int MAX_STORE_BYTES = 256 * 1024 * 1024;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path dir;
    private final SoftwareRootKey master;
    private final boolean createdMaster;
    private long generation;

    private KmsStore(Path dir, SoftwareRootKey master, boolean createdMaster) {
        this.dir = dir;
        this.master = master;
        this.createdMaster = createdMaster;
    }

    /** Opens the store in {@code dir}, creating the directory and the master key file at first start. */
    public static KmsStore open(Path dir, SecureRandom random) {
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(STORE_FILE + ".tmp"));
            Path keyFile = dir.resolve(MASTER_FILE);
            boolean created = false;
            if (!Files.exists(keyFile)) {
                if (Files.exists(dir.resolve(STORE_FILE))) {
                    throw new StrongroomException(
                            ErrorCode.KEY_UNAVAILABLE,
                            "KMS store " + dir.resolve(STORE_FILE) + " exists but its master key file " + keyFile
                                    + " is missing; restore master.key from your backup (the store cannot be read"
                                    + " without it)");
                }
                try (SecretBytes m = SecretBytes.random(32, random)) {
                    byte[] content = new byte[MASTER_MAGIC.length + 32];
                    System.arraycopy(MASTER_MAGIC, 0, content, 0, MASTER_MAGIC.length);
                    byte[] mb = m.copyBytes();
                    System.arraycopy(mb, 0, content, MASTER_MAGIC.length, 32);
                    Arrays.fill(mb, (byte) 0);
                    writeDurably(dir, keyFile, content);
                    Arrays.fill(content, (byte) 0);
                }
                created = true;
            }
            return new KmsStore(dir, readMaster(keyFile), created);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot open the KMS store in " + dir + ": " + e, e);
        }
    }

    private static SoftwareRootKey readMaster(Path keyFile) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(keyFile);
        if (!OWNER_ONLY.containsAll(perms)) {
            throw new StrongroomException(
                    ErrorCode.ACCESS_DENIED,
                    "KMS master key file " + keyFile + " is readable by others (mode "
                            + PosixFilePermissions.toString(perms) + "); run chmod 600 " + keyFile);
        }
        byte[] content = Files.readAllBytes(keyFile);
        try {
            if (content.length != MASTER_MAGIC.length + 32
                    || !Arrays.equals(content, 0, MASTER_MAGIC.length, MASTER_MAGIC, 0, MASTER_MAGIC.length)) {
                throw new StrongroomException(
                        ErrorCode.INTEGRITY_FAILURE,
                        "KMS master key file " + keyFile + " is not a Strongroom master key (expected "
                                + (MASTER_MAGIC.length + 32) + " bytes starting with SRKMSMK1)");
            }
            SecretBytes material = SecretBytes.copyOf(Arrays.copyOfRange(content, MASTER_MAGIC.length, content.length));
            return SoftwareRootKey.ofMaterial(new KeyInfo(KeyTier.ROOT, "kms-master", 1), material);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** True when this start created the master key (a new data directory). */
    public boolean createdMaster() {
        return createdMaster;
    }

    public Path storeFile() {
        return dir.resolve(STORE_FILE);
    }

    public Path masterKeyFile() {
        return dir.resolve(MASTER_FILE);
    }

    /** The stored document, or null when nothing was saved yet; refuses a store that fails authentication. */
    public byte @Nullable [] load() {
        Path file = storeFile();
        byte[] all;
        try {
            if (Files.size(file) > MAX_STORE_BYTES) {
                throw tampered(file, "it is larger than " + MAX_STORE_BYTES + " bytes");
            }
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read KMS store " + file + ": " + e, e);
        }
        if (all.length < STORE_HEADER_BYTES
                || !Arrays.equals(all, 0, STORE_MAGIC.length, STORE_MAGIC, 0, STORE_MAGIC.length)) {
            throw tampered(file, "it does not start with the KMS store header");
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        b.position(STORE_MAGIC.length);
        int version = b.getShort() & 0xffff;
        int reserved = b.getShort() & 0xffff;
        long gen = b.getLong();
        int length = b.getInt();
        if (version != STORE_FORMAT_VERSION) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT,
                    "KMS store " + file + " has format version " + version + "; this build reads version "
                            + STORE_FORMAT_VERSION + ". The KMS refuses to start; run the Strongroom version that"
                            + " wrote it");
        }
        if (reserved != 0 || gen < 1 || length != all.length - STORE_HEADER_BYTES) {
            throw tampered(file, "its header is inconsistent (reserved bytes, generation or length)");
        }
        byte[] envelope = Arrays.copyOfRange(all, STORE_HEADER_BYTES, all.length);
        try {
            byte[] doc = master.decrypt(storeAd(gen), envelope);
            generation = gen;
            return doc;
        } catch (StrongroomException e) {
            if (e.code() == ErrorCode.WRONG_KEY) {
                throw new StrongroomException(
                        ErrorCode.WRONG_KEY,
                        "KMS store " + file + " was sealed under a different master key than " + masterKeyFile()
                                + ". The KMS refuses to start; put back the master.key that belongs to this store",
                        e);
            }
            throw tampered(file, "it fails authentication (" + e.code() + ")");
        }
    }

    private StrongroomException tampered(Path file, String why) {
        return new StrongroomException(
                ErrorCode.INTEGRITY_FAILURE,
                "KMS store " + file + " is damaged or was modified: " + why + ". The KMS refuses to start;"
                        + " restore kms-store.bin from a backup (key material cannot be recovered without it)");
    }

    /**
     * Seals {@code document} and replaces the store with it. A crash before the rename leaves the previous
     * store; after it, the new one; the directory fsync makes the rename itself durable.
     */
    public void save(byte[] document) {
        long next = generation + 1;
        byte[] envelope = master.encrypt(storeAd(next), document);
        ByteBuffer b = ByteBuffer.allocate(STORE_HEADER_BYTES + envelope.length);
        b.put(STORE_MAGIC).putShort((short) STORE_FORMAT_VERSION).putShort((short) 0);
        b.putLong(next).putInt(envelope.length).put(envelope);
        try {
            writeDurably(dir, storeFile(), b.array());
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot write KMS store " + storeFile() + ": " + e, e);
        }
        generation = next;
    }

    private static AssociatedData storeAd(long generation) {
        return AssociatedData.of("strongroom/kms-store/v1")
                .with("generation", generation)
                .build();
    }

    private static AssociatedData materialAd(String keyArn, int version) {
        return AssociatedData.of("strongroom/kms-key-material/v1")
                .with("key", keyArn)
                .with("version", version)
                .build();
    }

    /** Seals one key material version under the master key, bound to its key and version. */
    public byte[] sealMaterial(String keyArn, int version, byte[] material) {
        return master.encrypt(materialAd(keyArn, version), material);
    }

    /** Opens what {@link #sealMaterial} sealed; the caller zeroes the result. */
    public byte[] openMaterial(String keyArn, int version, byte[] sealed) {
        try {
            return master.decrypt(materialAd(keyArn, version), sealed);
        } catch (StrongroomException e) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "KMS store " + storeFile() + ": material v" + version + " of " + keyArn
                            + " fails authentication; the KMS refuses to start",
                    e);
        }
    }

    /** Writes {@code content} to {@code target} via a 0600 temporary file, fsync, atomic rename, dir fsync. */
    static void writeDurably(Path dir, Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try (FileChannel ch = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.WRITE))) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (AccessDeniedException | UnsupportedOperationException e) {
            // Some file systems cannot open a directory for fsync; the rename is then as durable as they allow.
        }
    }

    @Override
    public void close() {
        master.close();
    }

    @Override
    public String toString() {
        return "KmsStore[" + dir + ", generation " + generation + "]";
    }
}
