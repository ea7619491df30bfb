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
import io.strongroom.crypto.StrongroomException;
import io.strongroom.crypto.WrappedKey;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The key vault: per cluster, the CEK wrapped by the root key (with the root key's id and the encryption
 * context it was made with) and the DEK wrapped by the CEK. It lives apart from every cluster's data directory;
 * plaintext keys exist only in memory. The control plane (issue 4) will own a fuller version of this.
 *
 * <p>Layout: {@code <cluster>.properties} with base64 wrapped keys; written atomically (temp file, fsync,
 * rename). Not thread-safe; used at start-up.
 */
final class LocalKeyVault {
    private final Path dir;
    private final SecureRandom random = new SecureRandom();

    LocalKeyVault(Path dir) {
        this.dir = dir;
    }

    /**
     * The cluster's DEK: unwrapped through the root key, or, on first use, a new CEK from the root key
     * (GenerateDataKey with {@code context}) and a new random DEK wrapped under it.
     */
    DatabaseKey databaseKey(String clusterId, RootKey root, EncryptionContext newContext) throws IOException {
        Files.createDirectories(dir);
        Path entry = dir.resolve(clusterId + ".properties");
        KeyInfo cekInfo = new KeyInfo(KeyTier.CLUSTER, clusterId + "/cek", 1);
        KeyInfo dekInfo = new KeyInfo(KeyTier.DATABASE, clusterId + "/dek", 1);
        Base64.Encoder enc = Base64.getEncoder();
        if (!Files.exists(entry)) {
            try (DataKey cek = root.generateDataKey(newContext);
                    ClusterKey clusterKey = ClusterKey.ofMaterial(
                            cekInfo, SecretBytes.copyOf(cek.plaintext().copyBytes()));
                    DatabaseKey dek = DatabaseKey.generate(dekInfo, random)) {
                Properties p = new Properties();
                p.setProperty("root.key", root.info().keyId());
                p.setProperty("cek.wrapped", enc.encodeToString(cek.wrapped().ciphertext()));
                p.setProperty(
                        "dek.wrapped",
                        enc.encodeToString(clusterKey.wrap(dek, clusterId).ciphertext()));
                newContext.pairs().forEach((k, v) -> p.setProperty("context." + k, v));
                Path tmp = dir.resolve(clusterId + ".properties.tmp");
                try (var out = Files.newOutputStream(tmp)) {
                    p.store(out, "wrapped keys of cluster " + clusterId + "; no plaintext key material");
                }
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(entry, StandardCharsets.ISO_8859_1)) {
            p.load(in);
        }
        Map<String, String> ctx = new TreeMap<>();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith("context.")) {
                ctx.put(name.substring("context.".length()), p.getProperty(name));
            }
        }
        String rootId = p.getProperty("root.key", "");
        if (!rootId.equals(root.info().keyId())) {
            throw new StrongroomException(
                    ErrorCode.WRONG_KEY,
                    "cluster " + clusterId + " is rooted in KMS key " + rootId + ", not "
                            + root.info().keyId());
        }
        Base64.Decoder dec = Base64.getDecoder();
        WrappedKey wrappedCek = new WrappedKey(root.info(), dec.decode(p.getProperty("cek.wrapped", "")));
        WrappedKey wrappedDek = new WrappedKey(cekInfo, dec.decode(p.getProperty("dek.wrapped", "")));
        try (SecretBytes cek = root.decrypt(wrappedCek, EncryptionContext.of(ctx));
                ClusterKey clusterKey = ClusterKey.ofMaterial(cekInfo, SecretBytes.copyOf(cek.copyBytes()))) {
            return clusterKey.unwrapDatabaseKey(wrappedDek, dekInfo, clusterId);
        }
    }
}
