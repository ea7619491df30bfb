package io.strongroom.control;

import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.snapshot.SnapshotRecord;
import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.RawKeyAccess;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.kms.KmsRootKey;
import io.strongroom.storage.BlockInfo;
import io.strongroom.storage.Column;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.format.Bindings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The plaintext keys of a snapshot, recovered the long way for tests that search a transfer for them: the CEK by
 * KMS Decrypt of the envelope's wrapped CEK as the key's owner, the DEK unwrapped by it, and a block key unwrapped
 * from a manifest by the DEK. And the search: whether any of them, raw, hex or base64, is in some bytes.
 */
final class TransferSecrets {
    private TransferSecrets() {}

    /** The record of snapshot {@code identifier} in {@code region} of a control plane's data directory. */
    static SnapshotRecord record(Path controlDir, String region, String identifier) throws IOException {
        try (Stream<Path> s =
                Files.list(controlDir.resolve("snapshots").resolve(region).resolve("records"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".json")).toList()) {
                SnapshotRecord r = SnapshotRecord.fromJson(Files.readAllBytes(p), p.toString());
                if (r.identifier().equals(identifier)) {
                    return r;
                }
            }
        }
        throw new AssertionError("no snapshot " + identifier + " in " + region);
    }

    static VaultEntry envelope(SnapshotRecord r) {
        return VaultEntry.decode(Base64.getDecoder().decode(Objects.requireNonNull(r.envelope())), r.identifier());
    }

    /** The CEK of {@code e}: Decrypt as {@code owner} (a principal the key's policy allows) with its context. */
    static byte[] cek(KmsClient owner, VaultEntry e) {
        try (SecretBytes m = KmsRootKey.ofArn(owner, e.rootKeyArn()).decrypt(e.wrappedCek(), e.context())) {
            return m.copyBytes(RawKeyAccess.insecure());
        }
    }

    /** The DEK of {@code e}, unwrapped by its CEK {@code cek}. */
    static DatabaseKey dek(byte[] cek, VaultEntry e) {
        try (ClusterKey k =
                ClusterKey.ofMaterial(VaultEntry.cekInfo(e.clusterId(), e.cekVersion()), SecretBytes.copyOf(cek))) {
            return k.unwrapDatabaseKey(
                    e.wrappedDek(), VaultEntry.dekInfo(e.clusterId(), e.dekVersion()), e.clusterId());
        }
    }

    /** The key of the first block of table {@code public.<table>} of {@code store}, unwrapped by {@code dek}. */
    static byte[] firstBlockKey(Store store, String table, List<Column> columns, DatabaseKey dek) {
        try (Snapshot s = store.snapshot()) {
            TableReader r = s.table("public." + table);
            BlockInfo b = r.blocks().get(0);
            int columnId = columns.stream()
                    .filter(c -> c.name().equals(b.column()))
                    .findFirst()
                    .orElseThrow()
                    .id();
            byte[] wrapped = r.wrappedBlockKey(0);
            return dek.decrypt(
                    Bindings.blockKey(store.storeId(), r.tableId(), columnId, b.slice(), b.blockId(), b.keyVersion()),
                    wrapped,
                    0,
                    wrapped.length);
        }
    }

    /** Every regular file under {@code dir}, read now (a transfer's spool, captured while it exists). */
    static Map<Path, byte[]> files(Path dir) {
        Map<Path, byte[]> out = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                out.put(dir.relativize(p), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The names of {@code keys} found, in any form (raw, hex, base64), in {@code haystack}. */
    static List<String> found(byte[] haystack, Map<String, byte[]> keys) {
        List<String> out = new ArrayList<>();
        String latin = new String(haystack, StandardCharsets.ISO_8859_1);
        for (Map.Entry<String, byte[]> k : keys.entrySet()) {
            byte[] key = k.getValue();
            if (indexOf(haystack, key) >= 0
                    || latin.contains(HexFormat.of().formatHex(key))
                    || latin.toLowerCase(Locale.ROOT).contains(HexFormat.of().formatHex(key))
                    || latin.contains(Base64.getEncoder().encodeToString(key))) {
                out.add(k.getKey());
            }
        }
        return out;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
