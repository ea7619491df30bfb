package io.strongroom.control.keyvault;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The key vault: a directory of the control plane, apart from every cluster's data directory, with one file
 * {@code <clusterId>.vault} per encrypted cluster ({@link VaultEntry} says the layout). Entries are written with
 * {@link AtomicFile}: a crash leaves the old entry or the new one, never a torn one.
 *
 * <p>Thread-safe for distinct clusters; the control plane serialises the operations on one cluster.
 */
public final class KeyVault {
    public static final String SUFFIX = ".vault";
    public static final String PENDING_SUFFIX = ".pending";
    private static final Pattern CLUSTER_ID = Pattern.compile("[a-z0-9-]{1,64}");

    private final Path dir;

    private KeyVault(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating) the vault directory and removes temporary files a crash left. */
    public static KeyVault open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create key vault " + dir + ": " + e, e);
        }
        AtomicFile.deleteStrays(dir);
        return new KeyVault(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Stores (or replaces) the entry of its cluster durably. */
    public void put(VaultEntry e) {
        AtomicFile.write(file(e.clusterId()), e.encode());
    }

    /** The entry of {@code clusterId}, if there is one. */
    public Optional<VaultEntry> get(String clusterId) {
        Path f = file(clusterId);
        byte[] data;
        try {
            data = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read key vault entry " + f + ": " + e, e);
        }
        VaultEntry entry = VaultEntry.decode(data, f.toString());
        if (!entry.clusterId().equals(clusterId)) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "key vault entry " + f + " belongs to cluster " + entry.clusterId() + ", not " + clusterId
                            + ": the file was moved or swapped; restore it from a backup of the key vault");
        }
        return Optional.of(entry);
    }

    public void delete(String clusterId) {
        AtomicFile.delete(pendingFile(clusterId));
        AtomicFile.delete(file(clusterId));
    }

    /**
     * Stores the entry a key rotation of its cluster is moving to, beside the current one ({@code
     * <clusterId>.pending}, same layout): from then until {@link #finishRotation} both the old and the new keys
     * are stored, so a crash at any point of the rotation leaves keys that open whatever the store committed.
     */
    public void putPending(VaultEntry e) {
        AtomicFile.write(pendingFile(e.clusterId()), e.encode());
    }

    /** The entry a key rotation of {@code clusterId} was moving to, if one was started and not finished. */
    public Optional<VaultEntry> pending(String clusterId) {
        Path f = pendingFile(clusterId);
        byte[] data;
        try {
            data = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read key vault entry " + f + ": " + e, e);
        }
        VaultEntry entry = VaultEntry.decode(data, f.toString());
        if (!entry.clusterId().equals(clusterId)) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "key vault entry " + f + " belongs to cluster " + entry.clusterId() + ", not " + clusterId
                            + ": the file was moved or swapped; restore it from a backup of the key vault");
        }
        return Optional.of(entry);
    }

    /** Completes a rotation: the pending entry becomes the cluster's only entry (two atomic steps, each safe). */
    public void finishRotation(VaultEntry pending) {
        put(pending);
        AtomicFile.delete(pendingFile(pending.clusterId()));
    }

    /** Abandons a rotation that did not reach the store's commit point: the old entry stays the only one. */
    public void abandonRotation(String clusterId) {
        AtomicFile.delete(pendingFile(clusterId));
    }

    /** The cluster ids that have an entry. */
    public List<String> clusterIds() {
        List<String> ids = new ArrayList<>();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.endsWith(SUFFIX)) {
                    ids.add(n.substring(0, n.length() - SUFFIX.length()));
                }
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot list key vault " + dir + ": " + e, e);
        }
        return ids;
    }

    private Path pendingFile(String clusterId) {
        return file(clusterId).resolveSibling(clusterId + PENDING_SUFFIX);
    }

    private Path file(String clusterId) {
        if (!CLUSTER_ID.matcher(clusterId).matches()) {
            throw new IllegalArgumentException("bad cluster id " + clusterId);
        }
        return dir.resolve(clusterId + SUFFIX);
    }

    @Override
    public String toString() {
        return "KeyVault[" + dir + "]";
    }
}
