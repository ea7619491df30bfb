package io.strongroom.kms.store;

import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.Envelope;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.RawKeyAccess;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.kms.model.KmsApiException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
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
 * crash after it leaves the new one. The first start writes an empty store right after the master key, so
 * from then on the store file always exists: a data directory with a master key and no store lost its store,
 * and the KMS refuses to start rather than silently become an empty KMS. A store that fails authentication (edited, truncated, damaged, or
 * sealed under another master key) stops the KMS from starting with a message saying which. Rolling the
 * whole file back to an older, authentic version is not detected (the generation counter is inside the
 * sealed bytes, with nothing outside to compare it to).
 *
 * <p>{@link #save} refuses a document the loader would reject as too large ({@code LimitExceededException}),
 * so no change can make the KMS unable to restart.
 *
 * <p>Byte layouts: docs/format/kms-store.md. Thread-safety: {@link #save} is called under the service's
 * write lock; sealing and opening material are thread-safe.
 */
public final class KmsStore implements AutoCloseable {
    public static final String MASTER_FILE = "master.key";
    public static final String STORE_FILE = "kms-store.bin";
    private static final byte[] STORE_MAGIC = "SRKMSSTO".getBytes(StandardCharsets.US_ASCII);
    static final int STORE_FORMAT_VERSION = 1;
    static final int STORE_HEADER_BYTES = 24;
    public static final int MAX_STORE_BYTES = 256 * 1024 * 1024;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /**
     * The store's own fault point: a load, announced to the {@link FaultHook} before the file is read. A save's steps
     * are {@link DurableFile.Step}s, announced by the durable write itself.
     */
    public enum Step implements FaultPoint {
        LOAD
    }

    private final Path dir;
    private final SoftwareRootKey master;
    private final boolean createdMaster;
    private final boolean masterSealed;
    private final FaultHook faults;
    private final int maxStoreBytes;
    private long generation;

    private KmsStore(
            Path dir,
            SoftwareRootKey master,
            boolean createdMaster,
            boolean masterSealed,
            FaultHook faults,
            int maxStoreBytes) {
        this.dir = dir;
        this.master = master;
        this.createdMaster = createdMaster;
        this.masterSealed = masterSealed;
        this.faults = faults;
        this.maxStoreBytes = maxStoreBytes;
    }

    /**
     * Opens the store in {@code dir}, creating the directory, the master key file and an empty store at first
     * start. Refuses a directory whose master key exists without its store (the store was lost).
     */
    public static KmsStore open(Path dir, SecureRandom random) {
        return open(dir, random, null);
    }

    /**
     * As {@link #open(Path, SecureRandom)}, with the master key sealed by {@code passphrase} (Argon2id, {@link
     * MasterKeyFile}): a new master key is written sealed, and one found in the clear is sealed in place. Without a
     * passphrase the master key is kept in the clear (development mode) and a sealed one cannot be opened.
     */
    public static KmsStore open(Path dir, SecureRandom random, char @Nullable [] passphrase) {
        return open(dir, random, FaultHook.NONE, MAX_STORE_BYTES, passphrase, MasterKeyFile.Cost.DEFAULT);
    }

    /** As {@link #open(Path, SecureRandom)}, with injected faults and a smaller size limit (tests). */
    public static KmsStore open(Path dir, SecureRandom random, FaultHook faults, int maxStoreBytes) {
        return open(dir, random, faults, maxStoreBytes, null, MasterKeyFile.Cost.DEFAULT);
    }

    static KmsStore open(
            Path dir,
            SecureRandom random,
            FaultHook faults,
            int maxStoreBytes,
            char @Nullable [] passphrase,
            MasterKeyFile.Cost cost) {
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(STORE_FILE + ".tmp"));
            Path keyFile = dir.resolve(MASTER_FILE);
            Path storeFile = dir.resolve(STORE_FILE);
            if (Files.exists(keyFile) && !Files.exists(storeFile)) {
                throw new StrongroomException(
                        ErrorCode.INTEGRITY_FAILURE,
                        "KMS store " + storeFile + " is missing but its master key " + keyFile + " exists: the"
                                + " store was deleted or lost. The KMS refuses to start rather than serve an empty"
                                + " KMS; restore kms-store.bin from a backup. Only if this data directory never"
                                + " held keys (its first start was interrupted), delete " + keyFile
                                + " to start afresh");
            }
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
                    byte[] mb = m.copyBytes(RawKeyAccess.insecure()); // written into the master key file
                    byte[] content = passphrase == null
                            ? MasterKeyFile.plain(mb)
                            : MasterKeyFile.sealed(mb, passphrase, random, cost);
                    Arrays.fill(mb, (byte) 0);
                    writeDurably(keyFile, content, FaultHook.NONE);
                    Arrays.fill(content, (byte) 0);
                }
                created = true;
            }
            byte[] content = readMasterFile(keyFile);
            byte[] material;
            boolean sealed = MasterKeyFile.isSealed(content);
            try {
                material = MasterKeyFile.open(content, passphrase, keyFile);
            } finally {
                Arrays.fill(content, (byte) 0);
            }
            try {
                if (!sealed && passphrase != null) {
                    // A master key found in the clear is sealed now: atomically, so a crash leaves one form whole.
                    byte[] sealedContent = MasterKeyFile.sealed(material, passphrase, random, cost);
                    writeDurably(keyFile, sealedContent, FaultHook.NONE);
                    sealed = true;
                }
            } catch (RuntimeException | IOException e) {
                Arrays.fill(material, (byte) 0);
                throw e;
            }
            SoftwareRootKey master = SoftwareRootKey.ofMaterial(
                    new KeyInfo(KeyTier.ROOT, "kms-master", 1), SecretBytes.copyOf(material));
            Arrays.fill(material, (byte) 0);
            KmsStore store = new KmsStore(dir, master, created, sealed, faults, maxStoreBytes);
            if (created) {
                // The store exists from the first start on, so its absence later always means a loss.
                store.save(StateDocument.write(List.of(), List.of()));
            }
            return store;
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot open the KMS store in " + dir + ": " + e, e);
        }
    }

    private static byte[] readMasterFile(Path keyFile) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(keyFile);
        if (!OWNER_ONLY.containsAll(perms)) {
            throw new StrongroomException(
                    ErrorCode.ACCESS_DENIED,
                    "KMS master key file " + keyFile + " is readable by others (mode "
                            + PosixFilePermissions.toString(perms) + "); run chmod 600 " + keyFile);
        }
        return Files.readAllBytes(keyFile);
    }

    /** Whether the master key is sealed by a passphrase (false: in the clear, development mode). */
    public boolean masterSealed() {
        return masterSealed;
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

    /** The stored document; refuses a missing store and a store that fails authentication. */
    public byte[] load() {
        Path file = storeFile();
        byte[] all;
        try {
            faults.at(Step.LOAD, file);
            if (Files.size(file) > maxStoreBytes) {
                throw tampered(file, "it is larger than " + maxStoreBytes + " bytes");
            }
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "KMS store " + file + " is missing; restore kms-store.bin from a backup (the KMS will not"
                            + " continue as an empty KMS)",
                    e);
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
     *
     * <p>Failures: a document the loader would refuse as too large is {@code LimitExceededException}, before
     * anything is written; a failure before the rename leaves the previous store ({@code IO_ERROR}, nothing
     * saved); a failed directory fsync after the rename is a {@code KMSInternalException} saying the change
     * may have been saved (the new file is in place, but a power loss could still bring the old one back).
     */
    public void save(byte[] document) {
        long total = (long) STORE_HEADER_BYTES + Envelope.encryptedOverhead() + document.length;
        if (total > maxStoreBytes) {
            throw KmsApiException.limitExceeded("The change would make the KMS store " + total + " bytes, more than"
                    + " the " + maxStoreBytes + " bytes it can load; nothing was changed. Delete keys, grants or"
                    + " aliases that are no longer needed.");
        }
        long next = generation + 1;
        byte[] envelope = master.encrypt(storeAd(next), document);
        ByteBuffer b = ByteBuffer.allocate(STORE_HEADER_BYTES + envelope.length);
        b.put(STORE_MAGIC).putShort((short) STORE_FORMAT_VERSION).putShort((short) 0);
        b.putLong(next).putInt(envelope.length).put(envelope);
        try {
            writeDurably(storeFile(), b.array(), faults);
        } catch (DurableFile.DirectorySyncFailed e) {
            generation = next;
            throw KmsApiException.internal(
                    "The KMS wrote its store " + storeFile() + " but could not fsync directory " + dir + " ("
                            + e.getCause() + "): the change may have been saved, and may still be lost on power"
                            + " failure. Check the state (Describe/List) before retrying.",
                    e);
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.IO_ERROR,
                    "cannot write KMS store " + storeFile() + ": " + e + "; the previous store is unchanged",
                    e);
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

    /**
     * Writes {@code content} to {@code target} through {@link DurableFile#replace} (0600 temporary file, fsync,
     * atomic rename, directory fsync), announcing its steps to {@code faults}. A failure before the rename leaves
     * {@code target} as it was; a failed directory fsync after it throws {@link DurableFile.DirectorySyncFailed}.
     */
    private static void writeDurably(Path target, byte[] content, FaultHook faults) throws IOException {
        DurableFile.replace(target, content, faults);
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
