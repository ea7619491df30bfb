package io.strongroom.storage.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.storage.StoreKeys;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A manifest encoded in parts, each its own zstd frame, is the very body of the manifest encoded whole, and a file
 * made from parts reads back as the manifest, whatever the cut.
 */
class ManifestPartsTest {
    @TempDir
    Path tmp;

    private static TableManifest manifest(int blocks) {
        long[] sliceRows = new long[3];
        List<BlockRef> refs = new ArrayList<>();
        WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(blocks);
        for (int i = 0; i < blocks; i++) {
            int slice = i % 3;
            refs.add(new BlockRef(100 + i, 0, slice, sliceRows[slice], 2, 0, 64, ZoneMap.ofLongs(i, 2L * i)));
            byte[] k = new byte[92];
            for (int j = 0; j < k.length; j++) {
                k[j] = (byte) (i * 7 + j);
            }
            keys.add(1, k);
            sliceRows[slice] += 2;
        }
        BitSet deleted = new BitSet();
        deleted.set(1);
        return new TableManifest(9, 4, sliceRows, refs, keys.build(), blocks > 0 ? Map.of(0, deleted) : Map.of());
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    @Test
    void bodyParts_concatenated_areTheWholeBody_atEveryCut() {
        for (int blocks : new int[] {0, 1, 5, 64}) {
            TableManifest m = manifest(blocks);
            byte[] whole = m.encodeBody();
            for (int per : new int[] {1, 2, 3, 64, 1000}) {
                List<byte[]> parts = new ArrayList<>();
                for (int from = 0; from < Math.max(1, blocks); from += per) {
                    parts.add(m.encodeBodyPart(from, Math.min(blocks, from + per)));
                }
                assertThat(concat(parts))
                        .as("%d blocks, %d per part", blocks, per)
                        .isEqualTo(whole);
            }
        }
        assertThatThrownBy(() -> manifest(3).encodeBodyPart(2, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> manifest(3).encodeBodyPart(2, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fileFromParts_readsBackAsTheManifest_encryptedAndNot_inAnyOrderOfEncoding() throws Exception {
        byte[] material = new byte[32];
        material[0] = 5;
        try (DatabaseKey dek =
                DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "test/dek", 1), SecretBytes.copyOf(material))) {
            for (StoreKeys keys : List.of(StoreKeys.of(dek), StoreKeys.unencrypted())) {
                Sealer sealer = new Sealer(keys, 1);
                StoreFiles files = new StoreFiles(tmp, "parts");
                Files.createDirectories(files.tableDir(9));
                TableManifest m = manifest(100);
                ManifestParts parts = new ManifestParts(m, 7);
                assertThat(parts.count()).isEqualTo(15);
                // Parts are independent: encoded backwards, as workers may finish them.
                for (int i = parts.count() - 1; i >= 0; i--) {
                    parts.encode(i);
                }
                byte[] file = files.encodeManifest(parts, sealer);
                Files.write(files.manifestFile(9, 4), file);
                TableManifest back = files.readManifest(9, 4, StoreFiles.sha256(file), sealer, "t");
                assertThat(back.encodeBody()).isEqualTo(m.encodeBody());
                assertThat(back.blocks()).isEqualTo(m.blocks());
                Files.delete(files.manifestFile(9, 4));
            }
        }
    }

    @Test
    void aPartNotEncoded_failsTheFile_andAnEmptyManifestIsOnePart() {
        StoreFiles files = new StoreFiles(tmp, "parts");
        Sealer sealer = new Sealer(StoreKeys.unencrypted(), 0);
        ManifestParts parts = new ManifestParts(manifest(10), 4);
        parts.encode(0);
        parts.encode(2);
        assertThatThrownBy(() -> files.encodeManifest(parts, sealer))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("part 1");
        assertThatThrownBy(() -> parts.encode(3)).isInstanceOf(IndexOutOfBoundsException.class);
        ManifestParts empty = new ManifestParts(manifest(0), ManifestParts.ENTRIES_PER_PART);
        assertThat(empty.count()).isEqualTo(1);
    }
}
