package io.strongroom.storage.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Appends that share storage ({@link BlockList}, {@link WrappedBlockKeys#append}, {@link TableManifest#appended}):
 * the newest version is extended in place, any other is copied, and no version ever sees another's blocks or keys.
 */
class BlockListTest {
    private static BlockRef ref(long id) {
        return new BlockRef(id, 0, 0, id, 1, 0, 8, ZoneMap.ofLongs(id, id));
    }

    private static List<BlockRef> refs(long from, int n) {
        List<BlockRef> out = new ArrayList<>();
        for (long i = from; i < from + n; i++) {
            out.add(ref(i));
        }
        return out;
    }

    private static List<ManifestEntry> entries(long from, int n) {
        List<ManifestEntry> out = new ArrayList<>();
        for (BlockRef r : refs(from, n)) {
            out.add(new ManifestEntry(r, 1, new byte[] {(byte) r.blockId(), (byte) (r.blockId() >> 8), 7}));
        }
        return out;
    }

    @Test
    void appendsToTheNewestList_shareItsStorage_andEarlierListsNeverChange() {
        BlockList l0 = BlockList.of(refs(0, 3));
        BlockList l1 = l0.append(refs(3, 2));
        BlockList l2 = l1.append(refs(5, 1));
        assertThat(l0).isEqualTo(refs(0, 3));
        assertThat(l1).isEqualTo(refs(0, 5));
        assertThat(l2).isEqualTo(refs(0, 6));
        // l0 was exactly full, so l1 is a copy with room; l2 went into that room.
        assertThat(l1.extendsShared(l0)).isFalse();
        assertThat(l2.extendsShared(l1)).isTrue();
        assertThat(l1.extendsShared(l2)).isFalse();
    }

    @Test
    void twoAppendsToOneList_giveTwoIndependentLists() {
        BlockList base = BlockList.of(refs(0, 3)).append(refs(3, 1));
        BlockList a = base.append(refs(100, 2));
        BlockList b = base.append(refs(200, 3));
        BlockList a2 = a.append(refs(102, 1));
        List<BlockRef> expectA = new ArrayList<>(refs(0, 4));
        expectA.addAll(refs(100, 3));
        List<BlockRef> expectB = new ArrayList<>(refs(0, 4));
        expectB.addAll(refs(200, 3));
        assertThat(a2).isEqualTo(expectA);
        assertThat(a).isEqualTo(expectA.subList(0, 6));
        assertThat(b).isEqualTo(expectB);
        assertThat(base).isEqualTo(refs(0, 4));
        assertThat(a.extendsShared(base)).isTrue();
        assertThat(b.extendsShared(base)).isFalse();
    }

    @Test
    void keyAppends_branchLikeBlockAppends_andKeepEachVersionsKeys() {
        WrappedBlockKeys k0 = WrappedBlockKeys.EMPTY.append(entries(0, 3));
        WrappedBlockKeys a = k0.append(entries(10, 2));
        WrappedBlockKeys b = k0.append(entries(20, 4));
        assertThat(k0.size()).isEqualTo(3);
        assertThat(a.size()).isEqualTo(5);
        assertThat(b.size()).isEqualTo(7);
        assertThat(a.wrappedKey(3)).containsExactly(10, 0, 7);
        assertThat(b.wrappedKey(3)).containsExactly(20, 0, 7);
        assertThat(b.wrappedKey(6)).containsExactly(23, 0, 7);
        assertThat(k0.wrappedKey(2)).containsExactly(2, 0, 7);
        assertThat(a.dekVersion(4)).isEqualTo(1);
        // A rewrap's slots take the layout of exactly the keys they replace.
        assertThat(WrappedBlockKeys.slotsLike(a).size()).isEqualTo(5);
    }

    @Test
    void appendedManifest_keepsTheBlocksOfTheOneItExtends_andNotOfASibling() {
        TableManifest m0 = TableManifest.empty(1, 1);
        TableManifest m1 = m0.appended(1, new long[] {3}, entries(0, 3), Map.of());
        TableManifest m2 = m1.appended(2, new long[] {5}, entries(3, 2), Map.of());
        TableManifest sibling = m1.appended(3, new long[] {4}, entries(50, 1), Map.of());
        assertThat(m2.blocks()).isEqualTo(refs(0, 5));
        assertThat(m2.keys().wrappedKey(4)).containsExactly(4, 0, 7);
        assertThat(sibling.blocks().get(3).blockId()).isEqualTo(50);
        assertThat(m2.keepsBlocksOf(m1)).isTrue();
        assertThat(sibling.keepsBlocksOf(m1)).isTrue();
        assertThat(sibling.keepsBlocksOf(m2)).isFalse();
        assertThat(m1.blocks()).isEqualTo(refs(0, 3));
    }
}
