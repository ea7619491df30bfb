package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyHierarchyTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void rootWrapsCluster_clusterWrapsDatabase_databaseWrapsBlock_allTheWayBack() {
        try (SoftwareRootKey root = SoftwareRootKey.generate(new KeyInfo(KeyTier.ROOT, "root-1", 1), RANDOM)) {
            EncryptionContext ctx =
                    EncryptionContext.of(Map.of("aws:redshift:arn", "arn:aws:redshift:us-east-1:1:cluster:c1"));
            KeyInfo cekInfo = new KeyInfo(KeyTier.CLUSTER, "c1", 1);
            KeyInfo dekInfo = new KeyInfo(KeyTier.DATABASE, "c1-db", 1);
            byte[] blockEnvelope;
            byte[] wrappedBlockKey;
            WrappedKey wrappedDek;
            WrappedKey wrappedCek;
            AssociatedData blockAd = AssociatedData.of("block").with("block", 1).build();
            AssociatedData blockKeyAd =
                    AssociatedData.of("block-key").with("block", 1).build();
            byte[] data = "row data".getBytes(StandardCharsets.UTF_8);
            try (DataKey dk = root.generateDataKey(ctx);
                    ClusterKey cek = ClusterKey.ofMaterial(
                            cekInfo, SecretBytes.copyOf(dk.plaintext().copyBytes()));
                    DatabaseKey dek = DatabaseKey.generate(dekInfo, RANDOM);
                    BlockKey bk = BlockKey.generate(RANDOM)) {
                wrappedCek = dk.wrapped();
                wrappedDek = cek.wrap(dek, "c1");
                wrappedBlockKey = dek.wrap(bk, blockKeyAd);
                blockEnvelope = bk.encrypt(blockAd, data, 0, data.length);
            }
            // A reboot: only wrapped keys survive.
            try (SecretBytes cekMaterial = root.decrypt(wrappedCek, ctx);
                    ClusterKey cek = ClusterKey.ofMaterial(cekInfo, SecretBytes.copyOf(cekMaterial.copyBytes()));
                    DatabaseKey dek = cek.unwrapDatabaseKey(wrappedDek, dekInfo, "c1");
                    BlockKey bk = dek.unwrapBlockKey(wrappedBlockKey, blockKeyAd)) {
                assertThat(bk.decrypt(blockAd, blockEnvelope, 0, blockEnvelope.length))
                        .isEqualTo(data);
                assertThatThrownBy(() -> cek.unwrapDatabaseKey(wrappedDek, dekInfo, "c2"))
                        .isInstanceOfSatisfying(
                                StrongroomException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.MISPLACED_CIPHERTEXT));
            }
            assertThatThrownBy(
                            () -> root.decrypt(wrappedCek, EncryptionContext.of(Map.of("aws:redshift:arn", "other"))))
                    .isInstanceOf(StrongroomException.class);
        }
    }

    @Test
    void keyMaterial_neverAppearsInToStringOrMessages() {
        byte[] material = new byte[32];
        RANDOM.nextBytes(material);
        String hex = HexFormat.of().formatHex(material);
        SecretBytes secret = SecretBytes.copyOf(material);
        DatabaseKey dek = DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, "db", 1), SecretBytes.copyOf(material));
        ClusterKey cek = ClusterKey.ofMaterial(new KeyInfo(KeyTier.CLUSTER, "c", 1), SecretBytes.copyOf(material));
        StringBuilder all = new StringBuilder();
        all.append(secret).append(dek).append(cek).append(BlockKey.generate(RANDOM));
        AssociatedData ad = AssociatedData.of("p").with("a", "b").build();
        byte[] env = dek.encrypt(ad, new byte[8], 0, 8);
        env[50] ^= 1;
        try {
            dek.decrypt(ad, env, 0, env.length);
        } catch (StrongroomException e) {
            all.append(e.getMessage());
        }
        assertThat(all.toString())
                .doesNotContainIgnoringCase(hex)
                .doesNotContain(new String(material, StandardCharsets.ISO_8859_1));
        assertThat(secret.toString()).isEqualTo("SecretBytes[32 bytes, redacted]");
    }

    @Test
    void secretBytes_closeZeroesAndRefusesUse() {
        byte[] material = {1, 2, 3, 4};
        SecretBytes s = SecretBytes.copyOf(material);
        byte[] view = s.unsafeView();
        s.close();
        assertThat(view).containsOnly(0);
        assertThatThrownBy(s::copyBytes).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void provider_isReportedOnce_andUsable() {
        assertThat(CryptoProvider.get().report()).contains("AES-256-GCM by");
        assertThat(CryptoProvider.get()).isSameAs(CryptoProvider.get());
    }
}
