package io.strongroom.storage.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The flat key arrays of a manifest: what goes in comes out by index, and the manifest bytes stay the same. */
class WrappedBlockKeysTest {
    private static byte[] key(int length, int seed) {
        byte[] k = new byte[length];
        for (int i = 0; i < length; i++) {
            k[i] = (byte) (seed * 31 + i);
        }
        return k;
    }

    /** Lengths the format allows, in no order: empty (unencrypted), a real wrapped key, the bound. */
    private static final int[] LENGTHS = {92, 0, 92, Envelope.encryptedOverhead() + 64, 7, 92};

    @Test
    void builder_keepsEveryKeyAndVersionByIndex_pastItsExpectedCount() {
        WrappedBlockKeys.Builder b = WrappedBlockKeys.builder(2);
        for (int i = 0; i < 40; i++) {
            b.add(i % 3, key(LENGTHS[i % LENGTHS.length], i));
        }
        WrappedBlockKeys keys = b.build();
        assertThat(keys.size()).isEqualTo(40);
        for (int i = 0; i < 40; i++) {
            assertThat(keys.dekVersion(i)).isEqualTo(i % 3);
            assertThat(keys.wrappedKey(i)).isEqualTo(key(LENGTHS[i % LENGTHS.length], i));
        }
        WrappedBlockKeys copy =
                WrappedBlockKeys.builder(40).add(keys, 5).add(keys, 1).build();
        assertThat(copy.sameKey(0, keys, 5)).isTrue();
        assertThat(copy.sameKey(1, keys, 1)).isTrue();
        assertThat(copy.sameKey(0, keys, 11)).isFalse(); // same length and version, other bytes
    }

    @Test
    void slots_takeKeysOfTheLengthTheyReplace_andRefuseOthers() {
        WrappedBlockKeys.Builder b = WrappedBlockKeys.builder(LENGTHS.length);
        for (int i = 0; i < LENGTHS.length; i++) {
            b.add(1, key(LENGTHS[i], i));
        }
        WrappedBlockKeys old = b.build();
        WrappedBlockKeys.Slots slots = WrappedBlockKeys.slotsLike(old);
        for (int i = 0; i < LENGTHS.length; i++) {
            if (i == 2) {
                slots.copy(i, old, i);
            } else {
                slots.set(i, 2, key(LENGTHS[i], 100 + i));
            }
        }
        assertThatThrownBy(() -> slots.set(0, 2, key(91, 0))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slots.copy(0, old, 1)).isInstanceOf(IllegalStateException.class);
        WrappedBlockKeys now = slots.build();
        for (int i = 0; i < LENGTHS.length; i++) {
            assertThat(now.dekVersion(i)).isEqualTo(i == 2 ? 1 : 2);
            assertThat(now.wrappedKey(i)).isEqualTo(i == 2 ? key(LENGTHS[i], i) : key(LENGTHS[i], 100 + i));
            // The keys it was made like are unchanged.
            assertThat(old.wrappedKey(i)).isEqualTo(key(LENGTHS[i], i));
        }
    }

    @Test
    void manifest_decodesAndEncodesEntriesByteForByte_withKeysApart() {
        List<BlockRef> refs = new ArrayList<>();
        WrappedBlockKeys.Builder keys = WrappedBlockKeys.builder(0);
        long[] rows = new long[2];
        for (int i = 0; i < 12; i++) {
            int slice = i % 2;
            refs.add(new BlockRef(100 + i, 0, slice, rows[slice], 3, 0, 64, ZoneMap.ofLongs(i, i + 2)));
            rows[slice] += 3;
            keys.add(i % 4, key(LENGTHS[i % LENGTHS.length], i));
        }
        TableManifest m = new TableManifest(7, 3, rows, refs, keys.build(), Map.of());
        byte[] body = m.encodeBody();
        TableManifest back = TableManifest.decodeBody(body, 1, "test manifest");
        assertThat(back.blocks()).isEqualTo(refs);
        for (int i = 0; i < refs.size(); i++) {
            assertThat(back.keys().sameKey(i, m.keys(), i)).isTrue();
            assertThat(back.entry(i)).isEqualTo(m.entry(i));
        }
        assertThat(back.encodeBody()).isEqualTo(body);
        // One entry read by hand: the key and its version sit in the entry where the format puts them.
        ByteSource in = new ByteSource(body, "test manifest");
        in.skip(8 + 8 + 4 + 8 * 2 + 4 + 8 + 4 + 4 + 8 + 4 + 4 + 4);
        assertThat(in.u32()).as("dekVersion of entry 0").isZero();
        assertThat(in.u8()).as("zone map kind").isEqualTo(ZoneMap.LONG);
        in.skip(16);
        assertThat(in.blob(1024)).isEqualTo(key(LENGTHS[0], 0));
    }

    @Test
    void manifest_refusesKeysThatDoNotMatchItsBlocks_andNamesNoKeyBytes() {
        BlockRef ref = new BlockRef(1, 0, 0, 0, 1, 0, 64, ZoneMap.EMPTY);
        assertThatThrownBy(
                        () -> new TableManifest(1, 1, new long[] {1}, List.of(ref), WrappedBlockKeys.EMPTY, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        WrappedBlockKeys keys = WrappedBlockKeys.builder(1).add(3, key(92, 9)).build();
        ManifestEntry e = new ManifestEntry(ref, 3, key(92, 9));
        assertThat(keys.toString()).isEqualTo("1 wrapped block keys (92 bytes)");
        assertThat(e.toString()).isEqualTo("block 1 (column 0, slice 0, rows 0..1) under database key v3");
    }
}
