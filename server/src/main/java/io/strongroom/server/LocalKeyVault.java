package io.strongroom.server;

import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DataKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.ErrorCode;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.RootKey;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.crypto.WrappedKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;

/**
 * The key vault of a single-machine run, apart from the store's directory: a software root key in a 0600 file
 * (standing in for the KMS until the KMS is wired in), and per cluster the CEK wrapped by the root key with its
 * encryption context, and the DEK wrapped by the CEK. Plaintext CEK and DEK exist only in memory.
 *
 * <p>Layout: {@code root.key} (32 bytes, 0600); {@code <cluster>.properties} (base64 wrapped keys, context).
 * Writes are atomic (temp file, fsync, rename). Not thread-safe; used at start-up.
 */
final class LocalKeyVault {
    private final Path dir;
    private final SecureRandom random = new SecureRandom();

    LocalKeyVault(Path dir) {
        this.dir = dir;
    }

    private RootKey rootKey() throws IOException {
        Path file = dir.resolve("root.key");
        if (!Files.exists(file)) {
            Files.createDirectories(dir);
            byte[] m = new byte[32];
            random.nextBytes(m);
            Path tmp = dir.resolve("root.key.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, m);
            java.util.Arrays.fill(m, (byte) 0);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        byte[] m = Files.readAllBytes(file);
        if (m.length != 32) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "root key file " + file + " is damaged (expected 32 bytes)");
        }
        try {
            return SoftwareRootKey.ofMaterial(new KeyInfo(KeyTier.ROOT, "local-root", 1), SecretBytes.copyOf(m));
        } finally {
            java.util.Arrays.fill(m, (byte) 0);
        }
    }

    /** The cluster's DEK: unwrapped from the vault, or created (CEK and DEK) on first use. */
    DatabaseKey databaseKey(String clusterId) throws IOException {
        RootKey root = rootKey();
        Path entry = dir.resolve(clusterId + ".properties");
        KeyInfo cekInfo = new KeyInfo(KeyTier.CLUSTER, clusterId + "/cek", 1);
        KeyInfo dekInfo = new KeyInfo(KeyTier.DATABASE, clusterId + "/dek", 1);
        EncryptionContext ctx = EncryptionContext.of(Map.of("strongroom:cluster", clusterId));
        Base64.Encoder enc = Base64.getEncoder();
        if (!Files.exists(entry)) {
            try (DataKey cek = root.generateDataKey(ctx);
                    ClusterKey clusterKey = ClusterKey.ofMaterial(
                            cekInfo, SecretBytes.copyOf(cek.plaintext().copyBytes()));
                    DatabaseKey dek = DatabaseKey.generate(dekInfo, random)) {
                Properties p = new Properties();
                p.setProperty("cek.wrapped", enc.encodeToString(cek.wrapped().ciphertext()));
                p.setProperty(
                        "dek.wrapped",
                        enc.encodeToString(clusterKey.wrap(dek, clusterId).ciphertext()));
                p.setProperty("context", ctx.pairs().toString());
                Path tmp = dir.resolve(clusterId + ".properties.tmp");
                try (var out = Files.newOutputStream(tmp)) {
                    p.store(out, "wrapped keys of cluster " + clusterId);
                }
                try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                Files.move(tmp, entry, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(entry, StandardCharsets.ISO_8859_1)) {
            p.load(in);
        }
        Base64.Decoder dec = Base64.getDecoder();
        WrappedKey wrappedCek = new WrappedKey(root.info(), dec.decode(p.getProperty("cek.wrapped", "")));
        WrappedKey wrappedDek = new WrappedKey(cekInfo, dec.decode(p.getProperty("dek.wrapped", "")));
        try (SecretBytes cek = root.decrypt(wrappedCek, ctx);
                ClusterKey clusterKey = ClusterKey.ofMaterial(cekInfo, SecretBytes.copyOf(cek.copyBytes()))) {
            return clusterKey.unwrapDatabaseKey(wrappedDek, dekInfo, clusterId);
        }
    }
}
